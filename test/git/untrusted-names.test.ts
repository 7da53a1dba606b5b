import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * Names a branch or a shipped repository chooses — file names, the repository's own directory —
 * on their way into git's command line: they must not change which repository, revision or
 * files hush asks git about.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

describe("hush audit and a file named like a revision", () => {
  it("audits a repository whose top directory holds a file named HEAD", () => {
    const repo = createRepo(sb, "head-file");
    writeEncrypted(sb, repo, "app.enc.yaml", "token: s3cr3t\n");
    commitAll(sb, repo, "init");
    // Without `--`, git cannot tell the revision HEAD from this file and refuses to run.
    writeFileSync(join(repo, "HEAD"), "not a revision\n");
    commitAll(sb, repo, "add a file named HEAD");
    const r = hush(sb, ["audit", "--json", "--as-of", "2099-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; values: Array<{ path: string }> }> };
    expect(report.files.map((f) => [f.path, f.values.map((v) => v.path)])).toEqual([["app.enc.yaml", [`["token"]`]]]);
  });
});

describe("a repository whose directory name ends in a blank", () => {
  it("is the repository hush checks and sets up, not the one named without the blank next to it", () => {
    // A shipped repository in `project ` next to a `project` of the attacker's: read without its
    // final blank, the top-level path names the other one.
    const decoy = join(sb.dir, "project");
    mkdirSync(decoy);
    git(sb, decoy, ["init", "-q", "-b", "main"]);
    const repo = createRepo(sb, "project ");
    writeFileSync(join(repo, "app.enc.yaml"), "password: hunter2\n");
    git(sb, repo, ["add", "app.enc.yaml"]);

    const staged = hush(sb, ["check", "--staged"], { cwd: repo, env: sb.keylessEnv });
    expect(staged.stdout).toContain("app.enc.yaml: error: a creation rule covers this file");
    expect(staged.status).toBe(1);
    const tracked = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(tracked.stdout).toContain("app.enc.yaml: error: a creation rule covers this file");
    expect(tracked.status).toBe(1);

    const setup = hush(sb, ["git", "setup"], { cwd: repo });
    expect(setup.status).toBe(0);
    expect(git(sb, repo, ["check-attr", "diff", "--", "app.enc.yaml"]).stdout).toBe("app.enc.yaml: diff: hush\n");
    expect(git(sb, repo, ["config", "--local", "diff.hush.textconv"]).stdout).toContain("git textconv --");
    // Nothing of it reached the other repository.
    expect(git(sb, decoy, ["status", "--porcelain", "--ignored"]).stdout).toBe("");
    expect(git(sb, decoy, ["config", "--local", "diff.hush.textconv"], { allowFail: true }).status).toBe(1);
  });
});
