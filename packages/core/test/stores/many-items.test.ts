import { describe, expect, it } from "vitest";
import { convertPlaintext } from "@hush/core";

/**
 * A file decides how many items the stores handle at once: comment lines in a row, keys of one
 * section, items of one list. Converting such a file stopped with "Maximum call stack size
 * exceeded" where the items were spread as one function argument each (at about 120,000). The
 * checks are on the text the conversion gives.
 */

const RUN = 150_000;
const commentLines = (prefix: string): string => Array.from({ length: RUN }, (_, i) => `${prefix} note ${i}\n`).join("");

/** Equal texts, without a diff of megabytes when they are not. */
function sameText(actual: string, expected: string): void {
  const at = [...expected].findIndex((c, i) => actual[i] !== c);
  expect({ length: actual.length, firstDifference: at === -1 && actual.length === expected.length ? -1 : at }).toEqual({ length: expected.length, firstDifference: -1 });
}

describe("a run of 150,000 comment lines is converted", () => {
  it("dotenv to TOML", async () => {
    sameText(await convertPlaintext(`${commentLines("#")}A=1\n`, "dotenv", "toml", undefined), `${commentLines("#")}A = "1"\n`);
  });

  it("INI to TOML (a comment keeps what follows its semicolon and blank)", async () => {
    sameText(await convertPlaintext(`[s]\n${commentLines(";")}a = 1\n`, "ini", "toml", undefined), `[s]\n${commentLines("#").replaceAll("# note", "#note")}a = "1"\n`);
  });
});
