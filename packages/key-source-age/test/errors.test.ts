import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { ageTestPluginKeyPair } from "@hush/testkit";
import {
  AgeKeySource,
  generateAgeKeyPair,
  generateHybridAgeKeyPair,
  normalizeAgeRecipient,
  parseAgeIdentities,
  type AgeIdentity,
} from "@hush/key-source-age";
import { ageVectors, randomKey } from "./tools.ts";

const v = ageVectors();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

function expectCode(err: unknown, code: string, message: RegExp): void {
  expect(isHushError(err), String(err)).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

/** Rewrites the armored age file with one byte changed at `offset` (negative: from the end). */
function tamper(enc: string, offset: number): string {
  const lines = enc.trim().split("\n");
  const bytes = Buffer.from(lines.slice(1, -1).join(""), "base64");
  const at = offset < 0 ? bytes.length + offset : offset;
  bytes[at] = bytes[at]! ^ 0x01;
  const b64 = bytes.toString("base64").match(/.{1,64}/g)!.join("\n");
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${b64}\n-----END AGE ENCRYPTED FILE-----\n`;
}

describe("unwrap contract", () => {
  const mine = new AgeKeySource({ identities: parseAgeIdentities(v.mockIdentity) });

  it("returns null for entries of other kinds", async () => {
    expect(await mine.unwrap({ kind: "pgp", fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", createdAt: "", enc: "x" })).toBeNull();
    expect(await mine.unwrap({ kind: "hc_vault", fields: {} })).toBeNull();
  });

  it("returns null for an age entry to someone else, and without identities", async () => {
    const other = await generateAgeKeyPair();
    const entry = await mine.wrap(randomKey(), { kind: "age", recipient: other.recipient });
    expect(await mine.unwrap(entry)).toBeNull();
    expect(await new AgeKeySource().unwrap({ kind: "age", recipient: v.mockRecipient, enc: v.mockEncryptedKey })).toBeNull();
  });

  it("throws KEY_SOURCE_FAILED for malformed armor, even without identities", async () => {
    for (const enc of [
      "",
      "not armor",
      v.mockEncryptedKey.replace("-----END AGE ENCRYPTED FILE-----", "-----END PGP MESSAGE-----"),
      v.mockEncryptedKey.replace("\n", "\n\n"),
      v.mockEncryptedKey.replace("YWdl", "YW!l"),
    ]) {
      for (const source of [mine, new AgeKeySource()]) {
        expectCode(await rejected(source.unwrap({ kind: "age", recipient: v.mockRecipient, enc })), "KEY_SOURCE_FAILED", /age1lzd99uk.*is malformed/);
      }
    }
  });

  it("throws KEY_SOURCE_FAILED for a tampered header or payload", async () => {
    const entry = await mine.wrap(randomKey(), { kind: "age", recipient: v.mockRecipient });
    expect(await mine.unwrap(entry)).toHaveLength(32);
    expectCode(await rejected(mine.unwrap({ ...entry, enc: tamper(entry.enc, -1) })), "KEY_SOURCE_FAILED", /malformed/);
    // Byte 0 of the file is in "age-encryption.org/v1": the header itself becomes invalid.
    expectCode(await rejected(new AgeKeySource().unwrap({ ...entry, enc: tamper(entry.enc, 0) })), "KEY_SOURCE_FAILED", /malformed/);
  });

  it("throws for a malformed stanza of a type it holds an identity for", async () => {
    const ssh = new AgeKeySource({ identities: parseAgeIdentities(v.mockSshIdentity) });
    const file = Buffer.from(v.mockEncryptedSshKey.split("\n").slice(1, -1).join(""), "base64").toString("latin1");
    const broken = file.replace(/^-> ssh-ed25519 (\S+) (\S+)$/m, "-> ssh-ed25519 $1 AAAA");
    expect(broken).not.toBe(file);
    const enc = `-----BEGIN AGE ENCRYPTED FILE-----\n${Buffer.from(broken, "latin1").toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END AGE ENCRYPTED FILE-----\n`;
    expectCode(await rejected(ssh.unwrap({ kind: "age", recipient: v.mockSshRecipient, enc })), "KEY_SOURCE_FAILED", /invalid ssh-ed25519 stanza/);
  });

  it("rejects identities that did not come from this package", async () => {
    const fake: AgeIdentity = { stanzaTypes: ["X25519"], source: "fake", needsPassphrase: false };
    const err = await rejected(new AgeKeySource({ identities: [fake] }).unwrap({ kind: "age", recipient: v.mockRecipient, enc: v.mockEncryptedKey }));
    expectCode(err, "INVALID_ARGUMENT", /must come from parseAgeIdentities/);
  });
});

describe("recipients", () => {
  it("are trimmed and stored as given", async () => {
    expect(normalizeAgeRecipient(`\t ${v.mockRecipient} \n`)).toBe(v.mockRecipient);
    const entry = await new AgeKeySource().wrap(randomKey(), { kind: "age", recipient: ` ${v.mockSshRecipient}\n` });
    expect(entry.recipient).toBe(v.mockSshRecipient);
  });

  it("accept plugin recipients whose name age allows, and refuse hostile plugin names without running anything", () => {
    const { recipient } = ageTestPluginKeyPair();
    expect(normalizeAgeRecipient(` ${recipient}\n`)).toBe(recipient);
    const broken = `${recipient.slice(0, -1)}${recipient.endsWith("q") ? "p" : "q"}`;
    expectCode(thrown(() => normalizeAgeRecipient(broken)), "INVALID_ARGUMENT", /not a valid age-plugin-hushtest recipient \(bad bech32 encoding\)/);
    for (const hostile of ["age1../../bin/sh1qqqq", "age1a/b1qqqq", "age1evil\\x1qqqq", "age1 rm -rf1qq", "age11qq", "age1evil~1qqqq"]) {
      const err = thrown(() => normalizeAgeRecipient(hostile));
      expectCode(err, "INVALID_ARGUMENT", /outside \[A-Za-z0-9\+-\._\]; refusing it/);
    }
    // Mixed case is not bech32: refused before its name matters.
    expectCode(thrown(() => normalizeAgeRecipient("age1Evil1qqqq")), "INVALID_ARGUMENT", /bad bech32 encoding/);
  });

  it("age1tag1 recipients follow SOPS's order and count as plugins", () => {
    expectCode(thrown(() => normalizeAgeRecipient("age1tag1qqqq")), "INVALID_ARGUMENT", /age-plugin-tag/);
  });

  it("rejects invalid recipients with INVALID_ARGUMENT naming them", async () => {
    const badChecksum = `${v.mockRecipient.slice(0, -1)}q`;
    for (const [recipient, message] of [
      [badChecksum, /not a valid X25519 recipient/],
      ["age1pq1qqqq", /not a valid post-quantum recipient/],
      ["AGE1LZD99UKLCJNC0E7D860AXEVET2CZ99CE9PQ6TZUZD05L5NR28AMS36NVUN", /expected age1…/],
      ["ssh-ed25519 AAAA%%%", /invalid base64/],
      ["ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAID+Wi8WZw2bXfBpcs/WECttCzP39OkenS6pHWHWGFJvN", /does not match/],
      ["", /expected age1…/],
    ] as const) {
      const err = await rejected(new AgeKeySource().wrap(randomKey(), { kind: "age", recipient }));
      expectCode(err, "INVALID_ARGUMENT", message);
      expect((err as Error).message).toContain(JSON.stringify(recipient.slice(0, 20)).slice(0, -1));
    }
  });

  it("escapes terminal control characters of recipients in messages", () => {
    const err = thrown(() => normalizeAgeRecipient("ssh-\u009b2J\u001b[31m\u202e AAAA"));
    expectCode(err, "INVALID_ARGUMENT", /ssh-\\u009b2J\\u001b\[31m\\u202e AAAA/);
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it("shortens long recipients in messages", async () => {
    const { recipient } = await generateHybridAgeKeyPair();
    const err = thrown(() => normalizeAgeRecipient(`${recipient.slice(0, -1)}${recipient.endsWith("q") ? "p" : "q"}`));
    expectCode(err, "INVALID_ARGUMENT", /not a valid post-quantum recipient/);
    expect((err as Error).message.length).toBeLessThan(200);
  });

  it("rejects ssh-ed25519 keys that are not curve points", () => {
    const outcomes = new Set<string>();
    for (let y = 2; y < 40; y++) {
      const key = Buffer.alloc(32);
      key[0] = y;
      const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), key]);
      try {
        normalizeAgeRecipient(`ssh-ed25519 ${blob.toString("base64")}`);
        outcomes.add("ok");
      } catch (err) {
        expectCode(err, "INVALID_ARGUMENT", /invalid Ed25519 public key/);
        outcomes.add("rejected");
      }
    }
    expect(outcomes).toEqual(new Set(["ok", "rejected"]));
  });

  it("refuses to wrap to a non-age recipient", async () => {
    expectCode(await rejected(new AgeKeySource().wrap(randomKey(), { kind: "pgp", fp: "AB" })), "INVALID_ARGUMENT", /cannot wrap to a pgp key/);
  });
});

describe("identities", () => {
  it("refuse malformed plugin identities and hostile plugin names, never showing the identity", () => {
    const err = thrown(() => parseAgeIdentities(`# yubikey\nAGE-PLUGIN-YUBIKEY-1QQQQQQQQQ\n`, { source: "keys.txt" }));
    expectCode(err, "INVALID_ARGUMENT", /^keys\.txt line 2: invalid age-plugin-yubikey identity \(bad bech32 encoding\)$/);
    expectCode(thrown(() => parseAgeIdentities("AGE-PLUGIN-../X-1QQQQ")), "INVALID_ARGUMENT", /^age identities line 1: age plugin identity names a plugin with characters outside \[A-Za-z0-9\+-\._\]; refusing it$/);
  });

  it("never show key material when printed", () => {
    const ids = [...parseAgeIdentities(v.mockIdentity), ...parseAgeIdentities(v.mockSshIdentity), ...parseAgeIdentities(v.mockHybridIdentity)];
    for (const text of [inspect(ids, { depth: 10, showHidden: true }), JSON.stringify(ids)]) {
      expect(text).not.toMatch(/SECRET|PRIVATE/);
    }
    expect(ids.map((i) => i.stanzaTypes)).toEqual([["X25519"], ["ssh-ed25519"], ["mlkem768x25519"]]);
  });

  it("skip blank and comment lines and reject anything else by line number", () => {
    expect(parseAgeIdentities(`\n# created: 2024\n   \n${v.mockIdentity}\n${v.mockOtherIdentity}\n`)).toHaveLength(2);
    const err = thrown(() => parseAgeIdentities(`${v.mockIdentity}\n${v.mockOtherIdentity} ${v.mockIdentity}\n`, { source: "k" }));
    expectCode(err, "INVALID_ARGUMENT", /^k line 2: invalid age identity$/);
    expectCode(thrown(() => parseAgeIdentities("hello")), "INVALID_ARGUMENT", /line 1: not an age identity/);
  });

  it("refuse a protected identity file when no passphrase can be asked for", () => {
    expectCode(thrown(() => parseAgeIdentities(v.mockEncryptedIdentity, { source: "f" })), "KEY_SOURCE_FAILED", /f: passphrase-protected age identity file/);
  });
});
