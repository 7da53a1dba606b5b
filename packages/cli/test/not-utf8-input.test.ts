import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { decodeInput } from "../src/formats.ts";

/**
 * A text file whose bytes are not UTF-8 is refused as NOT_UTF8, naming the file and line, before
 * any store parses it: the nine TOML 1.0 cases of toml-test that the suite calls invalid for their
 * encoding (packages/core/test/fixtures/toml-test, bundled as base64; the rest of the suite runs in
 * packages/core/test/stores/toml-test-suite.test.ts).
 */

interface SuiteCase {
  readonly name: string;
  readonly base64?: string;
}

const CASES = JSON.parse(readFileSync(new URL("../../core/test/fixtures/toml-test/cases.json", import.meta.url), "utf8")) as SuiteCase[];
const NOT_UTF8 = CASES.filter((c) => c.base64 !== undefined);

describe("toml-test (TOML 1.0): files that are not UTF-8", () => {
  it("are the nine encoding cases", () => {
    expect(NOT_UTF8).toHaveLength(9);
  });

  /** The line of each file's first byte that is not UTF-8, read off the files. */
  const LINE: Record<string, number> = {
    "invalid/encoding/bad-codepoint": 1,
    "invalid/encoding/bad-utf8-at-end": 5,
    "invalid/encoding/bad-utf8-in-array": 2,
    "invalid/encoding/bad-utf8-in-comment": 1,
    "invalid/encoding/bad-utf8-in-multiline": 2,
    "invalid/encoding/bad-utf8-in-multiline-literal": 2,
    "invalid/encoding/bad-utf8-in-string": 2,
    "invalid/encoding/bad-utf8-in-string-literal": 2,
    "invalid/encoding/utf16-bom": 1,
  };

  it.each(NOT_UTF8.map((c) => [c.name, Buffer.from(c.base64!, "base64")] as const))("%s is refused as NOT_UTF8 with its line", (name, bytes) => {
    let err: unknown;
    try {
      decodeInput(bytes, "toml", "config.toml");
    } catch (e) {
      err = e;
    }
    if (!isHushError(err)) throw new Error(`${name} was not refused`);
    expect(err.code).toBe("NOT_UTF8");
    expect(err.message).toBe(`config.toml: line ${LINE[name]}: not valid UTF-8 (use --input-type binary for binary files)`);
  });
});
