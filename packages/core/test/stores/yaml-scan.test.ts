import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, openText, readPlaintext, readTree, readWhole, scanYaml, storeFor, type Leaf, type ParsedDocument } from "@hush/core";
import { yamlFastReader } from "../../src/stores/yaml-fast-reader.ts";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * The decrypt span scanner against the YAML store's general parser: on any text, the scanner
 * either declines or reads exactly what the parser reads (values, paths, spans, styles, lines,
 * metadata). The random documents mix the shapes the scanner reads with everything it must
 * leave to the parser, at random indentations.
 */

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 200);
/** Generous: the property runs take seconds on a quiet machine, far more on a busy one. */
const SLOW = 600_000;

/** What decryption uses of a parse: the scalar leaves, the metadata and its spans. */
function reading(doc: ParsedDocument): unknown {
  return {
    scalars: doc.leaves.filter((l) => l.kind === "scalar"),
    metadata: doc.metadata,
    spans: doc.metadataSpans,
    documents: doc.documentCount,
  };
}

async function general(text: string): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    const doc = (await storeFor("yaml")).parse(text);
    // The scanner reads plain comments but declines encrypted ones: so must a fair comparison.
    return { ok: true, value: reading(doc) };
  } catch {
    return { ok: false };
  }
}

/** The scanner declines, or agrees with the parser; returns whether it read the text. */
async function expectAgrees(text: string): Promise<boolean> {
  const fast = scanYaml(text);
  if (fast === undefined) return false;
  const slow = await general(text);
  if (!slow.ok) throw new Error(`the scanner read a text the parser rejects:\n${text}`);
  expect(reading(fast), text).toEqual(slow.value);
  return true;
}

/**
 * The scanner's streaming read with comments (what decryption uses), or undefined when it
 * declines: its scalars in order and its comments in text order.
 */
function streamed(text: string): { scalars: Leaf[]; comments: Leaf[] } | undefined {
  const leaves: Leaf[] = [];
  if (scanYaml(text, (leaf) => leaves.push(leaf), { comments: true }) === undefined) return undefined;
  return { scalars: leaves.filter((l) => l.kind === "scalar"), comments: leaves.filter((l) => l.kind === "comment").sort((a, b) => a.start - b.start) };
}

/** The streaming read with comments declines, or gives the parser's leaves (comments: each with the parser's path, span and text). */
async function expectCommentsAgree(text: string): Promise<boolean> {
  const fast = streamed(text);
  if (fast === undefined) return false;
  let doc: ParsedDocument;
  try {
    doc = (await storeFor("yaml")).parse(text);
  } catch {
    throw new Error(`the scanner read a text the parser rejects:\n${text}`);
  }
  const slow = { scalars: doc.leaves.filter((l) => l.kind === "scalar"), comments: doc.leaves.filter((l) => l.kind === "comment").sort((a, b) => a.start - b.start) };
  expect(fast, text).toEqual(slow);
  return true;
}

const KEYS = ["a", "b", "c", "sops", "x_unencrypted", '"q k"', "'s'", "1", "a.b", "true", "null", "<<", "k-1", "é", "a b", '"a\\"b"', "? a"];
/** Values the scanner reads, and values it must leave to the parser (or that are invalid). */
const GOOD = ["", " v", " 'q'", ' "d"', " {}", " []", " # c", " v # c", " ENC[AES256_GCM,data:YQ==,iv:YWFhYWFhYWFhYWFhYWFhYQ==,tag:YWFhYWFhYWFhYWFhYWFhYQ==,type:str]", " 1.0", " null", " ~", " a#b", " 2024-01-02", " yes", ' "é"', " v  "];
const ODD = [
  " ", ' "a\\nb"', " [a, b]", " {a: 1}", " &x v", " *x", " !t v", " !!binary aGk=", " |", " |-", " >", " |2", " v #ENC[AES256_GCM,data:x]", " a: b", " -5", " 0x1F",
  "  ", " 'it''s'", ' "x" y', " x\ty", " a #b", " :x", " -x", " ? x", " 99999999999999999999", " .inf", " 'multi", " x\u0085y", " \ufeffv", " {} # c", " [] x", " x:", " a, b",
];
const value = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...GOOD) }, { weight: 1, arbitrary: fc.constantFrom(...ODD) });
// Not YAML 1.1's boolean words: two of them (on, y) are one key to YAML 1.1 readers, which hush refuses.
const mapKey = fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9]{0,3}$/).filter((k) => !/^(y|n|yes|no|on|off)$/.test(k)) }, { weight: 1, arbitrary: fc.constantFrom(...KEYS) });
const LINES = ["", "# comment", "  # indented comment", "#ENC[AES256_GCM,data:x]", "---", "...", "--- # d", "%YAML 1.2", "  continued", "-", "- - a", "?", "\t- a", "sops:", "    version: 3.9.0", "    enc: |", "        abc"];

