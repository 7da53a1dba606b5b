import { describe, expect, it } from "vitest";
import { decryptText, encryptText, HushError, openText, readPlaintext, scanYaml, verifyText } from "@hush/core";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "./store-harness.ts";

/**
 * Decrypting for reading only (decryptText, readPlaintext) reads a YAML file's metadata first
 * and decrypts each value as the scanner reads it, holding no list of values; it must give what
 * opening the file whole gives, in every case: a text the scanner declines after the metadata,
 * errors (and which comes first), a failing MAC.
 */

const enc = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, dataKey, wrappedKeys, now, ivSource });
const withKey = { format: "yaml" as const, keySources: noKeys, dataKey };

async function errorOf(run: () => Promise<unknown>): Promise<HushError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof HushError) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("decrypting a YAML file for reading", () => {
  it("gives the same plaintext and unauthenticated paths as opening it whole", async () => {
    const text = "db:\n    user: admin\n    password: s3cret\n    empty: ''\n    none:\n    port_unencrypted: 5432\nlist:\n    - a\n    - 2\n# a comment\n";
    const encrypted = await enc(text);
    const opened = await openText(encrypted, withKey);
    const read = await readPlaintext(encrypted, withKey);
    expect(read.plaintext).toBe(text);
    expect(read.plaintext).toBe(opened.plaintext);
    expect(read.unauthenticated).toEqual(opened.unauthenticated);
  });

  it("names each unauthenticated value's document: a YAML stream holds the same path in several", async () => {
    const encrypted = await enc("password: ''\ntoken:\n---\npassword: s3cret\ntoken: t0ken\n");
    const expected = [
      { document: 0, path: ["password"] },
      { document: 0, path: ["token"] },
    ];
    expect((await openText(encrypted, withKey)).unauthenticated).toEqual(expected);
    expect((await readPlaintext(encrypted, withKey)).unauthenticated).toEqual(expected);
  });

  it("reads again as a whole a text the scanner declines after its metadata (a flow list in clear)", async () => {
    const text = "secret: s\nhosts_unencrypted: [a, b]\nlast: l\n";
    const encrypted = await enc(text);
    expect(scanYaml(encrypted)).toBeUndefined();
    expect(scanYaml(encrypted.slice(encrypted.indexOf("\nsops:\n") + 1))?.metadata).toBeDefined();
    expect(await decryptText(encrypted, withKey)).toBe(text);
    expect((await readPlaintext(encrypted, withKey)).plaintext).toBe((await openText(encrypted, withKey)).plaintext);
  });

  it("reads encrypted comments as it reads values, and keeps one that fails authentication as SOPS does (read again as a whole)", async () => {
    const text = "# header\ndb:\n    # the user\n    user: admin # who\n    list:\n        - a # first\n        # between\n        - b\n# before c\nc: 1\n";
    const encrypted = await enc(text);
    expect(encrypted).not.toContain("header");
    const leaves: string[] = [];
    expect(scanYaml(encrypted, (leaf) => leaves.push(leaf.kind), { comments: true })).toBeDefined();
    expect(leaves.filter((k) => k === "comment")).toHaveLength(6);
    expect(await decryptText(encrypted, withKey)).toBe(text);
    // A comment moved into another collection fails authentication (its AAD is the collection's path).
    const comments = [...encrypted.matchAll(/^ *#ENC\[[^\]]+\]\n/gm)].map((m) => m[0]);
    const moved = encrypted.replace(comments[1]!, "").replace(/^c: /m, `${comments[1]!.trimStart()}c: `);
    const read = await readPlaintext(moved, withKey);
    expect(read.plaintext).toBe((await openText(moved, withKey)).plaintext);
    expect(read.plaintext).toContain(comments[1]!.trim());
    expect(read.plaintext).toContain("# header\n");
  });

  it("reports a text that does not parse as opening it whole does (its keys may have been tried)", async () => {
    const encrypted = await enc("a: 1\nb: 2\n");
    const broken = encrypted.replace("b: ENC", "b: [ENC");
    const whole = await errorOf(() => openText(broken, { format: "yaml", keySources: noKeys }));
    const streamed = await errorOf(() => readPlaintext(broken, { format: "yaml", keySources: noKeys }));
    expect(whole.code).toBe("PARSE_FAILED");
    expect({ code: streamed.code, message: streamed.message, location: streamed.location }).toEqual({ code: whole.code, message: whole.message, location: whole.location });
  });

  it("fails on a changed value and on a failing MAC as opening it whole does", async () => {
    const encrypted = await enc("a: one\nb: two\n");
    const [first, second] = [...encrypted.matchAll(/ENC\[[^\]]+\]/g)].map((m) => m[0]);
    const swapped = encrypted.replace(first!, "@@").replace(second!, first!).replace("@@", second!);
    const whole = await errorOf(() => openText(swapped, withKey));
    const streamed = await errorOf(() => decryptText(swapped, withKey));
    expect({ code: streamed.code, message: streamed.message }).toEqual({ code: whole.code, message: whole.message });
    const noMac = encrypted.replace(/mac: ENC\[[^\]]+\]/, "mac: ENC[AES256_GCM,data:YQ==,iv:YWFhYWFhYWFhYWFhYWFhYQ==,tag:YWFhYWFhYWFhYWFhYWFhYQ==,type:str]");
    expect((await errorOf(() => decryptText(noMac, withKey))).code).toBe("MAC_MISMATCH");
    expect((await readPlaintext(noMac, { ...withKey, ignoreMac: true })).plaintext).toBe("a: one\nb: two\n");
  });

  it("verifyText checks the MAC even when the options it is handed ask to skip it (shared options, a caller without types)", async () => {
    const encrypted = await enc("a: one\nb: two\n");
    const removed = encrypted.replace(/^b: .*\n/m, "");
    expect(removed).not.toBe(encrypted);
    const shared = { ...withKey, ignoreMac: true };
    expect(await decryptText(removed, shared)).toBe("a: one\n");
    expect((await errorOf(() => verifyText(removed, shared))).code).toBe("MAC_MISMATCH");
  });
});
