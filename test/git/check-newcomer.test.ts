import { mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textconvCommand } from "@hush/git";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, git, hush, nodeInDirectory, run, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

/**
 * `hush check` and `hush git setup` as a newcomer meets them: a broken encrypted file is named as
 * broken (not as "not encrypted"), the hook is silent when nothing it covers is staged, the drivers
 * work from a GUI without hush on PATH, and likely secrets in files no rule covers are caught.
 */

/** The CLI under test (the workspace build, or the bundle in the full run): what setup writes. */
const CLI = realpathSync(HUSH_SCRIPT);

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** A GUI's environment: no hush on PATH (only the system directories), the key, a HOME. */
function guiEnv(): Record<string, string> {
  return { PATH: "/usr/bin:/bin", HOME: sb.home, LANG: "C", GIT_CONFIG_NOSYSTEM: "1", GIT_PAGER: "cat", PAGER: "cat", SOPS_AGE_KEY_FILE: sb.keyFile };
}

describe("hush check: what a newcomer is told", () => {
  it("an encrypted file with a syntax error is reported as unparsable, with the line and the reason, not as 'not encrypted'", () => {
    const repo = createRepo(sb, "broken", "^secrets/");
    mkdirSync(join(repo, "secrets"));
    writeEncrypted(sb, repo, "secrets/app.yaml", "a: 1\nb: two\n");
    writeEncrypted(sb, repo, "secrets/app.json", '{"a": 1, "b": "two"}\n');
    const yaml = join(repo, "secrets", "app.yaml");
    writeFileSync(yaml, readFileSync(yaml, "utf8").replace(/^b: ENC/m, "b: [ENC"));
    const json = join(repo, "secrets", "app.json");
    writeFileSync(json, readFileSync(json, "utf8").replace(/"b": "ENC/, '"b" "ENC'));
    // The same broken file outside every rule is still named: it carries encrypted values.
    writeFileSync(join(repo, "stray.yaml"), readFileSync(yaml, "utf8"));
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain("not encrypted");
    expect(r.stdout).toMatch(/secrets\/app\.yaml:2: error: cannot parse the file as YAML: invalid YAML at line 2, column \d+: [a-z]/);
    expect(r.stdout).toMatch(/secrets\/app\.json:\d+: error: cannot parse the file as JSON: invalid JSON at line \d+, column \d+: [a-z]/);
    expect(r.stdout).toMatch(/stray\.yaml:2: error: cannot parse the file as YAML: invalid YAML at line 2/);
    expect(r.stdout).toContain("[parse-failed]");
    const report = JSON.parse(hush(sb, ["check", "--json", "secrets/app.yaml"], { cwd: repo, env: sb.keylessEnv }).stdout) as CheckJsonReport;
    expect(report.files[0]!.problems).toEqual([expect.objectContaining({ severity: "error", code: "parse-failed", line: 2 })]);
  });

  it("a plaintext file a rule covers is 'not encrypted' even when it does not parse, with the line and the reason, and the next step is to encrypt it", () => {
    const repo = createRepo(sb, "broken-plain", "^secrets/");
    mkdirSync(join(repo, "secrets"));
    writeFileSync(join(repo, "secrets", "app.yaml"), 'user: app\npassword: "broken-plain-1\n');
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^secrets\/app\.yaml:3: error: a creation rule covers this file \(path_regex "\^secrets\/"\) but it is not encrypted, and it does not parse as YAML \(invalid YAML at line 3, column \d+: [a-z][^)]*\); next: fix that line, then encrypt the file with `hush encrypt -i` \(the rule gives the keys\) \[not-encrypted\]$/m);
    expect(r.stdout).not.toContain("hush edit");
    expect(r.stdout).not.toContain("broken-plain-1");
  });

  it("the pre-commit hook says nothing when all is well (nothing covered staged, or staged files that pass), and still speaks when one fails", () => {
    const repo = createRepo(sb, "quiet", "^secrets/");
    mkdirSync(join(repo, "secrets"));
    writeEncrypted(sb, repo, "secrets/app.yaml", "password: quiet-secret-1\n");
    commitAll(sb, repo, "initial");
    expect(hush(sb, ["git", "setup", "--hook"], { cwd: repo }).status).toBe(0);
    // Staging .gitattributes checks the encrypted files below it: they pass, silently.
    git(sb, repo, ["add", ".gitattributes"]);
    const passing = hush(sb, ["check", "--staged", "--verify-if-key"], { cwd: repo });
    expect(passing.status, passing.stderr).toBe(0);
    expect(passing.stdout + passing.stderr).toBe("");
    git(sb, repo, ["commit", "-q", "-m", "drivers"]);
    writeFileSync(join(repo, "notes.md"), "just notes\n");
    git(sb, repo, ["add", "notes.md"]);
    const staged = hush(sb, ["check", "--staged", "--verify-if-key"], { cwd: repo });
    expect(staged.status, staged.stderr).toBe(0);
    expect(staged.stdout).toBe("");
    expect(staged.stderr).toBe("");
    const commit = git(sb, repo, ["commit", "-m", "notes"]);
    expect(commit.stderr).not.toContain("hush");
    expect(commit.stdout).not.toContain("hush check");
    // A staged plaintext file a rule covers is still reported.
    writeFileSync(join(repo, "secrets", "new.yaml"), "token: plain-staged-2\n");
    git(sb, repo, ["add", "secrets/new.yaml"]);
    const blocked = git(sb, repo, ["commit", "-m", "new"], { allowFail: true });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("secrets/new.yaml: error: a creation rule covers this file");
  });
});

