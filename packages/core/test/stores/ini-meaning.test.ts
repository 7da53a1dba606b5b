import { dataKey, noKeys, now, ivSource, wrappedKeys } from "../store-harness.ts";
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, storeFor, type TreeNode } from "@hush/core";

/**
 * The `ini` package as an independent oracle for what an INI file means, as @iarna/toml is for
 * TOML: a reader that shares no code with hush's store. hush follows go-ini (SOPS's library),
 * whose rules differ from `ini`'s at the edges (quotes, backticks, `"""`, inline comments, `:`,
 * dotted section names, `true`/`null`), so the documents here keep to the part both agree on:
 * plain words, `;` and `#` comment lines, sections with plain names, CRLF or LF.
 */

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 150);
// `ini` is CommonJS without type declarations; this is the one function the oracle needs.
const ini = createRequire(import.meta.url)("ini") as { parse(text: string): Record<string, unknown> };

const enc = (text: string): Promise<string> => encryptText(text, { format: "ini", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const dec = (text: string): Promise<string> => decryptText(text, { format: "ini", keySources: noKeys, dataKey });

const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).filter((k) => k !== "sops");
// `ini` reads true/false/null as non-strings; go-ini and hush keep them as text.
const word = fc.stringMatching(/^[A-Za-z0-9_./@+-]([A-Za-z0-9 _./@+=-]{0,14}[A-Za-z0-9_./@+-])?$/).filter((w) => !/^(true|false|null)$/.test(w));
const value = fc.oneof({ weight: 6, arbitrary: word }, { weight: 1, arbitrary: fc.constant("") });
const comment = fc.tuple(fc.constantFrom(";", "#", "; ", "# "), fc.stringMatching(/^[A-Za-z0-9 .,!]{0,16}$/)).map(([m, c]) => `${m}${c}`);
const keys = fc.uniqueArray(fc.tuple(name, value, fc.constantFrom(" = ", "=", "  =  ")), { maxLength: 5, selector: ([k]) => k });

const iniDoc = fc
  .tuple(keys, fc.uniqueArray(fc.tuple(name, keys, fc.array(comment, { maxLength: 2 })), { maxLength: 4, selector: ([n]) => n }), fc.constantFrom("\n", "\r\n"))
  .map(([top, sections, eol]) => {
    const pairs = (ks: typeof top): string[] => ks.map(([k, v, d]) => `${k}${d}${v}`);
    // A key before any section named like a later section means two different things to the two
    // readers (a value, or the section's table): outside the part they agree on, so left out.
    const sectionNames = new Set(sections.map(([n]) => n));
    const lines = [...pairs(top.filter(([k]) => !sectionNames.has(k))), ...sections.flatMap(([n, ks, cs]) => [...cs, `[${n}]`, ...pairs(ks)])];
    return lines.join(eol) + (lines.length > 0 ? eol : "");
  });

/** hush's tree as `ini.parse` shapes it: keys before any section sit at the top, not in DEFAULT. */
function asIniObject(node: TreeNode): unknown {
  if (node.kind === "scalar") return node.value.text;
  if (node.kind !== "map") throw new Error(`unexpected ${node.kind} in an INI tree`);
  const out: Record<string, unknown> = {};
  for (const e of node.entries) {
    if (e.kind !== "entry") continue;
    if (e.key === "DEFAULT" && e.value.kind === "map") Object.assign(out, asIniObject(e.value));
    else out[e.key] = asIniObject(e.value);
  }
  return out;
}

describe("INI: the meaning of a file, as the `ini` package reads it", () => {
  it("is unchanged by encryption and decryption", async () => {
    await fc.assert(
      fc.asyncProperty(iniDoc, async (text) => {
        expect(ini.parse(await dec(await enc(text)))).toEqual(ini.parse(text));
      }),
      { numRuns: RUNS },
    );
  });

  it("is what hush reads (the tree behind `--output-type`)", async () => {
    const store = await storeFor("ini");
    await fc.assert(
      fc.property(iniDoc, (text) => {
        expect(asIniObject(store.toTree(text))).toEqual(ini.parse(text));
      }),
      { numRuns: RUNS },
    );
  });

  it("survives a conversion: the INI hush writes from a tree reads back the same", async () => {
    const store = await storeFor("ini");
    await fc.assert(
      fc.property(iniDoc, (text) => {
        expect(ini.parse(store.emitTree(store.toTree(text), {}))).toEqual(ini.parse(text));
      }),
      { numRuns: RUNS },
    );
  });
});
