import { beforeAll, describe, expect, it } from "vitest";
import { aadPath, decryptValue, encryptText, isHushError, looksEncrypted, openText, storeFor, type FileFormat } from "@hush/core";
import {
  ageSetup,
  byteVariants,
  isCleanRefusal,
  LONG_RUN,
  MARKER,
  noKeySources,
  replaceAt,
  tamperDocument,
  tamperFields,
  type AgeSetup,
  type Field,
} from "./support.ts";

/**
 * The tamper suite for one format (one test file per format, so that vitest runs them in
 * parallel). In process, with the core API: thousands of cases must run in seconds.
 *
 * - value layer: every byte of every ENC value and of the MAC, changed to each of the 8 values
 *   one bit away (long run: to each of the 255 other byte values), must fail authentication;
 * - file layer: every byte of the MAC, `lastmodified` and each metadata value, changed in two
 *   ways (see byteVariants), and bytes of every ENC value (long run: every byte; default run: a
 *   stratified sample in which every value and every offset inside an ENC string is hit), must be
 *   refused by `openText` with a HushError that does not contain any plaintext;
 * - structure: moving, swapping, deleting, copying, adding and downgrading values.
 *
 * Changes the SOPS format cannot detect (its MAC covers neither metadata nor comments, nulls,
 * empty strings or the names of unencrypted keys) are counted apart as "not covered by the SOPS
 * format", never hidden.
 */

export interface TamperCounts {
  cases: number;
  detected: number;
  /** Accepted, and the decrypted output is byte-identical to the original. */
  acceptedSame: number;
  /** Accepted with a different output (only allowed where the SOPS format covers nothing). */
  acceptedChanged: number;
}

/**
 * Default run: one ENC byte in STRIDE is changed at the file level (offsets rotate with the
 * value's index, so every offset is hit in several values). YAML also tries one variant per byte
 * instead of two: parsing a 100-value YAML file costs milliseconds, and thousands of cases add up.
 */
const STRIDE = { yaml: 24, json: 6, dotenv: 6 } as const;
const ONE_VARIANT = { yaml: true, json: false, dotenv: false } as const;

type Outcome = "detected" | "accepted-same" | "accepted-changed";

