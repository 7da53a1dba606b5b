import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createSandbox, git, hush, writeEncrypted, findingCodes, keylessCheck, type Sandbox, setUpCoveredRepo } from "./helpers.ts";

/**
 * `hush check --base`: a file that was encrypted where the branch started stays encrypted on the
 * branch, whatever the branch's `.sops.yaml` and `.gitattributes` say. A file no creation rule
 * names (encrypted with key flags) is held to be encrypted only by the line `hush git setup`
 * writes for it in `.gitattributes`, which the same pull request can remove.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

const checkJson = (cwd: string, args: readonly string[]): ReturnType<typeof keylessCheck> => keylessCheck(sb, cwd, args);
const codesOf = findingCodes;

/**
 * A covered repository (`secrets/` for the sandbox key) that also has `config/extra.yaml`,
 * encrypted with key flags (no rule names it), listed by `hush git setup`, committed on main.
 */
function repoWithUnruledFile(name: string): string {
  const repo = setUpCoveredRepo(sb, name);
  writeFileSync(join(repo, "extra.yaml"), "token: unruled-secret-1\n");
  const enc = hush(sb, ["encrypt", "-i", "--config", "/dev/null", "--age", sb.recipient, "extra.yaml"], { cwd: repo });
  expect(enc.status, enc.stderr).toBe(0);
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toContain("/extra.yaml diff=hush merge=hush\n");
  commitAll(sb, repo, "an encrypted file no rule names");
  return repo;
}

/** `.gitattributes` without hush's line for extra.yaml, as a branch can write it. */
function dropAttributeLine(repo: string): void {
  const path = join(repo, ".gitattributes");
  writeFileSync(path, readFileSync(path, "utf8").replace("/extra.yaml diff=hush merge=hush\n", ""));
}

