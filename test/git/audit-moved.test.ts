import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgeKey, createRepo, createSandbox, expectOk, git, hush, writeEncrypted, commitAtDate, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * `hush audit` and a file moved or copied with its data key. git cannot link a file moved and
 * edited in one commit, but the data key goes with the bytes: a reader dropped on the way (with
 * `updatekeys --keep-data-key`, as SOPS's updatekeys does) still holds the moved file's key. The
 * audit said the move was a new data key and reported nothing.
 *
 * A shallow clone of the same repository cuts the history the same way (its one commit looks
 * like every file's creation), so the audit refuses to run there.
 */

let sb: Sandbox;
let mallory: AgeKey;
let repo: string;
const commits: Record<string, string> = {};

function rules(recipients: readonly string[]): string {
  return `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${recipients.join(",")}\n`;
}

/** `hush audit PATHS` (keyless, as of 2024-06-01) in `cwd`: each file with the commits that last changed its values. */
function valuesChanged(cwd: string, paths: readonly string[]): Array<[string, string[]]> {
  const r = hush(sb, ["audit", "--json", "--as-of", "2024-06-01", ...paths], { cwd, env: sb.keylessEnv });
  expect(r.stderr).toBe("");
  const report = JSON.parse(r.stdout) as { files: Array<{ path: string; values: Array<{ changed: { commit: string } }> }> };
  return report.files.map((f) => [f.path, f.values.map((v) => v.changed.commit)]);
}

/** In `repo`, `file` encrypted in 2022 (its commit returned), then `git mv` from the first of `names` to the second (2024-05-01), and to the third (2024-05-20). */
function movedTwice(repo: string, file: string, names: readonly [string, string, string]): string {
  writeFileSync(join(repo, ".sops.yaml"), rules([sb.recipient]));
  writeEncrypted(sb, repo, file, "token: two-years-old\n");
  const created = commitAtDate(sb, repo, "2022-01-10", "Add secrets");
  git(sb, repo, ["mv", names[0], names[1]]);
  commitAtDate(sb, repo, "2024-05-01", "Move them");
  git(sb, repo, ["mv", names[1], names[2]]);
  commitAtDate(sb, repo, "2024-05-20", "Move them again");
  return created;
}

function updatekeys(args: readonly string[]): void {
  expectOk(hush(sb, ["updatekeys", "-y", ...args], { cwd: repo }));
}

beforeAll(() => {
  sb = createSandbox();
  mallory = createAgeKey(sb, "mallory");
  repo = createRepo(sb, "moved");
  writeFileSync(join(repo, ".sops.yaml"), rules([sb.recipient, mallory.recipient]));
  writeEncrypted(sb, repo, "old.enc.yaml", "password: known-to-mallory\n");
  writeEncrypted(sb, repo, "rotated-old.enc.yaml", "token: t1\n");
  writeEncrypted(sb, repo, "shared.enc.yaml", "api_key: k1\n");
  commits["create"] = commitAtDate(sb, repo, "2024-01-10", "Add secrets");
  // mallory leaves. old.enc.yaml is moved and keeps its data key; rotated-old.enc.yaml is moved
  // and gets a new one; shared.enc.yaml is copied, and the copy keeps the data key.
  writeFileSync(join(repo, ".sops.yaml"), rules([sb.recipient]));
  git(sb, repo, ["mv", "old.enc.yaml", "new.enc.yaml"]);
  git(sb, repo, ["mv", "rotated-old.enc.yaml", "rotated.enc.yaml"]);
  copyFileSync(join(repo, "shared.enc.yaml"), join(repo, "copy.enc.yaml"));
  updatekeys(["--keep-data-key", "new.enc.yaml", "copy.enc.yaml"]);
  updatekeys(["rotated.enc.yaml"]);
  git(sb, repo, ["rm", "-q", "shared.enc.yaml"]);
  commits["move"] = commitAtDate(sb, repo, "2024-03-01", "Move secrets, mallory out");
});

afterAll(() => sb.cleanup());

describe("hush audit: a file moved or copied with its data key", () => {
  it("mallory's entry of the old file still opens the moved one", () => {
    const before = git(sb, repo, ["show", `${commits["create"]!}:old.enc.yaml`]).stdout;
    const moved = git(sb, repo, ["show", "HEAD:new.enc.yaml"]).stdout;
    expect(moved).not.toContain(mallory.recipient);
    // The moved value is the old ciphertext, which mallory's copy of the old file opens.
    expect(/password: .*\n/.exec(moved)![0]).toBe(/password: .*\n/.exec(before)![0]);
    writeFileSync(join(sb.dir, "mallory-view.enc.yaml"), before);
    expect(hush(sb, ["decrypt", join(sb.dir, "mallory-view.enc.yaml")], { cwd: sb.dir, env: mallory.env }).stdout).toBe("password: known-to-mallory\n");
  });

  it("follows the history from the old name: the removal is a finding, the values keep their date", () => {
    const r = hush(sb, ["audit", "--json", "--as-of", "2024-06-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; commits: number; lastRekey: { commit: string } | null; values: Array<{ changed: { commit: string }; rekey: boolean }>; removals: Array<{ commit: { commit: string }; removed: Array<{ identity: string }>; rekeyedSince: boolean }> }>; summary: { notRekeyedAfterRemoval: number } };
    const file = (path: string) => report.files.find((f) => f.path === path)!;
    expect(report.files.map((f) => f.path)).toEqual(["copy.enc.yaml", "new.enc.yaml", "rotated.enc.yaml"]);
    for (const path of ["new.enc.yaml", "copy.enc.yaml"]) {
      const f = file(path);
      expect(f.commits, path).toBe(2);
      expect(f.lastRekey?.commit, path).toBe(commits["create"]);
      expect(f.values.map((v) => [v.changed.commit, v.rekey]), path).toEqual([[commits["create"], true]]);
      expect(f.removals.map((x) => [x.commit.commit, x.removed.map((m) => m.identity), x.rekeyedSince]), path).toEqual([[commits["move"], [mallory.recipient], false]]);
    }
    // A move with a new data key is a rotation: mallory's old key opens nothing there.
    const rotated = file("rotated.enc.yaml");
    expect(rotated.lastRekey?.commit).toBe(commits["move"]);
    expect(rotated.removals.every((x) => x.rekeyedSince)).toBe(true);
    expect(report.summary.notRekeyedAfterRemoval).toBe(2);
    expect(r.status).toBe(1);
  });

  it("follows it from outside the paths asked about: the moved file alone, or a directory renamed", () => {
    const alone = hush(sb, ["audit", "--json", "--as-of", "2024-06-01", "new.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(alone.stderr).toBe("");
    const report = JSON.parse(alone.stdout) as { files: Array<{ path: string; values: Array<{ changed: { commit: string } }>; removals: Array<{ removed: Array<{ identity: string }>; rekeyedSince: boolean }> }> };
    expect(report.files.map((f) => [f.path, f.values.map((v) => v.changed.commit), f.removals.map((x) => [x.removed.map((m) => m.identity), x.rekeyedSince])])).toEqual([
      ["new.enc.yaml", [commits["create"]], [[[mallory.recipient], false]]],
    ]);
    expect(alone.status).toBe(1);
    // A renamed directory: its files' values keep their age (no --max-age passed by a rename).
    const renamed = createRepo(sb, "renamed-directory");
    mkdirSync(join(renamed, "secrets", "production"), { recursive: true });
    const created = movedTwice(renamed, "secrets/production/app.enc.yaml", ["secrets/production", "secrets/prod", "config"]);
    const aged = hush(sb, ["audit", "--max-age", "90d", "--json", "--as-of", "2024-06-01", "config"], { cwd: renamed, env: sb.keylessEnv });
    expect(aged.stderr).toBe("");
    const agedReport = JSON.parse(aged.stdout) as { files: Array<{ path: string; values: Array<{ changed: { commit: string }; stale: boolean }> }> };
    expect(agedReport.files.map((f) => [f.path, f.values.map((v) => [v.changed.commit, v.stale])])).toEqual([["config/app.enc.yaml", [[created, true]]]]);
    expect(aged.status).toBe(1);
  });

  it("follows a file moved in from outside the paths through another file under them", () => {
    const through = createRepo(sb, "moved-through");
    mkdirSync(join(through, "other"));
    mkdirSync(join(through, "secrets"));
    const created = movedTwice(through, "other/app.enc.yaml", ["other/app.enc.yaml", "secrets/tmp.enc.yaml", "secrets/app.enc.yaml"]);
    expect(valuesChanged(through, [])).toEqual([["secrets/app.enc.yaml", [created]]]);
    expect(valuesChanged(through, ["secrets"])).toEqual([["secrets/app.enc.yaml", [created]]]);
  });

  it("follows a file moved in from a name holding a line break", () => {
    // git reads a line of its standard input as one pathspec: such a name is none there. With
    // only such a name moved in, the path-limited audit failed.
    const odd = createRepo(sb, "odd-names");
    writeFileSync(join(odd, ".sops.yaml"), rules([sb.recipient]));
    writeEncrypted(sb, odd, "old\nname.enc.yaml", "token: from-a-line-break\n");
    const created = commitAtDate(sb, odd, "2022-01-10", "Add secrets");
    mkdirSync(join(odd, "secrets"));
    git(sb, odd, ["mv", "old\nname.enc.yaml", "secrets/a.enc.yaml"]);
    commitAtDate(sb, odd, "2024-05-01", "Move it");
    expect(valuesChanged(odd, [])).toEqual([["secrets/a.enc.yaml", [created]]]);
    expect(valuesChanged(odd, ["secrets"])).toEqual([["secrets/a.enc.yaml", [created]]]);
  });

  it("says so on the terminal with the command to run", () => {
    const r = hush(sb, ["audit", "--as-of", "2024-06-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`new.enc.yaml: age ${mallory.recipient.slice(0, 16)}…${mallory.recipient.slice(-6)} removed in ${commits["move"]!.slice(0, 10)} (2024-03-01) without a new data key since`);
    expect(r.stdout).toContain("run `hush rotate -i new.enc.yaml`");
  });
});

describe("hush audit in a shallow clone", () => {
  it("refuses, saying the history is cut and how to fetch it, and writes no page", () => {
    const clone = join(sb.dir, "shallow");
    git(sb, sb.dir, ["clone", "-q", "--depth", "1", `file://${repo}`, clone]);
    const r = hush(sb, ["audit", "--max-age", "30d", "--as-of", "2024-06-01", "--html", "report.html"], { cwd: clone, env: sb.keylessEnv });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`hush: ${clone}: a shallow clone: its history is cut, so values would look younger than they are and recipients removed before the cut would not be reported\n  next: fetch the history (git fetch --unshallow, or a CI checkout with fetch-depth: 0), then run hush audit again\n`);
    expect(r.status).toBe(1);
    expect(existsSync(join(clone, "report.html"))).toBe(false);
    // Fetched whole, the same clone gives the finding.
    git(sb, clone, ["fetch", "-q", "--unshallow"]);
    const whole = hush(sb, ["audit", "--as-of", "2024-06-01"], { cwd: clone, env: sb.keylessEnv });
    expect(whole.stdout).toContain("new.enc.yaml: age ");
    expect(whole.status).toBe(1);
  });
});

describe("hush audit PATHS", () => {
  it("refuses a path that is neither in the working tree nor in git history, and takes one only history has", () => {
    const typo = hush(sb, ["audit", "--max-age", "30d", "secret/"], { cwd: repo, env: sb.keylessEnv });
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toBe("hush: secret/: no such file or directory, in the working tree or in git history\n");
    expect(typo.status).toBe(100);
    const gone = hush(sb, ["audit", "old.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(gone.stderr).toBe("");
    expect(gone.stdout).toBe("hush audit: no encrypted value found in git history\n");
    expect(gone.status).toBe(0);
  });
});
