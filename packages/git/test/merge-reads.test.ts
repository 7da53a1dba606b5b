import { afterEach, describe, expect, it, vi } from "vitest";
import { storeFor } from "@hush/core";
import { mergePlaintexts } from "@hush/git";

/**
 * The key-path merge reads plaintexts the YAML span scanner reads without the general parser
 * (several parses of each side were most of the time of a large file's merge), and gives the
 * same merge; texts the scanner declines still go through the store.
 */

function sections(count: number, values: number, change: (s: number, v: number) => string | undefined = () => undefined): string {
  let out = "";
  for (let s = 0; s < count; s++) {
    out += `s${s}:\n`;
    for (let v = 0; v < values; v++) out += `    k${v}: ${change(s, v) ?? `value-${s}-${v}`}\n`;
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the key-path merge of YAML plaintexts", () => {
  it("merges one change on each side without the general parser when the scanner reads the texts", async () => {
    const base = sections(10, 20);
    const ours = sections(10, 20, (s, v) => (s === 3 && v === 1 ? "ours" : undefined));
    const theirs = sections(10, 20, (s, v) => (s === 7 && v === 9 ? "theirs" : undefined));
    const store = await storeFor("yaml");
    const spies = [vi.spyOn(store, "parse"), vi.spyOn(store, "toTree")];
    const merged = await mergePlaintexts({ format: "yaml", base, ours, theirs });
    expect(spies.map((s) => s.mock.calls.length)).toEqual([0, 0]);
    expect(merged.conflicts).toEqual([]);
    expect(merged.text).toBe(sections(10, 20, (s, v) => (s === 3 && v === 1 ? "ours" : s === 7 && v === 9 ? "theirs" : undefined)));
  });

  it("texts the scanner declines (a YAML stream) still merge through the store, by lines", async () => {
    const store = await storeFor("yaml");
    const parse = vi.spyOn(store, "parse");
    const merged = await mergePlaintexts({ format: "yaml", base: "a: 1\n---\nb: 2\n", ours: "a: 10\n---\nb: 2\n", theirs: "a: 1\n---\nb: 20\n" });
    expect(parse).toHaveBeenCalled();
    expect(merged).toMatchObject({ text: "a: 10\n---\nb: 20\n", method: "line-merge", conflicts: [] });
  });
});
