import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

/** `hush check`: keyless policy checks for pre-commit and CI, `--verify` with keys, the hook. */

let sb: Sandbox;
let repo: string;

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb, "repo", "^secrets/.*\\.(yaml|json)$");
  mkdirSync(join(repo, "secrets"));
  writeEncrypted(sb, repo, "secrets/db.yaml", "user: app\npassword: db-secret-123\nport_unencrypted: 5432\n");
  writeEncrypted(sb, repo, "secrets/api.json", '{"token": "api-secret-456"}\n');
  writeFileSync(join(repo, "README.md"), "not a secret\n");
  writeFileSync(join(repo, "settings.yaml"), "debug: true\n");
  commitAll(sb, repo, "initial");
});

afterAll(() => sb.cleanup());

describe("hush check", () => {
  it("passes when every covered file is encrypted and well formed (keyless)", () => {
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // Also read (scanned for likely secrets): .sops.yaml, README.md and settings.yaml.
    expect(r.stdout).toContain("5 file(s) checked, 2 encrypted; 0 error(s), 0 warning(s)");
    // A file named on the command line is counted when it has nothing to report too.
    const named = hush(sb, ["check", "settings.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(named.stdout).toBe("hush check: 1 file(s) checked, 0 encrypted; 0 error(s), 0 warning(s)\n");
    const json = JSON.parse(hush(sb, ["check", "--json", "settings.yaml"], { cwd: repo, env: sb.keylessEnv }).stdout) as CheckJsonReport;
    expect(json).toEqual({ ok: true, files: [], summary: { checked: 1, files: 0, errors: 0, warnings: 0 } });
  });

  it("fails on a committed plaintext file that a rule covers", () => {
    const plain = createRepo(sb, "plain", "^secrets/.*\\.yaml$");
    mkdirSync(join(plain, "secrets"));
    writeFileSync(join(plain, "secrets", "leak.yaml"), "password: committed-in-clear-999\n");
    commitAll(sb, plain, "oops");
    const r = hush(sb, ["check"], { cwd: plain, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'secrets/leak.yaml: error: a creation rule covers this file (path_regex "^secrets/.*\\\\.yaml$") but it is not encrypted; next: encrypt it with `hush encrypt -i` (the rule gives the keys) [not-encrypted]\n',
    );
    expect(r.stdout).not.toContain("committed-in-clear-999");
    // With --verify and no encrypted file, no MAC was verified: the summary does not claim one.
    const verified = hush(sb, ["check", "--verify"], { cwd: plain, env: sb.keylessEnv });
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain("hush check: 2 file(s) checked, 0 encrypted; 1 error(s), 0 warning(s)\n");
    const json = JSON.parse(hush(sb, ["check", "--json"], { cwd: plain, env: sb.keylessEnv }).stdout) as CheckJsonReport;
    expect(json.ok).toBe(false);
    expect(json.files).toEqual([
      expect.objectContaining({ path: "secrets/leak.yaml", covered: true, encrypted: false, problems: [expect.objectContaining({ severity: "error", code: "not-encrypted" })] }),
    ]);
  });

  it("fails on hush's temporary and lock files committed: a write cut short leaves them, the temporary file of decrypt -i is the plaintext", () => {
    const left = createRepo(sb, "leftovers", "^secrets/.*\\.yaml$");
    mkdirSync(join(left, "secrets"));
    writeEncrypted(sb, left, "secrets/db.yaml", "password: db-secret-123\n");
    writeFileSync(join(left, "secrets", ".db.yaml.hush-0a1b2c3d4e5f.tmp"), "password: left-in-clear-777\n");
    writeFileSync(join(left, "secrets", ".db.yaml.hush-lock"), "4242 build-host\n");
    commitAll(sb, left, "a crash's leftovers");
    const r = hush(sb, ["check"], { cwd: left, env: sb.keylessEnv });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain(
      "secrets/.db.yaml.hush-0a1b2c3d4e5f.tmp: error: a temporary file hush writes beside a file it replaces, left by a write cut short (SIGKILL, a crash); for decrypt -i and decrypt --output it holds the plaintext; next: git rm it, and change the secrets it holds if it was pushed [hush-leftover]\n",
    );
    expect(r.stdout).toContain(
      "secrets/.db.yaml.hush-lock: error: the lock hush holds while it changes a file, left by a write cut short; committed, it keeps hush in every clone from changing the file; next: git rm it [hush-leftover]\n",
    );
    expect(r.stdout).not.toContain("left-in-clear-777");
    // The pre-commit hook refuses to commit them.
    writeFileSync(join(left, "secrets", ".db.yaml.hush-a1b2c3d4e5f6.tmp"), "password: left-in-clear-888\n");
    git(sb, left, ["add", "secrets/.db.yaml.hush-a1b2c3d4e5f6.tmp"]);
    const staged = hush(sb, ["check", "--staged"], { cwd: left, env: sb.keylessEnv });
    expect(staged.status).toBe(1);
    expect(staged.stdout).toContain("secrets/.db.yaml.hush-a1b2c3d4e5f6.tmp: error: a temporary file hush writes");
  });

  it("fails on a rule written as a glob, which covers none of the files it was written for", () => {
    // `secrets/*.yaml` compiles as RE2 and matches no file in secrets/: `/*` repeats the slash.
    const globbed = createRepo(sb, "globbed", "secrets/*.yaml");
    mkdirSync(join(globbed, "secrets"));
    writeFileSync(join(globbed, "secrets", "app.yaml"), "password: committed-in-clear-777\n");
    writeFileSync(join(globbed, "secrets", "web.yaml"), "token: committed-in-clear-778\n");
    commitAll(sb, globbed, "a rule written as a glob");
    const r = hush(sb, ["check"], { cwd: globbed, env: sb.keylessEnv });
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toContain(
      '.sops.yaml: error: creation_rules[0].path_regex "secrets/*.yaml" is RE2 syntax, not a glob: it covers none of the files checked, and as a glob it would cover 2 of them (secrets/app.yaml, secrets/web.yaml), which are not checked as secrets; next: write path_regex: "^secrets/[^/]*\\\\.yaml$" [rule-written-as-glob]\n',
    );
    expect(r.stdout).not.toContain("committed-in-clear");
    // Only the files it is asked about count: the pre-commit hook's staged file is enough.
    const staged = hush(sb, ["check", "secrets/app.yaml"], { cwd: globbed, env: sb.keylessEnv });
    expect(staged.status).toBe(1);
    expect(staged.stdout).toContain("as a glob it would cover 1 of them (secrets/app.yaml)");
    // A glob-looking regex that covers a file is what its writer meant: nothing to say.
    writeFileSync(join(globbed, ".sops.yaml"), `creation_rules:\n  - path_regex: secrets/*.*yaml$\n    age: ${sb.recipient}\n`);
    const covered = hush(sb, ["check", "--json", "secrets/app.yaml"], { cwd: globbed, env: sb.keylessEnv }).stdout;
    expect(covered).toContain("not-encrypted");
    expect(covered).not.toContain("rule-written-as-glob");
  });

  it("finds a value put in plaintext into an encrypted file, by key path and line, without printing it", () => {
    const path = join(repo, "secrets", "db.yaml");
    const original = readFileSync(path, "utf8");
    try {
      writeFileSync(path, original.replace(/^user: ENC\[[^\n]+$/m, "user: hand-edited-plaintext-42"));
      const r = hush(sb, ["check", "--json", "secrets/db.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(r.status).toBe(1);
      expect(r.stdout).not.toContain("hand-edited-plaintext-42");
      const json = JSON.parse(r.stdout) as CheckJsonReport;
      expect(json.files[0]!.problems).toEqual([expect.objectContaining({ code: "plaintext-value", keyPath: '["user"]', line: 1, severity: "error" })]);

      writeFileSync(path, original.replace(/(password: ENC\[AES256_GCM,data:)/, "$1!!"));
      const bad = hush(sb, ["check", "secrets/db.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain('value at ["password"] (line 2): malformed ENC string [malformed-value]');
    } finally {
      writeFileSync(path, original);
    }
  });

  it("warns of text outside the encrypted values that SOPS's reader reads otherwise (an error with --strict), by line", () => {
    const path = join(repo, "secrets", "db.yaml");
    const original = readFileSync(path, "utf8");
    try {
      // go-yaml reads the key `web:` where hush reads `web` (yaml-go-reading-oracle.test.ts asks SOPS).
      writeFileSync(path, original.replace(/^port_unencrypted: 5432$/m, "port_unencrypted: {web:, api: 5432}"));
      const r = hush(sb, ["check", "secrets/db.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout).toContain(`secrets/db.yaml:3: warning: the ":" right after a key at line 3 is read by SOPS's YAML reader as part of the key: put a space after it, or quote the key (SOPS, and Flux or helm-secrets with it, would not read the file as hush does) [sops-reads-otherwise]\n`);
      const strict = hush(sb, ["check", "--strict", "secrets/db.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(strict.status, strict.stdout).toBe(1);
      expect(strict.stdout).toContain("secrets/db.yaml:3: error: the \":\" right after a key at line 3");
    } finally {
      writeFileSync(path, original);
    }
  });

  it("--verify checks MACs with keys, and says so when there is no key", () => {
    const ok = hush(sb, ["check", "--verify"], { cwd: repo });
    expect(ok.status, ok.stdout).toBe(0);
    expect(ok.stdout).toContain("MACs verified");
    const path = join(repo, "secrets", "db.yaml");
    const original = readFileSync(path, "utf8");
    try {
      // Removing a value keeps every ENC string valid but breaks the MAC.
      writeFileSync(path, original.replace(/^user: ENC\[[^\n]+\n/m, ""));
      expect(hush(sb, ["check", "secrets/db.yaml"], { cwd: repo }).status).toBe(0);
      const r = hush(sb, ["check", "--verify", "secrets/db.yaml"], { cwd: repo });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("[mac-mismatch]");
    } finally {
      writeFileSync(path, original);
    }
    const keyless = hush(sb, ["check", "--verify", "secrets/api.json"], { cwd: repo, env: sb.keylessEnv });
    expect(keyless.status).toBe(1);
    expect(keyless.stdout).toContain("[cannot-decrypt]");
    // The summary claims no check that did not happen.
    expect(keyless.stdout).not.toContain("MACs verified");
    expect(keyless.stdout).toMatch(/; no MAC verified: no key here opens the files\n$/);
    const ifKey = hush(sb, ["check", "--verify-if-key", "secrets/api.json"], { cwd: repo, env: sb.keylessEnv });
    expect(ifKey.status).toBe(0);
    expect(ifKey.stdout).toMatch(/; no MAC verified: no key here opens the files\n$/);
  });

  it("an encrypted file that is not UTF-8, which hush will not open, is an error with its line, keyless and with --verify", () => {
    const path = join(repo, "secrets", "db.yaml");
    const original = readFileSync(path);
    try {
      // A Latin-1 é in a comment: SOPS reads the bytes, hush's decrypt refuses the file (exit 2).
      writeFileSync(path, Buffer.concat([Buffer.from("# caf\xe9\n", "latin1"), original]));
      expect(hush(sb, ["decrypt", "secrets/db.yaml"], { cwd: repo }).status).toBe(2);
      for (const args of [["check", "secrets/db.yaml"], ["check", "--verify", "secrets/db.yaml"]]) {
        const r = hush(sb, args, { cwd: repo, env: args.includes("--verify") ? sb.env : sb.keylessEnv });
        expect(r.status, r.stdout).toBe(1);
        expect(r.stdout).toContain("secrets/db.yaml:1: error: not valid UTF-8: hush reads an encrypted file as UTF-8 text and will not open this one");
        expect(r.stdout).not.toContain("MACs verified\n");
      }
    } finally {
      writeFileSync(path, original);
    }
  });

  it("the pre-commit hook blocks a staged plaintext file and lets encrypted ones through", () => {
    const setup = hush(sb, ["git", "setup", "--hook"], { cwd: repo });
    expect(setup.status, setup.stderr).toBe(0);
    writeFileSync(join(repo, "secrets", "new.yaml"), "password: staged-plaintext-31\n");
    git(sb, repo, ["add", "secrets/new.yaml"]);
    const blocked = git(sb, repo, ["commit", "-q", "-m", "add new"], { allowFail: true });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("secrets/new.yaml: error: a creation rule covers this file");
    const enc = hush(sb, ["encrypt", "-i", "secrets/new.yaml"], { cwd: repo });
    expect(enc.status, enc.stderr).toBe(0);
    git(sb, repo, ["add", "secrets/new.yaml"]);
    // The hook checks the staged blob, not the working file.
    writeFileSync(join(repo, "secrets", "new.yaml"), "password: unstaged-plaintext\n");
    const passed = git(sb, repo, ["commit", "-q", "-m", "add new"], { allowFail: true });
    expect(passed.status, passed.stdout + passed.stderr).toBe(0);
    git(sb, repo, ["checkout", "--", "secrets/new.yaml"]);
  });

  it("names a file it is given that does not exist apart from a dangling symbolic link", () => {
    symlinkSync("gone.yaml", join(repo, "secrets", "link.yaml"));
    try {
      const r = hush(sb, ["check", "secrets/missing.yaml", "secrets/link.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("secrets/missing.yaml: error: cannot check the file: no such file [unreadable]");
      expect(r.stdout).toContain("secrets/link.yaml: error: cannot check the file: a dangling symbolic link [unreadable]");
    } finally {
      rmSync(join(repo, "secrets", "link.yaml"));
    }
  });

  it("passes on the project's examples", () => {
    const examples = resolve(fileURLToPath(new URL("../../examples", import.meta.url)));
    expect(existsSync(examples)).toBe(true);
    const r = hush(sb, ["check"], { cwd: examples, env: sb.keylessEnv });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
