import { describe, expect, it } from "vitest";
import { editPlaintext, type TreeNode } from "@hush/core";

/**
 * What `hush set` and `unset` cost on an INI or TOML file from someone else's branch: the edit
 * keeps the file's lines, and finding where they go must grow with the file, not faster. Each
 * edit here took half a minute or more before (the text before a section's blank lines tested
 * again for each of them; each key of a section searched for among all of them), or stopped with
 * "Maximum call stack size exceeded" (one function argument per key of a section). The checks
 * are on the text the edit gives.
 */

const RUN = 150_000;
const str = (text: string): TreeNode => ({ kind: "scalar", value: { type: "str", text } });

/** A section `[a]` of `count` keys `k0 = 1`, `k1 = 1`, …, then a section `[b]`. */
function bigSection(count: number): { keys: string; text: string } {
  const keys = Array.from({ length: count }, (_, i) => `k${i} = 1\n`).join("");
  return { keys, text: `[a]\n${keys}\n[b]\ny = 2\n` };
}

describe("a new key in a section goes before the blank lines that end it, found in one pass", () => {
  it.each(["toml", "ini"] as const)("%s: a section ended by a long run of blank lines", async (format) => {
    const blank = "\n".repeat(RUN);
    const result = await editPlaintext(`[a]\nx = 1\n${blank}[b]\ny = 2\n`, format, { kind: "set", path: ["a", "z"], value: str("v") });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(`[a]\nx = 1\nz = ${format === "toml" ? '"v"' : "v"}\n${blank}[b]\ny = 2\n`);
  });

  it("blank lines of spaces and tabs count, a line of other characters and the first line do not", async () => {
    const set = { kind: "set", path: ["a", "z"], value: str("v") } as const;
    expect((await editPlaintext("[a]\nx = 1\n \t\n\n[b]\n", "toml", set)).text).toBe('[a]\nx = 1\nz = "v"\n \t\n\n[b]\n');
    expect((await editPlaintext("[a]\nx = 1\n\n# c\n\n[b]\n", "toml", set)).text).toBe('[a]\nx = 1\n\n# c\nz = "v"\n\n[b]\n');
    expect((await editPlaintext("\n\n[b]\ny = 2\n", "toml", { kind: "set", path: ["z"], value: str("v") })).text).toBe('\nz = "v"\n\n[b]\ny = 2\n');
  });
});

describe("a section of many keys is edited in place", () => {
  it("a new key in a section of 150,000 keys goes after its last one", async () => {
    const { keys, text } = bigSection(RUN);
    const result = await editPlaintext(text, "toml", { kind: "set", path: ["a", "z"], value: str("v") });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(`[a]\n${keys}z = "v"\n\n[b]\ny = 2\n`);
  });

  it("a section of 150,000 keys is removed with its lines", async () => {
    const result = await editPlaintext(bigSection(RUN).text, "toml", { kind: "unset", path: ["a"] });
    expect(result.reformatted).toBe(false);
    // The header goes with its lines, and the blank line that ended the section.
    expect(result.text).toBe("[b]\ny = 2\n");
  });
});
