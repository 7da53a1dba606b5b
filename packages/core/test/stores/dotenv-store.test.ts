import { dataKey, expectRoundTrip, ivSource, noKeys, now, parseErrorOf, wrappedKeys, expectSafeParseError, sopsAesDecrypt } from "../store-harness.ts";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, encryptValue, isHushError, storeFor, type TreeMap } from "@hush/core";
import { sopsVector } from "@hush/testkit";

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 150);
const FIXTURES = fileURLToPath(new URL("../fixtures/dotenv/", import.meta.url));
const UPDATE = process.env["UPDATE_FIXTURES"] === "1";

const enc = (text: string): Promise<string> => encryptText(text, { format: "dotenv", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const dec = (text: string, key = dataKey): Promise<string> => decryptText(text, { format: "dotenv", keySources: noKeys, dataKey: key });

function golden(name: string, actual: string): void {
  const path = FIXTURES + name;
  if (UPDATE) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

// ---------------------------------------------------------------------------------------------
// An independent reader of SOPS's dotenv layout, written from the spec (sections 2, 3, 6.2, 7.3),
// standing in for `sops decrypt`: it shares no code with hush's store.


/** What `sops decrypt` prints for a dotenv file, MAC checked. */
function sopsDecryptDotenv(text: string, key: Uint8Array): string {
  const items: Array<{ comment: string } | { key: string; value: string }> = [];
  const meta: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    if (line[0] === "#") {
      items.push({ comment: line.slice(1) });
      continue;
    }
    const pos = line.indexOf("=");
    if (pos === -1) throw new Error("invalid dotenv input line");
    const k = line.slice(0, pos);
    const v = line.slice(pos + 1).replaceAll("\\n", "\n");
    if (k.startsWith("sops_")) meta[k.slice(5)] = v;
    else items.push({ key: k, value: v });
  }
  const suffix = meta["unencrypted_suffix"] ?? "";
  const hash = createHash("sha512");
  const out: string[] = [];
  for (const it of items) {
    if ("comment" in it) {
      let c = it.comment;
      try {
        c = sopsAesDecrypt(c, key, ":");
      } catch {
        // SOPS keeps comments that do not decrypt.
      }
      out.push(`#${c}\n`);
      continue;
    }
    const plain = it.value === "" || (suffix !== "" && it.key.endsWith(suffix)) ? it.value : sopsAesDecrypt(it.value, key, `${it.key}:`);
    hash.update(plain);
    out.push(`${it.key}=${plain.replaceAll("\n", "\\n")}\n`);
  }
  const mac = sopsAesDecrypt(meta["mac"]!, key, meta["lastmodified"]!);
  if (mac !== hash.digest("hex").toUpperCase()) throw new Error("MAC mismatch");
  return out.join("");
}

/** `sops encrypt` of a dotenv file, from the spec: raw values with `\n` read as a newline. */
function sopsEncryptDotenv(plain: string, key: Uint8Array, lastmodified: string): string {
  const hash = createHash("sha512");
  const out: string[] = [];
  let n = 0;
  const iv = (): Buffer => Buffer.alloc(32, ++n);
  for (const line of plain.split("\n")) {
    if (line.length === 0) continue;
    if (line[0] === "#") {
      out.push(`#${encryptValue(key, Buffer.from(line.slice(1)), "comment", ":", iv())}`);
      continue;
    }
    const pos = line.indexOf("=");
    const k = line.slice(0, pos);
    const v = line.slice(pos + 1).replaceAll("\\n", "\n");
    hash.update(v);
    // SOPS's default rule leaves keys ending with _unencrypted in clear.
    out.push(`${k}=${v === "" || k.endsWith("_unencrypted") ? v.replaceAll("\n", "\\n") : encryptValue(key, Buffer.from(v), "str", `${k}:`, iv())}`);
  }
  const mac = encryptValue(key, Buffer.from(hash.digest("hex").toUpperCase()), "str", lastmodified, iv());
  out.push(`sops_age__list_0__map_enc=x`, `sops_age__list_0__map_recipient=age1test`, `sops_lastmodified=${lastmodified}`, `sops_mac=${mac}`, `sops_unencrypted_suffix=_unencrypted`, `sops_version=3.13.2`);
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------


const roundTrip = (text: string): Promise<string> => expectRoundTrip(text, "dotenv", enc, (t) => dec(t));

const parseError = (text: string): ReturnType<typeof parseErrorOf> => parseErrorOf(() => enc(text));

describe("dotenv: files written by SOPS", () => {
  it("decrypts format.enc.env byte for byte (key `foo ` with its space, AAD `foo :`)", async () => {
    const text = readFileSync(sopsVector("format.enc.env"), "utf8");
    const key = new Uint8Array(Buffer.from("322d9a97997823fb2bf42f55a6c26100cbaf0520cf88bb7ebee1cf47dd6d318d", "hex"));
    expect(await dec(text, key)).toBe("foo = bar\n");
  });

  it("decrypts a file SOPS wrote from CRLF lines, whose comments and values end with the CR", async () => {
    const plain = "# a comment\r\nA=1\r\n#\r\nEMPTY=\r\n";
    expect(await dec(sopsEncryptDotenv(plain, dataKey, "2025-01-02T03:04:05Z"))).toBe(plain);
    // A line break anywhere else in a comment is still refused: it would start a line of its own.
    const file = sopsEncryptDotenv("# placeholder\nA=1\n", dataKey, "2025-01-02T03:04:05Z");
    // So is one only other readers take (python-dotenv: VT, FF, FS/GS/RS, NEL; npm's dotenv: U+2028, U+2029).
    for (const comment of ["x\nB=stolen", "x\rB=stolen", "x\r\n", "\r\r", "x\vB=stolen", "x\fB=stolen", "x\x1eB=stolen", "x\x85B=stolen", "x\u2028B=stolen", "x\u2029B=stolen"]) {
      const forged = file.replace(/^#ENC\[[^\n]*\]$/m, `#${encryptValue(dataKey, Buffer.from(comment), "comment", ":", Buffer.alloc(32, 7))}`);
      await expect(dec(forged)).rejects.toMatchObject({ code: "VALUE_TAMPERED", message: expect.stringMatching(/the encrypted comment at line 1 decrypts to more than one line/) });
    }
  });

  it("decrypts a file SOPS wrote with a line starting with `=`, which hush refuses to encrypt", async () => {
    const plain = "A=1\n=no key\n";
    expect(await dec(sopsEncryptDotenv(plain, dataKey, "2025-01-02T03:04:05Z"))).toBe(plain);
    await expect(enc("=no key\n")).rejects.toMatchObject({ code: "PARSE_FAILED", message: expect.stringMatching(/empty key at line 1/) });
  });

  it("refuses a key given twice, in a file SOPS wrote too: an empty value added without the key would blank the secret", async () => {
    const plain = "TOKEN=tok-Jr55\nB=2\n";
    await expect(enc("A=1\nexport A=2\n")).rejects.toMatchObject({ code: "PARSE_FAILED", message: expect.stringMatching(/duplicate key "A" \(first defined at line 1\) at line 2/) });
    // The branch's line: an empty value, which SOPS's MAC does not cover, after the secret.
    const file = sopsEncryptDotenv(plain, dataKey, "2025-01-02T03:04:05Z").replace(/^(B=[^\n]*\n)/m, "$1TOKEN=\n");
    await expect(dec(file)).rejects.toMatchObject({ code: "PARSE_FAILED", message: expect.stringMatching(/duplicate key "TOKEN" \(first defined at line 1\) at line 3/) });
  });

  it("refuses a file SOPS wrote with a value in clear whose quotes the dialect reads otherwise, naming the line", async () => {
    // exec-env and the loader read the decrypted text by the dialect's rules: a quote left open
    // there would take the lines after it, secrets included, into one variable.
    for (const [plain, message] of [
      ["A=1\nNOTE_unencrypted='it's'\n", /unexpected text after the closing quote at line 2/],
      ["A=1\nOPEN_unencrypted=\"open\nB=2\n", /unterminated double-quoted value at line 2/],
    ] as const) {
      await expect(dec(sopsEncryptDotenv(plain, dataKey, "2025-01-02T03:04:05Z"))).rejects.toMatchObject({ code: "PARSE_FAILED", message: expect.stringMatching(message) });
    }
    // A plaintext value over lines that holds a `sops_` line is still one value.
    await roundTrip('A="x\nsops_mac=not metadata\nsops_version=1"\nB=2\n');
  });

  it("keeps a plaintext value quoted over lines that holds a line starting like SOPS's MAC as one value", async () => {
    await roundTrip('A="x\nsops_mac=ENC[AES256_GCM,not metadata\nB=injected"\nC=2\n');
  });

  it("decrypts a SOPS-style file whose values held `\\n`, writing them back as SOPS does", async () => {
    const plain = "# c\nA=one\\ntwo\nB=\"x\\ny\"\nC=plain\n";
    const sopsFile = sopsEncryptDotenv(plain, dataKey, "2025-01-02T03:04:05Z");
    expect(await dec(sopsFile)).toBe(plain);
  });
});

describe("dotenv: SOPS opens the files hush writes", () => {
  it("for the fixture (values, comments, MAC), multi-line values with `\\n` escapes", async () => {
    // Indented comments are a dialect extension SOPS cannot read (documented); leave them out.
    const plain = readFileSync(FIXTURES + "tricky.env", "utf8").replace(/^ +#.*\n/m, "");
    const out = sopsDecryptDotenv(await enc(plain), dataKey);
    expect(out).toContain("# Database settings\nDB_HOST=localhost\nDB_PORT = 5432\n");
    expect(out).toContain("export API_KEY=sk-live-1234\n");
    expect(out).toContain('MULTI="line one\\nline two\\n# not a comment\\nline four"\n');
    expect(out).toContain("MULTI_SINGLE='a=1\\nb=2' # after a multi-line value\n");
    expect(out).toContain("SPACES_AROUND  =   padded value   \n");
    expect(out).toContain("UNICODE=héllo wörld ✓\n#ENDING COMMENT\n");
  });

  it("for an empty value on a CRLF line, which SOPS reads as a CR", async () => {
    const plain = "A=1\r\nEMPTY=\r\nexport ALSO_EMPTY=\r\n#\r\nB= \r\nLAST=\r";
    const encrypted = await enc(plain);
    // SOPS's value is the CR: it is encrypted, and the line no longer ends with a bare CR.
    expect(encrypted).toMatch(/^EMPTY=ENC\[[^\r\n]*\]\n/m);
    expect(encrypted).toMatch(/^export ALSO_EMPTY=ENC\[[^\r\n]*\]\n/m);
    // An empty comment stays as it is: SOPS keeps a comment it cannot decrypt.
    expect(encrypted).toMatch(/^#\r\n/m);
    expect(encrypted).toMatch(/^LAST=ENC\[[^\r\n]*\]\nsops_/m);
    expect(sopsDecryptDotenv(encrypted, dataKey)).toBe("A=1\nEMPTY=\r\nexport ALSO_EMPTY=\r\n#\r\nB= \nLAST=\r\n");
    expect(await dec(encrypted)).toBe(plain);
    // What loaders see is unchanged: empty values.
    const tree = (await storeFor("dotenv")).toTree(plain);
    expect(tree.entries.map((e) => (e.kind === "entry" && e.value.kind === "scalar" ? e.value.value.text : "#"))).toEqual(["1", "", "", "#", "", ""]);
  });

  it("still decrypts a file that kept an empty value's CR outside it (as hush wrote them before)", async () => {
    // Written when the CR was not part of the value: left in clear, outside the MAC.
    const earlier = (await enc("A=1\r\nEMPTY=\nB=2\r\n")).replace(/^EMPTY=\n/m, "EMPTY=\r\n");
    expect(await dec(earlier)).toBe("A=1\r\nEMPTY=\r\nB=2\r\n");
  });

  it("refuses to leave an empty value on a CRLF line unencrypted, naming its key and line", async () => {
    const encRule = (text: string): Promise<string> =>
      encryptText(text, { format: "dotenv", keySources: noKeys, wrappedKeys, dataKey, now, ivSource, rule: { kind: "encrypted_regex", value: "^SECRET$" } });
    const err: unknown = await encRule("SECRET=x\r\nEMPTY=\r\n").then(
      () => "written",
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "ENCRYPT_FAILED", location: { line: 2 }, message: expect.stringMatching(/the empty value of \["EMPTY"\] at line 2 ends with a CR/) });
    await expectRoundTrip("SECRET=x\r\nEMPTY=\r\n", "dotenv", enc, dec);
    await expectRoundTrip("SECRET=\r\nEMPTY=x\r\n", "dotenv", encRule, dec);
  });

  it("for generated files SOPS can read, giving exactly what SOPS prints for the plaintext", async () => {
    await fc.assert(
      fc.asyncProperty(sopsReadableDoc, async (text) => {
        const expected = text
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => `${l}\n`)
          .join("");
        expect(sopsDecryptDotenv(await enc(text), dataKey)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("dotenv: a value over several lines that stays unencrypted", () => {
  it("is refused (SOPS would read its second line as a line without `=`), naming its key and line; one line or encrypted is fine", async () => {
    const encRule = (text: string): Promise<string> =>
      encryptText(text, { format: "dotenv", keySources: noKeys, wrappedKeys, dataKey, now, ivSource, rule: { kind: "encrypted_regex", value: "^SECRET$" } });
    const err: unknown = await encRule('SECRET=x\nCERT="line one\nline two"\n').then(
      () => "written",
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "ENCRYPT_FAILED", location: { line: 2 }, message: expect.stringMatching(/\["CERT"\] at line 2 spans lines and stays unencrypted/) });
    expect(String((err as Error).message)).not.toContain("line one");
    expect(await expectRoundTrip('SECRET=x\nCERT="line one\\nline two"\n', "dotenv", encRule, dec)).toContain('\nCERT="line one\\nline two"\n');
    await expectRoundTrip('SECRET="line one\nline two"\nCERT=y\n', "dotenv", encRule, dec);
  });
});

describe("dotenv: the fixture of tricky constructs", () => {
  it("encrypts to the expected shape and decrypts to the same bytes", async () => {
    const plain = readFileSync(FIXTURES + "tricky.env", "utf8");
    const e = await roundTrip(plain);
    golden("tricky.enc.env", e);
    // The SOPS reading of each line: the key text as written is the AAD, values are one line.
    expect(e).toMatch(/^DB_PORT =ENC\[AES256_GCM,[^\n]*type:str\]$/m);
    expect(e).toMatch(/^export API_KEY=ENC\[/m);
    expect(e).toMatch(/^MULTI=ENC\[[^\n]*\] # hush:multiline\nMULTI_SINGLE=ENC\[[^\n]*\] # hush:multiline\n/m);
    // SOPS reads only a `#` in column 0 as a comment: an indented one moves there, with a marker.
    expect(e).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:indent=ss$/m);
    expect(e).toMatch(/^EMPTY=\nEMPTY_QUOTED=ENC\[/m);
    expect(e).toContain("PASSWORD_unencrypted=not-secret\n");
    expect(e).toMatch(/^#ENC\[[^\n]*type:comment\]\nsops_age__list_0__map_enc=x\n/m);
  });

  it("reads the dialect for conversions", async () => {
    const tree = (await storeFor("dotenv")).toTree(readFileSync(FIXTURES + "tricky.env", "utf8"));
    const values = Object.fromEntries(tree.entries.flatMap((e) => (e.kind === "entry" && e.value.kind === "scalar" ? [[e.key, e.value.value.text]] : [])));
    expect(values).toEqual({
      DB_HOST: "localhost",
      DB_PORT: "5432",
      API_KEY: "sk-live-1234",
      SINGLE: 'raw \\n stays, "double" inside',
      DOUBLE: 'tab\tnew\nline "quoted" it\'s',
      BACKTICK: "back ${tick} 'x' \"y\"",
      MULTI: "line one\nline two\n# not a comment\nline four",
      MULTI_SINGLE: "a=1\nb=2",
      INLINE: "value",
      QUOTED_INLINE: "v",
      HASH_IN_VALUE: "abc#def",
      EMPTY: "",
      EMPTY_QUOTED: "",
      URL: "postgres://u:p@h:5432/db?sslmode=require&x=a=b",
      PASSWORD_unencrypted: "not-secret",
      SPACES_AROUND: "padded value",
      UNICODE: "héllo wörld ✓",
    });
    expect(tree.entries.filter((e) => e.kind === "comment").map((e) => (e.kind === "comment" ? e.text : ""))).toEqual([" Database settings", " an indented comment", "ENDING COMMENT"]);
  });

  it("keeps CRLF line endings (the CR is not part of a value) and files without a final newline", async () => {
    const crlf = "# c\r\nA=1\r\nB=\"two\r\nlines\"\r\n\r\nC=x";
    const e = await roundTrip(crlf);
    expect(e).toMatch(/^A=ENC\[[^\r\n]*\]\r\n/m);
    expect(e.endsWith("\n")).toBe(false);
    expect(e).toMatch(/^C=ENC\[[^\n]*\]\nsops_age/m);
    expect(((await storeFor("dotenv")).toTree(crlf).entries[2] as { value: { value: { text: string } } }).value.value.text).toBe("two\nlines");
    await roundTrip("");
    await roundTrip("# only a comment");
    await roundTrip("A=1\n\n\n");
  });
});

describe("dotenv: bad input", () => {
  const secret = "hunter2-secret";
  it.each([
    [`A=1\nB="${secret}\nC=3\n`, 2, /unterminated double-quoted value/],
    [`A='${secret}`, 1, /unterminated single-quoted value/],
    [`A=1\nB="${secret}" trailing\n`, 2, /unexpected text after the closing quote/],
    [`A=${secret}\nexport A=2\n`, 2, /duplicate key "A" \(first defined at line 1\)/],
    [`A=1\nsops_token=${secret}\n`, 2, /prefix "sops_" is reserved/],
    [`A=1\nexport sops_token=${secret}\n`, 2, /prefix "sops_" is reserved/],
    [`A=1\n${secret}\n`, 2, /expected KEY=VALUE/],
    [`=${secret}\n`, 1, /empty key/],
    // Line breaks that hush reads inside a line and other readers (python-dotenv, npm's dotenv) do not.
    [`A=1\n# note\rB=${secret}\n`, 2, /the comment holds a carriage return \(CR\), which other readers take for a line break/],
    [`A=1\n  # note\u2028B: ${secret} #\n`, 2, /the comment holds U\+2028/],
    [`A=1\nX\u2028B: ${secret} #\u2029Z=\n`, 2, /the key holds U\+2028/],
    [`A=1\nX\rB: ${secret}\rZ=2\r\n`, 2, /the key holds a carriage return/],
    [`A=1\nX\x0bB=${secret}\n`, 2, /the key holds U\+000B/],
    // npm's and Ruby's dotenv and godotenv read `KEY: value`: to them this line sets DATABASE_URL.
    [`A=1\nDATABASE_URL: ${secret} #=\n`, 2, /the key holds ":", which other dotenv readers .* take for the end of a key/],
    [`A=1\nFOO:${secret}=x\n`, 2, /the key holds ":"/],
    // python-dotenv reads a single-quoted key: to it this line blanks A.
    [`A=${secret}\n'A'=\n`, 2, /the key holds a quote, which other dotenv readers \(python-dotenv\) read a quoted key with/],
    [`A=1\n"B"=${secret}\n`, 2, /the key holds a quote/],
  ])("rejects %j with a one-line message naming the line, never the value", async (text, line, re) => {
    expectSafeParseError(await parseError(text), line, re, secret);
  });

  it("refuses an encrypted file where a branch added a comment or an empty-valued key in clear that other readers split into a variable", async () => {
    const e = await enc(`DATABASE_URL=${secret}\nAPI=abc\n`);
    // Outside the MAC: a comment, and a key whose value is empty (it adds nothing to the MAC).
    for (const added of ["# note\rDATABASE_URL=postgres://attacker", "X\u2028DATABASE_URL: postgres://attacker #\u2028Z=", "DATABASE_URL: postgres://attacker #=", "'DATABASE_URL'="]) {
      const branch = e.replace(/^sops_/m, `${added}\nsops_`);
      const err = await parseErrorOf(() => dec(branch));
      expect(err.message).toMatch(/other (dotenv )?readers/);
      expect(err.line).toBe(3);
    }
    // A CRLF line's CR is the line's, as before.
    expect(await dec(await enc(`# note\r\nA=${secret}\r\n`))).toBe(`# note\r\nA=${secret}\r\n`);
  });

  it("refuses to encrypt a file that already has SOPS metadata", async () => {
    const e = await enc("A=1\n");
    await expect(enc(e)).rejects.toSatisfy((err) => isHushError(err, "ALREADY_ENCRYPTED"));
  });
});

describe("dotenv: conversions", () => {
  it("writes values SOPS's way and quotes only what the dialect needs", async () => {
    const store = await storeFor("dotenv");
    const tree: TreeMap = {
      kind: "map",
      entries: [
        { kind: "comment", text: " generated" },
        { kind: "entry", key: "S", value: { kind: "scalar", value: { type: "str", text: "plain value" } } },
        { kind: "entry", key: "I", value: { kind: "scalar", value: { type: "int", text: "123456789012345678901234567890" } } },
        { kind: "entry", key: "F", value: { kind: "scalar", value: { type: "float", text: "1.50" } } },
        { kind: "entry", key: "G", value: { kind: "scalar", value: { type: "float", text: "2e10" } } },
        { kind: "entry", key: "H", value: { kind: "scalar", value: { type: "float", text: "3.14159265358979323846264338327950288" } } },
        { kind: "entry", key: "B", value: { kind: "scalar", value: { type: "bool", text: "True" } } },
        { kind: "entry", key: "T", value: { kind: "scalar", value: { type: "time", text: "2025-01-02T03:04:05.000Z" } } },
        { kind: "entry", key: "N", value: { kind: "scalar", value: { type: "str", text: "multi\nline \"q\"" } } },
        { kind: "entry", key: "Q", value: { kind: "scalar", value: { type: "str", text: "'starts with a quote" } } },
        { kind: "entry", key: "C", value: { kind: "scalar", value: { type: "str", text: "a #not comment" } } },
        { kind: "entry", key: "E", value: { kind: "null" } },
      ],
    };
    const text = store.emitTree(tree, {});
    expect(text).toBe(
      [
        "# generated",
        "S=plain value",
        "I=123456789012345678901234567890",
        "F=1.5",
        "G=2E+10",
        "H=3.14159265358979323846264338327950288",
        "B=true",
        "T=2025-01-02T03:04:05Z",
        'N="multi\\nline \\"q\\""',
        "Q=\"'starts with a quote\"",
        'C="a #not comment"',
        "E=",
        "",
      ].join("\n"),
    );
    const back = store.toTree(text);
    const get = (k: string): string | undefined => back.entries.flatMap((e) => (e.kind === "entry" && e.key === k && e.value.kind === "scalar" ? [e.value.value.text] : []))[0];
    expect(get("N")).toBe('multi\nline "q"');
    expect(get("Q")).toBe("'starts with a quote");
    expect(get("C")).toBe("a #not comment");
  });

  it("quotes a value with a Unicode blank at either end (U+00A0, U+2028, U+FEFF, U+3000), which the dialect trims from a bare one", async () => {
    const store = await storeFor("dotenv");
    const texts = ["\u00a0lead", "trail\u00a0", "\u2028", "\ufeffbom", "\u3000both\u3000", "in\u00a0side"];
    const tree: TreeMap = { kind: "map", entries: texts.map((text, i) => ({ kind: "entry", key: `V${i}`, value: { kind: "scalar", value: { type: "str", text } } })) };
    const written = store.emitTree(tree, {});
    // Blanks inside a value are read as they are: that one stays bare.
    expect(written.split("\n")[5]).toBe("V5=in\u00a0side");
    const back = store.toTree(written);
    expect(back.entries.map((e) => (e.kind === "entry" && e.value.kind === "scalar" ? e.value.value.text : undefined))).toEqual(texts);
    for (const key of ["\u00a0K", "K\u2028", "\ufeffK"]) {
      expect(() => store.emitTree({ kind: "map", entries: [{ kind: "entry", key, value: { kind: "null" } }] }, {})).toThrow(/cannot be written as a dotenv key/);
    }
  });

  it("refuses nesting and keys that cannot be written", async () => {
    const store = await storeFor("dotenv");
    const nested: TreeMap = { kind: "map", entries: [{ kind: "entry", key: "db", value: { kind: "map", entries: [] } }] };
    expect(() => store.emitTree(nested, {})).toThrow(/cannot use complex value in dotenv file; offending key \["db"\]/);
    const list: TreeMap = { kind: "map", entries: [{ kind: "entry", key: "l", value: { kind: "list", items: [] } }] };
    expect(() => store.emitTree(list, {})).toThrow(/offending key \["l"\]/);
    const bad: TreeMap = { kind: "map", entries: [{ kind: "entry", key: "a=b", value: { kind: "null" } }] };
    expect(() => store.emitTree(bad, {})).toThrow(/cannot be written as a dotenv key/);
    const reserved: TreeMap = { kind: "map", entries: [{ kind: "entry", key: "sops_x", value: { kind: "null" } }] };
    expect(() => store.emitTree(reserved, {})).toThrow(/reserved/);
  });

  it("converts to JSON (what `hush decrypt --output-type json` prints)", async () => {
    const json = await storeFor("json");
    const tree = (await storeFor("dotenv")).toTree('export A="x y" # c\nB=2\n');
    expect(json.emitTree(tree, {})).toBe('{\n\t"A": "x y",\n\t"B": "2"\n}\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Generated documents

const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/).filter((k) => !k.startsWith("SOPS_"));
const plainValue = fc.stringMatching(/^[A-Za-z0-9_.:/@+-][A-Za-z0-9 _.:/@+#=-]{0,16}$/).filter((v) => !/ $/.test(v) && !/ #/.test(v));
const comment = fc.stringMatching(/^[ A-Za-z0-9.,!#=-]{0,20}$/).map((c) => `#${c}`);

/** Lines SOPS itself reads: KEY=raw text, `#` comments at column 0, blank lines, LF only. */
const sopsReadableDoc = fc
  .tuple(
    fc.uniqueArray(fc.tuple(key, fc.oneof(plainValue, plainValue.map((v) => `"${v.replace(/"/g, "")}"`), plainValue.map((v) => `${v} # note`), fc.constantFrom("a\\nb", "\\\\n", '"x\\ny"')), fc.constantFrom("", " ", "export ")), {
      minLength: 1,
      maxLength: 8,
      selector: ([k]) => k,
    }),
    fc.array(fc.tuple(fc.nat(8), fc.oneof(comment, fc.constant(""))), { maxLength: 4 }),
  )
  .map(([entries, extra]) => {
    const lines = entries.map(([k, v, style]) => (style === " " ? `${k} = ${v}` : `${style}${k}=${v}`));
    for (const [at, l] of extra) lines.splice(at % (lines.length + 1), 0, l);
    return lines.join("\n") + "\n";
  });

const dialectValue = fc.oneof(
  plainValue,
  plainValue.map((v) => `${v} # inline comment`),
  fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => `"${s.replace(/[\\"]/g, "").replace(/\r/g, "")}"`),
  fc.string({ maxLength: 12 }).map((s) => `'${s.replace(/[\\']/g, "")}'`),
  fc.array(fc.stringMatching(/^[a-z =#]{0,10}$/), { minLength: 2, maxLength: 3 }).map((ls) => `"${ls.join("\n")}"`),
  fc.array(fc.stringMatching(/^[a-z =]{0,10}$/), { minLength: 2, maxLength: 3 }).map((ls) => `\`${ls.join("\n")}\` # after`),
  fc.constantFrom("", '""', "''", '"esc \\" \\\\ \\n"', "a\\nb", " spaced "),
);

const dialectDoc = fc
  .tuple(
    fc.uniqueArray(fc.tuple(key, dialectValue, fc.constantFrom("", "export ", "  ", "")), { minLength: 1, maxLength: 8, selector: ([k]) => k }),
    fc.array(fc.tuple(fc.nat(8), fc.oneof(comment, comment.map((c) => `   ${c}`), fc.constant(""), fc.constant("  "))), { maxLength: 4 }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean(),
  )
  .map(([entries, extra, eol, finalEol]) => {
    const lines = entries.map(([k, v, p]) => `${p}${k}${p === "  " ? " = " : "="}${v}`);
    for (const [at, l] of extra) lines.splice(at % (lines.length + 1), 0, l);
    return lines.join(eol) + (finalEol ? eol : "");
  });

describe("dotenv: decrypt(encrypt(x)) is byte-identical to x", () => {
  it("for generated documents (quotes, multi-line values, comments, export, CRLF)", async () => {
    await fc.assert(fc.asyncProperty(dialectDoc, (text) => roundTrip(text).then(() => undefined)), { numRuns: RUNS });
  });
});

describe("dotenv: indented comments (SOPS reads only `#` in column 0)", () => {
  it("are written in column 0 with their indentation in a marker, and come back as written", async () => {
    const text = "  # two spaces\nA=1\n\t # tab and space\n  #\n";
    const e = await expectRoundTrip(text, "dotenv", enc, dec);
    const lines = e.split("\n");
    expect(lines[0]).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:indent=ss$/);
    expect(lines[2]).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:indent=ts$/);
    expect(lines[3]).toBe("# # hush:indent=ss");
    const leaf = (await storeFor("dotenv")).parse(e).leaves[0]!;
    expect(leaf.kind).toBe("comment");
    expect(leaf.value!.text).toMatch(/^ENC\[.*\]$/);
  });
});

describe("dotenv: lines of blanks, and blank CRLF lines (SOPS reads each as a line without `=`)", () => {
  const encRule = (regex: string) => (text: string): Promise<string> =>
    encryptText(text, { format: "dotenv", keySources: noKeys, wrappedKeys, dataKey, now, ivSource, rule: { kind: "unencrypted_comment_regex", value: regex } });

  it("are written as encrypted comments with a marker, which SOPS opens, and come back as written", async () => {
    const text = "A=1\r\n\r\n  \r\nB=2\r\n\t \n\nC=3\r\n\r\n";
    const e = await expectRoundTrip(text, "dotenv", enc, dec);
    const lines = e.split("\n");
    expect(lines[1]).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:blank$/);
    expect(lines[2]).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:blank$/);
    expect(lines[4]).toMatch(/^#ENC\[[^\n]*type:comment\] # hush:blank$/);
    // A line with nothing on it is one SOPS skips: it stays.
    expect(lines[5]).toBe("");
    expect(sopsDecryptDotenv(e, dataKey)).toBe("A=1\n# hush:blank=r\n# hush:blank=ssr\nB=2\n# hush:blank=ts\nC=3\n# hush:blank=r\n");
    // What loaders see is unchanged.
    expect((await storeFor("dotenv")).toTree(text).entries.map((x) => (x.kind === "entry" ? x.key : "#"))).toEqual(["A", "B", "C"]);
  });

  it("stay in clear as a marker comment where a rule keeps comments, and come back", async () => {
    const e = await expectRoundTrip("# keep\r\nA=1\r\n\r\nB=2\r\n", "dotenv", encRule("."), dec);
    expect(e).toMatch(/^# keep\r\n/);
    expect(e).toContain("\n# hush:blank=r\n");
  });

  it("never give back more than blanks for a marker that was changed", async () => {
    const e = await enc("A=1\r\n\r\nB=2\r\n");
    // The marker and the comments are outside the MAC: a comment's envelope moved to the marker's
    // line is written as that comment, and a marker in clear gives only blanks and a final CR.
    const comment = await enc("# note\r\nA=1\r\n\r\nB=2\r\n");
    const noteEnvelope = /^#(ENC\[[^\r\n]*\])\r$/m.exec(comment)![1]!;
    expect(await dec(e.replace(/^#ENC\[[^\n]*\] # hush:blank$/m, `#${noteEnvelope} # hush:blank`))).toBe("A=1\r\n# note\nB=2\r\n");
    expect(await dec(e.replace(/^#ENC\[[^\n]*\] # hush:blank$/m, "# hush:blank=st"))).toBe("A=1\r\n \t\nB=2\r\n");
    expect(await dec(e.replace(/^#ENC\[[^\n]*\] # hush:blank$/m, "# hush:blank=rs"))).toBe("A=1\r\n# hush:blank=rs\nB=2\r\n");
  });
});
