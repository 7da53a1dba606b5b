import { describe, expect, it } from "vitest";
import { mergeLines, mergePlaintexts, mergeTrees, renderConflicts } from "@hush/git";
import type { TreeMap, TreeNode } from "@hush/core";

/**
 * What the merge driver costs on a large file from another branch: work must grow with the file,
 * not faster, and a file of many lines must merge at all. Each merge here took from 15 s to more
 * than a minute before (each of theirs' keys searched for among the merged ones), or stopped with
 * "Maximum call stack size exceeded" (one function argument per unchanged line). The checks are on
 * what the merge gives.
 */

const LINES = 150_000;
const lines = (n: number, line: (i: number) => string): string => Array.from({ length: n }, (_, i) => line(i)).join("");
const map = (keys: readonly string[]): TreeMap => ({ kind: "map", entries: keys.map((key) => ({ kind: "entry", key, value: { kind: "scalar", value: { type: "str", text: key } } })) });

describe("a file of 150,000 lines merges", () => {
  const base = lines(LINES, (i) => `k${i}: v\n`);

  it("line merge: a line added at each end", () => {
    const r = mergeLines(base, `a: 1\n${base}`, `${base}z: 2\n`, { onConflict: "markers" });
    expect(r).toEqual({ text: `a: 1\n${base}z: 2\n`, conflicts: 0 });
  });

  it("line merge: one conflicting line among them, written with markers", () => {
    const r = mergeLines(`${base}x: 0\n`, `${base}x: 1\n`, `${base}x: 2\n`, { onConflict: "markers" });
    expect(r.conflicts).toBe(1);
    expect(r.text).toBe(`${base}<<<<<<<\nx: 1\n|||||||\nx: 0\n=======\nx: 2\n>>>>>>>\n`);
  });

  it("the decrypted documents of a YAML file", async () => {
    const r = await mergePlaintexts({ format: "yaml", base, ours: `a: 1\n${base}`, theirs: `${base}z: 2\n` });
    expect([r.method, r.conflicts, r.text === `a: 1\n${base}z: 2\n`]).toEqual(["line-merge", [], true]);
  });

  it("conflict markers around one value of the merged file (a dotenv file: YAML's parser takes seconds more)", async () => {
    const env = lines(LINES, (i) => `K${i}=v\n`);
    const text = await renderConflicts({ format: "dotenv", merged: `${env}X=1\n`, theirs: `${env}X=2\n`, base: `${env}X=0\n`, conflicts: [{ path: ["X"], kind: "both-changed" }] });
    expect(text).toBe(`${env}<<<<<<<\nX=1\n|||||||\nX=0\n=======\nX=2\n>>>>>>>\n`);
  });
});

describe("a map of many keys merges in one pass", () => {
  it("100,000 keys of theirs, each after the last: in theirs' order, after ours' own", () => {
    const n = 100_000;
    const theirs = Array.from({ length: n }, (_, i) => `t${i}`);
    const r = mergeTrees(map(["a"]), map(["a", "o"]), map(["a", ...theirs]));
    expect(r.conflicts).toEqual([]);
    expect(r.tree.entries.map((e) => (e.kind === "entry" ? e.key : "#"))).toEqual(["a", "o", ...theirs]);
  });

  it("theirs' keys before, between and after ours', with comments kept", () => {
    const base = map(["b", "d"]);
    const ours: TreeMap = { kind: "map", entries: [{ kind: "comment", text: "c" }, ...map(["x", "b", "y", "d"]).entries] };
    const r = mergeTrees(base, ours, map(["p", "b", "q", "r", "d", "s"]));
    expect(r.tree.entries.map((e) => (e.kind === "entry" ? e.key : "#"))).toEqual(["#", "x", "p", "b", "y", "q", "r", "d", "s"]);
  });
});

