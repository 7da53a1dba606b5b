import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editEncrypted, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * What a reviewer sees of an encrypted file's metadata: the textconv view starts with a summary
 * of who can read the file, so a change of recipients is a diff line for readers with and
 * without keys; control characters from the file are escaped; huge files are not decrypted.
 */

let sb: Sandbox;
let repo: string;
/** A second age key: the attacker's, not named by .sops.yaml. */
let attacker: string;
let attackerEntry: string;

/** The `- enc: ... recipient: ...` block of the first age recipient in a hush-written YAML file. */
function ageEntryBlock(text: string): string {
  const m = /^ {8}- enc: \|\n(?: {12}.*\n)+ {10}recipient: .*\n/m.exec(text);
  if (m === null) throw new Error("no age entry in the file");
  return m[0];
}

/** `text` with `entry` added as another recipient of the first key group. */
function withEntry(text: string, entry: string): string {
  const at = text.indexOf("\n    age:\n");
  if (at === -1) throw new Error("no sops.age in the file");
  const end = at + "\n    age:\n".length;
  return text.slice(0, end) + entry + text.slice(end);
}

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb);
  writeEncrypted(sb, repo, "app.enc.yaml", "db:\n  password: review-secret-17\nport: 5432\n");
  const setup = hush(sb, ["git", "setup"], { cwd: repo });
  expect(setup.status, setup.stderr).toBe(0);
  commitAll(sb, repo, "initial");
  // The attacker's own key and a file wrapped for it: a structurally valid age entry.
  const keygen = hush(sb, ["keygen", "-o", join(sb.dir, "attacker.txt")], { cwd: sb.dir });
  attacker = /Public key: (age1[0-9a-z]+)/.exec(keygen.stderr)![1]!;
  writeFileSync(join(sb.dir, "other.yaml"), "x: 1\n");
  const other = hush(sb, ["encrypt", "--age", attacker, join(sb.dir, "other.yaml")], { cwd: sb.dir });
  expect(other.status, other.stderr).toBe(0);
  attackerEntry = ageEntryBlock(other.stdout);
});

afterAll(() => sb.cleanup());

