import { describe, expect, it } from "vitest";
import { storeFor, type Leaf } from "@hush/core";

/**
 * What reading an outsider's YAML file costs: work must grow with the file, not faster. Each
 * input below took seconds to hours to read before (exponential backtracking, comparisons of
 * every comment with every collection); the checks are on what the read gives.
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