describe("a list of many items merges", () => {
  it("150,000 items, ours changing the first and theirs the last", () => {
    const n = 150_000;
    const scalar = (text: string): TreeNode => ({ kind: "scalar", value: { type: "str", text } });
    const list = (first: string, last: string): TreeMap => ({
      kind: "map",
      entries: [{ kind: "entry", key: "l", value: { kind: "list", items: Array.from({ length: n }, (_, i) => scalar(i === 0 ? first : i === n - 1 ? last : `v${i}`)) } }],
    });
    const r = mergeTrees(list("a", "z"), list("a2", "z"), list("a", "z2"));
    expect(r.conflicts).toEqual([]);
    const entry = r.tree.entries[0]!;
    const items = entry.kind === "entry" && entry.value.kind === "list" ? entry.value.items : [];
    expect(items.length).toBe(n);
    expect([items[0], items[1], items[n - 1]]).toEqual([scalar("a2"), scalar("v1"), scalar("z2")]);
  });
});

describe("conflict markers around every value of a large file", () => {
  it("30,000 keys changed on both sides, every other one deleted on ours: each conflict placed where it stands, in one pass", async () => {
    const n = 30_000;
    const keys = Array.from({ length: n }, (_, i) => i);
    const base = keys.map((i) => `K${i}=v\n`).join("");
    const ours = keys.map((i) => (i % 2 === 0 ? `K${i}=o\n` : "")).join("");
    const theirs = keys.map((i) => `K${i}=t\n`).join("");
    const conflicts = keys.map((i) => ({ path: [`K${i}`], kind: i % 2 === 0 ? ("both-changed" as const) : ("deleted-by-ours" as const) }));
    const text = await renderConflicts({ format: "dotenv", merged: ours, theirs, base, conflicts });
    const expected = keys.map((i) => `<<<<<<<\n${i % 2 === 0 ? `K${i}=o\n` : ""}|||||||\nK${i}=v\n=======\nK${i}=t\n>>>>>>>\n`).join("");
    expect(text === expected).toBe(true);
  });
});

describe("merges that look up every value of a large map", () => {
  it("a JSON object of 60,000 keys, each side adding one at its end (no line merge holds both): every key once, in order", async () => {
    const n = 60_000;
    const json = (extra: readonly string[]): string => `{\n${[...Array.from({ length: n }, (_, i) => `  "k${i}": "v${i}"`), ...extra].join(",\n")}\n}\n`;
    const r = await mergePlaintexts({ format: "json", base: json([]), ours: json(['  "ours": "o"']), theirs: json(['  "theirs": "t"']) });
    expect(r.conflicts).toEqual([]);
    const keys = Object.keys(JSON.parse(r.text) as Record<string, string>);
    expect([keys.length, keys[0], keys[n - 1], keys[n], keys[n + 1]]).toEqual([n + 2, "k0", `k${n - 1}`, "ours", "theirs"]);
  });

  it("a map of 100,000 keys nested 199 deep, changed in two places: each level's subtree is compared without rereading it", () => {
    const n = 100_000;
    const scalar = (text: string): TreeNode => ({ kind: "scalar", value: { type: "str", text } });
    const nested = (changed: number, text: string): TreeMap => {
      let node: TreeMap = { kind: "map", entries: Array.from({ length: n }, (_, i) => ({ kind: "entry" as const, key: `k${i}`, value: scalar(i === changed ? text : `v${i}`) })) };
      for (let depth = 0; depth < 199; depth++) node = { kind: "map", entries: [{ kind: "entry", key: `n${depth}`, value: node }] };
      return node;
    };
    const r = mergeTrees(nested(-1, ""), nested(0, "ours"), nested(n - 1, "theirs"));
    expect(r.conflicts).toEqual([]);
    let inner: TreeNode = r.tree;
    while (inner.kind === "map" && inner.entries.length === 1) inner = (inner.entries[0] as { value: TreeNode }).value;
    const values = inner.kind === "map" ? inner.entries.map((e) => (e.kind === "entry" && e.value.kind === "scalar" ? e.value.value.text : "")) : [];
    expect([values.length, values[0], values[1], values[n - 1]]).toEqual([n, "ours", "v1", "theirs"]);
  });
});
