import { afterEach, describe, expect, it, vi } from "vitest";
import { encryptText, openText, SecretDocument, storeFor, type Store } from "@hush/core";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "./store-harness.ts";

/**
 * The write path (set, unset, re-encryption) on files the YAML span scanner reads: the general
 * parser, most of the time of a large file's change, is not needed, and what is written is what
 * it would give. Files the scanner declines still go through the store.
 */

/** Sections of values, as people and the benchmark write them. */
function sections(count: number, values: number): string {
  let out = "";
  for (let s = 0; s < count; s++) {
    out += `s${s}:\n`;
    for (let v = 0; v < values; v++) out += `    k${v}: value-${s}-${v}\n`;
  }
  return out;
}

async function opened(plaintext: string, format: "yaml" | "dotenv" | "ini" = "yaml"): Promise<SecretDocument> {
  const text = await encryptText(plaintext, { format, keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
  return SecretDocument.fromOpened(await openText(text, { format, keySources: noKeys, dataKey }), { keySources: noKeys });
}

/** Counts the YAML store's general-parser reads from now on. */
async function countStoreReads(): Promise<() => number> {
  const store: Store = await storeFor("yaml");
  const spies = [vi.spyOn(store, "parse"), vi.spyOn(store, "toTree")];
  return () => spies.reduce((n, s) => n + s.mock.calls.length, 0);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("set, unset and re-encryption of a YAML file the span scanner reads", () => {
  it("change one value and write the next version without the general parser", async () => {
    const doc = await opened(sections(20, 50));
    const before = doc.plaintext;
    const reads = await countStoreReads();
    await doc.set(["s3", "k1"], { kind: "scalar", value: { type: "str", text: "changed" } });
    await doc.unset(["s4", "k2"]);
    const next = await doc.toText();
    expect(reads()).toBe(0);
    expect(doc.plaintext).toBe(before.replace("    k1: value-3-1\n", "    k1: changed\n").replace("    k2: value-4-2\n", ""));
    // The written file reads back through the general parser too, with every value encrypted.
    vi.restoreAllMocks();
    const parsed = (await storeFor("yaml")).parse(next);
    expect(parsed.leaves.filter((l) => l.value !== null && l.value.text.startsWith("ENC[")).length).toBe(20 * 50 - 1);
    expect((await openText(next, { format: "yaml", keySources: noKeys, dataKey })).plaintext).toBe(doc.plaintext);
  });

  it("a file with comments, or a key that is not a string, still goes through the store (and is refused as before)", async () => {
    const commented = await opened(`# secrets\n${sections(2, 3)}`);
    const reads = await countStoreReads();
    await commented.set(["s1", "k0"], { kind: "scalar", value: { type: "str", text: "x" } });
    const next = await commented.toText();
    expect(reads()).toBeGreaterThan(0);
    expect(next).toMatch(/^#ENC\[AES256_GCM,/);
    await expect(encryptText("1: a\nb: c\n", { format: "yaml", keySources: noKeys, wrappedKeys, dataKey })).rejects.toThrow(/SOPS supports only string keys/);
  });
});

describe("set of a value deeper than the format is read", () => {
  it("a tree of 100,000 levels from a caller is refused by its depth before any edit, without a stack overflow", async () => {
    const doc = await opened("a: 1\n");
    let value: import("@hush/core").TreeNode = { kind: "scalar", value: { type: "str", text: "x" } };
    for (let i = 0; i < 100_000; i++) value = { kind: "list", items: [value] };
    await expect(doc.set(["a"], value)).rejects.toMatchObject({
      code: "INVALID_SET_PATH",
      message: "cannot set a value 100001 levels deep (a key path of 1 part and a value nested 100000 deep): hush reads YAML nested at most 200 levels",
    });
    expect(doc.plaintext).toBe("a: 1\n");
    // 200 levels in all: set.
    await doc.set(Array.from({ length: 199 }, (_, i) => `k${i}`), { kind: "list", items: [] });
  });

  it("dotenv and INI say what their writers say, at the key that goes deeper, however long the path or deep the value", async () => {
    const str = { kind: "scalar", value: { type: "str", text: "x" } } as const;
    let deep: import("@hush/core").TreeNode = str;
    for (let i = 0; i < 100_000; i++) deep = { kind: "list", items: [deep] };
    const long = Array.from({ length: 250 }, () => "a");
    const env = await opened("A=1\n", "dotenv");
    for (const [path, value] of [[long, str], [["B"], deep]] as const) {
      await expect(env.set(path, value)).rejects.toMatchObject({ code: "EMIT_FAILED", message: `cannot use complex value in dotenv file; offending key ["${path[0]}"]` });
    }
    const ini = await opened("[s]\nk = 1\n", "ini");
    await expect(ini.set(long, str)).rejects.toMatchObject({ code: "EMIT_FAILED", message: 'INI sections hold only plain values: ["a"]["a"] is nested deeper' });
    await expect(ini.set(["s"], { kind: "map", entries: [{ kind: "entry", key: "k", value: deep }] })).rejects.toMatchObject({ message: 'INI sections hold only plain values: ["s"]["k"] is nested deeper' });
    await expect(ini.set(["s"], deep)).rejects.toMatchObject({ message: 'INI files hold sections of keys: the top-level key ["s"] is not a section' });
    expect([env.plaintext, ini.plaintext]).toEqual(["A=1\n", "[s]\nk = 1\n"]);
    await ini.set(["t"], { kind: "map", entries: [{ kind: "entry", key: "k", value: str }] });
    expect(ini.plaintext).toContain("[t]\nk = x\n");
  });
});
