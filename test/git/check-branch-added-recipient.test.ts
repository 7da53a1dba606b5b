import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, git, hush, writeEncrypted, type CheckJsonReport, type Sandbox, createSandbox, setUpCoveredRepo } from "./helpers.ts";

/**
 * `hush check --base`: a recipient entry the branch adds to an encrypted file, for a recipient the
 * base revision's rule does not name, fails the gate (without --strict). Merged, the next key
 * holder's re-wrap would hand that entry the data key; drift already on the base branch stays a warning.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

function checkBase(cwd: string): { status: number; report: CheckJsonReport; text: string } {
  const json = hush(sb, ["check", "--json", "--base", "main"], { cwd, env: sb.keylessEnv });
  const text = hush(sb, ["check", "--base", "main"], { cwd, env: sb.keylessEnv });
  expect(text.status).toBe(json.status);
  return { status: json.status, report: JSON.parse(json.stdout) as CheckJsonReport, text: text.stdout };
}

function problemsOf(report: CheckJsonReport, path: string): string[] {
  return (report.files.find((f) => f.path === path)?.problems ?? []).map((p) => `${p.severity} ${p.code}`);
}

const rulesNaming = (recipients: readonly string[]): string => `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${recipients.join(",")}\n`;

describe("hush check --base: a recipient entry the branch adds that the base's rule does not name", () => {
  it("is an error when the branch re-keys a file to it (hush rotate --add-age)", () => {
    const repo = setUpCoveredRepo(sb, "added-by-rotate");
    const other = createAgeKey(sb, "added-by-rotate-other");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["rotate", "-i", "--add-age", other.recipient, "--yes", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "add a recipient");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(1);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual(["error unexpected-recipient"]);
    expect(r.text).toContain(
      `secrets/app.yaml: error: age recipient ${other.recipient} in key group 0 was added to the file by this branch and is not named by the creation rule in main:.sops.yaml for this file; merged, the next re-key by a key holder would give it the data key: name it in .sops.yaml on the base branch first (a change of its own), then re-key; or remove it from the file with \`hush updatekeys\` [unexpected-recipient]\n`,
    );
    // Without --base there is no earlier version to compare with: a warning, as before.
    expect(hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv }).status).toBe(0);
  });

  it("is an error when the branch also names it in its own .sops.yaml", () => {
    const repo = setUpCoveredRepo(sb, "added-with-rule");
    const other = createAgeKey(sb, "added-with-rule-other");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), rulesNaming([sb.recipient, other.recipient]));
    expect(hush(sb, ["updatekeys", "--yes", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "name and add a recipient");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(1);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual(["error unexpected-recipient"]);
    expect(r.text).toContain(`secrets/app.yaml: error: age recipient ${other.recipient} in key group 0 was added to the file by this branch and is not named by the creation rule in main:.sops.yaml for this file;`);
  });

  it("is an error in a file new on the branch", () => {
    const repo = setUpCoveredRepo(sb, "added-new-file");
    const other = createAgeKey(sb, "added-new-file-other");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "secrets", "new.yaml"), "token: t\n");
    expect(hush(sb, ["encrypt", "-i", "--age", `${sb.recipient},${other.recipient}`, "secrets/new.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "a new file");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(1);
    expect(problemsOf(r.report, "secrets/new.yaml")).toEqual(["error unexpected-recipient"]);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual([]);
  });

  it("stays a warning for an entry the file already had on the base branch, also when the branch changes the file", () => {
    const repo = setUpCoveredRepo(sb, "already-on-main");
    const other = createAgeKey(sb, "already-on-main-other");
    expect(hush(sb, ["rotate", "-i", "--add-age", other.recipient, "--yes", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "drift on main");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // Re-keyed on the branch (new wrapped keys, same recipients): compared by identity, not bytes.
    expect(hush(sb, ["rotate", "-i", "--yes", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "rotate");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(0);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual(["warning unexpected-recipient"]);
  });

  it("a branch that only names a recipient in .sops.yaml passes (missing-recipient stays a warning)", () => {
    const repo = setUpCoveredRepo(sb, "name-only");
    const other = createAgeKey(sb, "name-only-other");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), rulesNaming([sb.recipient, other.recipient]));
    commitAll(sb, repo, "name a recipient");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(0);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual(["warning missing-recipient"]);
  });

  it("a branch re-keying to a recipient the base's rule names passes", () => {
    const repo = setUpCoveredRepo(sb, "named-on-main");
    const other = createAgeKey(sb, "named-on-main-other");
    writeFileSync(join(repo, ".sops.yaml"), rulesNaming([sb.recipient, other.recipient]));
    mkdirSync(join(repo, "secrets", "more"));
    writeEncrypted(sb, repo, "secrets/more/db.yaml", "password: p\n");
    commitAll(sb, repo, "name a recipient on main");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["updatekeys", "--yes", "secrets/app.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "re-key");

    const r = checkBase(repo);
    expect(r.status, r.text).toBe(0);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual([]);
  });
});
