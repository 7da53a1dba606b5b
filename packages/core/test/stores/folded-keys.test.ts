import { describe, expect, it } from "vitest";
import { goFoldKey, refuseFoldedKeyShadow } from "../../src/stores/folded-keys.ts";
import { storeFor } from "../../src/stores/registry.ts";

/** Go's case folding of keys (bytes.EqualFold), and the refusal of an empty value under a key it folds onto another. */
describe("keys Go's readers take for one", () => {
  it("fold as bytes.EqualFold compares: ASCII case, the Kelvin sign, long s, sharp s with capital sharp s", () => {
    expect(goFoldKey("PassWord")).toBe(goFoldKey("password"));
    expect(goFoldKey("to\u212Aen")).toBe(goFoldKey("token"));
    expect(goFoldKey("pa\u017F\u017Fword")).toBe(goFoldKey("PASSWORD"));
    expect(goFoldKey("stra\u00DFe")).toBe(goFoldKey("STRA\u1E9EE"));
    expect(goFoldKey("\u03A3")).toBe(goFoldKey("\u03C2"));
    // Full case mappings are not simple folds: Go keeps these apart.
    expect(goFoldKey("stra\u00DFe")).not.toBe(goFoldKey("strasse"));
    expect(goFoldKey("\u0130")).not.toBe(goFoldKey("i"));
    expect(goFoldKey("a_b")).not.toBe(goFoldKey("ab"));
  });

  const member = (key: string, line: number, empty: boolean) => ({ key, line, empty: () => empty });

  it("refuses two such keys where one holds an empty value, naming both key paths and the empty one's line", () => {
    const run = (): void => refuseFoldedKeyShadow("JSON", ["db"], [member("password", 3, false), member("port", 4, false), member("PASSWORD", 9, true)]);
    expect(run).toThrow(expect.objectContaining({ code: "PARSE_FAILED", location: { keyPath: '["db"]["PASSWORD"]', line: 9 } }));
    expect(run).toThrow(/^invalid JSON: the keys \["db"\]\["password"\] \(line 3\) and \["db"\]\["PASSWORD"\] differ only in case: .* at line 9$/);
    // The empty one first: Go's last wins, but a struct or list merges, and no honest file needs both.
    expect(() => refuseFoldedKeyShadow("TOML", [], [member("Token", 1, true), member("token", 2, false)])).toThrow(/at line 1$/);
  });

  it("keeps two such keys that both hold values, and keys that differ otherwise", () => {
    expect(() => refuseFoldedKeyShadow("JSON", [], [member("url", 1, false), member("URL", 2, false), member("url_", 3, true)])).not.toThrow();
  });
});

/**
 * A map of many keys that fold alike (each letter of a key in either case: 2^n keys of n
 * letters) is weighed in one pass: each key was compared with every earlier one of its fold, time
 * quadratic in the keys (30,000 YAML keys: 30 s for `git diff`, 100,000: minutes for any reader).
 */
describe("many keys that fold alike", () => {
  const variant = (i: number, word: string): string => [...word].map((c, b) => ((i >> b) & 1 ? c.toUpperCase() : c)).join("");

  it("ask each key once whether it holds anything the MAC covers, and name the empty one", () => {
    let asked = 0;
    const counted = (key: string, line: number, empty: boolean) => ({ key, line, empty: () => (asked++, empty) });
    const keys = Array.from({ length: 4096 }, (_, i) => counted(variant(i, "passwordhost"), i + 1, false));
    expect(() => refuseFoldedKeyShadow("JSON", [], keys)).not.toThrow();
    expect(asked).toBe(4096);
    asked = 0;
    const run = (): void => refuseFoldedKeyShadow("YAML", ["db"], [...keys, counted("PASSWORDHOST", 5000, true)]);
    expect(run).toThrow(expect.objectContaining({ location: { keyPath: '["db"]["PASSWORDHOST"]', line: 5000 } }));
    expect(run).toThrow(/^invalid YAML: the keys \["db"\]\["passwordhost"\] \(line 1\) and \["db"\]\["PASSWORDHOST"\] differ only in case/);
  });

  it("a JSON file of 65,536 of them reads, and one more with an empty value is refused at its line", async () => {
    const json = await storeFor("json");
    const members = Array.from({ length: 65_536 }, (_, i) => `"${variant(i, "databasepassword")}": "v"`);
    expect(json.parse(`{\n${members.join(",\n")}\n}\n`).leaves).toHaveLength(65_536);
    // Every ASCII spelling is among them: a long s (ſ) folds to an s.
    const shadow = (): unknown => json.parse(`{\n${members.join(",\n")},\n"databasepa\u017F\u017Fword": ""\n}\n`);
    expect(shadow).toThrow(expect.objectContaining({ location: { keyPath: '["databasepa\u017F\u017Fword"]', line: 65_538 } }));
    expect(shadow).toThrow(/^invalid JSON: the keys \["databasepassword"\] \(line 2\) and .* differ only in case/);
  });
});
