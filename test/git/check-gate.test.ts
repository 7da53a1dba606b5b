import { mkdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

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

/** A repository whose `.sops.yaml` covers `secrets/*.yaml`, one encrypted file committed on main. */
function setUpRepo(name: string): string {
  const repo = createRepo(sb, name, "^secrets/.*\\.yaml$");
  mkdirSync(join(repo, "secrets"));
  writeEncrypted(sb, repo, "secrets/app.yaml", "password: committed-secret-1\n");
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "initial");
  return repo;
}

describe("hush check --staged: a type change", () => {
  it("a covered path that was a link, staged as a plaintext file, is checked", () => {
    const repo = setUpRepo("type-change");
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