describe("hush git setup: drivers and hook that work without hush on PATH", () => {
  it("writes the absolute path of the running hush, so git diff, merge and the hook work from an environment without it", () => {
    const repo = createRepo(sb, "gui");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: gui-secret-1\nuser: app\n");
    commitAll(sb, repo, "initial");
    const setup = hush(sb, ["git", "setup", "--hook"], { cwd: repo });
    expect(setup.status, setup.stderr).toBe(0);
    const textconv = git(sb, repo, ["config", "--get", "diff.hush.textconv"]).stdout.trim();
    expect(textconv).toBe(textconvCommand(`${process.execPath} ${CLI}`));
    expect(readFileSync(join(repo, ".git", "hooks", "pre-commit"), "utf8")).toContain(`exec ${process.execPath} ${CLI} check --staged --verify-if-key`);
    git(sb, repo, ["add", ".gitattributes"]);
    git(sb, repo, ["commit", "-q", "-m", "drivers"]);

    // Without hush on PATH, git still finds it.
    expect(run("sh", ["-c", "command -v hush || echo none"], { cwd: repo, env: guiEnv() }).stdout.trim()).toBe("none");
    const r = run("git", ["cat-file", "--textconv", "HEAD:app.enc.yaml"], { cwd: repo, env: guiEnv() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("password: gui-secret-1");
    writeFileSync(join(repo, "note.txt"), "x\n");
    git(sb, repo, ["add", "note.txt"], { env: guiEnv() });
    const commit = run("git", ["commit", "-q", "-m", "from a GUI"], { cwd: repo, env: guiEnv() });
    expect(commit.status, commit.stderr).toBe(0);
  });

  it("quotes a path holding blanks and quotes safely for git config and sh", () => {
    const odd = join(sb.dir, "it's a \"node\" dir");
    const node = nodeInDirectory(odd);
    writeFileSync(join(odd, "keep"), "");
    const repo = createRepo(sb, "quoted");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: quoted-secret-2\n");
    commitAll(sb, repo, "initial");
    const setup = run(node, [CLI, "git", "setup", "--hook"], { cwd: repo, env: sb.env });
    expect(setup.status, setup.stderr).toBe(0);
    const r = run("git", ["cat-file", "--textconv", "HEAD:app.enc.yaml"], { cwd: repo, env: guiEnv() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("password: quoted-secret-2");
    const hook = run("sh", [join(repo, ".git", "hooks", "pre-commit")], { cwd: repo, env: guiEnv() });
    expect(hook.status, hook.stderr).toBe(0);

    // The installation moves: check says so and names the fix; setup again repairs it.
    renameSync(odd, `${odd}-moved`);
    // A commit meanwhile stops with one line naming the missing program and the fix, no stack.
    const moved = run("sh", [join(repo, ".git", "hooks", "pre-commit")], { cwd: repo, env: guiEnv() });
    expect(moved.status).toBe(1);
    expect(moved.stderr).toBe(`hush pre-commit hook: ${node} no longer exists (hush or node was moved or reinstalled): run \`hush git setup --hook\` again\n`);
    const check = hush(sb, ["check"], { cwd: repo });
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("error: git config diff.hush.textconv runs a program that no longer exists");
    expect(check.stdout).toContain("run `hush git setup` again");
    expect(check.stdout).toContain("[driver-command-missing]");
    expect(hush(sb, ["git", "setup", "--hook"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["check"], { cwd: repo }).status).toBe(0);
  });

  it("warns when the drivers are an older setup's, which pass file names without -- before them", () => {
    const repo = createRepo(sb, "outdated");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: outdated-secret\n");
    commitAll(sb, repo, "initial");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    const config = (key: string): string => run("git", ["config", "--local", key], { cwd: repo, env: sb.env }).stdout.trim();
    const textconv = config("diff.hush.textconv");
    const merge = config("merge.hush.driver");
    expect(textconv).toMatch(/ git textconv --$/);
    run("git", ["config", "--local", "diff.hush.textconv", textconv.replace(/ --$/, "")], { cwd: repo, env: sb.env });
    run("git", ["config", "--local", "merge.hush.driver", merge.replace(" merge -- ", " merge ")], { cwd: repo, env: sb.env });
    const check = hush(sb, ["check"], { cwd: repo });
    expect(check.status, check.stdout).toBe(0);
    expect(check.stdout).toContain("warning: git config diff.hush.textconv passes file names without `--`");
    expect(check.stdout).toContain("[driver-command-outdated]");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["check"], { cwd: repo }).stdout).not.toContain("driver-command-outdated");
    run("git", ["config", "--local", "diff.hush.textconv", textconv], { cwd: repo, env: sb.env });
    run("git", ["config", "--local", "merge.hush.driver", merge.replace(" merge -- ", " merge ")], { cwd: repo, env: sb.env });
    expect(hush(sb, ["check"], { cwd: repo }).stdout).toContain("warning: git config merge.hush.driver passes file names without `--`");
    // Drivers set up before merge.hush.recursive was: criss-cross merges give the driver a base of markers.
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    run("git", ["config", "--local", "--unset", "merge.hush.recursive"], { cwd: repo, env: sb.env });
    const older = hush(sb, ["check"], { cwd: repo });
    expect(older.status, older.stdout).toBe(0);
    expect(older.stdout).toContain("warning: git config merge.hush.recursive is not set (an older hush's setup)");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["check"], { cwd: repo }).stdout).not.toContain("driver-command-outdated");
  });
});

describe("hush check: likely secrets in files no rule covers", () => {
  const AWS_ID = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");
  const AWS_SECRET = ["1tUm636uS1yOEcfP5pvfqJ/", "ml36mF7AkyHsEU0IU"].join("");
  const GITHUB = ["ghp_", "R2aZ7b9Qk1XvT3yP0mW8sL4nF6dJ5hC2gE9u"].join("");
  const SLACK = ["xoxb-", "263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1"].join("");
  const TOKEN = ["q8Zr2LmT0vXk9sWb4", "NyHc7PjE1uAd6GfQo3"].join("");
  const PEM = ["-----BEGIN OPENSSH ", "PRIVATE KEY-----"].join("");
  const values = [AWS_ID, AWS_SECRET, GITHUB, SLACK, TOKEN];

  function leakRepo(name: string): string {
    const repo = createRepo(sb, name, "^secrets/");
    writeFileSync(
      join(repo, "leak.yaml"),
      [
        "aws:",
        `  access_key_id: ${AWS_ID}`,
        `  secret_access_key: ${AWS_SECRET}`,
        `github_token: ${GITHUB}`,
        "slack:",
        `  bot: ${SLACK}`,
        `session: ${TOKEN}`,
        "deploy_key: |",
        `  ${PEM}`,
        "  b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        "  -----END OPENSSH PRIVATE KEY-----",
        "",
      ].join("\n"),
    );
    // Ordinary configuration stays quiet.
    writeFileSync(
      join(repo, "config.yaml"),
      [
        "name: my-service",
        "image: registry.example.com/team/my-service:1.4.2",
        "commit: 3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
        "checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "url: https://example.com/api/v1/resources?page=2&sort=created_at",
        "password: ${DB_PASSWORD}",
        "token: changeme",
        "recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
        "description: The quick brown fox jumps over the lazy dog again and again",
        "",
      ].join("\n"),
    );
    writeFileSync(join(repo, "package-lock.json"), `{"integrity": "sha512-${TOKEN}${TOKEN}=="}\n`);
    return repo;
  }

  it("warns with file:line, key path and the kind of secret, never the value; --strict makes it an error", () => {
    const repo = leakRepo("leaks");
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const v of values) expect(r.stdout + r.stderr).not.toContain(v);
    expect(r.stdout).not.toContain("b3BlbnNzaC1rZXk");
    expect(r.stdout).toContain('leak.yaml:2: warning: ["aws"]["access_key_id"] looks like an AWS access key ID');
    expect(r.stdout).toContain('leak.yaml:3: warning: ["aws"]["secret_access_key"] looks like a secret (a high-entropy value under a secret-like name)');
    expect(r.stdout).toContain('leak.yaml:4: warning: ["github_token"] looks like a GitHub token');
    expect(r.stdout).toContain('leak.yaml:6: warning: ["slack"]["bot"] looks like a Slack token');
    expect(r.stdout).toContain('leak.yaml:7: warning: ["session"] looks like a secret (a high-entropy string)');
    expect(r.stdout).toContain('leak.yaml:9: warning: ["deploy_key"] looks like a private key');
    expect(r.stdout).toContain("[likely-secret]");
    expect(r.stdout).toContain("# hush:allow");
    expect(r.stdout).not.toContain("config.yaml");
    expect(r.stdout).not.toContain("package-lock.json");

    const strict = hush(sb, ["check", "--strict"], { cwd: repo, env: sb.keylessEnv });
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('leak.yaml:2: error: ["aws"]["access_key_id"] looks like an AWS access key ID');
    const json = JSON.parse(hush(sb, ["check", "--json"], { cwd: repo, env: sb.keylessEnv }).stdout) as CheckJsonReport;
    const leak = json.files.find((f) => f.path === "leak.yaml")!;
    expect(leak.problems[0]).toEqual(expect.objectContaining({ severity: "warning", code: "likely-secret", line: 2, keyPath: '["aws"]["access_key_id"]' }));
    expect(JSON.stringify(json)).not.toContain(AWS_ID);
  });

  it("names no key path that holds the secret itself (a map keyed by tokens): the line and the kind only", () => {
    const repo = createRepo(sb, "secret-keys", "^secrets/");
    const github = `ghp_${"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"}`;
    const aws = "AKIAZ7XQ3K2M4N5P6R7S";
    const random = "Xk4Jm9Qr2Vb7Nc1Zt6Wp3Ls8Hd5Fg0Ya";
    writeFileSync(join(repo, "tokens.yaml"), `owners:\n  ${github}: ci-bot\n  ${random}: deploy\n`);
    writeFileSync(join(repo, "tokens.json"), `{"keys": {"${aws}": "prod"}}\n`);
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    const json = hush(sb, ["check", "--json"], { cwd: repo, env: sb.keylessEnv }).stdout;
    for (const secret of [github, aws, random]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(json).not.toContain(secret);
    }
    expect(r.stdout).toContain("tokens.yaml:2: warning: this line looks like a GitHub token");
    expect(r.stdout).toContain("tokens.yaml:3: warning: this line looks like a secret (a high-entropy string)");
    expect(r.stdout).toContain("tokens.json:1: warning: this line looks like an AWS access key ID");
  });

  it("an inline `# hush:allow` silences one line; the hook checks staged files only", () => {
    const repo = leakRepo("allow");
    const file = join(repo, "leak.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(`access_key_id: ${AWS_ID}`, `access_key_id: ${AWS_ID} # hush:allow (AWS's documented example)`));
    const r = hush(sb, ["check", "leak.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stdout).not.toContain("leak.yaml:2:");
    expect(r.stdout).toContain("leak.yaml:3:");

    writeFileSync(join(repo, "dotenv.env"), `STRIPE_KEY=${["sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"].join("")}\n`);
    git(sb, repo, ["add", "dotenv.env"]);
    const staged = hush(sb, ["check", "--staged", "--strict"], { cwd: repo, env: sb.keylessEnv });
    expect(staged.status).toBe(1);
    expect(staged.stdout).toContain('dotenv.env:1: error: ["STRIPE_KEY"] looks like a Stripe secret key');
    expect(staged.stdout).not.toContain("leak.yaml");
  });
});