const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom(0, 0, 0, 2, 2, 4, 1, 3), mapKey, value).map(([i, k, v]) => `${" ".repeat(i)}${k}:${v}`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0, 2, 4), value, fc.boolean(), mapKey).map(([i, v, compact, k]) => `${" ".repeat(i)}-${compact ? ` ${k}:` : ""}${v}`) },
  { weight: 1, arbitrary: fc.constantFrom(...LINES) },
);

/** Line soup: mostly plausible, often invalid YAML. */
const soup = fc.tuple(fc.array(line, { minLength: 1, maxLength: 12 }), fc.boolean()).map(([ls, nl]) => ls.join("\n") + (nl ? "\n" : ""));

/** Well-formed block documents in the shapes hush and SOPS write, with random scalar styles. */
const scalar = fc.oneof(
  // Not YAML 1.1's boolean words: decryption writes those quoted, as SOPS does.
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._/@-]{0,12}[A-Za-z0-9]$/).filter((w) => !/: | #/.test(w) && !/^(yes|no|on|off|y|n)$/i.test(w)),
  // Double-quoted as go-yaml writes it, which decryption writes back (JSON leaves YAML's breaks and C1 controls raw).
  fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => ({ "\u0085": "\\N", "\u2028": "\\L", "\u2029": "\\P" })[c] ?? `\\x${c.charCodeAt(0).toString(16).toUpperCase()}`)),
  fc.stringMatching(/^[a-z ]{0,8}$/).map((s) => `'${s}'`),
  fc.integer().map(String),
  fc.constantFrom("true", "null", "~", '""', "''", "1.50", "2024-01-02T03:04:05Z", "{}", "[]", ""),
);
// Not YAML 1.1's boolean words either: two of them (on, y) are one key to YAML 1.1 readers, which hush refuses.
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/).filter((k) => k !== "sops" && !/^(y|n|yes|no|on|off)$/.test(k));

function block(depth: number, indent: number): fc.Arbitrary<string[]> {
  const pad = " ".repeat(indent);
  const child = depth >= 3 ? fc.constant(undefined) : fc.option(fc.oneof(block(depth + 1, indent + 2).map((l) => ({ kind: "map" as const, l })), seq(depth + 1, indent + 2).map((l) => ({ kind: "seq" as const, l }))), { freq: 3 });
  return fc.uniqueArray(fc.tuple(key, scalar, child), { minLength: 1, maxLength: 5, selector: ([k]) => k }).map((entries) =>
    entries.flatMap(([k, v, c]) => (c === undefined || c === null ? [`${pad}${k}:${v === "" ? "" : ` ${v}`}`] : [`${pad}${k}:`, ...c.l])),
  );
}
function seq(depth: number, indent: number): fc.Arbitrary<string[]> {
  const pad = " ".repeat(indent);
  return fc.array(fc.oneof(scalar.map((v) => [`${pad}-${v === "" ? "" : ` ${v}`}`]), depth >= 3 ? scalar.map((v) => [`${pad}- ${v}`]) : block(depth + 1, indent + 2).map((l) => [`${pad}- ${l[0]!.trimStart()}`, ...l.slice(1)])), { minLength: 1, maxLength: 4 }).map((items) => items.flat());
}
const document = fc.tuple(block(0, 0), fc.boolean()).map(([ls, nl]) => ls.join("\n") + (nl ? "\n" : ""));

