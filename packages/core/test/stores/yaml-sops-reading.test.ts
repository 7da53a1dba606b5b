import { describe, expect, it } from "vitest";
import { decryptText, encryptText, isHushError, type HushError } from "@hush/core";
import { goYamlProblems } from "../../src/stores/yaml-go-reading.ts";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * YAML that the `yaml` package reads and go-yaml, SOPS's reader, refuses or reads otherwise is
 * refused before writing, unless it lies inside a value that gets encrypted (the value's text
 * does not reach the file). The verdicts below were checked against SOPS 3.9.2 (the end-to-end
 * twin, test/interop/yaml-go-reading-oracle.test.ts, asks it on every CI run).
 */

const encrypt = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });

async function refusal(text: string): Promise<HushError> {
  const err: unknown = await encrypt(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHushError(err)) throw new Error(`expected a refusal of ${JSON.stringify(text)}, got ${String(err)}`);
  return err;
}

describe("YAML SOPS reads otherwise is refused before writing, naming the line", () => {
  it.each([
    ["\t# a comment\na: 1\n", /a tab at line 1, column 1/],
    ["a: 1\n\t\nb: 2\n", /a tab at line 2, column 1/],
    // A byte order mark is not a column: go-yaml drops it before it reads the first line.
    ["\uFEFF\t# a comment\na: 1\n", /a tab at line 1, column 1/],
    ["a:\n  - \tx\n", /a tab at line 2, column 5/],
    ["%YAML 1.2\n---\na: 1\n", /directive at line 1/],
    ["a: &x.y 1\nb: 2\n", /anchor at line 1/],
    ["a: {b\n  : c}\n", /key before the ":" at line 2/],
    ["a: {b:, c: d}\n", /":" right after a key at line 1/],
    ["a: {?b: c}\n", /plain scalar inside \[\.\.\.\] or \{\.\.\.\} at line 1/],
    // go-yaml reads no key that starts more than 1024 characters before its ":"
    [`a: {${"k".repeat(1025)}: v}\n`, /the key before the ":" at line 1 is longer than 1024 characters/],
    // go-yaml reads no implicit key over lines in block context either (the yaml package reads `b: c`)
    ["a: 1\nb # note\n\n  : c\n", /the key before the ":" at line 4 does not start on that line/],
    ["a: 1\n'b'\n\n  : c\n", /the key before the ":" at line 4 does not start on that line/],
    // escapes go-yaml refuses in double quotes: "\/", and any UTF-16 surrogate (a pair the yaml package joins)
    ['"a\\/b": 1\n', /a double-quoted string at line 1 holds an escape SOPS's YAML reader refuses/],
    ['a: 1\nb_unencrypted: ["\\ud83d\\ude00"]\n', /a double-quoted string at line 2 holds an escape/],
  ])("%j", async (text, message) => {
    const err = await refusal(text);
    expect(err.code).toBe("PARSE_FAILED");
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/SOPS's YAML reader/);
  });

  it("a block key longer than 1024 characters is refused by the YAML reader itself, naming its line", async () => {
    for (const [text, at] of [[`a: 1\n${"k".repeat(1025)}: v\n`, "line 2, column 1"], [`a: 1\nb:\n  - "${"k".repeat(1024)}": v\n`, "line 3, column 5"]] as const) {
      const err = await refusal(text);
      expect(err.code).toBe("PARSE_FAILED");
      expect(err.message).toBe(`invalid YAML at ${at}: a key is longer than 1024 characters`);
    }
  });

  it("a type tag before a value to encrypt: SOPS would decode the envelope under it to nothing", async () => {
    const err = await refusal("a: 1\nport: !!int 8080\n");
    expect(err.message).toBe("the !!int tag on the value at line 2: SOPS cannot read an encrypted value under it; remove the tag (the value keeps its type)");
    // In clear, go-yaml reads the tagged value itself: nothing to refuse.
    await expect(encrypt("a: 1\nport_unencrypted: !!int 8080\n")).resolves.toContain("port_unencrypted: !!int 8080\n");
  });

  it("a construct inside a value that is encrypted goes with it; the same value in clear is refused", async () => {
    // go-yaml ends a plain scalar at "?" inside {...}; the encrypted value is an envelope instead.
    const encrypted = await encrypt("link: {url: https://x.example/?q=1}\n");
    expect(encrypted).toMatch(/^link: \{url: "ENC\[AES256_GCM,/);
    // Decrypted, it comes back quoted, as go-yaml writes it there (the plaintext SOPS prints reads the same).
    await expect(decryptText(encrypted, { format: "yaml", keySources: noKeys, dataKey })).resolves.toBe('link: {url: "https://x.example/?q=1"}\n');
    // An escape go-yaml refuses goes with the value too, and is never quoted in the message (it may be a secret's).
    await expect(encrypt('token: "\\ud83d\\ude00 \\/"\n')).resolves.toMatch(/^token: "ENC\[/);
    const escape = await refusal('token_unencrypted: "\\ud83d\\ude00"\n');
    expect(escape.message).toBe(`a double-quoted string at line 1 holds an escape SOPS's YAML reader refuses ("\\/", or "\\u" or "\\U" of a UTF-16 surrogate): write the character itself`);
    const err = await refusal("link: {url_unencrypted: https://x.example/?q=1}\n");
    expect(err.message).toMatch(/^a plain scalar inside \[\.\.\.\] or \{\.\.\.\} at line 1/);
    // A tab before a block scalar's first character: go-yaml refuses it there, but it is the value's text.
    await expect(encrypt("a: |\n  \tx\n")).resolves.toMatch(/^a: \|\n {2}ENC\[/);
    expect((await refusal("a_unencrypted: |\n  \tx\n")).message).toMatch(/a tab at line 2, column 3/);
  });

  it.each([
    // a key of 1024 characters, or of more UTF-16 units but no more characters (go-yaml counts characters)
    `${"k".repeat(1024)}: v\n`,
    `a: {${"\u{1F511}".repeat(1000)}: v}\n`,
    // after a byte order mark, the lines' columns are counted as without it
    "\uFEFFa: b\n \t\nc: d\n",
    // before a comment on the line of a token other than "-" (go-yaml takes the comment with the token)
    "? a\n:\t# c\n  b\n",
    // in a directive's line
    "%YAML 1.1\t# c\n---\na: 1\n",
    // an explicit key's ":" on a later line; escapes go-yaml knows
    "a: 1\n? b # note\n\n: c\n",
    'a: "\\U0001F511 \\ud7ff \\ue000 \\\\/ \\x41 \\N \\_ \\L \\P"\n',
    "%YAML 1.1\t\n---\na: 1\n",
  ])("what go-yaml reads is written: %j", async (text) => {
    expect(goYamlProblems(text)).toEqual([]);
    await expect(encrypt(text)).resolves.toContain("sops:");
  });

  it("tabs where go-yaml skips them, go-yaml's own anchors and tags, and %YAML 1.1 are written", async () => {
    for (const text of ["a:\tb\n", "a: b\t# c\n", "a: [1,\t2]\n", "a: b\n  \t# c\n", "a: &x-1_y b\nc: *x-1_y\n", "a: !custom b\n", "%YAML 1.1\n---\na: 1\n", "a: {url: http://x/y}\n"]) {
      expect(goYamlProblems(text), JSON.stringify(text)).toEqual([]);
      await expect(encrypt(text)).resolves.toContain("sops:");
    }
  });
});

describe("a value left in clear must read back as written", () => {
  it("refuses a keep-chomped block of spaces at the end of the text, which the metadata block would turn into a line break", async () => {
    const err = await refusal("k: |+\n   ");
    expect(err.code).toBe("ENCRYPT_FAILED");
    expect(err.message).toBe('the value at ["k"] (line 1) would not read back as written; nothing was written');
  });
});
