import { describe, expect, it } from "vitest";
import { storeFor, type FileFormat, type TreeMap } from "@hush/core";
import { mergePlaintexts, mergeTrees, renderConflicts, treesEqual } from "@hush/git";

async function tree(format: FileFormat, text: string): Promise<TreeMap> {
  return (await storeFor(format)).toTree(text);
}

describe("mergeTrees", () => {
  it("merges adds, deletes and changes on different paths; same change on both sides", async () => {
    const base = await tree("yaml", "a: 1\nb: 2\nc: 3\nd: {x: 1, y: 2}\n");
    const ours = await tree("yaml", "a: 10\nb: 2\nc: 3\nd: {x: 1, y: 2}\ne: new\n");
    const theirs = await tree("yaml", "a: 10\nc: 3\nd: {x: 1, y: 20}\nf: other\n");
    const r = mergeTrees(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(treesEqual(r.tree, await tree("yaml", "a: 10\nc: 3\nd: {x: 1, y: 20}\ne: new\nf: other\n"))).toBe(true);
  });

  it("reports conflicts by key path and kind", async () => {
    const base = await tree("yaml", "a: 1\nb: 2\nc: 3\n");
    const ours = await tree("yaml", "a: X\nc: 30\n");
    const theirs = await tree("yaml", "a: Y\nb: 20\n");
    const r = mergeTrees(base, ours, theirs);
    expect(r.conflicts).toEqual([
      { path: ["a"], kind: "both-changed" },
      { path: ["c"], kind: "deleted-by-theirs" },
      { path: ["b"], kind: "deleted-by-ours" },
    ]);
    // Ours is kept at conflicting paths (and b stays deleted, c stays changed).
    expect(treesEqual(r.tree, await tree("yaml", "a: X\nc: 30\n"))).toBe(true);
    const t = mergeTrees(base, ours, theirs, { favour: "theirs" });
    expect(treesEqual(t.tree, await tree("yaml", "a: Y\nb: 20\n"))).toBe(true);
  });

  it("with a base that exists but was not read, conflicts on every difference (a key one side lacks, a list) and merges what both sides hold alike", async () => {
    const ours = await tree("yaml", "same: 1\nd: {x: 1, y: 2}\nl: [a, b]\nonly_ours: o\n");
    const theirs = await tree("yaml", "same: 1\nd: {x: 1, y: 3}\nl: [a, b, c]\nonly_theirs: t\n");
    const r = mergeTrees(undefined, ours, theirs, { baseUnread: true });
    expect(r.conflicts).toEqual([
      { path: ["d", "y"], kind: "base-unread" },
      { path: ["l"], kind: "base-unread" },
      { path: ["only_ours"], kind: "base-unread" },
      { path: ["only_theirs"], kind: "base-unread" },
    ]);
    expect(treesEqual(r.tree, ours)).toBe(true);
    // Without the flag (both sides added the file) a key one side has is an addition.
    expect(mergeTrees(undefined, ours, theirs).conflicts.map((c) => c.path)).toEqual([["d", "y"]]);
  });

  it("merges lists: insertions in different places, the same insertion once, element-wise changes", async () => {
    const base = await tree("yaml", "l: [a, b, c]\nm: [{k: 1, j: 1}]\n");
    const ours = await tree("yaml", "l: [z, a, b, c, d]\nm: [{k: 2, j: 1}]\n");
    const theirs = await tree("yaml", "l: [a, b, c, d, e]\nm: [{k: 1, j: 2}]\n");
    const r = mergeTrees(base, ours, theirs);
    expect(r.conflicts).toEqual([]);
    expect(treesEqual(r.tree, await tree("yaml", "l: [z, a, b, c, d, e]\nm: [{k: 2, j: 2}]\n"))).toBe(true);
  });

  it("a list changed in the same place on both sides conflicts as a whole", async () => {
    const r = mergeTrees(await tree("yaml", "l: [a, b]\n"), await tree("yaml", "l: [a, x, y]\n"), await tree("yaml", "l: [a]\n"));
    expect(r.conflicts).toEqual([{ path: ["l"], kind: "list-changed" }]);
  });

  it("both sides adding the same key with different values conflicts; no base at all works", async () => {
    const r = mergeTrees(undefined, await tree("yaml", "a: 1\nb: 1\n"), await tree("yaml", "a: 1\nb: 2\nc: 3\n"));
    expect(r.conflicts).toEqual([{ path: ["b"], kind: "both-added" }]);
  });
});

describe("mergePlaintexts", () => {
  it("YAML: keeps ours' comments and formatting, takes theirs' changes in place", async () => {
    const base = "# app config\ndb:\n  user: app  # the user\n  password: old\napi_key: k1\ntoken: t1\n";
    const ours = "# app config\ndb:\n  user: app  # the user\n  password: new\napi_key: k1\ntoken: t1\nadded_ours: yes\n";
    const theirs = "# app config\ndb:\n  user: app  # the user\n  password: old\napi_key: k2\nadded_theirs: x\n";
    const r = await mergePlaintexts({ format: "yaml", base, ours, theirs });
    expect(r.conflicts).toEqual([]);
    expect(r.method).toBe("line-merge");
    expect(r.text).toBe("# app config\ndb:\n  user: app  # the user\n  password: new\napi_key: k2\nadded_theirs: x\nadded_ours: yes\n");
  });

  it("JSON: both sides appending keys merges (re-emitted with ours' indentation when lines clash)", async () => {
    const base = '{\n  "a": "1",\n  "b": "2",\n  "c": "3"\n}\n';
    const ours = '{\n  "a": "10",\n  "b": "2",\n  "c": "3",\n  "d": "4"\n}\n';
    const theirs = '{\n  "a": "1",\n  "c": "3",\n  "e": "5"\n}\n';
    const r = await mergePlaintexts({ format: "json", base, ours, theirs });
    expect(r.conflicts).toEqual([]);
    expect(JSON.parse(r.text)).toEqual({ a: "10", c: "3", d: "4", e: "5" });
    expect(r.text).toBe('{\n  "a": "10",\n  "c": "3",\n  "d": "4",\n  "e": "5"\n}\n');
  });

  it("both sides adding to one new section or table: ours edited key by key, its comments kept", async () => {
    const base = "# owner: team-a\n[db]\nuser = app\n";
    const ours = `${base}\n[cache]\nttl = 30\n`;
    const theirs = "# owner: team-a\n[db]\nuser = app\npw = p\n\n[cache]\nurl = r\n";
    const ini = await mergePlaintexts({ format: "ini", base, ours, theirs });
    expect(ini).toEqual({ text: "# owner: team-a\n[db]\nuser = app\npw = p\n\n[cache]\nttl = 30\nurl = r\n", conflicts: [], method: "key-edits", overlappingLines: 0 });
    const quoted = (text: string): string => text.replace(/= (\w+)/g, '= "$1"');
    const toml = await mergePlaintexts({ format: "toml", base: quoted(base), ours: quoted(ours), theirs: quoted(theirs) });
    expect(toml).toEqual({ text: quoted(ini.text), conflicts: [], method: "key-edits", overlappingLines: 0 });
  });

  it("dotenv: a key only theirs added keeps the export prefix every entry of the file has", async () => {
    const r = await mergePlaintexts({ format: "dotenv", base: "export A=1\n", ours: "export A=2\n# ours\n", theirs: "export A=3\nexport C=4\n" });
    expect(r.method).toBe("key-edits");
    expect(r.text).toBe("export A=2\n# ours\nexport C=4\n");
  });

  it("a key theirs removed is removed from ours' text when both append to one section", async () => {
    const base = "; top\n[db]\nuser = app\nold = x\n";
    const r = await mergePlaintexts({ format: "ini", base, ours: `${base}\n[cache]\nttl = 30\n`, theirs: "; top\n[db]\nuser = app\n\n[cache]\nurl = r\n" });
    expect(r).toEqual({ text: "; top\n[db]\nuser = app\n\n[cache]\nttl = 30\nurl = r\n", conflicts: [], method: "key-edits", overlappingLines: 0 });
  });

  it("JSON on one line: values changed on both sides merge by value edits", async () => {
    const r = await mergePlaintexts({ format: "json", base: '{"a": "1", "b": "2"}', ours: '{"a": "x", "b": "2"}', theirs: '{"a": "1", "b": "y"}' });
    expect(r).toEqual({ text: '{"a": "x", "b": "y"}', conflicts: [], method: "value-edits", overlappingLines: 0 });
  });

  it("carries theirs' comment changes even when no value changed on their side", async () => {
    const base = "# owner: team-a\na: 1\nb: 2\n";
    const r = await mergePlaintexts({ format: "yaml", base, ours: "# owner: team-a\na: 1\nb: 20\n", theirs: "# owner: team-b\na: 1\nb: 2\n" });
    expect(r.text).toBe("# owner: team-b\na: 1\nb: 20\n");
  });

  it("YAML streams merge by lines; overlapping changes conflict on the whole file", async () => {
    const base = "a: 1\n---\nb: 2\n";
    const clean = await mergePlaintexts({ format: "yaml", base, ours: "a: 10\n---\nb: 2\n", theirs: "a: 1\n---\nb: 20\n" });
    expect(clean).toMatchObject({ text: "a: 10\n---\nb: 20\n", conflicts: [] });
    const clash = await mergePlaintexts({ format: "yaml", base, ours: "a: 1\n---\nb: X\n", theirs: "a: 1\n---\nb: Y\n" });
    expect(clash).toMatchObject({ text: "a: 1\n---\nb: X\n", conflicts: [{ path: [], kind: "both-changed" }] });
  });

  it("conflicts keep the favoured side's value", async () => {
    const base = "a: 1\nb: 2\n";
    const r = await mergePlaintexts({ format: "yaml", base, ours: "a: X\nb: 2\n", theirs: "a: Y\nb: 3\n" });
    expect(r.conflicts).toEqual([{ path: ["a"], kind: "both-changed" }]);
    expect(r.text).toBe("a: X\nb: 3\n");
    const t = await mergePlaintexts({ format: "yaml", base, ours: "a: X\nb: 2\n", theirs: "a: Y\nb: 3\n", favour: "theirs" });
    expect(t.text).toBe("a: Y\nb: 3\n");
  });
});

describe("renderConflicts", () => {
  it("puts markers around the lines of each conflicting path", async () => {
    const text = await renderConflicts({
      format: "yaml",
      merged: "a: X\nb: 3\nnested:\n  k: ours\n",
      theirs: "a: Y\nb: 3\nnested:\n  k: theirs\n",
      base: "a: 1\nb: 2\nnested:\n  k: base\n",
      conflicts: [
        { path: ["a"], kind: "both-changed" },
        { path: ["nested", "k"], kind: "both-changed" },
      ],
      labels: { ours: "ours", base: "base", theirs: "theirs" },
    });
    expect(text).toBe(
      "<<<<<<< ours\na: X\n||||||| base\na: 1\n=======\na: Y\n>>>>>>> theirs\nb: 3\nnested:\n<<<<<<< ours\n  k: ours\n||||||| base\n  k: base\n=======\n  k: theirs\n>>>>>>> theirs\n",
    );
  });

  it("a key deleted on our side appears with an empty ours section where theirs had it", async () => {
    const text = await renderConflicts({
      format: "yaml",
      merged: "a: 1\nc: 3\n",
      theirs: "a: 1\nb: changed\nc: 3\n",
      base: "a: 1\nb: 2\nc: 3\n",
      conflicts: [{ path: ["b"], kind: "deleted-by-ours" }],
    });
    expect(text).toBe("a: 1\n<<<<<<<\n|||||||\nb: 2\n=======\nb: changed\n>>>>>>>\nc: 3\n");
  });

  /** Each conflict block replaced by its theirs section, as a user keeping theirs in the editor does. */
  const keepTheirs = (text: string): string => text.replace(/^<{7}.*\n[\s\S]*?^={7}\n([\s\S]*?)^>{7}.*\n/gm, "$1");

  it.each([
    // Inserted after the key before it in theirs: above [s], a top-level `c`.
    { format: "toml", base: "a = 1\n[s]\nc = 1\nb = 2\n", ours: "a = 1\n[s]\nb = 2\n", theirs: "a = 1\n[s]\nc = 3\nb = 2\n", path: ["s", "c"] },
    // Inserted into the object before "s": a top-level "c", still valid JSON.
    { format: "json", base: '{\n  "a": 1,\n  "s": {\n    "c": 1,\n    "b": 2\n  }\n}\n', ours: '{\n  "a": 1,\n  "s": {\n    "b": 2\n  }\n}\n', theirs: '{\n  "a": 1,\n  "s": {\n    "c": 3,\n    "b": 2\n  }\n}\n', path: ["s", "c"] },
    // Section [t] deleted on our side: its keys went under [s], without their header.
    { format: "ini", base: "[s]\na = 1\n[t]\nc = 1\n", ours: "[s]\na = 1\n", theirs: "[s]\na = 1\n[t]\nc = 3\n", path: ["t"] },
    // Indented under the key before `s:`, which does not parse.
    { format: "yaml", base: "a: 1\ns:\n  c: 1\n  b: 2\n", ours: "a: 1\ns:\n  b: 2\n", theirs: "a: 1\ns:\n  c: 3\n  b: 2\n", path: ["s", "c"] },
    // After the last key of the map before `s:`, at the same indentation: `a.c`, which parses.
    { format: "yaml", base: "a:\n  x: 1\ns:\n  c: 1\n  b: 2\n", ours: "a:\n  x: 1\ns:\n  b: 2\n", theirs: "a:\n  x: 1\ns:\n  c: 3\n  b: 2\n", path: ["s", "c"] },
  ] as const)("a $format key our side deleted and theirs changed, kept as theirs in the editor, reads back at its own path", async (c) => {
    const format = c.format as FileFormat;
    const merged = await mergePlaintexts({ format, base: c.base, ours: c.ours, theirs: c.theirs });
    expect(merged.conflicts).toEqual([{ path: c.path, kind: "deleted-by-ours" }]);
    const text = await renderConflicts({ format, merged: merged.text, theirs: c.theirs, base: c.base, conflicts: merged.conflicts });
    expect(treesEqual(await tree(format, keepTheirs(text)), await tree(format, c.theirs))).toBe(true);
  });
});
