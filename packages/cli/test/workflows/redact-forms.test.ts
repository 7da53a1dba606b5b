import { describe, expect, it } from "vitest";
import { MIN_DERIVED_LENGTH, maskedForms } from "../../src/workflows/redact-forms.ts";

const API_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DB_URL = "postgres://app:Sup3rS3cret@db.internal/app?sslmode=require&password=x";

describe("maskedForms", () => {
  it("has the value, its JSON, URL and base64 spellings", () => {
    const { exact, acrossLineBreaks } = maskedForms(API_SECRET);
    expect(exact).toContain(API_SECRET);
    expect(exact).toContain(encodeURIComponent(API_SECRET));
    expect(acrossLineBreaks).toContain(Buffer.from(API_SECRET.slice(0, 39)).toString("base64"));
    expect(acrossLineBreaks).toContain(Buffer.from(API_SECRET.slice(1)).toString("base64url"));
  });

  it("has Go's and Rails' HTML-safe JSON escapes (\\u0026, \\u003c, \\u003e, \\u2028, \\u2029)", () => {
    expect(maskedForms(DB_URL).exact).toContain(DB_URL.replace("&", "\\u0026"));
    expect(maskedForms("a<b>c&d\u2028e\u2029f").exact).toContain("a\\u003cb\\u003ec\\u0026d\\u2028e\\u2029f");
  });

  it("has Gson's HTML-safe escape, which also escapes = and '", () => {
    expect(maskedForms("k=v&it's-long").exact).toContain("k\\u003dv\\u0026it\\u0027s-long");
  });

  it("has .NET System.Text.Json's default escape: upper-case \\uXXXX for non-ASCII, control and HTML-sensitive characters, + included", () => {
    expect(maskedForms(API_SECRET).exact).toContain(API_SECRET.replace("+", "\\u002B"));
    expect(maskedForms('a"b<c>&\'d+`\u00e9\n\u0001\\').exact).toContain("a\\u0022b\\u003Cc\\u003E\\u0026\\u0027d\\u002B\\u0060\\u00E9\\n\\u0001\\\\");
  });

  it("has YAML's single-quoted spelling, a ' written ''", () => {
    expect(maskedForms("it's: a secret").exact).toContain("it''s: a secret");
  });

  it("has PHP json_encode's \\/, with and without non-ASCII escaped", () => {
    expect(maskedForms(API_SECRET).exact).toContain(API_SECRET.replaceAll("/", "\\/"));
    expect(maskedForms("p\u00e4ss/w\u00f6rd").exact).toEqual(expect.arrayContaining(["p\\u00e4ss\\/w\\u00f6rd", "p\u00e4ss\\/w\u00f6rd"]));
  });

  it("has the percent-encodings that keep / (Python quote), write + for a space, and lower-case hex", () => {
    const { exact } = maskedForms("a/b+c d~e*f");
    expect(exact).toEqual(
      expect.arrayContaining([
        "a/b%2Bc%20d~e%2Af", // Python urllib.parse.quote
        "a%2Fb%2Bc+d~e%2Af", // Python quote_plus, Go url.QueryEscape
        "a%2Fb%2Bc+d%7Ee*f", // URLSearchParams, Java URLEncoder
        "a%2Fb%2Bc%20d~e%2Af", // curl, PHP rawurlencode
        "a%2Fb%2Bc%20d~e*f", // encodeURIComponent
        "a%2fb%2bc%20d~e*f",
        "a/b%2bc%20d~e%2af",
      ]),
    );
  });

  it("has Python's repr and a bash trace's quoting", () => {
    expect(maskedForms('C:\\tmp\\"x"').exact).toContain('C:\\\\tmp\\\\"x"');
    expect(maskedForms("it's-a-secret").exact).toEqual(expect.arrayContaining(["it'\\''s-a-secret", `it'"'"'s-a-secret`]));
    expect(maskedForms("esc\x1bape-seq").exact).toContain("esc\\x1bape-seq");
  });

  it("keeps derived spellings shorter than MIN_DERIVED_LENGTH out, but always the value", () => {
    const { exact, acrossLineBreaks } = maskedForms("a<");
    expect(exact).toEqual(["a<"]);
    expect(acrossLineBreaks).toEqual([]);
    for (const f of [...maskedForms("x/y+z w&v").exact.slice(1), ...maskedForms("x/y+z w&v").acrossLineBreaks]) {
      expect(Buffer.byteLength(f)).toBeGreaterThanOrEqual(MIN_DERIVED_LENGTH);
    }
  });

  it("stays small: a value without special characters has one exact spelling and three base64 ones (the alphabets agree)", () => {
    const { exact, acrossLineBreaks } = maskedForms("tok3f9a2c71alpha");
    expect(exact).toEqual(["tok3f9a2c71alpha"]);
    expect(acrossLineBreaks).toHaveLength(3);
  });
});
