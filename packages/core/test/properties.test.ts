import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, readPlaintext, readTree, type FileFormat, type MasterKeyEntry } from "@hush/core";
import { expectRoundTrip } from "./store-harness.ts";

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 150);
const dataKey = new Uint8Array(32).fill(9);
const wrappedKeys: MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1test", enc: "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n" }]];
const noKeys = async (): Promise<undefined> => undefined;

// Not YAML 1.1's boolean words: two of them (on, y) are one key to YAML 1.1 readers, which hush refuses.
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => k !== "sops" && !/^(y|n|yes|no|on|off)$/.test(k));
const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._/@-]{0,20}[A-Za-z0-9]$/);
const anyText = fc.string({ unit: "grapheme", maxLength: 24 });
/**
 * Text a YAML file keeps byte for byte: U+0085, U+2028 and U+2029 are line breaks to SOPS's
 * YAML 1.1 reader, so a value holding one comes back escaped (tested below), not as written.
 */
const yamlText = anyText.filter((s) => !/[\u0085\u2028\u2029]/.test(s));

/** YAML scalars in canonical spellings of each style and type. */
const yamlScalar = fc.oneof(
  // Not YAML 1.1's boolean words either: decryption writes those quoted, as SOPS does.
  word.filter((w) => !/^(true|false|null|~|yes|no|on|off|y|n)$/i.test(w) && !/: | #/.test(w)),
  yamlText.map((s) => JSON.stringify(s)),
  yamlText.filter((s) => !s.includes("\n")).map((s) => `'${s.replace(/'/g, "''")}'`),
  fc.integer({ min: -1e9, max: 1e9 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Number.isInteger(d)).map((d) => String(d)),
  fc.constantFrom("true", "false", "null", "~", '""', "1.50", "-0.25", "2024-01-02T03:04:05Z", ".inf"),
);

function yamlDoc(depth: number): fc.Arbitrary<string> {
  const entry: fc.Arbitrary<[string, string]> = fc.tuple(
    key,
    depth > 2
      ? yamlScalar.map((s) => ` ${s}`)
      : fc.oneof(
          { weight: 5, arbitrary: yamlScalar.map((s) => ` ${s}`) },
          { weight: 1, arbitrary: fc.array(yamlScalar, { minLength: 1, maxLength: 3 }).map((items) => "\n" + items.map((i) => `  - ${i}`).join("\n")) },
          { weight: 1, arbitrary: fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9 ]{0,11}$/), { minLength: 1, maxLength: 3 }).map((lines) => ` |\n${lines.map((l) => `  ${l}`).join("\n")}`) },
          { weight: 1, arbitrary: fc.uniqueArray(fc.tuple(key, yamlScalar), { minLength: 1, maxLength: 3, selector: ([k]) => k }).map((kv) => "\n" + kv.map(([k, v]) => `  ${k}: ${v}`).join("\n")) },
        ),
  );
  const comment = fc.stringMatching(/^[ a-zA-Z0-9.,!-]{0,20}$/).map((c) => `#${c}`);
  return fc
    .tuple(
      fc.uniqueArray(entry, { minLength: 1, maxLength: 8, selector: ([k]) => k }),
      fc.array(fc.tuple(fc.nat(8), comment), { maxLength: 3 }),
      fc.boolean(),
    )
    .map(([entries, comments, finalNewline]) => {
      const lines = entries.map(([k, v]) => `${k}:${v}`);
      for (const [at, c] of comments) lines.splice(at % (lines.length + 1), 0, c);
      return lines.join("\n") + (finalNewline ? "\n" : "");
    });
}

const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    anyText,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3 }),
  ),
})).value;

const jsonDoc = fc
  .tuple(fc.dictionary(key, jsonValue, { minKeys: 0, maxKeys: 6 }), fc.constantFrom("\t", "  ", "    ", ""), fc.boolean(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }))
  .map(([obj, indent, nl, big]) => {
    const text = JSON.stringify({ ...obj, big_int: 0 }, null, indent === "" ? undefined : indent).replace(/"big_int": ?0/, (m) => m.replace("0", big.toString()));
    return text + (nl ? "\n" : "");
  });

