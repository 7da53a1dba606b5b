import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir, appUsingWorkspaceCli } from "./helpers.ts";

/**
 * The MAC covers decrypted values only: the syntax around an envelope (dotenv's `# hush:multiline`
 * marker, INI quotes, comments moved next to a value) is not authenticated, and anyone can change
 * it. Each case encrypts a file with the real CLI, changes only those bytes as an attacker would,
 * and checks that `hush decrypt`, exec-env and the Node loader still read the authenticated values,
 * or that decryption stops with exit status 25 and writes nothing. TOML and JSON replace the whole
 * string literal that holds an envelope, so nothing around it is read; their cases guard that.
 */

const ENVELOPE = /ENC\[AES256_GCM,[^\]]*\]/g;

/** Every envelope of an encrypted file's data part, in order. */
function envelopes(text: string): string[] {
  return [...text.slice(0, text.search(/^(sops_|\[sops\])/m)).matchAll(ENVELOPE)].map((m) => m[0]);
}

/** Replaces a file's text with `tamper(text)` (an attacker's edit), asserting it changed. */
function tamperWith(path: string, tamper: (text: string) => string): void {
  const before = readFileSync(path, "utf8");
  const after = tamper(before);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
}

const PRINT_ENV = "process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(KEY|INJECTED|MSG|OTHER)$/.test(k)))))";

