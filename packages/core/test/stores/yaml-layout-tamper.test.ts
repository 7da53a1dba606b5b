import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { decryptText, encryptText, isHushError } from "@hush/core";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * The syntax around an envelope (quotes, a block scalar's header) is outside the MAC.
 *
 * A block scalar's header (`|+`, `|-`, `>`, an indentation indicator) stays in the encrypted file
 * in plaintext, outside the MAC, and decryption writes the value's lines under it. Anyone can
 * change a header without the key: decryption must then either write text that reads back as
 * the authenticated value or refuse, never print a different value. Honest files (the header the
 * value was read from) always decrypt byte for byte.
 */

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 150);

const HEADERS = ["|", "|-", "|+", ">", ">-", ">+", "|2", "|2-", "|2+", ">2", "|4+", "|1-"];
const header = fc.constantFrom(...HEADERS);
/** A body line's text (without the indentation), heavy in what block scalars treat specially. */
const lineText = fc.array(fc.constantFrom("", "", "a", "b c", " ", "  x", "\t", "#", "- ", "\u2028", "é", "\u0001"), { maxLength: 3 }).map((parts) => parts.join(""));
/** What follows the block: another key, blank lines then a key, a comment, or the end (with or without a break). */
const after = fc.constantFrom("J: x\n", "\n\nJ: x\n", "\n# c\nJ: x\n", "", "\n\n");
const value = fc.array(fc.constantFrom("\n", "\n", " ", "a", "b c", "\t", "#", "\r", "\u2028", "'", "\u0001", ": ", "- "), { minLength: 1, maxLength: 8 }).map((units) => units.join(""));

const encrypt = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const decrypt = (text: string, generalParser: boolean): Promise<string> => decryptText(text, { format: "yaml", keySources: noKeys, dataKey, generalParser });

/** The value of K in a YAML text, or undefined when it does not parse. */
function readK(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return undefined;
  return (doc.toJS() as { K?: unknown } | null)?.K;
}

/** The block's header in an encrypted file `K: <header>\n…`, replaced. */
const withHeader = (encrypted: string, h: string): string => encrypted.replace(/^K: [|>][^\n]*\n/, `K: ${h}\n`);

describe("YAML block headers outside the MAC", () => {
  it("honest files with any header decrypt as they were (literal blocks byte for byte)", async () => {
    await fc.assert(
      fc.asyncProperty(header, fc.array(lineText, { minLength: 1, maxLength: 4 }), after, async (h, lines, rest) => {
        const plaintext = `K: ${h}\n${lines.map((l) => (l === "" ? "" : `  ${l}`)).join("\n")}\n${rest}`;
        const doc = parseDocument(plaintext);
        fc.pre(doc.errors.length === 0 && typeof (doc.toJS() as { K?: unknown }).K === "string");
        const encrypted = await encrypt(plaintext).catch((err: unknown) => {
          // Encryption may refuse a layout it cannot write back, or one SOPS could not read (tabs
          // where go-yaml wants spaces, a U+2028 in what a header makes a comment); then there is
          // nothing to decrypt.
          const sopsReadsOtherwise = (message: string): boolean => message.includes("SOPS's YAML reader") || message.includes("(go-yaml in SOPS, PyYAML) take for a line break");
          if (isHushError(err) && (err.code === "ENCRYPT_FAILED" || (err.code === "PARSE_FAILED" && sopsReadsOtherwise(err.message)))) return undefined;
          throw err;
        });
        fc.pre(encrypted !== undefined);
        for (const generalParser of [false, true]) {
          const out = await decrypt(encrypted, generalParser);
          // A folded block's lines are written anew (its reading joins them), and a line of only spaces
          // may read as an empty line, whose spaces no value keeps: there only the value is kept.
          if (h.startsWith(">") || lines.some((l) => /^ +$/.test(l))) expect(readK(out)).toBe(readK(plaintext));
          else expect(out).toBe(plaintext);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("a changed header or quoting gives the authenticated value or a refusal, never another value", async () => {
    await fc.assert(
      fc.asyncProperty(value, header, header, async (v, original, changed) => {
        // The value written as a block under `original` where it can be, else double-quoted and turned into a block.
        const encrypted = await encrypt(`K: ${JSON.stringify(v)}\nJ: x\n`);
        const envelope = /^K: "(ENC\[[^"]*\])"/.exec(encrypted)![1]!;
        const tampered = encrypted.replace(/^K: "ENC\[[^"]*\]"\n/, `K: ${original}\n  ${envelope}\n`);
        const requoted = (quote: string): string => encrypted.replace(/^K: "ENC\[[^"]*\]"\n/, `K: ${quote}${envelope}${quote}\n`);
        for (const file of [tampered, withHeader(tampered, changed), requoted("'"), requoted("")]) {
          for (const generalParser of [false, true]) {
            let out: string;
            try {
              out = await decrypt(file, generalParser);
            } catch (err) {
              // Refused: as tampered, or (a header the body does not parse under) as invalid YAML or an unencrypted value.
              expect(isHushError(err), String(err)).toBe(true);
              continue;
            }
            expect(readK(out), JSON.stringify(out)).toBe(v);
          }
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it.each([
    ["|+ made |-: the trailing breaks would be dropped", "K: |+\n  a\n\n\nJ: x\n", "|-"],
    ["|- made |+: a break would be added", "K: |-\n  a\n  b\nJ: x\n", "|+"],
    ["| made |-: the final break would be dropped", "K: |\n  a\nJ: x\n", "|-"],
    ["|2 made |: the first line's spaces would be lost", "K: |2\n   a\n  b\nJ: x\n", "|"],
  ])("refuses, naming the key and line: %s", async (_what, plaintext, h) => {
    const encrypted = await encrypt(plaintext);
    expect(await decrypt(encrypted, true)).toBe(plaintext);
    const err = await decrypt(withHeader(encrypted, h), true).catch((e: unknown) => e);
    expect(isHushError(err) && err.code === "VALUE_TAMPERED").toBe(true);
    expect(String(err)).toMatch(/the block header of the value at \["?K"?\] \(line 1\) does not hold its decrypted value/);
    // The message names where, never what.
    expect(String(err)).not.toMatch(/\ba\b.*\bb\b/);
  });

  it.each([
    ["a\rb", '"a\\rb"'],
    ["a\u2028b", '"a\\Lb"'],
    ["a\u0001b", '"a\\x01b"'],
    ["it's", "'it''s'"],
  ])("a value moved into single quotes, which have no escapes, is written %j as %s", async (v, out) => {
    const encrypted = await encrypt(`K: ${JSON.stringify(v)}\n`);
    const requoted = encrypted.replace(/^K: "(ENC\[[^"]*\])"/, "K: '$1'");
    for (const generalParser of [false, true]) expect(await decrypt(requoted, generalParser)).toBe(`K: ${out}\n`);
  });
});
