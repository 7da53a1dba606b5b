import { describe, expect, it } from "vitest";
import {
  ATTRIBUTES_BEGIN,
  ATTRIBUTES_END,
  attributeLine,
  attributePatternMatches,
  exactPattern,
  globPattern,
  globsForRegex,
  managedPatterns,
  removeManagedBlock,
  rootRelativePattern,
  withManagedBlock,
} from "@hush/git";
import { compileRe2 } from "@hush/core";

describe("globsForRegex", () => {
  it.each([
    ["\\.enc\\.yaml$", ["*.enc.yaml"]],
    ["\\.enc\\.(yaml|json)$", ["*.enc.yaml", "*.enc.json"]],
    ["\\.ya?ml$", ["*.yaml", "*.yml"]],
    ["^secrets/.*\\.yaml$", ["/secrets/**/*.yaml"]],
    ["^secrets/", ["/secrets/**"]],
    ["secrets/", ["**/*secrets/**"]],
    ["^config/prod\\.json$", ["/config/prod.json"]],
    ["^[^/]*\\.env$", ["/*.env"]],
    ["(dev|prod)/secrets\\.env$", ["**/*dev/secrets.env", "**/*prod/secrets.env"]],
    ["^secret", ["/secret*", "/secret*/**"]],
  ])("%s", (regex, globs) => {
    expect(globsForRegex(regex)).toEqual(globs);
  });

  it.each(["", ".*", "^(?i)x$", "\\d+\\.yaml", "a{2}", "[abc]+"])("gives up on %s", (regex) => {
    expect(globsForRegex(regex)).toBeUndefined();
  });

  it("the globs cover at least what the regex matches (sample paths)", async () => {
    const paths = ["a.enc.yaml", "x/y/a.enc.yaml", "secrets/a.yaml", "secrets/x/a.yaml", "mysecrets/a.yaml", "a/secrets/b.env", "dev/secrets.env", "x/prod/secrets.env", "config/prod.json", "top.env", "d/top.env"];
    for (const regex of ["\\.enc\\.yaml$", "^secrets/.*\\.yaml$", "secrets/", "(dev|prod)/secrets\\.env$", "^[^/]*\\.env$", "^config/prod\\.json$"]) {
      const globs = globsForRegex(regex)!;
      const matches = await compileRe2(regex, "test");
      for (const p of paths) {
        if (matches(p)) expect(globs.some((g) => attributePatternMatches(g, p)), `${regex} ${p}`).toBe(true);
      }
    }
  });
});

describe("attributePatternMatches", () => {
  it("follows gitattributes rules", () => {
    expect(attributePatternMatches("*.yaml", "a/b/c.yaml")).toBe(true);
    expect(attributePatternMatches("/*.yaml", "a/b/c.yaml")).toBe(false);
    expect(attributePatternMatches("/*.yaml", "c.yaml")).toBe(true);
    expect(attributePatternMatches("/secrets/**/*.yaml", "secrets/c.yaml")).toBe(true);
    expect(attributePatternMatches("/secrets/**/*.yaml", "secrets/a/b/c.yaml")).toBe(true);
    expect(attributePatternMatches("/secrets/**", "secrets/a/b")).toBe(true);
    expect(attributePatternMatches("/a\\*b.yaml", "a*b.yaml")).toBe(true);
    expect(attributePatternMatches("/a\\*b.yaml", "axb.yaml")).toBe(false);
    expect(attributePatternMatches('"/with space.yaml"', "with space.yaml")).toBe(true);
  });

  it("exactPattern escapes globs and quotes spaces", () => {
    expect(exactPattern("a/b*.yaml")).toBe("/a/b\\*.yaml");
    expect(exactPattern("my file.yaml")).toBe('"/my file.yaml"');
    expect(exactPattern("my *file.yaml")).toBe('"/my \\\\*file.yaml"');
    expect(attributePatternMatches(exactPattern("my *file.yaml"), "my *file.yaml")).toBe(true);
    expect(attributePatternMatches(exactPattern("my *file.yaml"), "my xfile.yaml")).toBe(false);
  });

  it("control characters never reach a line raw: names are escaped, globs and lines refused", () => {
    const name = "a\n* filter=x\r\u0001b.yaml";
    const p = exactPattern(name);
    expect(p).toBe('"/a\\n\\\\* filter=x\\r\\001b.yaml"');
    expect(p).not.toMatch(/[\u0000-\u001f]/);
    expect(attributePatternMatches(p, name)).toBe(true);
    expect(attributePatternMatches(p, "a")).toBe(false);
    expect(globPattern("my secrets/*.yaml")).toBe('"my secrets/*.yaml"');
    expect(() => globPattern("x\n*")).toThrow(/control characters/);
    expect(() => attributeLine("*.yaml\n* filter=x")).toThrow(/not a single gitattributes pattern/);
    expect(() => attributeLine("*.yaml filter=x")).toThrow(/not a single gitattributes pattern/);
    expect(attributeLine('"my secrets/*.yaml"')).toBe('"my secrets/*.yaml" diff=hush merge=hush');
  });

  it("rootRelativePattern anchors patterns under the config's directory", () => {
    expect(rootRelativePattern("*.enc.yaml", "deploy")).toBe("/deploy/**/*.enc.yaml");
    expect(rootRelativePattern("/secrets/**", "deploy")).toBe("/deploy/secrets/**");
    expect(rootRelativePattern("**/*x/y", "d")).toBe("/d/**/*x/y");
    expect(rootRelativePattern("*.y", "")).toBe("*.y");
  });
});

