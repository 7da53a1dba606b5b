import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createSandbox, git, hush, writeEncrypted, findingCodes, keylessCheck, type Sandbox, setUpCoveredRepo } from "./helpers.ts";

/**
 * `hush check --base` looks at every commit the branch adds, not only its tip: a branch merged
 * without squashing brings each of its commits into the base branch's history, and a secret
 * committed in clear and encrypted again one commit later stays readable there.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

const checkJson = (cwd: string, args: readonly string[]): ReturnType<typeof keylessCheck> => keylessCheck(sb, cwd, args);
const codesOf = findingCodes;

describe("hush check --base: the branch's commits", () => {
  it("fails a branch that committed a covered file decrypted, then encrypted it again", () => {
    const repo = setUpCoveredRepo(sb, "decrypted-commit");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "wip");
    const wip = git(sb, repo, ["rev-parse", "--short=10", "HEAD"]).stdout.trim();
    expect(hush(sb, ["encrypt", "-i", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "encrypt again");
    // The tip alone passes.
    expect(hush(sb, ["check", "--strict"], { cwd: repo, env: sb.keylessEnv }).status).toBe(0);
    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual([`secrets/app.yaml (commit ${wip}) error not-encrypted`]);
    expect(stdout).toContain(`secrets/app.yaml (commit ${wip}): error: `);
    expect(stdout).toContain("git rebase -i");
    expect(stdout).not.toContain("committed-secret-1");
  });

  it("fails a branch that added a plaintext covered file in one commit and deleted it in the next", () => {
    const repo = setUpCoveredRepo(sb, "added-then-removed");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "secrets/new.yaml"), "password: later-removed-1\n");
    commitAll(sb, repo, "add");
    git(sb, repo, ["rm", "-q", "secrets/new.yaml"]);
    commitAll(sb, repo, "remove");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual([expect.stringMatching(/^secrets\/new\.yaml \(commit [0-9a-f]{10}\) error not-encrypted$/)]);
  });

  it("looks at the commits' files where the tip is checked: under the working directory, or the paths given", () => {
    const repo = setUpCoveredRepo(sb, "scoped");
    mkdirSync(join(repo, "docs"));
    writeFileSync(join(repo, "docs/readme.md"), "hello\n");
    commitAll(sb, repo, "docs");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "secrets/new.yaml"), "password: scoped-away-1\n");
    commitAll(sb, repo, "add");
    git(sb, repo, ["rm", "-q", "secrets/new.yaml"]);
    commitAll(sb, repo, "remove");
    expect(checkJson(join(repo, "docs"), ["--base", "main"]).status).toBe(0);
    expect(checkJson(repo, ["--base", "main", "docs"]).status).toBe(0);
    const named = checkJson(join(repo, "docs"), ["--base", "main", "../secrets"]);
    expect(named.status).toBe(1);
    expect(codesOf(named.report)).toEqual([expect.stringMatching(/\/scoped\/secrets\/new\.yaml \(commit [0-9a-f]{10}\) error not-encrypted$/)]);
  });

  it("fails, without reading it, a covered file of an earlier commit too large to check, as at the tip", () => {
    const repo = setUpCoveredRepo(sb, "too-large");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "secrets/big.yaml"), `password: too-large-1\npadding: "${"x".repeat(17 * 1024 * 1024)}"\n`);
    commitAll(sb, repo, "add");
    git(sb, repo, ["rm", "-q", "secrets/big.yaml"]);
    commitAll(sb, repo, "remove");
    const { status, report, stdout } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual([expect.stringMatching(/^secrets\/big\.yaml \(commit [0-9a-f]{10}\) error unreadable$/)]);
    expect(stdout).toContain("larger than 16777216 bytes");
  });

  it("holds an earlier commit to the base's rules when the branch narrows them", () => {
    const repo = setUpCoveredRepo(sb, "narrowed-then");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/prod/.*\\.yaml$\n    age: ${sb.recipient}\n`);
    writeFileSync(join(repo, "secrets/plain.yaml"), "password: narrowed-away-1\n");
    commitAll(sb, repo, "narrow and add");
    git(sb, repo, ["rm", "-q", "secrets/plain.yaml"]);
    commitAll(sb, repo, "remove");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(status).toBe(1);
    expect(codesOf(report)).toEqual([expect.stringMatching(/^secrets\/plain\.yaml \(commit [0-9a-f]{10}\) error not-encrypted$/)]);
  });

  it("fails a merge commit of the branch that added a plaintext covered file of its own, and not for what the merge took from the base", () => {
    const repo = setUpCoveredRepo(sb, "evil-merge");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeEncrypted(sb, repo, "secrets/one.yaml", "token: one-1\n");
    commitAll(sb, repo, "one");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, "secrets/base-plain.yaml"), "password: base-history-1\n");
    commitAll(sb, repo, "main: plaintext");
    git(sb, repo, ["checkout", "-q", "pr"]);
    git(sb, repo, ["merge", "-q", "--no-edit", "--no-commit", "main"]);
    writeFileSync(join(repo, "secrets/merged.yaml"), "password: merge-secret-1\n");
    git(sb, repo, ["add", "-A"]);
    git(sb, repo, ["commit", "-q", "--no-verify", "--no-edit"]);
    git(sb, repo, ["rm", "-q", "secrets/merged.yaml", "secrets/base-plain.yaml"]);
    commitAll(sb, repo, "remove");
    git(sb, repo, ["checkout", "-q", "main"]);
    git(sb, repo, ["rm", "-q", "secrets/base-plain.yaml"]);
    commitAll(sb, repo, "main: removed");
    git(sb, repo, ["checkout", "-q", "pr"]);
    const { status, report } = checkJson(repo, ["--base", "main"]);
    // The base's plaintext file came with the merge: it is in the base's history, not the branch's.
    expect(codesOf(report)).toEqual([expect.stringMatching(/^secrets\/merged\.yaml \(commit [0-9a-f]{10}\) error not-encrypted$/)]);
    expect(status).toBe(1);
  });

  it("passes a branch whose commits keep covered files encrypted, a merge of the base included", () => {
    const repo = setUpCoveredRepo(sb, "clean-history");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeEncrypted(sb, repo, "secrets/one.yaml", "token: one-1\n");
    commitAll(sb, repo, "one");
    git(sb, repo, ["checkout", "-q", "main"]);
    mkdirSync(join(repo, "docs"));
    writeFileSync(join(repo, "docs/readme.md"), "hello\n");
    writeEncrypted(sb, repo, "secrets/two.yaml", "token: two-1\n");
    commitAll(sb, repo, "main moves on");
    git(sb, repo, ["checkout", "-q", "pr"]);
    git(sb, repo, ["merge", "-q", "--no-edit", "main"]);
    writeEncrypted(sb, repo, "secrets/one.yaml", "token: one-2\n");
    commitAll(sb, repo, "one again");
    const { status, report } = checkJson(repo, ["--base", "main"]);
    expect(codesOf(report)).toEqual([]);
    expect(status).toBe(0);
  });
});
