import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptText, encryptValue } from "@hush/core";
import { AgeKeySource } from "@hush/key-source-age";
import { sopsDecrypt } from "@hush/testkit";
import { encryptFile, keyedDir, tamperWith, type KeyedDir } from "./helpers.ts";

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

/**
 * A file a branch changed outside the MAC: decrypt and exec-env stop with exit 25 and print
 * nothing, decrypt's error holds `decryptSays` and never the secret, and the keyless check fails
 * with each of `checkSays` in its report.
 */
function expectTamperingRefused(k: KeyedDir, file: string, decryptSays: string, checkSays: readonly string[]): void {
  const decrypt = k.hush(["decrypt", file]);
  expect(decrypt.status, decrypt.stderr).toBe(25);
  expect(decrypt.stdout).toBe("");
  expect(decrypt.stderr).toContain(decryptSays);
  expect(decrypt.stderr).not.toContain(SECRET);

  const exec = k.hush(["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]);
  expect(exec.status, exec.stderr).toBe(25);
  expect(exec.stdout).toBe("");

  const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
  expect(check.status, check.stdout + check.stderr).toBe(1);
  for (const said of checkSays) expect(check.stdout).toContain(said);
}

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
    // python-dotenv reads a quoted key without its quotes: to it this line blanks DATABASE_URL.
    { name: "quoted.env", plain: `DATABASE_URL=${SECRET}\nAPI=abc\n`, added: "'DATABASE_URL'=", reason: /the key holds a quote, which other dotenv readers \(python-dotenv\) read a quoted key with/ },
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
      // The branch's line goes where the owner's data ends: before the metadata.
      const metadataStart = c.name.endsWith(".env") ? /^sops_/m : c.name.endsWith(".ini") ? /^\[sops\]/m : /^sops:/m;
      const branch = tamperWith(file, (encrypted) => encrypted.replace(metadataStart, (m) => `${c.added}\n${m}`));
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

/**
 * SOPS drops YAML tags when it reads a file, so its MAC covers values without them; hush keeps the
 * ones written, and so writes them out again. A branch without the key could put `!!null` before
 * a password's envelope (PyYAML and go-yaml then read null) or `!!str` before a port's (a string):
 * hush refuses every tag before an envelope but the ones it writes itself, an application's own
 * (`!secret`, `!Ref`) or `!!str` on a string.
 */
describe("a YAML tag added before an encrypted value, which changes what other readers of hush's output read", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  for (const [key, tag] of [["password", "!!null"], ["port", "!!str"], ["port", "!Ref"]] as const) {
    it(`${tag} before ${key}: decrypt, exec-env and the keyless check refuse it (exit 25), naming the key and the line`, () => {
      const file = encryptFile(k, `${key}${tag.replace(/!/g, "")}.yaml`, `password: ${SECRET}\nport: 5432\n`);
      const encrypted = readFileSync(file, "utf8");
      writeFileSync(file, encrypted.replace(new RegExp(`^${key}: `, "m"), `${key}: ${tag} `));
      const line = key === "password" ? 1 : 2;
      const reason = `the ${tag} tag on the encrypted value at ["${key}"] (line ${line}) is not one hush writes there, and it changes what other YAML readers read`;
      // An editor cannot open it either: the way back is a trusted revision.
      expectTamperingRefused(k, file, reason, [reason, "(take the file from a revision you trust (git log -p shows who changed it), or remove the tag) [parse-failed]"]);
    });
  }

  it("an application's tag on a secret string (Home Assistant's !secret, CloudFormation's !Sub) is kept and reads back byte for byte", () => {
    const plain = `db_password: !secret ${SECRET}\nurl: !Sub "https://\${Host}/x"\nid: !!str 5\n`;
    const file = encryptFile(k, "tagged.yaml", plain);
    expect(readFileSync(file, "utf8")).toMatch(/^db_password: !secret ENC\[/m);
    const decrypt = k.hush(["decrypt", file]);
    expect(decrypt.status, decrypt.stderr).toBe(0);
    expect(decrypt.stdout).toBe(plain);
  });

  it("refuses to encrypt a plaintext whose tag other readers read otherwise than hush, leaving the file as it was", () => {
    const file = k.path("mistagged.yaml");
    const plain = `password: ${SECRET}\nport: !!int "5432"\n`;
    writeFileSync(file, plain);
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stderr).toContain('mistagged.yaml: the !!int tag on the value at ["port"] (line 2) makes YAML readers that honour tags read it otherwise than hush does (as a string): remove the tag');
    expect(readFileSync(file, "utf8")).toBe(plain);
  });
});

/**
 * `mac_only_encrypted: true` leaves the values in clear outside the MAC, as empty ones are: a
 * branch could add `StringData` in clear after a Secret's encrypted `stringData` (the
 * case-sensitive `encrypted_regex` does not select it), SOPS opens the file with both, and Go's
 * readers that match keys regardless of case (encoding/json, viper) take the branch's password.
 */
describe("mac_only_encrypted: a key Go's readers take for an encrypted one, added in clear", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("SOPS opens the branch's file; hush decrypt, exec-env and the keyless check refuse it, naming both keys", async () => {
    const file = k.path("secret.yaml");
    writeFileSync(file, `kind: Secret\nstringData:\n    password: ${SECRET}\n`);
    const enc = k.hush(["encrypt", "-i", "--age", k.recipient, "--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted", file]);
    expect(enc.status, enc.stderr).toBe(0);
    const branch = tamperWith(file, (t) => t.replace("\nsops:", `\nStringData:\n    password: ${ATTACKER}\nsops:`));
    const sops = await sopsDecrypt({ text: branch, format: "yaml", env: k.env });
    expect(JSON.parse((sops as { plaintext: string }).plaintext)).toEqual({ kind: "Secret", stringData: { password: SECRET }, StringData: { password: ATTACKER } });
    const reason = 'the keys ["stringData"] (line 2) and ["StringData"] differ only in case';
    for (const args of [["decrypt", file], ["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]]) {
      const run = k.hush(args);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(reason);
      expect(run.stderr).not.toContain(SECRET);
    }
    const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
    expect(check.status, check.stdout).toBe(1);
    expect(check.stdout).toContain(reason);
  });
});

/**
 * Anyone can encrypt a new file to a team's public recipients, with a data key of their own, so
 * the comments of a file a branch adds are the outsider's. A comment that decrypts to text with a
 * line break only other readers take (U+2028 for PyYAML, VT for python-dotenv) was written into
 * `hush decrypt`'s output as one comment line: hush's review, check and conversions saw a comment,
 * the Ansible or dotenv reading the output a variable.
 */
describe("an outsider's new file whose encrypted comment holds a line break only other readers take", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  const outsiderKey = new Uint8Array(32).fill(9);
  const cases = [
    { name: "outsider.yaml", format: "yaml", plain: "# note\ndb:\n    user: app\n", comment: `x\u2028DATABASE_URL: ${ATTACKER}` },
    { name: "outsider.env", format: "dotenv", plain: "# note\nUSER=app\n", comment: `x\vDATABASE_URL=${ATTACKER}` },
  ] as const;
  for (const c of cases) {
    it(`${c.name}: decrypt and exec-env refuse it (exit 25) and print nothing`, async () => {
      const encrypted = await encryptText(c.plain, { format: c.format, dataKey: outsiderKey, keyGroups: [[{ kind: "age", recipient: k.recipient }]], keySources: async (kind) => (kind === "age" ? new AgeKeySource() : undefined) });
      const forged = encrypted.replace(/ENC\[[^\]]*type:comment\]/, encryptValue(outsiderKey, Buffer.from(c.comment), "comment", ":", Buffer.alloc(32, 3)));
      expect(forged).not.toBe(encrypted);
      const file = k.path(c.name);
      writeFileSync(file, forged);
      const decrypt = k.hush(["decrypt", file]);
      expect(decrypt.status, decrypt.stderr).toBe(25);
      expect(decrypt.stdout).toBe("");
      expect(decrypt.stderr).toContain("the encrypted comment at line 1 decrypts to more than one line");
      expect(decrypt.stderr).not.toContain(ATTACKER);
      const exec = k.hush(["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]);
      expect(exec.status, exec.stderr).toBe(25);
      expect(exec.stdout).toBe("");
    });
  }
});

/**
 * go-yaml's parser (inside SOPS) and PyYAML's drop the non-specific tag `!` on a plain value: to
 * them `! 8080` is the integer 8080 and `! null` null, where the `yaml` package (hush's reader)
 * reads strings, as YAML 1.2 says. hush read such a value in clear as the string, so `hush decrypt
 * --output-type json`, exec-env and the Node API showed a string where SOPS deploys a number
 * (the MAC holds the same bytes either way); and it wrote a string decrypted under a plain
 * `! ENC[…]` (a branch can drop an envelope's quotes and add the tag) plain, as `! false`.
 */
describe("the non-specific tag `!` on a plain value, no tag at all to SOPS (go-yaml) and PyYAML", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("a value in clear under it that SOPS reads as a number: SOPS opens the file, hush refuses it (exit 2) with the key path and line", async () => {
    const file = encryptFile(k, "bang.yaml", `password: ${SECRET}\nport_unencrypted: "8080"\n`);
    const branch = tamperWith(file, (t) => t.replace('port_unencrypted: "8080"', "port_unencrypted: ! 8080"));
    const sops = await sopsDecrypt({ text: branch, format: "yaml", env: k.env });
    expect(sops).toMatchObject({ ok: true });
    expect(JSON.parse((sops as { plaintext: string }).plaintext)).toEqual({ password: SECRET, port_unencrypted: 8080 });
    const reason = 'the ! tag on the value at ["port_unencrypted"] (line 2) is no tag to SOPS\'s YAML reader and PyYAML, which read the value as an integer';
    for (const args of [["decrypt", "--output-type", "json", file], ["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]]) {
      const run = k.hush(args);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(reason);
    }
    const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
    expect(check.status, check.stdout).toBe(1);
    expect(check.stdout).toContain(reason);
  });

  it("refuses to encrypt a plaintext with `! 8080` or a bare `!`, leaving it as it was; `! web` and `! \"8080\"` are kept", () => {
    for (const [value, reading] of [["! 8080", "an integer"], ["!", "null"]] as const) {
      const file = k.path("bang-plain.yaml");
      const plain = `password: ${SECRET}\nport: ${value}\n`;
      writeFileSync(file, plain);
      const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr).toContain(`the ! tag on the value at ["port"] (line 2) is no tag to SOPS's YAML reader and PyYAML, which read the value as ${reading}`);
      expect(readFileSync(file, "utf8")).toBe(plain);
    }
    const plain = `password: ! ${SECRET}\nport: ! "8080"\nname: ! web\n`;
    const file = encryptFile(k, "bang-kept.yaml", plain);
    expect(k.hush(["decrypt", file]).stdout).toBe(plain);
  });

  it("a branch's plain `! ENC[…]` for a quoted string that looks like a boolean decrypts quoted, the string SOPS reads", async () => {
    const file = encryptFile(k, "bang-flag.yaml", `password: ${SECRET}\nflag: "false"\n`);
    const branch = tamperWith(file, (t) => t.replace(/^flag: "(ENC\[[^"]*)"$/m, "flag: ! $1"));
    expect(branch).toMatch(/^flag: ! ENC\[/m);
    const sops = await sopsDecrypt({ text: branch, format: "yaml", env: k.env });
    expect(JSON.parse((sops as { plaintext: string }).plaintext)).toEqual({ password: SECRET, flag: "false" });
    const decrypt = k.hush(["decrypt", file]);
    expect(decrypt.status, decrypt.stderr).toBe(0);
    expect(decrypt.stdout).toBe(`password: ${SECRET}\nflag: ! "false"\n`);
  });
});

describe("YAML 1.1's boolean words, strings to SOPS and hush and booleans to Helm, kubectl and PyYAML", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("encrypting says which encrypted values are written plain as one, by line and key path; decrypting writes them quoted, as SOPS does", () => {
    const file = k.path("values.yaml");
    writeFileSync(file, 'enabled: no\nquoted: "no"\nmode_unencrypted: on\n');
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe(`hush: warning: ${file}:1: the value at ["enabled"] is a plain yes/no/on/off/y/n word, a string to SOPS and hush but a boolean to Helm, kubectl and PyYAML; decrypting writes it quoted, as SOPS does (write true or false for a boolean)\n`);
    const decrypt = k.hush(["decrypt", file]);
    expect(decrypt.stdout).toBe('enabled: "no"\nquoted: "no"\nmode_unencrypted: on\n');
  });
});

/**
 * Go's readers match a key to a struct field ignoring case (encoding/json, BurntSushi/toml and
 * go-toml by default; viper lower-cases every key), and the last of two such keys wins. An empty
 * value, a null, or an empty table adds nothing to the MAC, so a branch without the key could add
 * `"PASSWORD": ""` after an encrypted `"password"`, or `[DB]` with an empty password after `[db]`,
 * and a Go program reading `hush decrypt`'s output would take the empty value for the secret while
 * hush, Node and Python read two keys.
 */
describe("a key Go's readers take for another, added with an empty value to an encrypted JSON, TOML, INI or YAML file", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  const FOLDED = /differ only in case: (Go's readers|Python's configparser) .* take them for one key/;
  const cases: Array<{ name: string; plain: string; added: string; before: RegExp }> = [
    { name: "empty.json", plain: `{\n    "password": "${SECRET}",\n    "port": 5432\n}\n`, added: `    "PASSWORD": "",`, before: /^ {4}"sops": \{/m },
    { name: "null.json", plain: `{\n    "db": {\n        "password": "${SECRET}"\n    }\n}\n`, added: `    "DB": {"Password": null},`, before: /^ {4}"sops": \{/m },
    // Go folds the Kelvin sign (U+212A) to k, as bytes.EqualFold does.
    { name: "kelvin.json", plain: `{\n    "token": "${SECRET}"\n}\n`, added: `    "to\u212Aen": "",`, before: /^ {4}"sops": \{/m },
    { name: "empty.toml", plain: `password = "${SECRET}"\nport = 5432\n`, added: `PASSWORD = ''`, before: /^\[sops\]/m },
    { name: "table.toml", plain: `[db]\npassword = "${SECRET}"\n`, added: `[DB]\npassword = ""`, before: /^\[sops\]/m },
    // Python's configparser lower-cases keys; with strict=False (and go-ini's Insensitive mode) the last wins.
    { name: "empty.ini", plain: `[db]\npassword = ${SECRET}\n`, added: `PASSWORD =`, before: /^\[sops\]/m },
    // viper lower-cases YAML keys too, and sigs.k8s.io/yaml hands YAML to encoding/json.
    { name: "empty.yaml", plain: `db:\n    password: ${SECRET}\n    user: app\n`, added: `    PASSWORD: ""`, before: /^ {4}user: /m },
  ];

  for (const c of cases) {
    it(`${c.name}: decrypt, exec-env and the keyless check refuse it, naming the file, both keys and the line`, () => {
      const file = encryptFile(k, c.name, c.plain);
      const branch = tamperWith(file, (encrypted) => encrypted.replace(c.before, (m) => `${c.added}\n${m}`));
      const line = branch.slice(0, branch.indexOf(c.added)).split("\n").length;

      const decrypt = k.hush(["decrypt", file]);
      expect(decrypt.status, decrypt.stderr).toBe(2);
      expect(decrypt.stdout).toBe("");
      expect(decrypt.stderr).toContain(c.name);
      expect(decrypt.stderr).toContain(`line ${line}`);
      expect(decrypt.stderr).toMatch(FOLDED);
      expect(decrypt.stderr).not.toContain(SECRET);

      const exec = k.hush(["exec-env", file, "--", process.execPath, "-e", "process.stdout.write('ran')"]);
      expect(exec.status, exec.stderr).not.toBe(0);
      expect(exec.stdout).toBe("");

      const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
      expect(check.status, check.stdout + check.stderr).toBe(1);
      expect(check.stdout + check.stderr).toMatch(FOLDED);

      // The review shows the file's text under the reason, not a plain file of ciphertext.
      const review = k.hush(["git", "textconv", file], { env: { SOPS_AGE_KEY_FILE: "" } });
      expect(review.status, review.stderr).toBe(0);
      expect(review.stdout.split("\n")[0]).toMatch(/^# hush: WARNING: this file does not parse as (JSON|TOML|INI|YAML): .*differ only in case/);
      expect(review.stdout).toContain(c.added);
    });
  }

  it("refuses to encrypt such a plaintext, leaving it as it was; keys that differ in case and both hold values stay fine", () => {
    const file = k.path("plain.json");
    const plain = `{\n    "url": "${SECRET}",\n    "URL": ""\n}\n`;
    writeFileSync(file, plain);
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/plain\.json.*the keys \["url"\] \(line 2\) and \["URL"\] differ only in case.*line 3/);
    expect(readFileSync(file, "utf8")).toBe(plain);

    const both = `{\n    "url": "${SECRET}",\n    "URL": "b"\n}\n`;
    expect(k.hush(["decrypt", encryptFile(k, "both.json", both)]).stdout).toBe(both);
    const toml = `url = "${SECRET}"\nURL = "b"\n`;
    expect(k.hush(["decrypt", encryptFile(k, "both.toml", toml)]).stdout).toBe(toml);
  });
});

/**
 * `<<` is an ordinary key for SOPS and hush, and a merge for the programs that read hush's output:
 * go-yaml v2 (Helm, kubectl, Flux through sigs.k8s.io/yaml) and Ruby merge it over the keys
 * written before it. A null adds nothing to the MAC, so a branch without the key could add
 * `<<: {password: }` after a password's envelope: hush decrypted the file, and Helm read a null
 * password. hush refuses a merge over an earlier key on every path that reads the file.
 */
describe("a YAML merge key added after an encrypted value, which go-yaml v2 and Ruby merge over it", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("decrypt, exec-env and the keyless check refuse it (exit 25), naming the key path and the line", () => {
    const file = encryptFile(k, "merged.yaml", `db:\n  password: ${SECRET}\n  user: admin\n`);
    tamperWith(file, (encrypted) => encrypted.replace(/^( {2}user: [^\n]*\n)/m, "$1  <<: {password: }\n"));
    const reason = 'the merge key << at line 4 merges ["db"]["password"], which the mapping sets before it (line 2): go-yaml v2 (Helm, kubectl) and Ruby read the merged value there';

    expectTamperingRefused(k, file, `merged.yaml: ${reason}`, [`merged.yaml:4: error: ${reason}`]);
  });

  it("refuses to encrypt a plaintext with such a merge, leaving the file as it was; a merge first is kept", () => {
    const file = k.path("merge-last.yaml");
    const plain = `base: &b\n  user: admin\ndb:\n  user: app\n  <<: *b\n`;
    writeFileSync(file, plain);
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('merge-last.yaml: the merge key << at line 5 merges ["db"]["user"], which the mapping sets before it (line 4)');
    expect(readFileSync(file, "utf8")).toBe(plain);
    const first = encryptFile(k, "merge-first.yaml", `base: &b\n  user: admin\ndb:\n  <<: *b\n  user: app\n`);
    expect(k.hush(["decrypt", first]).stdout).toBe(`base: &b\n  user: admin\ndb:\n  <<:\n    user: admin\n  user: app\n`);
  });
});

/**
 * go-yaml v3 (SOPS) and hush read `NO` and `no` as two string keys; YAML 1.1 readers (PyYAML for
 * Ansible, go-yaml v2 for Helm) read both as false, one key, and keep the last one's value. A key's
 * spelling is covered by no MAC and a null adds nothing to it, so a branch could add `no:` after
 * `NO: ENC[…]` and null that value for them.
 */
describe("a YAML key added after an encrypted one, which YAML 1.1 readers read as the same key", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("decrypt, exec-env and the keyless check refuse it (exit 25), naming both keys and lines", () => {
    const file = encryptFile(k, "regions.yaml", `regions:\n  NO: ${SECRET}\n  SE: other\n`);
    tamperWith(file, (encrypted) => encrypted.replace(/^( {2}SE: [^\n]*\n)/m, "$1  no:\n"));
    const reason = 'the keys NO (line 2) and no (line 4) in the mapping at ["regions"] are one key to YAML 1.1 readers (PyYAML, go-yaml v2)';

    expectTamperingRefused(k, file, `regions.yaml: ${reason}`, [`regions.yaml:4: error: ${reason}`]);
  });

  it("refuses to encrypt a plaintext with such keys, leaving the file as it was; quoted, they are kept", () => {
    const file = k.path("toggles.yaml");
    const plain = `on: ${SECRET}\nyes: other\n`;
    writeFileSync(file, plain);
    const run = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('toggles.yaml: the keys on (line 1) and yes (line 2) in the top-level mapping are one key to YAML 1.1 readers (PyYAML, go-yaml v2), which keep only one of their values, while SOPS and hush read two keys: quote them ("on": …)');
    expect(readFileSync(file, "utf8")).toBe(plain);
    const quoted = encryptFile(k, "quoted.yaml", `"on": ${SECRET}\n"yes": other\n`);
    expect(k.hush(["decrypt", quoted]).stdout).toBe(`"on": ${SECRET}\n"yes": other\n`);
  });
});

/**
 * SOPS reads its metadata with go-yaml v3, which merges a `<<` in the `sops` block into it (real
 * SOPS 3.9.2 decrypts a file whose only age entry stands under one). hush read `<<` as a field no
 * tool reads, and the keyless check only warned, saying SOPS ignores it: a branch could so give
 * SOPS users (Flux, helm-secrets) an `hc_vault` address to send their token to, which no check,
 * review or `hush access` showed.
 */
describe("a YAML merge key added in the sops metadata block", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("decrypt and the keyless check refuse it, naming the line", () => {
    const file = encryptFile(k, "meta.yaml", `password: ${SECRET}\n`);
    tamperWith(file, (encrypted) => encrypted.replace(/^sops:\n/m, "sops:\n    <<:\n        hc_vault:\n            - vault_address: https://vault.attacker.example\n              engine_path: transit\n              key_name: k\n              created_at: \"2025-01-02T03:04:05Z\"\n              enc: vault:v1:x\n"));
    const reason = "invalid sops metadata: a merge key << at line 3, which SOPS's YAML reader merges into the metadata and hush does not";

    const decrypt = k.hush(["decrypt", file]);
    expect(decrypt.status, decrypt.stderr).not.toBe(0);
    expect(decrypt.stdout).toBe("");
    expect(decrypt.stderr).toContain(`meta.yaml: ${reason}`);

    const check = k.hush(["check", file], { env: { SOPS_AGE_KEY_FILE: "" } });
    expect(check.status, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toContain(reason);
    expect(check.stdout).not.toContain("[unknown-metadata-field]");
  });
});
