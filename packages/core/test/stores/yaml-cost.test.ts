import { describe, expect, it } from "vitest";
import { isHushError, storeFor, type Leaf } from "@hush/core";

/**
 * What reading an outsider's YAML file costs: work must grow with the file, not faster. Inputs
 * here took seconds to hours to read before (exponential backtracking, comparisons of every
 * comment with every collection, a scan of the whole document per alias); the checks are on what
 * the read gives, and on where the alias budget stops a document. test/proof/reader-cost.test.ts
 * reads larger files through the CLI.
 */

const parse = async (text: string): Promise<readonly Leaf[]> => (await storeFor("yaml")).parse(text).leaves;
const scalars = (leaves: readonly Leaf[]): string[] => leaves.filter((l) => l.kind === "scalar").map((l) => `${l.path.join(".")}=${l.value?.text ?? "null"}`);

describe("YAML comments: cost linear in the text between a comment and a collection", () => {
  it("a comment of many `#` before a later collection at its column is read in one pass", async () => {
    // The anchor makes the span scanner decline, so the store's parser reads the file.
    const text = `${"#".repeat(64)}\na: &x 1\nk:\n- v\n`;
    const leaves = await parse(text);
    expect(scalars(leaves)).toEqual(["a=1", "k.0=v"]);
    expect(leaves.filter((l) => l.kind === "comment").map((l) => [l.path.join("."), l.value?.text])).toEqual([["", "#".repeat(63)]]);
  });

  it("a comment line followed by comment lines and blank lines is still the next item's head comment", async () => {
    const text = "a: &x 1\nk:\n  # one # two\n\n  #three\n  - v\n";
    const comments = (await parse(text)).filter((l) => l.kind === "comment").map((l) => [l.path.join("."), l.value?.text]);
    expect(comments).toEqual([["k", " one # two"], ["k", "three"]]);
  });
});

describe("YAML comments: cost linear in the number of comments and collections", () => {
  it("a block of comments followed by many collections at its column is read once", async () => {
    // Each comment was compared with every later collection at its column, reading the text
    // between them each time: cubic (test/proof/reader-cost.test.ts reads a larger file).
    const n = 500;
    const text = `a: &x 1\n${"#\n".repeat(n)}${Array.from({ length: n }, (_, i) => `k${i}:\n- v${i}\n`).join("")}`;
    const leaves = await parse(text);
    const comments = leaves.filter((l) => l.kind === "comment");
    expect(comments).toHaveLength(n);
    // The comments come before `k0`'s list only with the other keys between: the root frame's.
    expect(new Set(comments.map((l) => l.path.join(".")))).toEqual(new Set([""]));
    expect(scalars(leaves).slice(-2)).toEqual([`k${n - 2}.0=v${n - 2}`, `k${n - 1}.0=v${n - 1}`]);
  });

  it("a comment after a value on a long line of values goes before that value's item", async () => {
    const values = Array.from({ length: 5_000 }, (_, i) => String(i)).join(", ");
    const text = `a: &x 1\nl: [${values}] # after the list\nm: v # after m\n`;
    const leaves = await parse(text);
    expect(leaves.filter((l) => l.kind === "comment").map((l) => [l.path.join("."), l.value?.text])).toEqual([["l", " after the list"], ["", " after m"]]);
    expect(leaves[1]).toMatchObject({ kind: "comment", path: ["l"] });
    expect(scalars(leaves)).toHaveLength(5_002);
  });
});

describe("YAML aliases: the copies' size is bounded before any is made", () => {
  /** A billion-laughs document: nine levels of nine aliases of the level before. */
  const bomb = (): string => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    const names = "abcdefghi";
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(", ")}]`);
    return `${lines.join("\n")}\n`;
  };

  const refusal = async (read: () => unknown): Promise<string> => {
    try {
      await read();
    } catch (err) {
      expect(isHushError(err, "PARSE_FAILED")).toBe(true);
      return (err as Error).message;
    }
    throw new Error("not refused");
  };

  it("a billion-laughs document is refused at the line of the alias that goes over, in the store and in the value tree", async () => {
    const store = await storeFor("yaml");
    // Line 6 (`f`) holds the first alias whose copy passes 10,000 copies: `e` costs 8,298 with
    // everything before it.
    const message = "YAML aliases expand to too many values at line 6 (more than 10,000 copies or 100,000 values); write the values out instead of aliasing them";
    expect(await refusal(() => store.parse(bomb()))).toBe(message);
    expect(await refusal(() => store.toTree(bomb()))).toBe(message);
  });

  it("copies of a large anchored list are bounded in the value tree too", async () => {
    // 1,000 aliases of a 1,000-value list: a million values from 10 KB.
    const text = `a: &a [${Array(1_000).fill("x").join(", ")}]\nl: [${Array(1_000).fill("*a").join(", ")}]\n`;
    expect(await refusal(async () => (await storeFor("yaml")).toTree(text))).toMatch(/^YAML aliases expand to too many values at line 2 /);
  });

  it("many aliases, each to its own anchor, read in one pass and give every copy", async () => {
    // Each alias looked for its anchor through the whole document: 9,000 aliases among 18,000
    // values took about a minute.
    const n = 9_000;
    const text = `${Array.from({ length: n }, (_, i) => `k${i}: &a${i} v${i}\n`).join("")}${Array.from({ length: n }, (_, i) => `r${i}: *a${i}\n`).join("")}`;
    const leaves = await parse(text);
    expect(leaves).toHaveLength(2 * n);
    expect(scalars(leaves).slice(n - 1, n + 1)).toEqual([`k${n - 1}=v${n - 1}`, "r0=v0"]);
    expect(leaves.filter((l) => l.aliased === true)).toHaveLength(n);
  });

  it("an alias inside what it names is refused as endless nesting", async () => {
    expect(await refusal(async () => (await storeFor("yaml")).parse("a: &a [x, *a]\n"))).toMatch(/nesting deeper than 200 levels/);
  });
});