describe("dotenv: the hush:multiline marker never changes what a value means", () => {
  let k: KeyedDir;
  let app: string;
  beforeAll(() => {
    k = keyedDir();
    app = appUsingWorkspaceCli(k);
    writeFileSync(join(app, "print.mjs"), `import "@hush/cli/config";\n${PRINT_ENV};\n`);
  });
  afterAll(() => k.cleanup());

  function execEnv(file: string): { status: number; env: unknown; stderr: string } {
    const r = k.hush(["exec-env", file, "--", process.execPath, "-e", PRINT_ENV]);
    return { status: r.status, env: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }

  function loader(file: string): { status: number; env: unknown; stderr: string } {
    const r = spawnSync(process.execPath, ["print.mjs"], {
      cwd: app,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", HOME: app, SOPS_AGE_KEY_FILE: k.keyFile, HUSH_ENV_FILE: file },
      encoding: "utf8",
      timeout: 15_000,
    });
    return { status: r.status ?? 128, env: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
  }

  it("a marker added after a SOPS-style value holding \\n does not turn its second line into a variable", () => {
    const plain = "KEY=first\\nINJECTED=evil\nOTHER=ok\n";
    const f = encryptFile(k, "app/added.env", plain);
    tamperWith(f, (t) => t.replace(/^(KEY=ENC\[[^\]]*\])$/m, "$1 # hush:multiline"));

    const d = k.hush(["decrypt", f]);
    expect(d.stderr).toBe("");
    expect(d.status).toBe(0);
    expect(d.stdout).toBe(plain);

    const expected = { KEY: "first\\nINJECTED=evil", OTHER: "ok" };
    expect(execEnv(f)).toEqual({ status: 0, env: expected, stderr: "" });
    expect(loader("added.env")).toEqual({ status: 0, env: expected, stderr: "" });
  });

  it("a marker removed from a quoted value that spanned lines gives the value back as it was", () => {
    // Single quotes keep `\n` as two characters: the value is `a\nb`, a line break, `c`.
    const plain = "MSG='a\\nb\nc'\nOTHER=ok\n";
    const f = encryptFile(k, "app/removed.env", plain);
    tamperWith(f, (t) => t.replace(" # hush:multiline", ""));

    const d = k.hush(["decrypt", f]);
    expect(d.stderr).toBe("");
    expect(d.status).toBe(0);
    expect(d.stdout).toBe(plain);

    const expected = { MSG: "a\\nb\nc", OTHER: "ok" };
    expect(execEnv(f)).toEqual({ status: 0, env: expected, stderr: "" });
    expect(loader("removed.env")).toEqual({ status: 0, env: expected, stderr: "" });
  });

  it("an honest multi-line value and a value holding \\n decrypt byte for byte", () => {
    const plain = 'A="one\ntwo" # note\nB=x\\ny\nC=`p\nq`\n';
    const f = encryptFile(k, "app/honest.env", plain);
    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(plain);
  });
});

describe("INI: the quotes around an envelope never change what a value means", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  function decryptJson(file: string): unknown {
    const r = k.hush(["decrypt", "--output-type", "json", file]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  for (const quote of ['"', "'"]) {
    it(`a multi-line """ value re-quoted with ${quote} does not become a second key`, () => {
      const plain = '[app]\nnote = """line1\nevil = injected"""\nname = x\n';
      const f = encryptFile(k, `requote${quote === '"' ? "2" : "1"}.ini`, plain);
      tamperWith(f, (t) => t.replace(/"""(ENC\[[^\]]*\])"""/, `${quote}$1${quote}`));

      const d = k.hush(["decrypt", f]);
      expect(d.stderr).toBe("");
      expect(d.status).toBe(0);
      expect(d.stdout).toBe(plain);
      expect(decryptJson(f)).toEqual({ app: { note: "line1\nevil = injected", name: "x" } });
    });
  }

  it("a backtick value holding # re-quoted with \" is not cut at the #", () => {
    const plain = "[app]\nurl = `https://example.com/#frag`\n";
    const f = encryptFile(k, "hash.ini", plain);
    tamperWith(f, (t) => t.replace(/`(ENC\[[^\]]*\])`/, '"$1"'));

    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(plain);
    expect(decryptJson(f)).toEqual({ app: { url: "https://example.com/#frag" } });
  });

  it("a comment the attacker put in clear after a re-quoted value is refused: configparser and PHP would read it into the value", () => {
    const plain = "[app]\nurl = `https://example.com/#frag`\n";
    const f = encryptFile(k, "tail.ini", plain);
    // A backtick in the comment would close a backtick-quoted value there.
    tamperWith(f, (t) => t.replace(/`(ENC\[[^\]]*\])`/, '"$1" ; tick`'));

    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(25);
    expect(d.stdout).toBe("");
    expect(d.stderr).toMatch(/the comment after the value at line 2 is in clear/);
  });

  it("an encrypted comment holding a backtick, moved after a backtick value, stays encrypted", () => {
    const plain = "[app]\n; see `docs`\nurl = `https://example.com/#frag`\n";
    const f = encryptFile(k, "comment.ini", plain);
    let comment = "";
    tamperWith(f, (t) => {
      comment = envelopes(t)[0]!;
      return t.replace(`; ${comment}\n`, "").replace(/(url = `ENC\[[^\]]*\]`)/, `$1 ; ${comment}`);
    });

    // Written out, the comment's backtick would close the value inside the comment; it is kept as
    // it is, as a comment that fails authentication is.
    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(`[app]\nurl = \`https://example.com/#frag\` ; ${comment}\n`);
    expect(decryptJson(f)).toEqual({ app: { url: "https://example.com/#frag" } });
  });

  it("honest quoted values decrypt byte for byte", () => {
    const plain = "[app]\na = \"x y\" ; c1\nb = 'p # q'\nc = `r;s` # c2\nd = \"\"\"m\nn\"\"\"\ne = plain\n";
    const f = encryptFile(k, "honest.ini", plain);
    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(plain);
  });
});

describe("TOML and JSON: nothing around an envelope decides how its value is written", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  for (const [name, requote] of [
    ["literal quotes", "'$1'"],
    ["a multi-line basic string", '"""$1"""'],
  ] as const) {
    it(`TOML: an envelope re-quoted as ${name} is a value that is not encrypted (exit 25), not a place to write into`, () => {
      const f = encryptFile(k, `requote-${name.length}.toml`, 'note = """line1\nevil = 1"""\n');
      tamperWith(f, (t) => t.replace(/^note = "(ENC\[[^\]]*\])"/m, `note = ${requote}`));
      const d = k.hush(["decrypt", f]);
      expect(d.stdout).toBe("");
      expect(d.status).toBe(25);
      expect(d.stderr).toContain('value at ["note"] (line 1) should be encrypted but is not');
    });
  }

  it("JSON: an envelope spelled with escapes decrypts to the same JSON string literal", () => {
    const plain = '{"a": "x\\ny\\"", "b": 1}\n';
    const f = encryptFile(k, "escaped.json", plain);
    tamperWith(f, (t) => t.replace('"ENC[', '"\\u0045NC['));
    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(plain);
  });
});