describe("hush check --base: a file encrypted where the branch started", () => {
  it("fails when the branch stores it in clear and drops its .gitattributes line", () => {
    const repo = repoWithUnruledFile("decrypted-unruled");
    const start = git(sb, repo, ["rev-parse", "--short=10", "HEAD"]).stdout.trim();
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "extra.yaml"], { cwd: repo }).status).toBe(0);
    dropAttributeLine(repo);
    commitAll(sb, repo, "in clear");
    // Without --base nothing says the file must be encrypted any more.
    expect(hush(sb, ["check", "--strict"], { cwd: repo, env: sb.keylessEnv }).status).toBe(0);

    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual(["extra.yaml error not-encrypted"]);
    expect(stdout).toContain(`extra.yaml: error: the file was encrypted where this branch started (commit ${start})`);
    expect(stdout).not.toContain("unruled-secret-1");
  });

  it("passes a plain file that only had a top-level sops key, no encrypted value, where the branch started", () => {
    const repo = repoWithUnruledFile("sops-key");
    writeFileSync(join(repo, "versions.yaml"), "tools: [age]\nsops:\n  version: 3.9.2\n");
    commitAll(sb, repo, "tool versions");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "versions.yaml"), "tools: [age]\n");
    commitAll(sb, repo, "sops no longer listed");
    expect(codesOf(checkJson(repo, ["--base", "main"]).report)).toEqual([]);
  });

  it("fails when a commit of the branch stored it in clear and a later one encrypted it again", () => {
    const repo = repoWithUnruledFile("decrypted-unruled-commit");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "extra.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "wip");
    const wip = git(sb, repo, ["rev-parse", "--short=10", "HEAD"]).stdout.trim();
    const enc = hush(sb, ["encrypt", "-i", "--config", "/dev/null", "--age", sb.recipient, "extra.yaml"], { cwd: repo });
    expect(enc.status, enc.stderr).toBe(0);
    commitAll(sb, repo, "encrypt again");
    expect(hush(sb, ["check", "--strict"], { cwd: repo, env: sb.keylessEnv }).status).toBe(0);

    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual([`extra.yaml (commit ${wip}) error not-encrypted`]);
    expect(stdout).toContain("git rebase -i");
    expect(stdout).not.toContain("unruled-secret-1");
  });

  it("fails when a commit stored it in clear, a later one put back where it started, and main changed it since", () => {
    const repo = repoWithUnruledFile("decrypted-unruled-restored");
    const start = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
    // main re-encrypts the file after the branch started: its version is no longer the start's.
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(hush(sb, ["decrypt", "-i", "extra.yaml"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["encrypt", "-i", "--config", "/dev/null", "--age", sb.recipient, "extra.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "re-encrypt on main");
    git(sb, repo, ["checkout", "-q", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "extra.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "wip");
    const wip = git(sb, repo, ["rev-parse", "--short=10", "HEAD"]).stdout.trim();
    // The start's encrypted version, put back from history, then the file changed again.
    git(sb, repo, ["checkout", start, "--", "extra.yaml"]);
    commitAll(sb, repo, "put back");
    git(sb, repo, ["rm", "-q", "extra.yaml"]);
    commitAll(sb, repo, "remove");

    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([`extra.yaml (commit ${wip}) error not-encrypted`]);
    expect(status).toBe(1);
    expect(stdout).not.toContain("unruled-secret-1");
  });

  it("fails when the branch stores it in clear, too large to read, and drops its .gitattributes line", () => {
    const repo = repoWithUnruledFile("decrypted-unruled-large");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "extra.yaml"], { cwd: repo }).status).toBe(0);
    // Padded past what hush check reads: comment lines, which YAML ignores.
    writeFileSync(join(repo, "extra.yaml"), readFileSync(join(repo, "extra.yaml"), "utf8") + `${"#".repeat(1023)}\n`.repeat(16 * 1024 + 1));
    dropAttributeLine(repo);
    commitAll(sb, repo, "in clear, padded");

    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual(["extra.yaml error unreadable"]);
    expect(stdout).toContain("larger than 16777216 bytes");
    expect(stdout).toContain("encrypted where this branch started");
    expect(status).toBe(1);
    expect(stdout).not.toContain("unruled-secret-1");
  });

  it("passes a branch that left it encrypted, and one that predates its encryption on main", () => {
    const repo = repoWithUnruledFile("unruled-kept");
    writeFileSync(join(repo, "notes.yaml"), "title: plain notes\n");
    commitAll(sb, repo, "plain notes");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "readme.txt"), "hello\n");
    commitAll(sb, repo, "unrelated");
    // main encrypts a file after the branch started: the branch's older, plain version is main's past.
    git(sb, repo, ["checkout", "-q", "main"]);
    const enc = hush(sb, ["encrypt", "-i", "--config", "/dev/null", "--age", sb.recipient, "notes.yaml"], { cwd: repo });
    expect(enc.status, enc.stderr).toBe(0);
    commitAll(sb, repo, "encrypt notes");
    git(sb, repo, ["checkout", "-q", "pr"]);
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([]);
    expect(status).toBe(0);
  });

  it("a deleted file and a file the branch encrypts anew are not reported", () => {
    const repo = repoWithUnruledFile("unruled-deleted");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["rm", "-q", "extra.yaml"]);
    writeEncrypted(sb, repo, "secrets/new.yaml", "password: new-secret-1\n");
    commitAll(sb, repo, "remove one, add one");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([]);
    expect(status).toBe(0);
  });

  it("fails when the branch moves it as it decrypts it, into a plain file no rule names (another format too)", () => {
    for (const [name, target, convert] of [
      ["moved-unruled", "settings.yaml", [] as string[]],
      ["moved-unruled-json", "conf/settings.json", ["--output-type", "json"]],
    ] as const) {
      const repo = repoWithUnruledFile(name);
      const start = git(sb, repo, ["rev-parse", "--short=10", "HEAD"]).stdout.trim();
      git(sb, repo, ["checkout", "-q", "-b", "pr"]);
      const d = hush(sb, ["decrypt", ...convert, "extra.yaml"], { cwd: repo });
      expect(d.status, d.stderr).toBe(0);
      git(sb, repo, ["rm", "-q", "extra.yaml"]);
      const abs = join(repo, target);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, d.stdout);
      dropAttributeLine(repo);
      commitAll(sb, repo, "moved, in clear");
      const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
      expect(codesOf(report), name).toEqual([`${target} error not-encrypted`]);
      expect(stdout).toContain(`${target}: error: the file holds the key of every encrypted value of extra.yaml, which was encrypted where this branch started (commit ${start}) and which the branch deletes`);
      expect(stdout).not.toContain("unruled-secret-1");
      expect(status).toBe(1);
    }
  });

  it("a deleted encrypted file and a new plain file without its keys pass", () => {
    const repo = repoWithUnruledFile("moved-partly");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["rm", "-q", "extra.yaml"]);
    writeFileSync(join(repo, "settings.yaml"), "title: plain\ncolour: blue\n");
    commitAll(sb, repo, "delete the secret, add plain settings");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([]);
    expect(status).toBe(0);
  });
});

