import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "../workflows/helpers.ts";

/**
 * Duplicate keys in JSON. A reader that keeps the last one (as most JSON parsers do) would see a
 * value that the file's MAC never covered: `"password": ""` appended after the encrypted
 * `"password"` would decrypt to an empty password. Every store refuses duplicate keys, JSON too,
 * at any depth (the sops section included), with exit status 2 and the key path and line.
 */

let k: KeyedDir;
beforeAll(() => {
  k = keyedDir();
});
afterAll(() => k.cleanup());

describe("duplicate JSON keys", () => {
  it("an empty password appended after the encrypted one is refused by decrypt, set and exec-env", () => {
    const f = encryptFile(k, "dup.json", `{"password": "hunter2", "other": "o"}\n`);
    const text = readFileSync(f, "utf8");
    const forged = text.replace(/("password": "ENC\[[^\]]*\]")/, `$1, "password": ""`);
    expect(forged).not.toBe(text);
    writeFileSync(f, forged);
    const dec = k.hush(["decrypt", f]);
    expect(dec.stdout).toBe("");
    expect(dec.status).toBe(2);
    expect(dec.stderr).toMatch(/^hush: .*dup\.json: .*duplicate key \["password"\] at line 1/);
    const set = k.hush(["set", f, '["other"]', '"x"']);
    expect(set.status).toBe(2);
    expect(readFileSync(f, "utf8")).toBe(forged);
    const exec = k.hush(["exec-env", f, "echo PASSWORD=$password"]);
    expect(exec.status).toBe(2);
    expect(exec.stdout).not.toContain("PASSWORD=");
  });

  it("a duplicate nested key is refused with its full path and line", () => {
    const f = encryptFile(k, "nested.json", `{\n    "db": {\n        "user": "u",\n        "pass": "p"\n    }\n}\n`);
    const forged = readFileSync(f, "utf8").replace(/("pass": "ENC\[[^\]]*\]")/, `$1,\n        "pass": "p2"`);
    writeFileSync(f, forged);
    const dec = k.hush(["decrypt", f]);
    expect(dec.status).toBe(2);
    expect(dec.stderr).toMatch(/nested\.json: .*duplicate key \["db"\]\["pass"\] at line 5/);
  });

  it("a duplicate key inside the sops metadata is refused", () => {
    const f = encryptFile(k, "meta.json", `{"a": "secret"}\n`);
    const forged = readFileSync(f, "utf8").replace(/("version": ?"[^"]*")/, `$1, "version": "3.0.0"`);
    expect(forged).toMatch(/"version": "3.0.0"/);
    writeFileSync(f, forged);
    const dec = k.hush(["decrypt", f]);
    expect(dec.status).toBe(2);
    expect(dec.stderr).toMatch(/meta\.json: .*duplicate key \["sops"\]\["version"\]/);
  });

  it("a plaintext file with duplicate keys is refused by encrypt, and key names are shown escaped", () => {
    const f = k.path("plain.json");
    writeFileSync(f, `{"k\\u001b[31m": 1, "k\\u001b[31m": 2}\n`);
    const enc = k.hush(["encrypt", "--age", k.recipient, f]);
    expect(enc.status).toBe(2);
    expect(enc.stderr).toMatch(/plain\.json: .*duplicate key/);
    expect(enc.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it("a duplicate key in a binary file's sops section is refused", () => {
    const f = k.path("blob.bin");
    writeFileSync(f, Buffer.from([0, 1, 2, 255]));
    const enc = k.hush(["encrypt", "-i", "--input-type", "binary", "--age", k.recipient, f]);
    expect(enc.status, enc.stderr).toBe(0);
    const forged = readFileSync(f, "utf8").replace(/("version": ?"[^"]*")/, `$1, "version": "3.0.0"`);
    expect(forged).toMatch(/"version": "3.0.0"/);
    writeFileSync(f, forged);
    const dec = k.hush(["decrypt", f]);
    expect(dec.status).toBe(2);
    expect(dec.stderr).toMatch(/blob\.bin: .*duplicate key \["sops"\]\["version"\]/);
  });
});
