import { dataKey, expectRoundTrip, ivSource, noKeys, now, parseErrorOf, wrappedKeys, expectSafeParseError } from "../store-harness.ts";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, storeFor, type TreeMap } from "@hush/core";
import { sopsVector } from "@hush/testkit";
import { sopsDecryptIni, sopsValues } from "./sops-ini-reader.ts";

const RUNS = Number(process.env["PROPERTY_RUNS"] ?? 150);
const FIXTURES = fileURLToPath(new URL("../fixtures/ini/", import.meta.url));
const UPDATE = process.env["UPDATE_FIXTURES"] === "1";

const enc = (text: string): Promise<string> => encryptText(text, { format: "ini", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const dec = (text: string, key: Uint8Array = dataKey): Promise<string> => decryptText(text, { format: "ini", keySources: noKeys, dataKey: key });
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

function golden(name: string, actual: string): void {
  const path = FIXTURES + name;
  if (UPDATE) writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, "utf8"));
}

/** Section → key → value, as hush's dialect reads a plaintext file. */
async function valuesOf(text: string): Promise<Record<string, Record<string, string>>> {
  const tree = (await storeFor("ini")).toTree(text);
  const out: Record<string, Record<string, string>> = {};
  for (const s of tree.entries) {
    if (s.kind !== "entry" || s.value.kind !== "map") continue;
    out[s.key] = Object.fromEntries(s.value.entries.flatMap((e) => (e.kind === "entry" && e.value.kind === "scalar" ? [[e.key, e.value.value.text]] : [])));
  }
  return out;
}


// ---------------------------------------------------------------------------------------------


const roundTrip = (text: string): Promise<string> => expectRoundTrip(text, "ini", enc, (t) => dec(t));

const parseError = (text: string): ReturnType<typeof parseErrorOf> => parseErrorOf(() => enc(text));

describe("INI: files written by SOPS", () => {
  it("decrypts format.enc.ini byte for byte (`\\n`-escaped armor)", async () => {
    const text = readFileSync(sopsVector("format.enc.ini"), "utf8");
    expect(await dec(text, hex("ce46fd76883106d55913ff2207e160bbeac65a71d6e1cf84c510614bed6f8ccd"))).toBe("[foo]\nbar = baz\n");
  });

  it("decrypts format-2.enc.ini byte for byte (armor as a multi-line \"\"\" value)", async () => {
    const text = readFileSync(sopsVector("format-2.enc.ini"), "utf8");
    expect(await dec(text, hex("200b251d35608cb3451d26d95d0f6c4580575d8f61d908b6d224fc488c65263f"))).toBe("[foo]\nbar = baz\n");
    const doc = (await storeFor("ini")).parse(text);
    const meta = doc.metadata as { pgp: Array<{ enc: string }> };
    expect(meta.pgp[0]!.enc).toMatch(/^-----BEGIN PGP MESSAGE-----\n\nwcBMA[\s\S]*\n-----END PGP MESSAGE-----$/);
  });

  it("quotes values from SOPS files that need it, as SOPS writes them", async () => {
    // SOPS writes every ENC value unquoted; a plaintext with `;` or a newline needs quoting back.
    const store = await storeFor("ini");
    const leaf = store.parse("[s]\nk = ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n").leaves[0]!;
    expect(store.renderPlaintext(leaf, { type: "str", text: "a;b" })).toBe("`a;b`");
    expect(store.renderPlaintext(leaf, { type: "str", text: "l1\nl2" })).toBe('"""l1\nl2"""');
    expect(store.renderPlaintext(leaf, { type: "str", text: " padded " })).toBe('" padded "');
    expect(store.renderPlaintext(leaf, { type: "str", text: "plain" })).toBe("plain");
  });
});

