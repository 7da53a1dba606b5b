import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptValue, openText, parseEnvelope, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { encryptFile, keyedDir, type KeyedDir } from "../workflows/helpers.ts";

/**
 * Reusing an unchanged value's IV (so that `set` and `edit` change only what changed) must never
 * let two values share an IV, nor make equal values at different places share ciphertext, nor
 * encrypt different bytes under an IV the file already used. Each case runs the real CLI on a
 * file an attacker could have shaped, then reads every envelope of the written file.
 */

let k: KeyedDir;
let keySources: KeySourceResolver;
beforeAll(() => {
  k = keyedDir();
  const source = new AgeKeySource({ identities: parseAgeIdentities(k.keyText) });
  keySources = async (kind) => (kind === "age" ? source : undefined);
});
afterAll(() => k.cleanup());

/** Every ENC[...] envelope of a file's text (values and the MAC), in order. */
function envelopes(text: string): string[] {
  return [...text.matchAll(/ENC\[AES256_GCM,[^\]]*\]/g)].map((m) => m[0]);
}

function ivs(text: string): string[] {
  return envelopes(text).map((e) => parseEnvelope(e).iv.toString("base64"));
}

/** The IVs that occur more than once. */
function repeated(list: readonly string[]): string[] {
  return [...new Set(list.filter((x, i) => list.indexOf(x) !== i))];
}

function setValue(file: string, path: string, value: string, extra: string[] = []): ReturnType<KeyedDir["hush"]> {
  return k.hush(["set", ...extra, file, path, value]);
}

describe("IV reuse after set", () => {
  it("key names with NUL that made the reuse lookup ambiguous never share an IV", async () => {
    // Before, the lookup key was `path NUL type NUL plaintext`: these two values gave the same key.
    const f = encryptFile(k, "nul.json", `{"K": "Y:\\u0000str\\u0000Z", "K:\\u0000str\\u0000Y": "Z", "other": "o"}\n`);
    expect(repeated(ivs(readFileSync(f, "utf8")))).toEqual([]);
    const r = setValue(f, '["other"]', '"changed"');
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const after = readFileSync(f, "utf8");
    expect(repeated(ivs(after))).toEqual([]);
    expect(await k.decrypt(f, "json")).toBe(`{"K": "Y:\\u0000str\\u0000Z", "K:\\u0000str\\u0000Y": "Z", "other": "changed"}\n`);
  });

  it("equal values in a list keep distinct IVs and distinct ciphertexts", async () => {
    const f = encryptFile(k, "list.json", `{"list": ["same-secret", "same-secret", "same-secret"], "other": "o"}\n`);
    const before = envelopes(readFileSync(f, "utf8")).slice(0, 3);
    expect(new Set(before).size).toBe(3);
    expect(setValue(f, '["other"]', '"changed"').status).toBe(0);
    const after = readFileSync(f, "utf8");
    const items = envelopes(after).slice(0, 3);
    expect(new Set(items).size).toBe(3);
    expect(repeated(ivs(after))).toEqual([]);
    // Unchanged values still keep their ciphertext (the minimal diff is kept).
    expect(items).toEqual(before);
  });

  it("equal comments in one YAML map keep distinct IVs", async () => {
    const f = encryptFile(k, "comments.yaml", "a:\n    # same note\n    x: 1\n    # same note\n    y: 2\nother: o\n");
    expect(setValue(f, '["other"]', '"changed"').status).toBe(0);
    const after = readFileSync(f, "utf8");
    expect(repeated(ivs(after))).toEqual([]);
    expect(await k.decrypt(f)).toBe("a:\n    # same note\n    x: 1\n    # same note\n    y: 2\nother: changed\n");
  });

  it("an IV that two values of the input share is not reused for either", async () => {
    const f = encryptFile(k, "dup-iv.json", `{"a": "first", "b": "second", "other": "o"}\n`);
    const text = readFileSync(f, "utf8");
    const opened = await openText(text, { format: "json", keySources });
    const iv = randomBytes(32);
    const forged = text
      .replace(/"a": "ENC\[[^\]]*\]"/, `"a": "${encryptValue(opened.dataKey, Buffer.from("first"), "str", "a:", iv)}"`)
      .replace(/"b": "ENC\[[^\]]*\]"/, `"b": "${encryptValue(opened.dataKey, Buffer.from("second"), "str", "b:", iv)}"`);
    writeFileSync(f, forged);
    expect(repeated(ivs(forged))).toEqual([iv.toString("base64")]);
    const r = setValue(f, '["other"]', '"changed"', ["--ignore-mac"]);
    expect(r.status, r.stderr).toBe(0);
    const after = readFileSync(f, "utf8");
    expect(repeated(ivs(after))).toEqual([]);
    expect(ivs(after)).not.toContain(iv.toString("base64"));
    expect(await k.decrypt(f, "json")).toBe(`{"a": "first", "b": "second", "other": "changed"}\n`);
  });
});

describe("values that are not UTF-8", () => {
  /** A file whose `a` holds bytes that are not UTF-8 (SOPS can write such values; hush cannot show them exactly). */
  async function nonUtf8File(name: string): Promise<{ file: string; text: string; envelope: string }> {
    const f = encryptFile(k, name, `{"a": "placeholder", "b": "b-value"}\n`);
    const text = readFileSync(f, "utf8");
    const opened = await openText(text, { format: "json", keySources });
    const envelope = encryptValue(opened.dataKey, Buffer.from([0xff, 0xfe, 0x41, 0xc3]), "str", "a:", randomBytes(32));
    const forged = text.replace(/"a": "ENC\[[^\]]*\]"/, `"a": "${envelope}"`);
    writeFileSync(f, forged);
    return { file: f, text: forged, envelope };
  }

  it("are never re-encrypted under their old IV: a set elsewhere is refused, naming the value", async () => {
    const { file, text, envelope } = await nonUtf8File("bytes.json");
    const r = setValue(file, '["b"]', '"changed"', ["--ignore-mac"]);
    const after = readFileSync(file, "utf8");
    const oldIv = parseEnvelope(envelope).iv.toString("base64");
    // Whatever happens, the old IV never carries other bytes.
    for (const e of envelopes(after)) if (parseEnvelope(e).iv.toString("base64") === oldIv) expect(e).toBe(envelope);
    expect(r.status).toBe(23);
    expect(r.stderr).toMatch(/^hush: .*bytes\.json: .*\["a"\].*UTF-8/);
    expect(after).toBe(text);
  });

  it("can be replaced with set (a fresh IV)", async () => {
    const { file, envelope } = await nonUtf8File("bytes2.json");
    const r = setValue(file, '["a"]', '"now text"', ["--ignore-mac"]);
    expect(r.status, r.stderr).toBe(0);
    const after = readFileSync(file, "utf8");
    expect(ivs(after)).not.toContain(parseEnvelope(envelope).iv.toString("base64"));
    expect(await k.decrypt(file, "json")).toBe(`{"a": "now text", "b": "b-value"}\n`);
  });
});
