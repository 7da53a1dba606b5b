import { createDecipheriv, createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openText, type FileFormat } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { keyedDir, type KeyedDir } from "../workflows/helpers.ts";

/**
 * Files written by `hush encrypt` must be read by SOPS's readers as hush meant them: which
 * values and comments are encrypted follows SOPS's tree order (comments are tree items, and a
 * comment rule governs the item after a comment in that tree), each envelope's AAD is its path in
 * that tree, and the MAC covers the values in that order. Each case encrypts with the real CLI,
 * checks the written text against what SOPS's reader expects, and decrypts back to the bytes.
 */

const ENC = /ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([a-z]+)\]/;

/** AES-GCM open of one envelope with SOPS's AAD (an independent reader: node:crypto only). */
function openEnvelope(envelope: string, key: Uint8Array, aad: string): string {
  const m = ENC.exec(envelope);
  if (m === null) throw new Error(`not an envelope: ${envelope}`);
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(m[2]!, "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3]!, "base64"));
  return Buffer.concat([d.update(Buffer.from(m[1]!, "base64")), d.final()]).toString("utf8");
}

/** SOPS's MAC over values in its tree order: SHA-512 of their bytes, upper-case hex. */
function sopsMac(values: readonly string[]): string {
  const h = createHash("sha512");
  for (const v of values) h.update(v);
  return h.digest("hex").toUpperCase();
}

let k: KeyedDir;
beforeAll(() => {
  k = keyedDir();
});
afterAll(() => k.cleanup());

/** Encrypts `plain` as `name` with the CLI; returns the encrypted text and its data key. */
async function encrypt(name: string, plain: string, args: readonly string[] = []): Promise<{ text: string; key: Uint8Array; path: string }> {
  const path = k.path(name);
  writeFileSync(path, plain);
  const r = k.hush(["encrypt", "-i", "--age", k.recipient, ...args, path]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const text = readFileSync(path, "utf8");
  const format = (name.endsWith(".env") ? "dotenv" : name.split(".").pop()) as FileFormat;
  const source = new AgeKeySource({ identities: parseAgeIdentities(k.keyText) });
  const opened = await openText(text, { format, keySources: async (kind) => (kind === "age" ? source : undefined) });
  return { text, key: opened.dataKey, path };
}

/** `hush decrypt` gives back exactly `plain`. */
function expectDecryptsTo(path: string, plain: string): void {
  const r = k.hush(["decrypt", path]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(plain);
}

function lineOf(text: string, prefix: string): string {
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no line starting with ${prefix}`);
  return line;
}

function macOf(text: string, key: Uint8Array, macLine: RegExp, lastModified: RegExp): string {
  return openEnvelope(macLine.exec(text)![1]!, key, lastModified.exec(text)![1]!);
}

describe("INI: a key's comment comes after the key in SOPS's tree", () => {
  it("--unencrypted-comment-regex: the comment above `a` governs `b`, as SOPS reads it", async () => {
    const plain = "[s]\n; public\na = visible\nb = hidden\n";
    const { text, key, path } = await encrypt("rule.ini", plain, ["--unencrypted-comment-regex", "public"]);
    // go-ini ties `; public` to `a`; SOPS's tree lists it after `a`, so it governs `b`.
    expect(openEnvelope(lineOf(text, "a = "), key, "s:a:")).toBe("visible");
    expect(text).toContain("\n; public\n");
    expect(text).toContain("\nb = hidden\n");
    expectDecryptsTo(path, plain);
  });

  it("--encrypted-comment-regex: the comment above `a` encrypts `b` and leaves `a`", async () => {
    const plain = "[s]\n; secret\na = visible\nb = hidden\n";
    const { text, key, path } = await encrypt("rule2.ini", plain, ["--encrypted-comment-regex", "secret"]);
    expect(text).toContain("\na = visible\n");
    expect(text).toContain("\n; secret\n");
    expect(openEnvelope(lineOf(text, "b = "), key, "s:b:")).toBe("hidden");
    expectDecryptsTo(path, plain);
  });

  it("a repeated section continues the first (go-ini merges them): AADs and MAC in merged order", async () => {
    const plain = "[a]\nk = 1\n\n[b]\nj = 2\n\n[a]\nm = 3\n";
    const { text, key, path } = await encrypt("dup.ini", plain);
    expect(openEnvelope(lineOf(text, "k = "), key, "a:k:")).toBe("1");
    expect(openEnvelope(lineOf(text, "m = "), key, "a:m:")).toBe("3");
    expect(openEnvelope(lineOf(text, "j = "), key, "b:j:")).toBe("2");
    expect(macOf(text, key, /^mac\s*= (.*)$/m, /^lastmodified\s*= (.*)$/m)).toBe(sopsMac(["1", "3", "2"]));
    expectDecryptsTo(path, plain);
  });
});

describe("YAML: a line-end comment comes before its own item in SOPS's tree", () => {
  it("in a map: the comment on `a`'s line governs `a`, not `b`", async () => {
    const plain = "a: visible # public\nb: hidden\n";
    const { text, key, path } = await encrypt("line.yaml", plain, ["--unencrypted-comment-regex", "public"]);
    expect(text.startsWith("a: visible # public\n")).toBe(true);
    expect(openEnvelope(lineOf(text, "b: "), key, "b:")).toBe("hidden");
    expectDecryptsTo(path, plain);
  });

  it("in a list: the comment on the first item's line governs that item", async () => {
    const plain = "l:\n  - visible # public\n  - hidden\n";
    const { text, key, path } = await encrypt("list.yaml", plain, ["--unencrypted-comment-regex", "public"]);
    expect(text).toContain("  - visible # public\n");
    expect(openEnvelope(lineOf(text, "  - ENC"), key, "l:")).toBe("hidden");
    expectDecryptsTo(path, plain);
  });

  it("--encrypted-comment-regex: the marked line's value is encrypted, the next one not", async () => {
    const plain = "a: hidden # secret\nb: visible\n";
    const { text, key, path } = await encrypt("line2.yaml", plain, ["--encrypted-comment-regex", "secret"]);
    expect(openEnvelope(lineOf(text, "a: "), key, "a:")).toBe("hidden");
    expect(text).toContain("\nb: visible\n");
    expectDecryptsTo(path, plain);
  });
});

describe("YAML: constructs SOPS cannot represent or reads differently", () => {
  it("refuses keys that are not strings, naming the file and line and how to quote them", () => {
    const path = k.path("keys.yaml");
    // Not 1 and true together: PyYAML reads them as one key (True == 1), and hush refuses such twins first.
    const plain = "name: y\n1: one\nfalse: x\n";
    writeFileSync(path, plain);
    const r = k.hush(["encrypt", "-i", "--age", k.recipient, path]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/keys\.yaml: .*line 2.*SOPS supports only string keys; quote it \("1": …\)/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(path, "utf8")).toBe(plain);
    // Quoted, the same keys are strings and encrypt.
    const quoted = '"1": one\n"false": x\n';
    writeFileSync(path, quoted);
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, path]).status).toBe(0);
    expectDecryptsTo(path, quoted);
  });

  it("expands an alias that reaches encrypted values (SOPS expands aliases): `<<: *defaults`", async () => {
    const plain = "defaults: &defaults\n  adapter: postgres\n  password: s3cret\ndev:\n  <<: *defaults\n  database: dev\n";
    const { text, key, path } = await encrypt("anchors.yaml", plain);
    expect(text).not.toContain("*defaults");
    expect(text).toContain("defaults: &defaults\n");
    const lines = text.split("\n");
    const inDev = lines.slice(lines.indexOf("dev:"));
    expect(inDev[1]).toBe("  <<:");
    expect(openEnvelope(inDev[3]!, key, "dev:<<:password:")).toBe("s3cret");
    expect(openEnvelope(lineOf(text, "  password: "), key, "defaults:password:")).toBe("s3cret");
    expect(k.hush(["decrypt", path]).stdout).toBe("defaults: &defaults\n  adapter: postgres\n  password: s3cret\ndev:\n  <<:\n    adapter: postgres\n    password: s3cret\n  database: dev\n");
  });

  it("keeps an alias whose target holds nothing encrypted", async () => {
    const plain = "base_unencrypted: &b\n  x: 1\ncopy_unencrypted: *b\nsecret: v\n";
    const { text, path } = await encrypt("kept.yaml", plain);
    expect(text).toContain("copy_unencrypted: *b\n");
    expectDecryptsTo(path, plain);
  });

  it("block scalars with an indentation indicator (`|2`) round-trip byte for byte", async () => {
    const plain = "key: |2\n    leading spaces\n  second\nnested:\n  k: >2-\n      folded\n";
    const { text, key, path } = await encrypt("indicator.yaml", plain);
    const body = text.split("\n")[1]!;
    expect(body.startsWith("  ENC[")).toBe(true);
    expect(openEnvelope(body, key, "key:")).toBe("  leading spaces\nsecond\n");
    expectDecryptsTo(path, plain);
  });
});

describe("dotenv: SOPS reads only a `#` in column 0 as a comment", () => {
  it("an indented comment is written in column 0 and decrypts back indented", async () => {
    const plain = "  # indented\nA=1\n\t# tab\n";
    const { text, key, path } = await encrypt("app.env", plain);
    // SOPS's reader: every non-empty line starts with `#` or has a `=`.
    for (const line of text.split("\n")) if (line !== "") expect(line.startsWith("#") || line.includes("=")).toBe(true);
    const comment = lineOf(text, "#ENC[");
    expect(comment).toMatch(/\] # hush:indent=ss$/);
    expect(openEnvelope(comment, key, ":")).toBe(" indented");
    expectDecryptsTo(path, plain);
  });

  it("an indented comment kept in plaintext by a comment rule moves to column 0 too", async () => {
    const plain = "  # public\nA=1\nB=2\n";
    const { text, key, path } = await encrypt("rule.env", plain, ["--unencrypted-comment-regex", "public"]);
    expect(text.startsWith("# public # hush:indent=ss\nA=1\n")).toBe(true);
    expect(openEnvelope(lineOf(text, "B="), key, "B:")).toBe("2");
    expectDecryptsTo(path, plain);
  });
});
