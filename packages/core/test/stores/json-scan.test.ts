import fc from "fast-check";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, readForDecrypt, readWhole, scanJson, storeFor, type ParsedDocument } from "@hush/core";
import { goFoldKey } from "../../src/stores/folded-keys.ts";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * The JSON decrypt span scanner against the JSON store's parser (jsonc-parser): on any text, the
 * scanner either declines or reads exactly what the store reads (values, paths, spans, lines,
 * metadata and its span); it reads well-formed JSON, and decryption through it gives what
 * decryption through the store gives.
 */

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 200);
/** Generous: the property runs take seconds on a quiet machine, far more on a busy one. */
const SLOW = 600_000;

function reading(doc: ParsedDocument): unknown {
  return { leaves: doc.leaves, metadata: doc.metadata, spans: doc.metadataSpans, documents: doc.documentCount };
}

/** The scanner declines, or agrees with the store; returns whether it read the text. */
async function expectAgrees(text: string): Promise<boolean> {
  const fast = scanJson(text);
  if (fast === undefined) return false;
  let slow: ParsedDocument;
  try {
    slow = (await storeFor("json")).parse(text);
  } catch {
    throw new Error(`the scanner read a text the store rejects:\n${text}`);
  }
  expect(reading(fast), text).toEqual(reading(slow));
  return true;
}

/** Whitespace JSON allows between tokens, to lay a document out in many ways. */
const gap = fc.constantFrom("", " ", "\n", "\r\n", "\t", "  \n    ", "\n\n");
const key = fc.oneof(fc.constantFrom("a", "b", "sops", "a_unencrypted", "é", "a\"b", "\u2028", "__proto__", "1", ""), fc.string({ maxLength: 6 }));
const scalar = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom("ENC[AES256_GCM,data:YQ==,iv:YWFhYWFhYWFhYWFhYWFhYQ==,tag:YWFhYWFhYWFhYWFhYWFhYQ==,type:str]", "\ufffd", "</script>"),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(true, false, null, 12345678901234567890n, 1e21, -0.5),
);

/** JSON text of a value, with random gaps between tokens and big integers written exactly. */
function layout(value: unknown, gaps: () => string): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${gaps()}${value.map((v) => layout(v, gaps)).join(`${gaps()},${gaps()}`)}${gaps()}]`;
  if (value !== null && typeof value === "object") {
    return `{${gaps()}${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}${gaps()}:${gaps()}${layout(v, gaps)}`)
      .join(`${gaps()},${gaps()}`)}${gaps()}}`;
  }
  return JSON.stringify(value);
}

const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  // Keys that fold alike make the scanner decline (the store refuses some such pairs): one of each.
  object: fc.dictionary(key, tie("value"), { maxKeys: 4 }).map((o) => {
    const folds = new Set<string>();
    return Object.fromEntries(Object.entries(o).filter(([k]) => !folds.has(goFoldKey(k)) && folds.add(goFoldKey(k))));
  }),
})).object;

const document = fc.tuple(tree, fc.array(gap, { minLength: 1, maxLength: 8 }), fc.nat()).map(([value, gaps, seed]) => {
  let i = seed;
  return `${layout(value, () => gaps[i++ % gaps.length]!)}\n`;
});

/** Texts near JSON: documents with one edit the scanner must decline or read as the store does. */
const JUNK = ["", ",", " // c", "/* c */", "\ufeff", "}", "]", '"a":1,', "01", "1.", "-", "tru", "nul", "\\", '"\\x"', "\u0001", "[", "{", "'a'", "NaN", "1e", "\u00a0", "\\ud800", "\udc00"];
const soup = fc.tuple(document, fc.nat(), fc.constantFrom(...JUNK)).map(([text, at, junk]) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + junk + text.slice(i);
});

const enc = (text: string): Promise<string> => encryptText(text, { format: "json", keySources: noKeys, dataKey, wrappedKeys, now, ivSource });

