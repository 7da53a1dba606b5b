import { describe, expect, it } from "vitest";
import { attributePatternMatches, globsForRegex } from "@hush/git";

/** The regular expression patterns were matched with before, as an oracle for inputs too small to backtrack. */
function oracle(glob: string, subject: string): boolean {
  const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "\\" && i + 1 < glob.length) out += escape(glob[++i]!);
    else if (glob.startsWith("**/", i) && (i === 0 || glob[i - 1] === "/")) {
      out += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("/**", i) && i + 3 === glob.length) {
      out += "/.*";
      i += 2;
    } else if (c === "*") {
      while (glob[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) out += "\\[";
      else {
        out += `[${glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = close;
      }
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`).test(subject);
}

describe("gitattributes patterns: matching costs time linear in the path", () => {
  it("a pattern of many `*` from a clone's path_regex against a long name answers at once", () => {
    // The regular expression of this glob backtracked for a minute on a 60-character name.
    const globs = globsForRegex(`${".*a".repeat(12)}.*b$`);
    expect(globs).toEqual([`${"*a".repeat(12)}*b`]);
    expect(attributePatternMatches(globs![0]!, `dir/${"a".repeat(4_000)}`)).toBe(false);
    expect(attributePatternMatches(globs![0]!, `dir/${"a".repeat(4_000)}b`)).toBe(true);
    expect(attributePatternMatches(`**/${"*a".repeat(12)}/**`, `${"a/".repeat(2_000)}x`)).toBe(false);
    expect(attributePatternMatches(`**/${"*a".repeat(12)}/**`, `${"a/".repeat(2_000)}${"a".repeat(12)}/x`)).toBe(true);
  });

  it("`**/` crosses only whole directories: the run it stands for ends with `/`", () => {
    // `a/**/b` is `a/b`, `a/x/b`, `a/x/y/b`, never `a/xb`: git applies no attribute to that file.
    expect(attributePatternMatches("a/**/b", "a/xb")).toBe(false);
    expect(attributePatternMatches("a/**/b", "a/x/y/b")).toBe(true);
    expect(attributePatternMatches("**/prod/*", "deepprod/k.enc.yaml")).toBe(false);
    expect(attributePatternMatches("**/prod/*", "deep/prod/k.enc.yaml")).toBe(true);
    expect(attributePatternMatches("/**/", "ab/")).toBe(true);
    expect(attributePatternMatches("/**/", "ab")).toBe(false);
  });

  it("matches as the regular expressions did", () => {
    const globs = ["*.yaml", "secrets/*.enc.*", "**/prod/*", "a/**", "/top/x?", "[a-c]*.env", "[!a]?", "\\*lit", "*a*a*b", "**/*.json", "x[", "a/**/b", "é?", "*\n*"];
    const paths = ["a.yaml", "secrets/db.enc.yaml", "secrets/x/db.enc.yaml", "deep/prod/k", "prod/k", "a/b/c", "top/xy", "b1.env", "d.env", "ab", "*lit", "aab", "dir/x.json", "x[", "a/b", "a/x/y/b", "a/xb", "deepprod/k", "é😀", "éa", "a\nb"];
    for (const g of globs) for (const p of paths) expect(attributePatternMatches(g, p), `${JSON.stringify(g)} ${JSON.stringify(p)}`).toBe(oracle(g.startsWith("/") ? g.slice(1) : g, g.replace(/\/$/, "").includes("/") ? p : p.slice(p.lastIndexOf("/") + 1)));
  });
});