/** A comment line at any indentation, or a comment after a line's value. */
const commentText = fc.stringMatching(/^[a-z0-9 ]{0,10}$/).map((t) => `#${t}`);
/** `document`, with comment lines inserted anywhere and comments after some values (SOPS encrypts all of them). */
const commented = fc
  .tuple(block(0, 0), fc.array(fc.tuple(fc.nat(40), fc.constantFrom(0, 0, 2, 4, 6, 1), commentText, fc.boolean()), { maxLength: 6 }), fc.boolean())
  .map(([ls, notes, nl]) => {
    const lines = [...ls];
    for (const [at, col, note, trailing] of notes) {
      const i = at % (lines.length + 1);
      // A trailing comment only after a line that ends with a plain scalar or a bare key.
      if (trailing && i < lines.length && /(:|: [A-Za-z0-9]+|- [A-Za-z0-9]+)$/.test(lines[i]!)) lines[i] = `${lines[i]} ${note}`;
      else lines.splice(i, 0, `${" ".repeat(col)}${note}`);
    }
    return lines.join("\n") + (nl ? "\n" : "");
  });

/** Comment text SOPS would encrypt: any characters of a line (unicode, quotes, `#`, tabs). */
const anyNote = fc.string({ unit: "grapheme", maxLength: 8 }).filter((t) => !/[\r\n\u0085\u2028\u2029]/.test(t)).map((t) => `#${t}`);
/** `document` with comments at any column, after any kind of value (quoted, flow, `- k: v`), in any text. */
const commentedAnywhere = fc
  .tuple(block(0, 0), fc.array(fc.tuple(fc.nat(40), fc.nat(9), fc.oneof(commentText, anyNote), fc.boolean()), { maxLength: 6 }), fc.boolean())
  .map(([ls, notes, nl]) => {
    const lines = [...ls];
    for (const [at, col, note, trailing] of notes) {
      const i = at % (lines.length + 1);
      // After a bare key, or a value (plain, quoted, `{}`, `[]`) without a `#` of its own.
      if (trailing && i < lines.length && /(:|: [^#]+|- [^#]+)$/.test(lines[i]!)) lines[i] = `${lines[i]} ${note}`;
      else lines.splice(i, 0, `${" ".repeat(col)}${note}`);
    }
    return lines.join("\n") + (nl ? "\n" : "");
  });

/**
 * An encrypted file whose encrypted comments someone without the data key moved: each comment's
 * ciphertext (own-line or after a value) copied to other lines, at any column, or after values;
 * sometimes with CRLF line ends.
 */
function movedComments(encrypted: string): fc.Arbitrary<string> {
  const lines = encrypted.split("\n");
  const ciphertexts = [...new Set([...encrypted.matchAll(/#(ENC\[AES256_GCM,[^\]]*\])/g)].map((m) => m[1]!))];
  if (ciphertexts.length === 0) return fc.constant(encrypted);
  const move = fc.tuple(fc.nat(200), fc.nat(ciphertexts.length - 1), fc.nat(9), fc.boolean());
  return fc.tuple(fc.array(move, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([moves, crlf]) => {
    const ls = [...lines];
    for (const [at, which, col, after] of moves) {
      const i = at % ls.length;
      const comment = `#${ciphertexts[which]!}`;
      if (after && ls[i]!.trim() !== "" && !ls[i]!.includes("#")) ls[i] = `${ls[i]} ${comment}`;
      else ls.splice(i, 0, `${" ".repeat(col)}${comment}`);
    }
    const text = ls.join("\n");
    return crlf ? text.replace(/\n/g, "\r\n") : text;
  });
}

/** The outcome of a read: its plaintext, or its error's code and message. */
async function outcome(read: () => Promise<{ plaintext: string }>): Promise<unknown> {
  try {
    return { plaintext: (await read()).plaintext };
  } catch (err) {
    return { error: String(err) };
  }
}

const enc = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });

describe("the YAML decrypt span scanner", () => {
  it("declines or reads exactly what the general parser reads, on line soup", async () => {
    let read = 0;
    await fc.assert(
      fc.asyncProperty(soup, async (text) => {
        if (!(await expectAgrees(text))) return;
        read++;
        // The value tree (--extract, exec-env) built from the scan is the YAML store's tree.
        if (!text.includes("\nsops:") && !text.startsWith("sops:")) expect(await readTree(text, "yaml"), text).toEqual((await storeFor("yaml")).toTree(text));
      }),
      { numRuns: RUNS * 4 },
    );
    // Enough of the soup is in the scanner's subset for the comparison to mean something: 16 to 27
    // of 800 texts in six runs, 9 in a rare one, so the floor leaves room below that.
    expect(read).toBeGreaterThan(RUNS / 40);
  }, SLOW);

  it("reads well-formed plaintext and encrypted documents exactly as the general parser does", async () => {
    let read = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(document, async (text) => {
        await expectAgrees(text);
        // The value tree (--extract, exec-env) built from the scan is the YAML store's tree.
        expect(await readTree(text, "yaml"), text).toEqual((await storeFor("yaml")).toTree(text));
        const encrypted = await enc(text);
        total++;
        if (await expectAgrees(encrypted)) read++;
        // Decryption (through the scanner when it reads the file) gives back the exact bytes.
        expect(await decryptText(encrypted, { format: "yaml", keySources: noKeys, dataKey })).toBe(text);
      }),
      { numRuns: RUNS },
    );
    // The point of the scanner: files in the shape hush writes take the fast path.
    expect(read).toBe(total);
  }, SLOW);

  it("reading comments too (decryption), declines or gives each comment the parser's path (its AAD), span and text, on line soup", async () => {
    await fc.assert(
      fc.asyncProperty(soup, async (text) => {
        await expectCommentsAgree(text);
      }),
      { numRuns: RUNS * 4 },
    );
  }, SLOW);

  it("decrypts files with encrypted comments through the scanner, exactly as the parser reads them", async () => {
    let read = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(commented, async (text) => {
        await expectCommentsAgree(text);
        const encrypted = await enc(text);
        total++;
        if (await expectCommentsAgree(encrypted)) read++;
        expect(await decryptText(encrypted, { format: "yaml", keySources: noKeys, dataKey })).toBe(text);
      }),
      { numRuns: RUNS },
    );
    // Most commented files take the fast path; the rest are comments indented into a
    // collection that has ended, which the scanner leaves to the parser.
    expect(read).toBeGreaterThan(total * 0.7);
  }, SLOW);

  it("reading comments too, declines or agrees with the parser on comments at any column, after any value, in any text", async () => {
    await fc.assert(
      fc.asyncProperty(commentedAnywhere, async (text) => {
        await expectCommentsAgree(text);
        const encrypted = await enc(text);
        await expectCommentsAgree(encrypted);
        expect(await decryptText(encrypted, { format: "yaml", keySources: noKeys, dataKey })).toBe(text);
      }),
      { numRuns: RUNS },
    );
  }, SLOW);

  it("a streaming read of a file whose encrypted comments were moved gives what the whole parse gives (a comment is bound to its collection)", async () => {
    const options = { format: "yaml" as const, keySources: noKeys, dataKey };
    await fc.assert(
      fc.asyncProperty(commentedAnywhere, fc.nat(), async (text, seed) => {
        const encrypted = await enc(text);
        const moved = fc.sample(movedComments(encrypted), { seed, numRuns: 1 })[0]!;
        expect(await outcome(() => readPlaintext(moved, options)), moved).toEqual(await outcome(() => openText(moved, options)));
      }),
      { numRuns: RUNS },
    );
  }, SLOW);

  it("agrees with the parser on the SOPS-written YAML vectors", async () => {
    const dir = fileURLToPath(new URL("../../../../testdata/sops/", import.meta.url));
    for (const name of readdirSync(dir).filter((n) => n.endsWith(".yaml"))) {
      await expectAgrees(readFileSync(dir + name, "utf8"));
      await expectCommentsAgree(readFileSync(dir + name, "utf8"));
    }
    // The SOPS example file (values, lists, nested maps, the age and PGP metadata) takes the fast path.
    expect(scanYaml(readFileSync(dir + "format.enc.yaml", "utf8"))).toBeDefined();
  });

  it("reads a plaintext for encryption as the general parser does (every leaf, in its order), or declines: comments, keys that are not strings", async () => {
    let read = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(soup, document, commented), async (text) => {
        const fast = yamlFastReader.readPlaintext!(text);
        if (fast === undefined) return;
        read++;
        let slow: ParsedDocument;
        try {
          slow = (await storeFor("yaml")).parse(text);
        } catch {
          throw new Error(`the scanner read a plaintext the parser rejects:\n${text}`);
        }
        expect(slow.unsupported, text).toBeUndefined();
        expect(fast, text).toEqual(slow);
      }),
      { numRuns: RUNS * 4 },
    );
    expect(read).toBeGreaterThan(RUNS / 10);
    for (const text of ["1: a\n", "b: c\ntrue: a\n", "a:\n    null: x\n", "a:\n    - 2024: x\n", "a: 1 # c\n", "# c\na: 1\n", "a:\n    # c\n    b: 1\n"]) {
      expect(yamlFastReader.readPlaintext!(text), text).toBeUndefined();
    }
  }, SLOW);

  it("gives the store's whole parse (hush check: every leaf, comments included) of plaintext and encrypted files, or declines", async () => {
    let read = 0;
    let encryptedRead = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(soup, document, commented), fc.boolean(), async (plain, encrypt) => {
        let text = plain;
        if (encrypt) {
          try {
            text = await enc(plain);
          } catch {
            return; // not a document hush encrypts
          }
        }
        let slow: ParsedDocument;
        try {
          slow = (await storeFor("yaml")).parse(text);
        } catch {
          expect(yamlFastReader.readWhole!(text), text).toBeUndefined();
          return;
        }
        expect(await readWhole(text, "yaml"), text).toEqual(slow);
        if (yamlFastReader.readWhole!(text) === undefined) return;
        read++;
        if (encrypt) encryptedRead++;
      }),
      { numRuns: RUNS * 2 },
    );
    expect(read).toBeGreaterThan(RUNS / 10);
    expect(encryptedRead).toBeGreaterThan(0);
    // A comment anywhere in the data, encrypted or in clear, is the store's to place.
    for (const text of ["a: 1 # c\n", "# c\na: 1\n", "a:\n    # c\n    b: 1\n", (await enc("a: 1 # c\n")).replace(/#ENC\[[^\]]*\]/, "# clear")]) {
      expect(yamlFastReader.readWhole!(text), text).toBeUndefined();
    }
  }, SLOW);

  it("declines what it does not read itself", () => {
    for (const text of ["a: &x 1\nb: *x\n", "a: [1, 2]\n", "a: |\n  x\n", "---\na: 1\n", "a: 1\n---\nb: 2\n", "#ENC[AES256_GCM,data:x]\na: 1\n", "a: 1\na: 2\n", "a:\tb\n", "a: !t x\n", "a: b\n  c\n", 'a: "x\\ty"\n', "a: 1\nsops:\n    __proto__:\n        polluted: yes\n", "a: 1\nsops:\n    x:\n        __proto__: 1\n"]) {
      expect(scanYaml(text), text).toBeUndefined();
    }
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("declines a key whose colon is more than 1024 characters after its start, which the parser refuses, and reads one at 1024", async () => {
    for (const key of ["k".repeat(1025), `"${"k".repeat(1023)}"`]) expect(scanYaml(`${key}: 1
`), key.length.toString()).toBeUndefined();
    expect(await expectAgrees(`${"k".repeat(1024)}: 1
`)).toBe(true);
  });
});