describe("the JSON decrypt span scanner", () => {
  it(
    "reads well-formed documents exactly as the store does, and decryption through it gives what the store gives",
    async () => {
      await fc.assert(
        fc.asyncProperty(document, async (text) => {
          expect(await expectAgrees(text), text).toBe(true);
          let encrypted: string;
          try {
            encrypted = await enc(text);
          } catch {
            return; // the store refuses it (e.g. a top-level sops key): nothing to decrypt
          }
          expect(await expectAgrees(encrypted), encrypted).toBe(true);
          // Decryption through the scanner gives what the store's parse gives.
          const general = await decryptText(encrypted, { format: "json", keySources: noKeys, dataKey, generalParser: true });
          expect(await decryptText(encrypted, { format: "json", keySources: noKeys, dataKey })).toBe(general);
        }),
        { numRuns: RUNS },
      );
    },
    SLOW,
  );

  it(
    "declines or agrees with the store on texts near JSON",
    async () => {
      let read = 0;
      await fc.assert(
        fc.asyncProperty(soup, async (text) => {
          if (await expectAgrees(text)) read++;
        }),
        { numRuns: RUNS * 2 },
      );
      expect(read).toBeGreaterThan(0);
    },
    SLOW,
  );

  it("reads the SOPS-written JSON vector, and decryption takes it", async () => {
    const dir = fileURLToPath(new URL("../../../../testdata/sops/", import.meta.url));
    const text = readFileSync(dir + "format.enc.json", "utf8");
    expect(await expectAgrees(text)).toBe(true);
    const { doc } = await readForDecrypt(text, "json");
    expect(doc).toEqual(scanJson(text));
  });

  it(
    "gives the store's whole parse (hush check) of plaintext and encrypted documents",
    async () => {
      await fc.assert(
        fc.asyncProperty(document, async (text) => {
          expect(await readWhole(text, "json"), text).toEqual((await storeFor("json")).parse(text));
          let encrypted: string;
          try {
            encrypted = await enc(text);
          } catch {
            return; // the store refuses it (e.g. a top-level sops key)
          }
          expect(await readWhole(encrypted, "json"), encrypted).toEqual((await storeFor("json")).parse(encrypted));
        }),
        { numRuns: RUNS },
      );
    },
    SLOW,
  );

  it("declines what it does not read itself", () => {
    for (const text of ["", "[]", '"a"', '{"a":1,}', '{"a":1}//c', '\ufeff{"a":1}', '{"a":1,"a":2}', '{"a":01}', "{'a':1}", '{"a":"\u0001"}', '{"a":1e400}', '{"a":1} x', '{"a":tru}', `{"a":${"[".repeat(250)}${"]".repeat(250)}}`]) {
      expect(scanJson(text), text).toBeUndefined();
    }
  });

  it("refuses two keys Go's readers take for one where one is empty, when encrypting and decrypting, naming both and the line", async () => {
    const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => "written", (e: unknown) => e);
    const plain = '{\n"password": "hunter2",\n"PASSWORD": ""\n}\n';
    expect(scanJson(plain)).toBeUndefined();
    const folded = { code: "PARSE_FAILED", location: { keyPath: '["PASSWORD"]', line: 3 }, message: expect.stringMatching(/the keys \["password"\] \(line 2\) and \["PASSWORD"\] differ only in case/) };
    expect(await refusal(enc(plain))).toMatchObject(folded);
    // A branch adds it, or a null, or an object of nothing, to an encrypted file: none is in the MAC.
    const encrypted = await enc('{\n"password": "hunter2",\n"db": {"host": "h"}\n}\n');
    for (const [added, keyPath] of [['"PASSWORD": ""', '["PASSWORD"]'], ['"Password": null', '["Password"]'], ['"DB": {"HOST": [null, ""]}', '["DB"]']] as const) {
      const branch = encrypted.replace(/\n"db"/, `\n${added},\n"db"`);
      expect(branch).not.toBe(encrypted);
      const err = await refusal(decryptText(branch, { format: "json", keySources: noKeys, dataKey }));
      expect(err).toMatchObject({ code: "PARSE_FAILED", location: { keyPath, line: 3 }, message: expect.stringMatching(/differ only in case: Go's readers/) });
    }
    // Both with values: in the MAC, and each encrypted one bound to its own key.
    const both = '{\n"url": "a",\n"URL": "b"\n}\n';
    expect(await decryptText(await enc(both), { format: "json", keySources: noKeys, dataKey })).toBe(both);
  });

  it("refuses a lone surrogate in a key or a string, when encrypting and decrypting, naming its line: SOPS and the MAC read it as U+FFFD", async () => {
    const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => "written", (e: unknown) => e);
    const lone = { code: "PARSE_FAILED", location: { line: 3 }, message: expect.stringMatching(/the string at line 3 holds a lone surrogate/) };
    for (const text of ['{\n"a": "x",\n"k\\ud800": 1\n}\n', '{\n"a": "x",\n"b": ["\\udc00x"]\n}\n', '{\n"a": "x",\n"b": "\ud800"\n}\n']) {
      expect(scanJson(text), text).toBeUndefined();
      expect(await refusal(enc(text))).toMatchObject(lone);
    }
    // "k\ufffd" and "k\ud800" authenticate alike: a branch respells the key of an encrypted value.
    const encrypted = await enc('{\n"a": "x",\n"k\ufffd": "s3cret"\n}\n');
    const respelled = encrypted.replace('"k\ufffd"', '"k\\ud800"');
    expect(respelled).not.toBe(encrypted);
    expect(await refusal(decryptText(respelled, { format: "json", keySources: noKeys, dataKey }))).toMatchObject(lone);
    expect(await decryptText(encrypted, { format: "json", keySources: noKeys, dataKey })).toBe('{\n"a": "x",\n"k\ufffd": "s3cret"\n}\n');
  });

  it("refuses a number beyond float64 (1e400) when encrypting and decrypting, naming its line: SOPS cannot read it", async () => {
    const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => "written", (e: unknown) => e);
    for (const text of ['{\n"a": "x",\n"b": 1e400\n}\n', '{\n"a": "x",\n"b": [-1E999]\n}\n']) {
      const err = await refusal(encryptText(text, { format: "json", keySources: noKeys, wrappedKeys, dataKey, now, ivSource }));
      expect(err).toMatchObject({ code: "PARSE_FAILED", location: { line: 3 }, message: expect.stringMatching(/number at line 3 is beyond the range of a 64-bit float/) });
    }
    const encrypted = await encryptText('{\n"a": "x",\n"b_unencrypted": 1\n}\n', { format: "json", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
    const err = await refusal(decryptText(encrypted.replace('"b_unencrypted": 1', '"b_unencrypted": 1e400'), { format: "json", keySources: noKeys, dataKey }));
    expect(err).toMatchObject({ code: "PARSE_FAILED", location: { line: 3 } });
  });

  it("refuses a byte order mark (as SOPS's encoding/json does) saying so, encrypting and decrypting: it was an \"unexpected character\" that JSON has no comments or bare words", async () => {
    const refusal = (p: Promise<unknown>): Promise<unknown> => p.then(() => "written", (e: unknown) => e);
    const message = "invalid JSON at line 1, column 1: the file starts with a byte order mark (U+FEFF), which JSON does not allow: save it as UTF-8 without one";
    expect(await refusal(encryptText('\uFEFF{"a": "x"}\n', { format: "json", keySources: noKeys, wrappedKeys, dataKey, now, ivSource }))).toMatchObject({ code: "PARSE_FAILED", message });
    const encrypted = await encryptText('{"a": "x"}\n', { format: "json", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
    expect(await refusal(decryptText(`\uFEFF${encrypted}`, { format: "json", keySources: noKeys, dataKey }))).toMatchObject({ code: "PARSE_FAILED", message });
  });
});