describe("the review view shows who can read a file", () => {
  it("git show of a commit that only adds a recipient prints that recipient, with a key and without", () => {
    const file = join(repo, "app.enc.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, withEntry(before, attackerEntry));
    commitAll(sb, repo, "add a recipient");
    try {
      const line = new RegExp(`^\\+# hush: key group 0: age ${attacker} wrapped key [0-9a-f]{16}$`, "m");
      const withKey = git(sb, repo, ["show", "HEAD", "--", "app.enc.yaml"]).stdout;
      expect(withKey).toMatch(line);
      expect(withKey).not.toContain("review-secret-17");
      const keyless = git(sb, repo, ["show", "HEAD", "--", "app.enc.yaml"], { env: sb.keylessEnv }).stdout;
      expect(keyless).toMatch(line);
      expect(keyless).not.toContain("review-secret-17");
      // Only the summary changed: no value line is part of the patch.
      for (const out of [withKey, keyless]) {
        const changed = out.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l));
        expect(changed.length).toBeGreaterThan(0);
        expect(changed.every((l) => l.startsWith("+# hush: ") || l.startsWith("-# hush: "))).toBe(true);
      }
    } finally {
      git(sb, repo, ["reset", "-q", "--hard", "HEAD~1"]);
    }
  });

  it("re-wrapping the data key for a recipient changes its line (keyless), rotating the data key changes the fingerprint", () => {
    const rotate = hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo });
    expect(rotate.status, rotate.stderr).toBe(0);
    commitAll(sb, repo, "rotate");
    try {
      const keyless = git(sb, repo, ["show", "HEAD", "--", "app.enc.yaml"], { env: sb.keylessEnv }).stdout;
      expect(keyless).toMatch(new RegExp(`^-# hush: key group 0: age ${sb.recipient} wrapped key [0-9a-f]{16}$`, "m"));
      expect(keyless).toMatch(new RegExp(`^\\+# hush: key group 0: age ${sb.recipient} wrapped key [0-9a-f]{16}$`, "m"));
      const withKey = git(sb, repo, ["show", "HEAD", "--", "app.enc.yaml"]).stdout;
      expect(withKey).toMatch(/^-# hush: data key fingerprint: [0-9a-f]{16}$/m);
      expect(withKey).toMatch(/^\+# hush: data key fingerprint: [0-9a-f]{16}$/m);
      // The values did not change, so the decrypted lines are context only.
      expect(withKey).toMatch(/^ {3}password: review-secret-17$/m);
    } finally {
      git(sb, repo, ["reset", "-q", "--hard", "HEAD~1"]);
    }
  });

  it("a change at the end of a long encrypted_regex is a changed line, with a key and without", () => {
    // A rule naming many keys is long; a branch without a key changes a name past the first 200
    // characters: the file still opens and reads the same, and the next `hush set` of that key
    // writes its value in plaintext.
    const names = Array.from({ length: 40 }, (_, i) => `service_${String(i).padStart(2, "0")}_token`);
    const regex = `^(${names.join("|")}|password)$`;
    writeFileSync(join(sb.dir, "long-rule.yaml"), "password: long-rule-secret\nservice_00_token: t0\n");
    const enc = hush(sb, ["encrypt", "--age", sb.recipient, "--encrypted-regex", regex, join(sb.dir, "long-rule.yaml")], { cwd: sb.dir });
    expect(enc.status, enc.stderr).toBe(0);
    writeFileSync(join(sb.dir, "long-rule.enc.yaml"), enc.stdout);
    const changed = enc.stdout.replace("service_38_token|", "service_3_token|");
    expect(changed).not.toBe(enc.stdout);
    writeFileSync(join(sb.dir, "long-rule-changed.enc.yaml"), changed);
    for (const env of [sb.env, sb.keylessEnv]) {
      const ruleOf = (name: string): string => {
        const r = hush(sb, ["git", "textconv", name], { cwd: sb.dir, env });
        expect(r.status, r.stderr).toBe(0);
        return r.stdout.split("\n").find((l) => l.startsWith("# hush: encryption rule: "))!;
      };
      const [before, after] = [ruleOf("long-rule.enc.yaml"), ruleOf("long-rule-changed.enc.yaml")];
      expect(before).toBe(`# hush: encryption rule: encrypted_regex ${JSON.stringify(regex)}`);
      expect(after).not.toBe(before);
      expect(after).toContain("service_3_token|");
    }
  });

  it("the summary states the threshold and the encryption rule, one line each", () => {
    const view = git(sb, repo, ["cat-file", "--textconv", "HEAD:app.enc.yaml"]).stdout;
    expect(view.split("\n").slice(0, 6)).toEqual([
      expect.stringMatching(new RegExp(`^# hush: key group 0: age ${sb.recipient} wrapped key [0-9a-f]{16}$`)),
      "# hush: shamir threshold: not used (1 key group)",
      '# hush: encryption rule: unencrypted_suffix "_unencrypted"',
      "# hush: mac_only_encrypted: false",
      expect.stringMatching(/^# hush: data key fingerprint: [0-9a-f]{16}$/),
      "# hush: end of metadata summary",
    ]);
  });
});