describe("INI: SOPS opens the files hush writes", () => {
  it("for the fixture: every value decrypts at `section:key:`, the MAC matches, comments decrypt", async () => {
    const plain = readFileSync(FIXTURES + "tricky.ini", "utf8");
    const sections = sopsDecryptIni(await enc(plain), dataKey);
    expect(sopsValues(sections)).toEqual(await valuesOf(plain));
    const db = sections.find((s) => s.name === "database")!;
    expect(db.comment).toBe("attached to [database]");
    // go-ini joins the comment above a key with its inline comment; SOPS decrypts the first.
    expect(db.keys.find((k) => k.name === "user")!.comment).toBe("comment before a key");
  });

  it("for generated documents", async () => {
    await fc.assert(
      fc.asyncProperty(iniDoc, async (text) => {
        expect(sopsValues(sopsDecryptIni(await enc(text), dataKey))).toEqual(await valuesOf(text));
      }),
      { numRuns: RUNS },
    );
  });

  it("writes [sops] as SOPS does: after all sections, aligned, armor `\\n`-escaped", async () => {
    const e = await encryptText("[a]\nk = v\n", {
      format: "ini",
      keySources: noKeys,
      wrappedKeys: [[{ kind: "age", recipient: "age1abc", enc: "-----BEGIN AGE ENCRYPTED FILE-----\nQUJD\n-----END AGE ENCRYPTED FILE-----\n" }]],
      dataKey,
      now,
      ivSource,
    });
    const meta = e.slice(e.indexOf("\n\n[sops]\n") + 2);
    expect(meta.replace(/ENC\[[^\]]*\]/, "ENC[…]")).toBe(
      [
        "[sops]",
        "age__list_0__map_enc       = -----BEGIN AGE ENCRYPTED FILE-----\\nQUJD\\n-----END AGE ENCRYPTED FILE-----\\n",
        "age__list_0__map_recipient = age1abc",
        "lastmodified               = 2025-01-02T03:04:05Z",
        "mac                        = ENC[…]",
        "unencrypted_suffix         = _unencrypted",
        "version                    = 3.13.2",
        "",
      ].join("\n"),
    );
  });
});

