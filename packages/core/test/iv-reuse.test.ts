import { describe, expect, it } from "vitest";
import {
  decodeMetadata,
  encryptText,
  IvStash,
  MAX_FLAT_METADATA_DEPTH,
  MAX_KEY_GROUPS,
  MAX_KEYS_PER_FILE,
  MAX_KEYS_PER_GROUP,
  openText,
  parseEnvelope,
  reencryptText,
  unflattenMetadata,
  wrapDataKey,
  type FileFormat,
  type KeySourceResolver,
} from "@hush/core";

/** The IV-reuse rule and the metadata limits, at the level of the core API. */

const DATA_KEY = new Uint8Array(32).fill(7);
const KEYS = [[{ kind: "age" as const, recipient: "age1test", enc: "x" }]];
const none: KeySourceResolver = async () => undefined;

async function encrypt(text: string, format: FileFormat): Promise<string> {
  return encryptText(text, { format, keySources: none, dataKey: DATA_KEY, wrappedKeys: KEYS });
}

/** The IVs of a file's values, in order (the MAC, written once per YAML document, left out). */
function ivsOf(text: string): string[] {
  return [...text.matchAll(/ENC\[AES256_GCM,[^\]]*\]/g)]
    .filter((m) => !/(^|[^a-z])mac"?\s*[:=]\s*"?$/.test(text.slice(text.lastIndexOf("\n", m.index) + 1, m.index)))
    .map((m) => parseEnvelope(m[0]).iv.toString("base64"));
}

describe("IV reuse", () => {
  it.each([
    ["json", `{"a": ["s", "s", {"b": "s"}], "a:": "s", "c": "s"}\n`],
    ["yaml", "a:\n    - s\n    - s\n    # n\n    # n\n\"a:\": s\n---\na:\n    - s\n"],
    ["dotenv", "A=s\nB=s\n"],
    ["ini", "[x]\na = s\n[y]\na = s\n"],
    ["toml", `a = ["s", "s"]\n[[t]]\nb = "s"\n[[t]]\nb = "s"\n`],
  ] as const)("%s: a re-encryption keeps every unchanged ciphertext and never repeats an IV", async (format, text) => {
    const enc = await encrypt(text, format);
    const opened = await openText(enc, { format, keySources: none, dataKey: DATA_KEY });
    expect(opened.plaintext).toBe(text);
    const again = await reencryptText(opened, opened.plaintext, { keySources: none });
    const before = ivsOf(enc);
    const after = ivsOf(again);
    expect(new Set(after).size).toBe(after.length);
    // Every unchanged value keeps its IV (and so its ciphertext).
    expect(after).toEqual(before);
  });

  it("a changed value gets a fresh IV even when its old bytes come back at another place", async () => {
    const enc = await encrypt(`{"a": "one", "b": "two"}\n`, "json");
    const opened = await openText(enc, { format: "json", keySources: none, dataKey: DATA_KEY });
    const swapped = await reencryptText(opened, `{"a": "two", "b": "one"}\n`, { keySources: none });
    const [a0, b0] = ivsOf(enc);
    const [a1, b1] = ivsOf(swapped);
    expect([a1, b1]).not.toContain(a0);
    expect([a1, b1]).not.toContain(b0);
  });

  it("the union of stashes never holds one IV twice", async () => {
    const enc = await encrypt(`{"a": "one"}\n`, "json");
    const opened = await openText(enc, { format: "json", keySources: none, dataKey: DATA_KEY });
    // The same decryption twice: the union must not offer the IV for two places.
    const union = IvStash.union([opened.stash, opened.stash]);
    const target = { ...opened, stash: union };
    const out = await reencryptText(target, `{"a": "one"}\n`, { keySources: none });
    const ivs = ivsOf(out);
    expect(new Set(ivs).size).toBe(ivs.length);
    expect(ivs[0]).toBe(ivsOf(enc)[0]);
  });
});

describe("metadata limits", () => {
  const entry = { recipient: "age1x", enc: "x" };
  const base = { lastmodified: "2025-01-01T00:00:00Z", mac: "", version: "3.13.2" };

  it("accepts the limits exactly and refuses one more", () => {
    const perGroup = Math.floor(MAX_KEYS_PER_FILE / MAX_KEY_GROUPS);
    const groups = (n: number, size: number): unknown => ({ ...base, key_groups: Array.from({ length: n }, () => ({ age: Array(size).fill(entry) })) });
    expect(decodeMetadata(groups(MAX_KEY_GROUPS, perGroup)).keyGroups).toHaveLength(MAX_KEY_GROUPS);
    expect(() => decodeMetadata(groups(MAX_KEY_GROUPS + 1, 1))).toThrow(/key groups; hush reads at most/);
    expect(decodeMetadata({ ...base, age: Array(MAX_KEYS_PER_GROUP).fill(entry) }).keyGroups[0]).toHaveLength(MAX_KEYS_PER_GROUP);
    expect(() => decodeMetadata({ ...base, age: Array(MAX_KEYS_PER_GROUP + 1).fill(entry) })).toThrow(/per group/);
    expect(() => decodeMetadata(groups(2, MAX_KEYS_PER_FILE / 2 + 1))).toThrow(/in all groups together/);
  });

  it("flattened keys: the deepest allowed key reads, one level more is refused", () => {
    const key = (levels: number): string => ["sops", ...Array.from({ length: levels - 1 }, () => "map_x")].join("__");
    expect(() => unflattenMetadata([[key(MAX_FLAT_METADATA_DEPTH), "v"]])).not.toThrow();
    expect(() => unflattenMetadata([[key(MAX_FLAT_METADATA_DEPTH + 1), "v"]])).toThrow(/at most 16 levels/);
  });

  it("hush never wraps a data key to more groups or keys than it reads", async () => {
    const r = { kind: "age" as const, recipient: "age1x" };
    await expect(wrapDataKey(DATA_KEY, Array.from({ length: MAX_KEY_GROUPS + 1 }, () => [r]), 2, none)).rejects.toThrow(/too many keys/);
    await expect(encryptText(`{"a": "b"}\n`, { format: "json", keySources: none, dataKey: DATA_KEY, wrappedKeys: [Array(MAX_KEYS_PER_GROUP + 1).fill(KEYS[0]![0])] })).rejects.toThrow(/too many keys/);
  });
});