describe("hush check --base: a deleted encrypted file beside a plain file with its keys", () => {
  it("passes when that plain file was already in clear where the branch started (an example file kept as it was)", () => {
    const repo = setUpCoveredRepo(sb, "example-kept");
    // The common pair: the encrypted file and a committed example of its keys, placeholders in clear.
    writeFileSync(join(repo, "app.example.yaml"), "password: change-me\n");
    commitAll(sb, repo, "an example of the secrets' keys");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["rm", "-q", "secrets/app.yaml"]);
    commitAll(sb, repo, "the service no longer needs its secrets");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([]);
    expect(status).toBe(0);
    // Changed by the branch too, the example held those keys before it: still not a move.
    writeFileSync(join(repo, "app.example.yaml"), "password: change-me\nport: 8080\n");
    commitAll(sb, repo, "the example grows");
    const changed = checkJson(repo, ["--base", "main"]);
    expect(codesOf(changed.report)).toEqual([]);
    expect(changed.status).toBe(0);
    // Its placeholder replaced by a value as the encrypted file goes: the secret moved there.
    writeFileSync(join(repo, "app.example.yaml"), "password: hunter2-in-clear\nport: 8080\n");
    commitAll(sb, repo, "the example gets the real password");
    const filled = checkJson(repo, ["--base", "main"]);
    expect(codesOf(filled.report)).toContain("app.example.yaml error not-encrypted");
    expect(filled.status).toBe(1);
  });

  it("still fails when the branch writes the keys into a plain file that lacked them where it started", () => {
    const repo = setUpCoveredRepo(sb, "example-filled");
    writeFileSync(join(repo, "settings.yaml"), "title: plain\n");
    commitAll(sb, repo, "plain settings");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const d = hush(sb, ["decrypt", "secrets/app.yaml"], { cwd: repo });
    expect(d.status, d.stderr).toBe(0);
    git(sb, repo, ["rm", "-q", "secrets/app.yaml"]);
    writeFileSync(join(repo, "settings.yaml"), `title: plain\n${d.stdout}`);
    commitAll(sb, repo, "moved into the settings, in clear");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual(["settings.yaml error not-encrypted"]);
    expect(status).toBe(1);
  });

  it("passes a new plain file whose values at those keys only stand in for them (moved to the environment, or placeholders)", () => {
    for (const [name, value] of [["moved-env", "${TOKEN}"], ["moved-helm", "{{ .Values.token }}"], ["moved-empty", ""], ["moved-placeholder", "changeme"]] as const) {
      const repo = repoWithUnruledFile(name);
      git(sb, repo, ["checkout", "-q", "-b", "pr"]);
      git(sb, repo, ["rm", "-q", "extra.yaml"]);
      writeFileSync(join(repo, "settings.yaml"), `token: ${JSON.stringify(value)}\n`);
      dropAttributeLine(repo);
      commitAll(sb, repo, "secrets from the environment");
      const { status, report } = checkJson(repo, ["--base", "main"]);
      expect(codesOf(report), name).toEqual([]);
      expect(status).toBe(0);
    }
  });
});