describe("INI: the fixture of tricky constructs", () => {
  it("encrypts to the expected shape and decrypts to the same bytes", async () => {
    const plain = readFileSync(FIXTURES + "tricky.ini", "utf8");
    const e = await roundTrip(plain);
    golden("tricky.enc.ini", e);
    expect(e).toMatch(/^; ENC\[[^\n]*type:comment\]\n# ENC\[[^\n]*type:comment\]\ntop_level = ENC\[/);
    expect(e).toMatch(/^password = "ENC\[[^\n"]*\]"$/m);
    expect(e).toMatch(/^single = 'ENC\[[^\n']*\]'$/m);
    expect(e).toMatch(/^url = `ENC\[[^\n`]*\]`$/m);
    expect(e).toMatch(/^motd = """ENC\[[^\n]*\]"""$/m);
    expect(e).toMatch(/^;; ENC\[[^\n]*\]\nuser = ENC\[[^\n]*\] ; ENC\[[^\n]*type:comment\]$/m);
    expect(e).toContain("token_unencrypted = visible\n");
    expect(e).toContain("[paths] ; header comment stays plaintext\n");
    expect(e).toMatch(/^inline_hash = ENC\[[^\n#;]*\]#ENC\[/m);
  });

  it("reads values as SOPS does", async () => {
    expect(await valuesOf(readFileSync(FIXTURES + "tricky.ini", "utf8"))).toEqual({
      DEFAULT: { top_level: "outside any section" },
      database: {
        host: "db.example.com",
        port: "5432",
        password: "s3cret with spaces ",
        single: "quoted",
        url: "postgres://u@h/db;x=1#frag",
        motd: "Welcome\nto the server\n",
        empty: "",
        user: "admin",
        token_unencrypted: "visible",
      },
      paths: { "key with = sign": "value", windows: "C:\\dir\\", inline_hash: "a", indented: "yes", unicode: "héllo ✓" },
    });
  });

  it("keeps CRLF files, files without a final newline, [DEFAULT] and empty files", async () => {
    const crlf = "; c\r\n[a]\r\nk = v\r\nm = \"\"\"x\r\ny\"\"\"\r\n";
    const e = await roundTrip(crlf);
    expect(e).toContain("\r\n\r\n[sops]\r\n");
    await roundTrip("[a]\nk = v");
    await roundTrip("[DEFAULT]\nk = v\n[b]\nk = w\n");
    // An AWS credentials file: [default] is not the section of keys before any header.
    await roundTrip("[default]\naws_access_key_id = AKIAEXAMPLE\naws_session_token =\n");
    await roundTrip("");
    await roundTrip("; just a comment\n");
    await roundTrip("k = top\n\n\n");
  });
});

describe("INI: bad input", () => {
  const secret = "hunter2-secret";
  it.each([
    [`[a]\nk = ${secret}\nk = 2\n`, 3, /duplicate key "k" in section \[a\] \(first at line 2\)/],
    [`[a]\nk = 1\n[b]\n[a]\nk = ${secret}\n`, 5, /duplicate key "k" in section \[a\] \(first at line 2\)/],
    [`[a]\nk = """${secret}\nmore\n`, 2, /unterminated """ value/],
    [`[a]\nk = \`${secret}\n`, 2, /unterminated ` value/],
    [`[a]\nk = ${secret}\\\n`, 2, /ending with a backslash/],
    [`[a]\n${secret}\n`, 2, /expected key = value/],
    [`[a\nk = 1\n`, 1, /unclosed section header/],
    [`[]\n`, 1, /empty section name/],
    [`[a] ${secret}\n`, 1, /unexpected text after the section header/],
    [`[a]\nk = """${secret}""" trailing\n`, 2, /unexpected text after the closing quote/],
    [`[a]\nk = 1\n[sops]\ntoken = ${secret}\n`, 3, /section \[sops\] is reserved/],
    [`[a]\n = ${secret}\n`, 2, /empty key name/],
    // Keys configparser (strict=False), go-ini (Insensitive) and viper take for one, where one is empty (outside the MAC).
    [`[db]\npassword = ${secret}\nport = 1\nPASSWORD =\n`, 4, /the keys \["db"\]\["password"\] \(line 2\) and \["db"\]\["PASSWORD"\] differ only in case: Python's configparser .* take them for one key/],
    [`[db]\nPassword = ""\n[x]\n[db]\npassword = ${secret}\n`, 2, /the keys \["db"\]\["Password"\] \(line 2\) and \["db"\]\["password"\] differ only in case/],
    // Sections: go-ini's Insensitive mode and viper read [DB] as [db] (configparser keeps them apart).
    [`[db]\npassword = ${secret}\n[DB]\npassword =\n`, 3, /the keys \["db"\] \(line 1\) and \["DB"\] differ only in case: go-ini \(Insensitive\) and viper take them for one key/],
    // Line breaks that hush and go-ini read inside a line and other readers (configparser) do not.
    [`[a]\nk = 1\n; note\r[b]\rtoken = ${secret}\n`, 3, /the comment holds a carriage return \(CR\), which other readers take for a line break/],
    [`[a] ; x\u2028token: ${secret}\n`, 1, /the section header holds U\+2028/],
    [`[a]\nZ\r[b]\rtoken: ${secret}\rY = \n`, 2, /the key holds a carriage return/],
    [`[a]\nk = v ; x\u0085token: ${secret}\n`, 2, /the comment holds U\+0085/],
    // configparser reads a line indented deeper than the key before it into that key's value, and
    // indentation, headers, empty values and the keys of values in clear are outside the MAC.
    [`[a]\nk = ${secret}\n  extra =\n`, 3, /indented deeper than the key line before it, and Python's configparser reads it as part of that key's value/],
    [`[a]\nk = ${secret}\n  b = 2\n  extra:\n`, 4, /indented deeper than the key line before it/],
    [`[a]\nk = ${secret}\n\t[b]\n`, 3, /indented deeper than the key line before it/],
  ])("rejects %j with a one-line message naming the line, never the value", async (text, line, re) => {
    expectSafeParseError(await parseError(text), line, re, secret);
  });
});

describe("INI: a line configparser reads into the value before it (indented deeper)", () => {
  it("is refused in an encrypted file where its value is in clear (its key and indentation are outside the MAC), kept where it is encrypted", async () => {
    const honest = await enc("[entry_points]\nconsole_scripts =\n    example = example.cli:main\n");
    expect(await dec(honest)).toBe("[entry_points]\nconsole_scripts =\n    example = example.cli:main\n");
    const e = await enc("[db]\nhosts = prod.example\nnote_unencrypted = see the wiki\n");
    // A branch indents the line in clear and renames its key: configparser appends it to hosts.
    const branch = e.replace("\nnote_unencrypted = see the wiki\n", "\n    ,attacker.example #_unencrypted = see the wiki\n");
    expect(branch).not.toBe(e);
    const err = await parseErrorOf(() => dec(branch));
    expect(err.message).toMatch(/indented deeper than the key line before it, and Python's configparser reads it as part of that key's value/);
    expect(err.line).toBe(3);
  });
});

describe("INI: conversions", () => {
  it("writes a section of 150,000 keys (one function argument per key overflowed the stack)", async () => {
    const keys = Array.from({ length: 150_000 }, (_, i) => `k${String(i).padStart(6, "0")}`);
    const section = { kind: "map" as const, entries: keys.map((key) => ({ kind: "entry" as const, key, value: { kind: "scalar" as const, value: { type: "str" as const, text: "v" } } })) };
    const text = (await storeFor("ini")).emitTree({ kind: "map", entries: [{ kind: "entry", key: "s", value: section }] }, {});
    expect(text).toBe(`[s]\n${keys.map((k) => `${k} = v\n`).join("")}`);
  });

  it("writes a tree as SOPS does (go-ini alignment, Go value rendering)", async () => {
    const s = (type: "str" | "int" | "float" | "bool" | "time", text: string) => ({ kind: "scalar" as const, value: { type, text } });
    const tree: TreeMap = {
      kind: "map",
      entries: [
        {
          kind: "entry",
          key: "the_section",
          value: {
            kind: "map",
            entries: [
              { kind: "entry", key: "int", value: s("int", "123") },
              { kind: "entry", key: "float", value: s("float", "1.23") },
              { kind: "entry", key: "bool", value: s("bool", "true") },
              { kind: "entry", key: "date", value: s("time", "2025-01-02T00:00:00Z") },
              { kind: "entry", key: "timestamp", value: s("time", "2025-01-02T03:04:05Z") },
              { kind: "entry", key: "utc_timestamp", value: s("time", "2025-01-02T03:04:05Z") },
              { kind: "entry", key: "string", value: s("str", "this is a string") },
            ],
          },
        },
      ],
    };
    // functional test `test_ini_values_as_strings` (spec 7.4)
    expect((await storeFor("ini")).emitTree(tree, {})).toBe(
      "[the_section]\nint           = 123\nfloat         = 1.23\nbool          = true\ndate          = 2025-01-02T00:00:00Z\ntimestamp     = 2025-01-02T03:04:05Z\nutc_timestamp = 2025-01-02T03:04:05Z\nstring        = this is a string\n",
    );
  });

  it("quotes values and keys so they read back unchanged", async () => {
    const store = await storeFor("ini");
    const text = readFileSync(FIXTURES + "tricky.ini", "utf8");
    const written = store.emitTree(store.toTree(text), {});
    expect(await valuesOf(written)).toEqual(await valuesOf(text));
    expect(written).toContain("url               = `postgres://u@h/db;x=1#frag`\n");
    expect(written).toContain('motd              = """Welcome\nto the server\n"""\n');
    expect(written).toContain('password          = "s3cret with spaces "\n');
    expect(written).toContain("`key with = sign` = value\n");
    expect(written.startsWith("; Application settings\n; hash comment\ntop_level = outside any section\n\n")).toBe(true);
  });

  it("refuses trees that do not fit: top-level values, nesting deeper than section → key", async () => {
    const store = await storeFor("ini");
    expect(() => store.emitTree({ kind: "map", entries: [{ kind: "entry", key: "x", value: { kind: "null" } }] }, {})).toThrow(/top-level key \["x"\] is not a section/);
    const deep: TreeMap = { kind: "map", entries: [{ kind: "entry", key: "a", value: { kind: "map", entries: [{ kind: "entry", key: "b", value: { kind: "map", entries: [] } }] } }] };
    expect(() => store.emitTree(deep, {})).toThrow(/\["a"\]\["b"\] is nested deeper/);
  });

  it("converts to JSON (what `hush decrypt --output-type json` prints)", async () => {
    const tree = (await storeFor("ini")).toTree("; c\nk = 1\n[s]\nv = 'x' ; c\n");
    expect((await storeFor("json")).emitTree(tree, {})).toBe('{\n\t"DEFAULT": {\n\t\t"k": "1"\n\t},\n\t"s": {\n\t\t"v": "x"\n\t}\n}\n');
  });
});

