import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * hush and SOPS end a dotenv or INI line at LF only; python-dotenv, configparser and npm's dotenv
 * also break lines at a lone CR (npm's dotenv at U+2028 too). hush's YAML reader takes a lone CR,
 * NEL, U+2028 and U+2029 in a comment for text; go-yaml and PyYAML break lines there. A comment,
 * or a key whose value is empty, adds nothing to the MAC, so a branch without the key could add
 * `# note<CR>DATABASE_URL=…` to an encrypted file, and every such reader of `hush decrypt`'s
 * output would take the variable as the file's. So could a key npm's and Ruby's dotenv and
 * godotenv read as `KEY: value`. hush refuses such a file on every path that reads it, and such
 * a plaintext before it writes anything.
 */

const SECRET = "s3cr3t-Vx19";
const ATTACKER = "postgres://attacker.example/db";
const LINE_BREAK = /other readers.* take for a line break/;

describe("a line other readers of hush's output read as a variable, added in clear to an encrypted dotenv, INI or YAML file", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  const cases: Array<{ name: string; plain: string; added: string; reason?: RegExp; status?: number }> = [
    { name: "comment.env", plain: `DATABASE_URL=${SECRET}\nAPI=abc\n`, added: `# note\rDATABASE_URL=${ATTACKER}` },
    // No line break at all: npm's and Ruby's dotenv and godotenv also read `KEY: value`.
    { name: "colon.env", plain: `DATABASE_URL=${SECRET}\nAPI=abc\n`, added: `DATABASE_URL: ${ATTACKER} #=`, reason: /the key holds ":", which other dotenv readers .* take for the end of a key/ },
    { name: "key.env", plain: `DATABASE_URL=${SECRET}\nAPI=abc\n`, added: `X\u2028DATABASE_URL: ${ATTACKER} #\u2028Z=` },
    { name: "comment.ini", plain: `[db]\nurl = ${SECRET}\n`, added: `; note\r[db]\rurl = ${ATTACKER}` },
    { name: "key.ini", plain: `[db]\nurl = ${SECRET}\n`, added: `Z\r[db]\rurl: ${ATTACKER}\rY =` },
    // configparser reads a line indented deeper than the key before it into that key's value.
    { name: "continued.ini", plain: `[db]\nurl = ${SECRET}\n`, added: "    attacker.example =", reason: /indented deeper than the key line before it, and Python's configparser reads it as part of that key's value/ },
    // PyYAML (Ansible) and go-yaml break lines at a lone CR, NEL, U+2028 and U+2029.
    { name: "comment.yaml", plain: `db:\n    url: ${SECRET}\n`, added: `# note\rdb: {url: ${ATTACKER}}` },
    { name: "nel.yaml", plain: `db:\n    url: ${SECRET}\n`, added: `# note\u0085db: {url: ${ATTACKER}}` },
  ];

  for (const c of cases) {
    it(`${c.name}: decrypt, exec-env and the keyless check refuse it, naming the file and the line`, () => {
      const file = encryptFile(k, c.name, c.plain);
      const encrypted = readFileSync(file, "utf8");
      // The branch's line goes where the owner's data ends: before the metadata.
      const metadataStart = c.name.endsWith(".env") ? /^sops_/m : c.name.endsWith(".ini") ? /^\[sops\]/m : /^sops:/m;
      const branch = encrypted.replace(metadataStart, (m) => `${c.added}\n${m}`);
      expect(branch).not.toBe(encrypted);
      writeFileSync(file, branch);
      const line = branch.slice(0, branch.indexOf(c.added)).split("\n").length;

      const decrypt = k.hush(["decrypt", file]);
      expect(decrypt.status, decrypt.stderr).toBe(c.status ?? 2);
      expect(decrypt.stdout).toBe("");
      expect(decrypt.stderr).toContain(c.name);
      expect(decrypt.stderr).toContain(`line ${line}`);
      expect(decrypt.stderr).toMatch(c.reason ?? LINE_BREAK);
      expect(decrypt.stderr).not.toContain(SECRET);

      const exec = k.hush(["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]);
      expect(exec.status, exec.stderr).not.toBe(0);
      expect(exec.stdout).toBe("");

      const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
      expect(check.status, check.stdout + check.stderr).toBe(1);
      expect(check.stdout + check.stderr).toMatch(c.reason ?? LINE_BREAK);
    });
  }

  it("an INI comment in clear after a value (configparser and PHP read it into the value): decrypt refuses it, exit 25", () => {
    const file = encryptFile(k, "inline.ini", `[app]\nhosts = a.example ; the hosts\nport = 5432\n`);
    const encrypted = readFileSync(file, "utf8");
    // hush wrote the comment encrypted; a branch appends one in clear to another value.
    expect(encrypted).toMatch(/^hosts = ENC\[[^\n]*; ENC\[/m);
    writeFileSync(file, encrypted.replace(/^(port = ENC\[[^\]]*\])/m, "$1 ;,attacker.example"));
    const decrypt = k.hush(["decrypt", file]);
    expect(decrypt.status, decrypt.stderr).toBe(25);
    expect(decrypt.stdout).toBe("");
    expect(decrypt.stderr).toMatch(/inline\.ini: the comment after the value at line 3 is in clear.*configparser and PHP read it as part of the value/);
    // The keyless gate fails the pull request, as it does for a value in clear.
    const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
    expect(check.status, check.stdout + check.stderr).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/inline\.ini:3: error: the comment after the value at line 3 is in clear.*\[plaintext-comment\]/);
    const honest = encryptFile(k, "honest.ini", `[app]\nhosts = a.example ; the hosts\n`);
    expect(k.hush(["decrypt", honest]).stdout).toBe(`[app]\nhosts = a.example ; the hosts\n`);
  });

  it("refuses to encrypt a plaintext whose comment holds a CR (it could not be decrypted after), leaving the file as it was", () => {
    const file = k.path("plain.env");
    const plain = `# note\rmore\nTOKEN=${SECRET}\n`;
    writeFileSync(file, plain);
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stderr).toMatch(/plain\.env.*the comment holds a carriage return \(CR\).*line 1/);
    expect(readFileSync(file, "utf8")).toBe(plain);
  });
});
