import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedDir, type KeyedDir } from "../workflows/helpers.ts";

/**
 * A key name is chosen by whoever wrote the file. One with a right-to-left override (U+202E)
 * would make a message read differently from what it says, so messages show it escaped.
 */
describe("bidirectional and zero-width characters in key names reach messages escaped", () => {
  let k: KeyedDir;
  let file: string;
  beforeAll(() => {
    k = keyedDir();
    const plain = k.path("plain.yaml");
    writeFileSync(plain, "a\u202eevil: x\nb\u200bc: y\n");
    const r = k.hush(["encrypt", "--age", k.recipient, plain]);
    expect(r.status, r.stderr).toBe(0);
    // The first value left in plaintext: decrypt and check name its key in their errors.
    file = join(k.dir, "bidi.yaml");
    writeFileSync(file, r.stdout.replace(/^(a\u202eevil): ENC\[[^\]]*\]/m, "$1: plain"));
  });
  afterAll(() => k.cleanup());

  it("hush decrypt", () => {
    const r = k.hush(["decrypt", file]);
    expect(r.status).toBe(25);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('value at ["a\\u202eevil"] (line 1) should be encrypted but is not');
    expect(r.stderr).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
  });

  it("hush check", () => {
    const r = k.hush(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('value at ["a\\u202eevil"] (line 1) is not encrypted');
    expect(r.stdout + r.stderr).not.toMatch(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069]/);
  });
});