// ---------------------------------------------------------------------------------------------
// Generated documents

const name = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,8}$/).filter((k) => k !== "sops" && k !== "-");
const word = fc.stringMatching(/^[A-Za-z0-9_./@+-][A-Za-z0-9 _./@+=:-]{0,14}[A-Za-z0-9_./@+-]$/);
const iniValue = fc.oneof(
  word,
  word.map((w) => `"${w.replace(/"/g, "")}  "`),
  word.map((w) => `'${w.replace(/'/g, "")}'`),
  word.map((w) => `\`${w};#x\``),
  fc.array(fc.stringMatching(/^[a-z #;=]{0,8}$/), { minLength: 2, maxLength: 3 }).map((ls) => `"""${ls.join("\n")}"""`),
  word.map((w) => `${w} ; inline`),
  word.map((w) => `${w}#inline`),
  fc.constant(""),
);
const comment = fc.tuple(fc.constantFrom(";", "#", "; ", "# ", ";;"), fc.stringMatching(/^[A-Za-z0-9 .,!]{0,16}$/)).map(([m, c]) => `${m}${c}`);

const section = fc.tuple(
  name,
  fc.uniqueArray(fc.tuple(name, iniValue, fc.constantFrom(" = ", "=", ": ", "  =  ")), { maxLength: 5, selector: ([k]) => k }),
  fc.array(fc.tuple(fc.nat(6), fc.oneof(comment, fc.constant(""))), { maxLength: 3 }),
);

const iniDoc = fc
  .tuple(fc.uniqueArray(section, { maxLength: 4, selector: ([n]) => n }), section, fc.boolean(), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([sections, top, withTop, eol, finalEol]) => {
    const block = ([, keys, comments]: (typeof sections)[number]): string[] => {
      const lines = keys.map(([k, v, d]) => `${k}${d}${v}`);
      for (const [at, c] of comments) lines.splice(at % (lines.length + 1), 0, c);
      return lines;
    };
    const lines = [...(withTop ? block(top) : []), ...sections.flatMap((s) => [`[${s[0]}]`, ...block(s)])];
    return lines.join(eol) + (finalEol && lines.length > 0 ? eol : "");
  })
  .filter((t) => !/[\\]$/m.test(t));

describe("INI: decrypt(encrypt(x)) is byte-identical to x", () => {
  it("for generated documents (quoting styles, multi-line values, comments, CRLF)", async () => {
    await fc.assert(fc.asyncProperty(iniDoc, (text) => roundTrip(text).then(() => undefined)), { numRuns: RUNS });
  });
});

describe("INI: leaves in SOPS's tree order (go-ini, treeItemFromSection)", () => {
  const order = async (text: string): Promise<string[]> => (await storeFor("ini")).parse(text).leaves.map((l) => `${l.kind} ${l.path.join(".")} ${l.value?.text ?? ""}`);

  it("a key's comment (the lines above it, then its inline one) comes after the key", async () => {
    expect(await order("; section\n[s]\n; above a\na = 1 ; inline a\nb = 2\n; trailing\n")).toEqual([
      "comment s section",
      "scalar s.a 1",
      "comment s above a",
      "comment s inline a",
      "scalar s.b 2",
      "comment s trailing",
    ]);
  });

  it("a repeated section continues the first; DEFAULT comes first; only the last header's comment leads", async () => {
    expect(await order("[a]\nk = 1\n[b]\nj = 2\n; second a\n[a]\nm = 3\n[DEFAULT]\nd = 0\n")).toEqual(["scalar DEFAULT.d 0", "comment a second a", "scalar a.k 1", "scalar a.m 3", "scalar b.j 2"]);
    expect(await order("; first a\n[a]\nk = 1\n; again a\n[a]\nm = 3\n")).toEqual(["comment a again a", "scalar a.k 1", "scalar a.m 3", "comment a first a"]);
    await roundTrip("[a]\nk = 1\n\n[b]\nj = 2\n\n[a]\nm = 3\n");
  });
});