export function defineTamperSuite(format: "yaml" | "json" | "dotenv"): void {
  describe(`tamper suite (${format}, 100 values)`, () => {
    let age: AgeSetup;
    let plain: string;
    let enc: string;
    let dataKey: Uint8Array;
    let expected: string;
    const counts = new Map<string, TamperCounts>();

    const count = (kind: string, outcome: Outcome): void => {
      const c = counts.get(kind) ?? { cases: 0, detected: 0, acceptedSame: 0, acceptedChanged: 0 };
      c.cases++;
      if (outcome === "detected") c.detected++;
      else if (outcome === "accepted-same") c.acceptedSame++;
      else c.acceptedChanged++;
      counts.set(kind, c);
    };

    /** Opens a changed file; a refusal must be a clean HushError (no crash, no plaintext). */
    const attempt = async (text: string, withKeySources: boolean): Promise<{ outcome: Outcome; plaintext?: string }> => {
      try {
        const opened = withKeySources
          ? await openText(text, { format, keySources: age.keySources })
          : await openText(text, { format, keySources: noKeySources, dataKey });
        return { outcome: opened.plaintext === expected ? "accepted-same" : "accepted-changed", plaintext: opened.plaintext };
      } catch (err) {
        if (!isCleanRefusal(err)) {
          throw new Error(`not a clean refusal: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        }
        return { outcome: "detected" };
      }
    };

    beforeAll(async () => {
      age = await ageSetup();
      plain = tamperDocument(format);
      enc = await encryptText(plain, { format, keyGroups: [[{ kind: "age", recipient: age.recipient }]], keySources: age.keySources });
      const opened = await openText(enc, { format, keySources: age.keySources });
      dataKey = opened.dataKey;
      expected = opened.plaintext;
      expect(expected).toBe(plain);
    });

    it("the generated file has 100 values and every field is found", () => {
      const fields = tamperFields(enc, format);
      const values = fields.filter((f) => f.kind === "value").length;
      // 94 encrypted values; 6 stay in clear through the `_unencrypted` suffix.
      expect(values).toBe(94);
      expect(fields.filter((f) => f.kind === "comment").length).toBe(format === "yaml" ? 2 : 0);
      for (const k of ["mac", "lastmodified", "meta:age.recipient", "meta:age.enc", "meta:unencrypted_suffix", "meta:version"]) {
        expect(fields.filter((f) => f.kind === k)).toHaveLength(1);
      }
    });

    it("value layer: every single-byte change of every ENC value and of the MAC fails authentication", async () => {
      const store = await storeFor(format);
      const doc = store.parse(enc);
      const targets: Array<{ envelope: string; aad: string }> = [];
      for (const leaf of doc.leaves) {
        if (leaf.kind !== "scalar" || leaf.value === null || !looksEncrypted(leaf.value.text)) continue;
        targets.push({ envelope: leaf.value.text, aad: aadPath(leaf.path).map((k) => `${k}:`).join("") });
      }
      const meta = (doc.metadata ?? {}) as Record<string, string>;
      targets.push({ envelope: meta["mac"] ?? "", aad: meta["lastmodified"] ?? "" });
      expect(targets).toHaveLength(95);
      // Sanity: the unchanged envelopes do decrypt with these AADs.
      for (const t of targets) decryptValue(dataKey, t.envelope, t.aad);

      let cases = 0;
      let rejected = 0;
      const traceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0; // a stack per refusal would dominate the run time
      try {
        for (const t of targets) {
          for (let i = 0; i < t.envelope.length; i++) {
            const original = t.envelope.charCodeAt(i);
            const alternatives = LONG_RUN ? Array.from({ length: 256 }, (_, b) => b) : [1, 2, 4, 8, 16, 32, 64, 128].map((bit) => original ^ bit);
            for (const b of alternatives) {
              if (b === original) continue;
              const changed = t.envelope.slice(0, i) + String.fromCharCode(b) + t.envelope.slice(i + 1);
              cases++;
              try {
                decryptValue(dataKey, changed, t.aad);
              } catch (err) {
                if (isHushError(err, "VALUE_TAMPERED")) {
                  rejected++;
                  continue;
                }
                throw err;
              }
              throw new Error(`a change at offset ${i} of an ENC value was accepted`);
            }
          }
        }
      } finally {
        Error.stackTraceLimit = traceLimit;
      }
      expect(rejected).toBe(cases);
      counts.set("value layer (ENC values + MAC)", { cases, detected: rejected, acceptedSame: 0, acceptedChanged: 0 });
    }, 300_000);

    it("file layer: changed bytes of ENC values, the MAC, lastmodified and the wrapped data key are refused", async () => {
      const fields = tamperFields(enc, format);
      const stride = LONG_RUN ? 1 : STRIDE[format];
      for (const f of fields) {
        if (f.kind === "meta:age.recipient" || f.kind === "meta:version" || f.kind === "meta:unencrypted_suffix") continue;
        const usesKeySources = f.kind === "meta:age.enc";
        for (let at = f.start; at < f.end; at++) {
          const sampled = f.kind === "value" || f.kind === "comment";
          if (sampled && (at - f.start + f.index) % stride !== 0) continue;
          const variants = byteVariants(enc[at]!);
          for (const v of !LONG_RUN && (sampled || ONE_VARIANT[format]) ? variants.slice(0, 1) : variants) {
            const { outcome, plaintext } = await attempt(replaceAt(enc, at, v), usesKeySources);
            count(f.kind, outcome);
            if (f.kind === "comment") {
              // SOPS keeps a comment that fails to decrypt as it is: the changed ciphertext is
              // shown, never the comment's plaintext.
              expect(outcome).toBe("accepted-changed");
              expect(plaintext?.split(`${MARKER}C`).length).toBe(2);
            } else if (outcome !== "detected") {
              throw new Error(`${f.kind}: the change at offset ${at - f.start} was not detected (${outcome})`);
            }
          }
        }
      }
      for (const kind of ["value", "mac", "lastmodified", "meta:age.enc"]) expect(counts.get(kind)?.detected ?? 0).toBeGreaterThan(0);
    }, 600_000);

    it("metadata the SOPS MAC does not cover: every byte change is counted, none is a crash", async () => {
      const fields = tamperFields(enc, format).filter((f: Field) => ["meta:age.recipient", "meta:version", "meta:unencrypted_suffix"].includes(f.kind));
      for (const f of fields) {
        for (let at = f.start; at < f.end; at++) {
          for (const v of byteVariants(enc[at]!)) {
            const { outcome } = await attempt(replaceAt(enc, at, v), true);
            count(f.kind, outcome);
            // Not covered means "not detected", never "different plaintext out".
            expect(outcome).not.toBe("accepted-changed");
          }
        }
      }
    }, 600_000);

    it("moving, swapping, deleting, copying, adding and downgrading values is detected", async () => {
      const structure = structuralCases(format, enc);
      const otherKey = await ageSetup();
      const other = await encryptText(plain, { format, keyGroups: [[{ kind: "age", recipient: otherKey.recipient }]], keySources: otherKey.keySources });
      structure.push({ name: "replay a value from another file (other data key, same path)", covered: true, text: replayFrom(format, enc, other) });
      for (const c of structure) {
        const { outcome } = await attempt(c.text, false);
        count(c.covered ? "structure" : "structure not covered by the SOPS format", outcome);
        if (c.covered && outcome !== "detected") throw new Error(`not detected: ${c.name}`);
        results.push(`${c.covered ? "covered" : "not covered"}\t${outcome}\t${c.name}`);
      }
      expect(counts.get("structure")?.detected).toBe(structure.filter((c) => c.covered).length);
    });
    const results: string[] = [];

    it("reports its counts", () => {
      const lines = [...counts].map(
        ([kind, c]) => `${format}\t${kind}\tcases ${c.cases}\tdetected ${c.detected}\taccepted-same ${c.acceptedSame}\taccepted-changed ${c.acceptedChanged}`,
      );
      // Printed so that `vitest run test/proof` shows the figures docs/proof.md reports.
      console.log([`tamper counts (${LONG_RUN ? "long run" : "default run"})`, ...lines, ...results.map((r) => `${format}\t${r}`)].join("\n"));
      expect(lines.length).toBeGreaterThan(5);
    });
  });
}

interface StructuralCase {
  readonly name: string;
  /** False where the SOPS format has nothing that could detect it (reported, not asserted). */
  readonly covered: boolean;
  readonly text: string;
}

/** Line-level view of an encrypted file for structural edits. */
class Lines {
  readonly lines: string[];
  readonly format: FileFormat;
  constructor(format: FileFormat, text: string) {
    this.format = format;
    this.lines = text.split("\n");
  }

  /** Index of the line that holds `path` (["s1","k3"], ["items",2], ["top0"]). */
  find(path: ReadonlyArray<string | number>): number {
    const [first, second] = path;
    const L = this.lines;
    if (this.format === "dotenv") {
      const key = second === undefined ? String(first) : `${String(first)}_${String(second)}`;
      const i = L.findIndex((l) => l.startsWith(`${key}=`));
      if (i === -1) throw new Error(`no line for ${key}`);
      return i;
    }
    if (second === undefined) {
      const i = L.findIndex((l) => (this.format === "yaml" ? l.startsWith(`${String(first)}:`) : l.startsWith(`\t"${String(first)}":`)));
      if (i === -1) throw new Error(`no line for ${String(first)}`);
      return i;
    }
    const head = L.findIndex((l) => (this.format === "yaml" ? l === `${String(first)}:` : l.startsWith(`\t"${String(first)}": `)));
    if (head === -1) throw new Error(`no section ${String(first)}`);
    if (typeof second === "number") {
      let n = -1;
      for (let i = head + 1; i < L.length; i++) {
        const isItem = this.format === "yaml" ? L[i]!.startsWith("    - ") : L[i]!.startsWith('\t\t"');
        if (isItem && ++n === second) return i;
      }
      throw new Error(`no item ${second}`);
    }
    for (let i = head + 1; i < L.length; i++) {
      if (this.format === "yaml" ? L[i]!.startsWith(`    ${second}: `) : L[i]!.startsWith(`\t\t"${second}": `)) return i;
    }
    throw new Error(`no key ${second}`);
  }

  envelope(i: number): string {
    const m = /ENC\[[^\]]*\]/.exec(this.lines[i]!);
    if (m === null) throw new Error(`line ${i} has no ENC value`);
    return m[0];
  }

  setEnvelope(i: number, envelope: string): this {
    this.lines[i] = this.lines[i]!.replace(/ENC\[[^\]]*\]/, envelope);
    return this;
  }

  swapEnvelopes(a: number, b: number): this {
    const x = this.envelope(a);
    const y = this.envelope(b);
    this.setEnvelope(a, y);
    this.setEnvelope(b, x);
    return this;
  }

  /** Swaps two whole lines (both not last in their JSON object, so commas stay right). */
  swapLines(a: number, b: number): this {
    const x = this.lines[a]!;
    this.lines[a] = this.lines[b]!;
    this.lines[b] = x;
    return this;
  }

  remove(i: number): this {
    this.lines.splice(i, 1);
    return this;
  }

  insertAfter(i: number, line: string): this {
    this.lines.splice(i + 1, 0, line);
    return this;
  }

  text(): string {
    return this.lines.join("\n");
  }
}

function structuralCases(format: "yaml" | "json" | "dotenv", enc: string): StructuralCase[] {
  const at = (): Lines => new Lines(format, enc);
  const cases: StructuralCase[] = [];
  const add = (name: string, covered: boolean, edit: (l: Lines) => Lines): void => {
    cases.push({ name, covered, text: edit(at()).text() });
  };
  const entry = (key: string, raw: string): string => (format === "yaml" ? `${key}: ${raw}` : format === "json" ? `\t"${key}": ${raw},` : `${key}=${raw}`);
  const quoted = (v: string): string => (format === "json" ? `"${v}"` : v);

  add("move a value to another key (s1.k4's ciphertext at s1.k3)", true, (l) => l.setEnvelope(l.find(["s1", "k3"]), l.envelope(l.find(["s1", "k4"]))));
  add("swap the values of the same key in two sections (s0.k0, s2.k0)", true, (l) => l.swapEnvelopes(l.find(["s0", "k0"]), l.find(["s2", "k0"])));
  add("swap two values of one section (s0.k1, s0.k2)", true, (l) => l.swapEnvelopes(l.find(["s0", "k1"]), l.find(["s0", "k2"])));
  add("swap two list items (items[0], items[1]: same AAD, MAC order)", true, (l) => l.swapEnvelopes(l.find(["items", 0]), l.find(["items", 1])));
  add("reorder two entries (s4.k1 and s4.k2 lines)", true, (l) => l.swapLines(l.find(["s4", "k1"]), l.find(["s4", "k2"])));
  add("delete an encrypted entry (s3.k5)", true, (l) => l.remove(l.find(["s3", "k5"])));
  add("delete an unencrypted entry (note1_unencrypted)", true, (l) => l.remove(l.find(["note1_unencrypted"])));
  add("delete a list item (items[2])", true, (l) => l.remove(l.find(["items", 2])));
  add("add a copy of a list item (items[0] twice)", true, (l) => l.insertAfter(l.find(["items", 0]), l.lines[l.find(["items", 0])]!));
  add("copy a value to a new key (s1.k1's ciphertext as extra)", true, (l) => l.insertAfter(l.find(["top0"]) - 1, entry("extra", quoted(l.envelope(l.find(["s1", "k1"]))))));
  add("add an unencrypted value", true, (l) => l.insertAfter(l.find(["top0"]) - 1, entry("added_unencrypted", quoted("hello"))));
  add("change an unencrypted value", true, (l) => {
    const i = l.find(["note0_unencrypted"]);
    l.lines[i] = l.lines[i]!.replace(MARKER, "PTY");
    return l;
  });
  add("downgrade a value to plaintext (s1.k1)", true, (l) => l.setEnvelope(l.find(["s1", "k1"]), `${MARKER}-forged`));
  add("remove the MAC", true, (l) => l.remove(l.lines.findIndex((x) => /^(\s*"mac":|\s+mac: |sops_mac=)/.test(x))));
  add("remove the metadata", true, () => {
    const l = at();
    const i = l.lines.findIndex((x) => /^(sops:|\t"sops": |sops_)/.test(x));
    if (format === "json") {
      l.lines.splice(i, l.lines.length - i, "\t\"zz_unencrypted\": 1", "}", "");
    } else l.lines.splice(i);
    return l;
  });

  // Not covered by the SOPS format: the MAC covers values only (not keys, nulls, empty strings,
  // comments) and type labels are not authenticated.
  if (format !== "dotenv") add("delete a null value (nothing: null)", false, (l) => l.remove(l.find(["nothing"])));
  add('delete an empty string value (empty: "")', false, (l) => l.remove(l.find(["empty"])));
  add("rename the key of an unencrypted value (note0_unencrypted → note9_unencrypted)", false, (l) => {
    const i = l.find(["note0_unencrypted"]);
    l.lines[i] = l.lines[i]!.replace("note0_unencrypted", "note9_unencrypted");
    return l;
  });
  add("add a null/empty value", false, (l) => l.insertAfter(l.find(["top0"]) - 1, format === "dotenv" ? "added=" : entry("added", "null")));
  if (format !== "dotenv") {
    add("relabel an int as a string (type:int → type:str at s0.k3)", false, (l) => {
      const i = l.find(["s0", "k3"]);
      l.lines[i] = l.lines[i]!.replace("type:int]", "type:str]");
      return l;
    });
  }
  if (format === "yaml") add("delete an encrypted comment", false, (l) => l.remove(l.lines.findIndex((x) => x.startsWith("#ENC["))));
  return cases;
}

/** The file with s2.k2's ciphertext taken from another file (other data key, same path). */
function replayFrom(format: "yaml" | "json" | "dotenv", enc: string, other: string): string {
  const mine = new Lines(format, enc);
  const theirs = new Lines(format, other);
  return mine.setEnvelope(mine.find(["s2", "k2"]), theirs.envelope(theirs.find(["s2", "k2"]))).text();
}