async function roundTrip(text: string, format: FileFormat): Promise<void> {
  await expectRoundTrip(
    text,
    format,
    (t) => encryptText(t, { format, keySources: noKeys, wrappedKeys, dataKey }),
    (t) => decryptText(t, { format, keySources: noKeys, dataKey }),
  );
}

describe("decrypt(encrypt(x)) is byte-identical to x", () => {
  it("for generated YAML documents", async () => {
    await fc.assert(fc.asyncProperty(yamlDoc(0), (text) => roundTrip(text, "yaml")), { numRuns: RUNS });
  });

  it("for generated JSON documents (integers beyond 2^53 included)", async () => {
    await fc.assert(fc.asyncProperty(jsonDoc, (text) => roundTrip(text, "json")), { numRuns: RUNS });
  });

  it("for YAML streams, anchors, tags and block scalars", async () => {
    const samples = [
      "a: 1\n---\nb: two\n",
      "base: &b\n  x: 1\n  y_unencrypted: plain\nother: *b\n".replace("x: 1", "x_unencrypted: 1"),
      "tagged: !Ref thing\nkeep: |+\n  a\n\n\nstrip: |-\n  b\n  c\nafter: 1\n",
      "# only a comment\nk: v # trailing\n\nspaced: 'it''s'\n",
      "list:\n- a\n- b:\n    c: d\n",
    ];
    for (const s of samples) await roundTrip(s, "yaml");
  });
});

describe("the value tree a YAML decryption gives while it decrypts", () => {
  /** The tree `readPlaintext` gives (where it can) against the plaintext read again; whether it gave one. */
  async function sameTree(text: string): Promise<boolean> {
    const encrypted = await encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey });
    const read = await readPlaintext(encrypted, { format: "yaml", keySources: noKeys, dataKey, valueTree: true });
    if (read.tree !== undefined) expect(read.tree).toEqual(await readTree(read.plaintext, "yaml"));
    return read.tree !== undefined;
  }

  it("is what the plaintext reads as, for generated YAML documents", async () => {
    let given = 0;
    await fc.assert(
      fc.asyncProperty(yamlDoc(0), async (text) => {
        if (await sameTree(text)) given++;
      }),
      { numRuns: RUNS },
    );
    // Most documents are in the scanner's shape: the tree is given for them, not only checked.
    expect(given).toBeGreaterThan(RUNS / 2);
  });

  it("is left to a reading of the plaintext where a value would not read back as itself, or the scanner declines the file", async () => {
    // Every type in canonical spelling: given. SOPS's True stays True; 1.50 keeps its spelling.
    expect(await sameTree("s: text\ni: 5432\nf: 1.50\nb: true\nn:\ne: ''\nq: 'yes'\nl:\n  - 1\n  - x\nm: {}\nk: []\nu_unencrypted: on\n")).toBe(true);
    // A block scalar, a stream, an anchor: the scanner reads none of them, so no tree.
    expect(await sameTree("keep: |\n  a\n  b\n")).toBe(false);
    expect(await sameTree("a: 1\n---\nb: 2\n")).toBe(false);
    expect(await sameTree("base: &b\n  x: 1\nother: *b\n")).toBe(false);
  });
});

describe("where the SOPS format forces a spelling", () => {
  it("writes a YAML string holding U+0085, U+2028 or U+2029 double-quoted with \\N, \\L, \\P, as SOPS's YAML 1.1 reader needs", async () => {
    const cases: Array<[string, string]> = [
      ["a: '\u2028'\n", 'a: "\\L"\n'],
      ['a: "x\u2029y"\n', 'a: "x\\Py"\n'],
      ["a: '\u0085'\n", 'a: "\\N"\n'],
    ];
    for (const [input, expected] of cases) {
      const encrypted = await encryptText(input, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey });
      const decrypted = await decryptText(encrypted, { format: "yaml", keySources: noKeys, dataKey });
      expect(decrypted).toBe(expected);
    }
  });
});
