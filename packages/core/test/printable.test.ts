import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { printable, quoted } from "../src/errors.ts";
import { shellPath, showInvisible } from "../src/printable.ts";

describe("printable", () => {
  it("escapes control characters as \\xNN, as before", () => {
    expect(printable("a\nb\r\tc\u001b[2J\u007f\u009b")).toBe("a\\x0ab\\x0d\\x09c\\x1b[2J\\x7f\\x9b");
  });

  it.each([
    ["right-to-left override", "a\u202eevil", "a\\u202eevil"],
    ["every bidirectional embedding and override", "\u202a\u202b\u202c\u202d\u202e", "\\u202a\\u202b\\u202c\\u202d\\u202e"],
    ["bidirectional isolates", "\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"],
    ["zero-width characters and marks", "a\u200bb\u200cc\u200dd\u200ee\u200f", "a\\u200bb\\u200cc\\u200dd\\u200ee\\u200f"],
    ["the Arabic letter mark", "x\u061cy", "x\\u061cy"],
    ["a byte order mark", "\ufeffkey", "\\ufeffkey"],
    ["line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
    ["a soft hyphen and a word joiner", "pass\u00adword\u2060", "pass\\u00adword\\u2060"],
    ["tag characters (invisible text)", "a\u{e0041}\u{e0042}", "a\\u{e0041}\\u{e0042}"],
    ["a lone surrogate", "a\ud800b", "a\\ud800b"],
  ])("escapes %s", (_name, input, shown) => {
    expect(printable(input)).toBe(shown);
  });

  it("keeps ordinary non-ASCII text readable: accents, CJK, Arabic and Hebrew letters, emoji", () => {
    for (const text of ["café naïve Ångström", "设置 設定 キー 키", "مفتاح סוד", "🔑 👍🏽 🇫🇷 ❤️", "👩‍💻 👨‍👩‍👧 🏳️‍🌈"]) {
      expect(printable(text)).toBe(text);
    }
  });

  it("escapes a zero-width joiner that does not join two pictographs", () => {
    expect(printable("a\u200d👍")).toBe("a\\u200d👍");
    expect(printable("👍\u200db")).toBe("👍\\u200db");
    expect(printable("\u200d")).toBe("\\u200d");
  });

  it("shortens to max characters without splitting an emoji into half a surrogate pair", () => {
    expect(printable("abcdef", 3)).toBe("abc…");
    expect(printable("ab🔑cd", 3)).toBe("ab…");
    expect(printable("a\u202eb", 4)).toBe("a\\u2…");
  });
});

describe("quoted", () => {
  it("quotes as JSON and escapes what printable escapes", () => {
    expect(quoted("age1\u001b[31m\u009b\u202e\u200b\u2028x")).toBe('"age1\\u001b[31m\\u009b\\u202e\\u200b\\u2028x"');
    expect(quoted('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoted("café 👩‍💻")).toBe('"café 👩‍💻"');
  });

  it("shortens before quoting", () => {
    expect(quoted("abcdef", 3)).toBe('"abc…"');
  });
});

describe("showInvisible", () => {
  it("keeps tabs and line ends and says when it escaped something", () => {
    expect(showInvisible("A=1\r\nB=\t2\n")).toEqual({ text: "A=1\r\nB=\t2\n", escaped: false });
    expect(showInvisible("café 👩‍💻\n")).toEqual({ text: "café 👩‍💻\n", escaped: false });
  });

  it("escapes a carriage return inside a line, and what printable escapes", () => {
    expect(showInvisible("URL=evil\rURL=ok\n")).toEqual({ text: "URL=evil\\x0dURL=ok\n", escaped: true });
    expect(showInvisible("a\u001b]52;c;eA==\u0007\u202eb\r")).toEqual({ text: "a\\x1b]52;c;eA==\\x07\\u202eb\\x0d", escaped: true });
  });
});

describe("shellPath", () => {
  it("leaves a plain path as it is", () => {
    expect(shellPath("secrets/app.enc.yaml")).toBe("secrets/app.enc.yaml");
    expect(shellPath("/abs/p@th+x,1=2:3%.env")).toBe("/abs/p@th+x,1=2:3%.env");
  });

  it.each([
    ["command substitution", "x$(id).yaml", "'x$(id).yaml'"],
    ["a backquote and a semicolon", "a`id`;b", "'a`id`;b'"],
    ["blanks and globs", "my file*.yaml", "'my file*.yaml'"],
    ["a single quote", "it's.yaml", "'it'\\''s.yaml'"],
    ["a leading dash", "-rf.enc.yaml", "./-rf.enc.yaml"],
    ["a leading dash and a quote", "-x'y", "'./-x'\\''y'"],
    ["a control character, escaped first", "a\u001b[2J.yaml", "'a\\x1b[2J.yaml'"],
  ])("quotes %s", (_what, path, word) => {
    expect(shellPath(path)).toBe(word);
  });

  it("gives sh the path back as one word", () => {
    for (const path of ["x$(touch p);y", "a'b\"c`d` e", "-n", "tab\tname"]) {
      const r = spawnSync("sh", ["-c", `printf '%s' ${shellPath(path)}`], { encoding: "utf8" });
      expect(r.stdout).toBe(path.startsWith("-") ? `./${path}` : path.replace("\t", "\\x09"));
    }
  });
});
