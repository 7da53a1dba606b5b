import { describe, expect, it } from "vitest";
import { decryptText, encryptText, type EncryptionRule, type MasterKeyEntry } from "@hush/core";

const dataKey = new Uint8Array(32).fill(3);
const wrappedKeys: MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1test", enc: "x\n" }]];
const noKeys = async (): Promise<undefined> => undefined;

async function encryptedLines(text: string, rule: EncryptionRule): Promise<string[]> {
  const enc = await encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, rule });
  expect(await decryptText(enc, { format: "yaml", keySources: noKeys, dataKey })).toBe(text);
  return enc.slice(0, enc.indexOf("\nsops:\n")).split("\n").filter((l) => l.includes("ENC["));
}

describe("selection rules (spec 2.5)", () => {
  it("encrypted_comment_regex: the comment governs the next item only, and stays readable", async () => {
    const lines = await encryptedLines("# sops:enc\na: 1\nb: 2\nc:\n  # sops:enc\n  d: x\n  e: y\n", { kind: "encrypted_comment_regex", value: "sops:enc" });
    expect(lines).toEqual([expect.stringMatching(/^a: ENC/), expect.stringMatching(/^ {2}d: ENC/)]);
  });

  it("unencrypted_comment_regex: governed items and the matching comment stay readable", async () => {
    const lines = await encryptedLines("# plain\nc: 1\n# other\nd: 2\n", { kind: "unencrypted_comment_regex", value: "^ plain$" });
    expect(lines).toEqual([expect.stringMatching(/^#ENC.*type:comment/), expect.stringMatching(/^d: ENC/)]);
  });

  it("encrypted_comment_regex: a matching comment after another one is encrypted (SOPS skips only the comment itself)", async () => {
    const lines = await encryptedLines("# sops:enc\n# sops:enc again\na: 1\n", { kind: "encrypted_comment_regex", value: "sops:enc" });
    expect(lines).toEqual([expect.stringMatching(/^#ENC.*type:comment/), expect.stringMatching(/^a: ENC/)]);
  });

  it("an empty collection is an item: the comments before it govern it, not the next value", async () => {
    const lines = await encryptedLines("# plain\na: {}\nb: 2\n", { kind: "unencrypted_comment_regex", value: "plain" });
    expect(lines).toEqual([expect.stringMatching(/^b: ENC/)]);
  });

  it("encrypted_regex is RE2, tested against each key path component", async () => {
    const lines = await encryptedLines("data:\n  x: 1\nmeta:\n  x: 2\n", { kind: "encrypted_regex", value: "(?i)^DATA$" });
    expect(lines).toEqual([expect.stringMatching(/^ {2}x: ENC/)]);
  });

  it("unencrypted_suffix applies to whole subtrees", async () => {
    const lines = await encryptedLines("a_unencrypted:\n  b: 1\nc: 2\n", { kind: "unencrypted_suffix", value: "_unencrypted" });
    expect(lines).toEqual([expect.stringMatching(/^c: ENC/)]);
  });
});
