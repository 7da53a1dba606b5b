import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageEntryBlocks, commitAtDate, createAgeKey, createRepo, createSandbox, expectOk, git, hush, writeEncrypted, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * `hush audit` and a file deleted, then added back in a later commit with a recipient's entry
 * taken out (no key needed: no MAC covers the recipients). The data key is the one the removed
 * reader holds, as after a removal in one commit; the audit started the file afresh at the
 * deletion and reported nothing.
 */

let sb: Sandbox;
let mallory: AgeKey;
let repo: string;
const commits: Record<string, string> = {};

beforeAll(() => {
  sb = createSandbox();
  mallory = createAgeKey(sb, "mallory");
  repo = createRepo(sb, "readded");
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n`);
  writeEncrypted(sb, repo, "app.enc.yaml", "password: known-to-mallory\n");
  commits["create"] = commitAtDate(sb, repo, "2024-01-10", "Add app secrets");
  const first = git(sb, repo, ["show", "HEAD:app.enc.yaml"]).stdout;
  git(sb, repo, ["rm", "-q", "app.enc.yaml"]);
  commits["delete"] = commitAtDate(sb, repo, "2024-02-01", "Remove app secrets");
  writeFileSync(join(repo, "app.enc.yaml"), first.replace(ageEntryBlocks(first).find((b) => b.includes(mallory.recipient))!, ""));
  commits["readd"] = commitAtDate(sb, repo, "2024-03-01", "Add app secrets back");
});

afterAll(() => sb.cleanup());

describe("hush audit: a file deleted and added back without a recipient", () => {
  it("reports mallory as removed without a new data key, in the commit that added the file back", () => {
    const r = hush(sb, ["audit", "--json", "--as-of", "2024-06-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; lastRekey: { commit: string }; removals: Array<{ commit: { commit: string }; removed: Array<{ identity: string }>; rekeyedSince: boolean }> }>; summary: { notRekeyedAfterRemoval: number } };
    expect(report.files.map((f) => f.path)).toEqual(["app.enc.yaml"]);
    const file = report.files[0]!;
    expect(file.lastRekey.commit).toBe(commits["create"]);
    expect(file.removals.map((x) => [x.commit.commit, x.removed.map((m) => m.identity), x.rekeyedSince])).toEqual([[commits["readd"], [mallory.recipient], false]]);
    expect(report.summary.notRekeyedAfterRemoval).toBe(1);
    expect(r.status).toBe(1);
  });
});

describe("hush audit: a file moved away and back, re-wrapped for all but a recipient with its data key", () => {
  it("reports the recipient as removed without a new data key, whole and for the paths it is under", () => {
    const away = createRepo(sb, "away-and-back");
    const rules = (recipients: readonly string[]): string => `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${recipients.join(",")}\n`;
    writeFileSync(join(away, ".sops.yaml"), rules([sb.recipient, mallory.recipient]));
    mkdirSync(join(away, "secrets"));
    mkdirSync(join(away, "old"));
    writeEncrypted(sb, away, "secrets/app.enc.yaml", "password: known-to-mallory\n");
    const created = commitAtDate(sb, away, "2024-01-10", "Add app secrets");
    // Moved out with mallory taken out as SOPS's updatekeys does: every entry wrapped again, one data key.
    writeFileSync(join(away, ".sops.yaml"), rules([sb.recipient]));
    git(sb, away, ["mv", "secrets/app.enc.yaml", "old/app.enc.yaml"]);
    expectOk(hush(sb, ["updatekeys", "-y", "--keep-data-key", "old/app.enc.yaml"], { cwd: away }));
    commitAtDate(sb, away, "2024-02-01", "Move app secrets, mallory out");
    git(sb, away, ["mv", "old/app.enc.yaml", "secrets/app.enc.yaml"]);
    commitAtDate(sb, away, "2024-03-01", "Move them back");
    for (const paths of [[], ["secrets"]]) {
      const r = hush(sb, ["audit", "--json", "--as-of", "2024-06-01", ...paths], { cwd: away, env: sb.keylessEnv });
      expect(r.stderr).toBe("");
      const report = JSON.parse(r.stdout) as { files: Array<{ path: string; lastRekey: { commit: string }; removals: Array<{ removed: Array<{ identity: string }>; rekeyedSince: boolean }> }>; summary: { notRekeyedAfterRemoval: number } };
      expect(report.files.map((f) => [f.path, f.lastRekey.commit, f.removals.map((x) => [x.removed.map((m) => m.identity), x.rekeyedSince])]), paths.join(" ")).toEqual([
        ["secrets/app.enc.yaml", created, [[[mallory.recipient], false]]],
      ]);
      expect(r.status).toBe(1);
    }
  });
});
