import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createSandbox, git, hush, setUpCoveredRepo, type Sandbox } from "./helpers.ts";

/**
 * `hush check --base` in a clone that cannot tell where the branch started: CI checkouts are often
 * shallow (one commit of the branch, one of the base), and then HEAD and the base have no commit
 * in common. What the branch did since it started (a copied file, a file put back, a relabelled
 * value) is then unknown, and the gate must say so rather than pass.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

describe("hush check --base without the history where the branch started", () => {
  it("fails, saying to fetch the history, instead of passing a copy of a production file into dev/", () => {
    const origin = setUpCoveredRepo(sb, "shallow-origin");
    const mallory = createAgeKey(sb, "shallow-mallory");
    writeFileSync(join(origin, ".sops.yaml"), `creation_rules:\n  - path_regex: ^dev/.*\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${sb.recipient}\n`);
    commitAll(sb, origin, "dev/ for mallory too");
    git(sb, origin, ["checkout", "-q", "-b", "pr"]);
    mkdirSync(join(origin, "dev"));
    writeFileSync(join(origin, "dev", "app.yaml"), readFileSync(join(origin, "secrets", "app.yaml")));
    commitAll(sb, origin, "copy");
    // The full clone finds the copy.
    const full = hush(sb, ["check", "--base", "main"], { cwd: origin, env: sb.keylessEnv });
    expect(full.stdout).toContain("for secrets/app.yaml, the file this one copies");

    const clone = join(sb.dir, "shallow-clone");
    git(sb, sb.dir, ["clone", "-q", "--depth", "1", "--branch", "pr", `file://${origin}`, clone]);
    git(sb, clone, ["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"]);
    const shallow = hush(sb, ["check", "--base", "origin/main"], { cwd: clone, env: sb.keylessEnv });
    expect(shallow.stdout).toBe("");
    expect(shallow.stderr).toBe(
      "hush: --base origin/main: HEAD and origin/main have no commit in common here, so what the branch did since it started (copied files, files put back, relabelled values) cannot be checked\n" +
        "  next: fetch the history (git fetch --unshallow, or a CI checkout with fetch-depth: 0)\n",
    );
    expect(shallow.status).toBe(1);

    // With the history fetched, the same clone finds the copy.
    git(sb, clone, ["fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main", "pr"]);
    const unshallowed = hush(sb, ["check", "--base", "origin/main"], { cwd: clone, env: sb.keylessEnv });
    expect(unshallowed.stdout).toContain("for secrets/app.yaml, the file this one copies");
  });

  it("in a single-branch clone, names the fetch that makes the base's remote-tracking branch", () => {
    const origin = setUpCoveredRepo(sb, "single-origin");
    git(sb, origin, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(origin, "README"), "a change\n");
    commitAll(sb, origin, "pr");
    const clone = join(sb.dir, "single-clone");
    git(sb, sb.dir, ["clone", "-q", "--single-branch", "--branch", "pr", `file://${origin}`, clone]);
    // Only pr's refspec is configured: this fetch updates FETCH_HEAD, not origin/main.
    git(sb, clone, ["fetch", "-q", "origin", "main"]);
    const missing = hush(sb, ["check", "--base", "origin/main"], { cwd: clone, env: sb.keylessEnv });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("--base origin/main: not a commit in this repository (fetch it first: git fetch origin main:refs/remotes/origin/main)");
    git(sb, clone, ["fetch", "-q", "origin", "main:refs/remotes/origin/main"]);
    const fetched = hush(sb, ["check", "--base", "origin/main"], { cwd: clone, env: sb.keylessEnv });
    expect(fetched.stderr).toBe("");
    expect(fetched.status).toBe(0);
  });

  it("needs no common commit when the branch has no covered encrypted file", () => {
    const origin = setUpCoveredRepo(sb, "shallow-nothing");
    git(sb, origin, ["checkout", "-q", "-b", "pr"]);
    git(sb, origin, ["rm", "-q", "secrets/app.yaml"]);
    writeFileSync(join(origin, "README"), "no secrets here\n");
    commitAll(sb, origin, "no secrets");
    const clone = join(sb.dir, "shallow-nothing-clone");
    git(sb, sb.dir, ["clone", "-q", "--depth", "1", "--branch", "pr", `file://${origin}`, clone]);
    git(sb, clone, ["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"]);
    const r = hush(sb, ["check", "--base", "origin/main"], { cwd: clone, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