describe(".gitattributes block", () => {
  it("adds, replaces and removes only its own block", () => {
    const user = "*.png binary\n*.sh text eol=lf\n";
    const one = withManagedBlock(user, ["*.enc.yaml"]);
    expect(one).toBe(`${user}\n${ATTRIBUTES_BEGIN}\n*.enc.yaml diff=hush merge=hush\n${ATTRIBUTES_END}\n`);
    expect(managedPatterns(one)).toEqual(["*.enc.yaml"]);
    const two = withManagedBlock(one, ["*.enc.yaml", "*.enc.json"]);
    expect(managedPatterns(two)).toEqual(["*.enc.yaml", "*.enc.json"]);
    expect(withManagedBlock(two, ["*.enc.yaml", "*.enc.json"])).toBe(two);
    expect(removeManagedBlock(two)).toBe(user);
    expect(removeManagedBlock(withManagedBlock("", ["x"]))).toBe("");
    expect(managedPatterns(user)).toBeUndefined();
    // A block in the middle of the file (user lines after it) is replaced in place.
    const middle = `${ATTRIBUTES_BEGIN}\nold diff=hush merge=hush\n${ATTRIBUTES_END}\n*.md text\n`;
    expect(removeManagedBlock(middle)).toBe("*.md text\n");
  });

  it("is replaced where it stands: a user's line after it stays after it (later lines win in git), every other byte kept", () => {
    const block = (patterns: string[], eol = "\n"): string => [ATTRIBUTES_BEGIN, ...patterns.map((p) => `${p} diff=hush merge=hush`), ATTRIBUTES_END].join(eol) + eol;
    const file = `*.txt text\n\n${block(["*.enc.yaml"])}legacy.enc.yaml -diff\n`;
    expect(withManagedBlock(file, ["*.enc.yaml"])).toBe(file);
    expect(withManagedBlock(file, ["*.enc.yaml", "*.enc.json"])).toBe(`*.txt text\n\n${block(["*.enc.yaml", "*.enc.json"])}legacy.enc.yaml -diff\n`);
    // The block takes the file's CRLF; the lines around it keep their own breaks.
    const crlf = `*.txt text\n\r\n${block(["*.enc.yaml"], "\r\n")}legacy.enc.yaml -diff`;
    expect(withManagedBlock(crlf, ["*.enc.yaml"])).toBe(crlf);
    expect(withManagedBlock(crlf, ["*.enc.json"])).toBe(`*.txt text\n\r\n${block(["*.enc.json"], "\r\n")}legacy.enc.yaml -diff`);
  });

  it("a first line with no end line (a hand edit, or a branch's file) takes only the block's own lines: the user's lines after it are kept", () => {
    const lone = `*.txt text\n${ATTRIBUTES_BEGIN}\nold.enc.yaml diff=hush merge=hush\nsecret.env -diff\n*.pem filter=lfs\n`;
    expect(managedPatterns(lone)).toEqual(["old.enc.yaml"]);
    expect(removeManagedBlock(lone)).toBe("*.txt text\nsecret.env -diff\n*.pem filter=lfs\n");
    expect(withManagedBlock(lone, ["*.enc.yaml"])).toBe(`*.txt text\n${ATTRIBUTES_BEGIN}\n*.enc.yaml diff=hush merge=hush\n${ATTRIBUTES_END}\nsecret.env -diff\n*.pem filter=lfs\n`);
    const bare = `${ATTRIBUTES_BEGIN}\n*.md text\n`;
    expect(managedPatterns(bare)).toEqual([]);
    expect(removeManagedBlock(bare)).toBe("*.md text\n");
  });

  it("written once, a second run changes nothing, whatever the file's end (no final line break, blank lines, CRLF)", () => {
    for (const user of ["*.txt text", "*.txt text\n\n\n", "*.txt text\r\n", "a\r\nb\n", "\n", " \n", ""]) {
      const once = withManagedBlock(user, ["*.enc.yaml"]);
      expect(withManagedBlock(once, ["*.enc.yaml"]), JSON.stringify(user)).toBe(once);
      expect(managedPatterns(once)).toEqual(["*.enc.yaml"]);
    }
    expect(withManagedBlock("*.txt text", ["*.enc.yaml"])).toBe(`*.txt text\n\n${ATTRIBUTES_BEGIN}\n*.enc.yaml diff=hush merge=hush\n${ATTRIBUTES_END}\n`);
  });

  it("is removed in time linear in the file: a branch's run of blank lines between two of its lines took seconds per 40,000", () => {
    const block = `${ATTRIBUTES_BEGIN}\n*.enc.yaml diff=hush merge=hush\n${ATTRIBUTES_END}\n`;
    for (const eol of ["\n", "\r\n"]) {
      const blanks = eol.repeat(200_000);
      // The pattern it used took 74 s here, past the test's time limit; the loop, milliseconds.
      const out = removeManagedBlock(`a -diff${eol}${blanks}b -diff${eol}${block.replaceAll("\n", eol)}${blanks}`);
      expect(out).toBe(`a -diff${eol}${blanks}b -diff${eol}`);
    }
  });
});
