import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { writeFileAtomic } from "../src/io.ts";

/**
 * `newFileOnly`: the write that makes a new key file never replaces a file that appeared after
 * the caller looked (another `hush keygen -o` of the same path, a script). The existing file at
 * the moment of the write stands in for that race.
 */
describe("writeFileAtomic with newFileOnly", () => {
  const dir = makeTempDir("hush-io-new-file-");
  afterAll(() => dir.cleanup());

  it("writes a new file, private for plaintext, with no temporary file left", () => {
    const path = join(dir.path, "keys.txt");
    writeFileAtomic(path, "AGE-SECRET-KEY-1NEW\n", { plaintext: true, newFileOnly: true });
    expect(readFileSync(path, "utf8")).toBe("AGE-SECRET-KEY-1NEW\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir.path)).toEqual(["keys.txt"]);
  });

  it("keeps a file that is already there, byte for byte, and says so; no temporary file is left", () => {
    const path = join(dir.path, "taken.txt");
    writeFileSync(path, "AGE-SECRET-KEY-1OLD\n", { mode: 0o600 });
    expect(() => writeFileAtomic(path, "AGE-SECRET-KEY-1NEW\n", { plaintext: true, newFileOnly: true })).toThrow(`${path}: already exists, not replacing it`);
    expect(readFileSync(path, "utf8")).toBe("AGE-SECRET-KEY-1OLD\n");
    expect(readdirSync(dir.path).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