describe("untrusted text in the view is escaped", () => {
  it("control characters in a recipient cannot forge lines or terminal sequences", () => {
    const file = join(repo, "app.enc.yaml");
    const text = readFileSync(file, "utf8");
    const evil = attackerEntry.replace(/recipient: .*\n/, 'recipient: "age1evil\\e]0;pwned\\a\\n# hush: data key fingerprint: 0000000000000000"\n');
    writeFileSync(join(sb.dir, "evil.enc.yaml"), withEntry(text, evil));
    for (const env of [sb.keylessEnv, sb.env]) {
      const r = hush(sb, ["git", "textconv", join(sb.dir, "evil.enc.yaml")], { cwd: sb.dir, env });
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(/[\u001b\u0007]/);
      expect(r.stdout).toContain("age1evil\\x1b]0;pwned\\x07\\x0a# hush: data key fingerprint: 0000000000000000");
      expect(r.stdout).not.toMatch(/^# hush: data key fingerprint: 0{16}$/m);
    }
  });

  it("a Cyrillic or Greek letter in a word of Latin ones (a lookalike URL or key) is shown escaped, with a key and without; one-script words are not", () => {
    const plain = "WEBHOOK=https://hooks.sl\u0430ck.com/x\nD\u0410TABASE_URL=pg://db\nNAME=\u043f\u0430\u0440\u043e\u043b\u044c\nKEY=\u03ba\u03bb\u03b5\u03b9\u03b4\u03af\nCITY=Stra\u00dfe\n";
    writeFileSync(join(sb.dir, "lookalike.env"), plain);
    const enc = hush(sb, ["encrypt", "--age", sb.recipient, join(sb.dir, "lookalike.env")], { cwd: sb.dir });
    expect(enc.status, enc.stderr).toBe(0);
    writeFileSync(join(sb.dir, "lookalike.enc.env"), enc.stdout);
    const warning = "# hush: WARNING: words below mix Latin letters with Cyrillic or Greek ones, which look alike; those are shown escaped (\\uNNNN); programs get the letters themselves";
    const keyed = hush(sb, ["git", "textconv", "lookalike.enc.env"], { cwd: sb.dir }).stdout.split("\n");
    expect(keyed[0]).toBe(warning);
    expect(keyed.slice(-6)).toEqual(["WEBHOOK=https://hooks.sl\\u0430ck.com/x", "D\\u0410TABASE_URL=pg://db", "NAME=\u043f\u0430\u0440\u043e\u043b\u044c", "KEY=\u03ba\u03bb\u03b5\u03b9\u03b4\u03af", "CITY=Stra\u00dfe", ""]);
    const keyless = hush(sb, ["git", "textconv", "lookalike.enc.env"], { cwd: sb.dir, env: sb.keylessEnv }).stdout.split("\n");
    expect(keyless[0]).toBe(warning);
    expect(keyless).toContainEqual(expect.stringMatching(/^D\\u0410TABASE_URL=<encrypted:[0-9a-f]{8}>$/));
    // The file is unchanged: programs get the letters themselves.
    expect(hush(sb, ["decrypt", "lookalike.enc.env"], { cwd: sb.dir }).stdout).toBe(plain);
  });

  it("a lookalike letter in a recipient's address (a Cyrillic о in a Vault host) is escaped in its summary line, with a key and without", () => {
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    const vault = '    hc_vault:\n        - vault_address: https://vault.c\u043erp.example:8200\n          engine_path: sops\n          key_name: firstkey\n          created_at: "2026-12-07T14:23:00Z"\n          enc: vault:v1:abc\n';
    expect(text).toContain("\n    lastmodified:");
    writeFileSync(join(sb.dir, "lookalike-vault.enc.yaml"), text.replace("\n    lastmodified:", `\n${vault}    lastmodified:`));
    for (const env of [sb.env, sb.keylessEnv]) {
      const r = hush(sb, ["git", "textconv", "lookalike-vault.enc.yaml"], { cwd: sb.dir, env });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^# hush: key group 0: hc_vault https:\/\/vault\.c\\u043erp\.example:8200\/v1\/sops\/keys\/firstkey wrapped key [0-9a-f]{16}$/m);
    }
  });

  it("the merge driver escapes the path git passes (%P)", () => {
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    for (const side of ["base", "ours", "theirs"]) writeFileSync(join(sb.dir, `merge-${side}`), text);
    const name = "evil\nhush: all merged\u001b[2J.enc.yaml";
    const r = hush(sb, ["git", "merge", "merge-base", "merge-ours", "merge-theirs", "7", name], { cwd: sb.dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\u001b/);
    expect(r.stderr).toContain("hush: evil\\x0ahush: all merged\\x1b[2J.enc.yaml: merged by key path\n");
    expect(r.stderr.split("\n").filter((l) => l.startsWith("hush: all merged"))).toEqual([]);
  });

  it("a branch's decrypted values cannot drive the terminal or hide text behind a carriage return, in any format", () => {
    const WARNING_LINE = "# hush: WARNING: the text below holds control or invisible characters, shown escaped (\\xNN, \\uNNNN); programs get the characters themselves";
    // Anyone with the recipients' public keys can encrypt such values: no key is needed to write them.
    const cases = [
      { name: "cr.enc.env", plain: "URL=https://evil.example/?\rURL=https://ok.example/\nTOKEN=t0ken\u001b]52;c;Y3VybCBldmlsfHNo\u0007\nNAME=\u202eabc\n", shown: ["+URL=https://evil.example/?\\x0dURL=https://ok.example/", "+TOKEN=t0ken\\x1b]52;c;Y3VybCBldmlsfHNo\\x07", "+NAME=\\u202eabc"] },
      { name: "cr.enc.ini", plain: "[db]\nhost = evil\rhost = ok\nclear = a\u001b[2Jb\n", shown: ["+host = evil\\x0dhost = ok", "+clear = a\\x1b[2Jb"] },
      { name: "key.enc.yaml", plain: "k\u001b[31mx: v\n", shown: ["+k\\x1b[31mx: v"] },
    ];
    git(sb, repo, ["checkout", "-q", "-b", "invisible"]);
    try {
      for (const c of cases) {
        writeFileSync(join(repo, c.name), c.plain);
        const enc = hush(sb, ["encrypt", "-i", "--age", sb.recipient, c.name], { cwd: repo, env: sb.keylessEnv });
        expect(enc.status, enc.stderr).toBe(0);
      }
      commitAll(sb, repo, "values with control characters");
      const whole = [git(sb, repo, ["show", "HEAD"]).stdout, hush(sb, ["git", "diff", "HEAD~1", "HEAD"], { cwd: repo }).stdout];
      const views = cases.map((c) => ({ out: hush(sb, ["git", "textconv", c.name], { cwd: repo }).stdout.replace(/^(?!# hush: )/gm, "+"), cases: [c] }));
      for (const { out, cases: shownCases } of [...whole.map((out) => ({ out, cases })), ...views]) {
        expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
        for (const c of shownCases) {
          for (const line of c.shown) expect(out.split("\n")).toContain(line);
        }
        expect(out).toContain(WARNING_LINE);
      }
      // Without a key: the key names the branch committed are escaped the same way.
      const keyless = git(sb, repo, ["show", "HEAD"], { env: sb.keylessEnv }).stdout;
      expect(keyless).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(keyless).toMatch(/^\+k\\x1b\[31mx: <encrypted:[0-9a-f]{8}>$/m);
      expect(keyless).toContain(WARNING_LINE);
      // The file itself is unchanged: programs get the values as they are.
      expect(hush(sb, ["decrypt", "cr.enc.env"], { cwd: repo }).stdout).toBe(cases[0]!.plain);
    } finally {
      git(sb, repo, ["checkout", "-q", "main"]);
    }
  });
});

describe("size limit of the review view", () => {
  it("a file above the limit gets a one-line notice and a hash, never plaintext, and the limit can be raised", () => {
    // 1.3 MiB in one value: above the 1 MiB default.
    const big = `blob: ${"big-plaintext-".repeat(100_000)}\n`;
    writeEncrypted(sb, repo, "big.enc.yaml", big);
    commitAll(sb, repo, "big file");
    const show = git(sb, repo, ["show", "HEAD", "--", "big.enc.yaml"]);
    expect(show.stdout).toMatch(/^\+# hush: file too large for the review view \(\d+ bytes, limit 1048576\); values not shown; raise the limit with HUSH_TEXTCONV_MAX_BYTES=<bytes>$/m);
    expect(show.stdout).toMatch(/^\+# hush: size: \d+ bytes, sha256 of the stored file: [0-9a-f]{64}$/m);
    expect(show.stdout).not.toContain("big-plaintext-");
    expect(show.stdout.length).toBeLessThan(2000);
    const raised = spawnSync("git", ["cat-file", "--textconv", "HEAD:big.enc.yaml"], { cwd: repo, env: { ...sb.env, HUSH_TEXTCONV_MAX_BYTES: "4M" }, maxBuffer: 64 * 1024 * 1024 });
    expect(raised.status).toBe(0);
    expect(raised.stdout.toString()).toContain("blob: big-plaintext-big-plaintext-");
    // A lower limit applies to small files too; a bad value falls back to the default with a note.
    const lowered = hush(sb, ["git", "textconv", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, HUSH_TEXTCONV_MAX_BYTES: "100" } });
    expect(lowered.status).toBe(0);
    expect(lowered.stdout).toMatch(/^# hush: file too large for the review view \(\d+ bytes, limit 100\)/);
    expect(lowered.stdout).not.toContain("review-secret-17");
    const bad = hush(sb, ["git", "textconv", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, HUSH_TEXTCONV_MAX_BYTES: "lots" } });
    expect(bad.status).toBe(0);
    expect(bad.stderr).toContain("HUSH_TEXTCONV_MAX_BYTES is not a byte count");
    expect(bad.stdout).toContain("review-secret-17");
  });

  it("an edit keeps the summary unchanged, so the diff shows only the value", async () => {
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db:\n  password: review-secret-18\nport: 5432\n");
    const out = git(sb, repo, ["diff", "--", "app.enc.yaml"]).stdout;
    expect(out.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l))).toEqual(["-  password: review-secret-17", "+  password: review-secret-18"]);
    git(sb, repo, ["checkout", "--", "app.enc.yaml"]);
  });
});
