import { describe, expect, it } from "vitest";
import { goFoldKey, refuseFoldedKeyShadow } from "../../src/stores/folded-keys.ts";

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
