import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageEntryBlocks, createAgeKey, createRepo, createSandbox, git, hush, writeEncrypted, type AgeKey, type Sandbox, commitAtDate } from "./helpers.ts";

/**
 * `hush audit` and a file put back to an older version, which needs no key (`git revert`, or a
 * pull request that copies an old blob and drops a recipient entry from it): its values and its
 * data key are that version's, whoever held that key can open the file again, and its values are
 * as old as that version. A rotation that removed a reader is undone without a word otherwise.
 */

let sb: Sandbox;
let mallory: AgeKey;
let repo: string;
const commits: Record<string, string> = {};

function commitAt(name: string, date: string, message: string): void {
  commits[name] = commitAtDate(sb, repo, date, message);
}

function rules(recipients: readonly string[]): string {
  return `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${recipients.join(",")}\n`;
}

beforeAll(() => {
  sb = createSandbox();
  mallory = createAgeKey(sb, "mallory");
  repo = createRepo(sb, "rollback");
  writeFileSync(join(repo, ".sops.yaml"), rules([sb.recipient, mallory.recipient]));
  writeEncrypted(sb, repo, "app.enc.yaml", "password: known-to-mallory\napi_key: k1\n");
  commitAt("create", "2024-01-10", "Add app secrets");
  // mallory leaves with a new data key and a new password.
  writeFileSync(join(repo, ".sops.yaml"), rules([sb.recipient]));
  for (const args of [
    ["rotate", "-i", "--rm-age", mallory.recipient, "app.enc.yaml"],
    ["set", "app.enc.yaml", '["password"]', '"after-mallory"'],
  ]) {
    const r = hush(sb, args, { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
  }
  commitAt("rotate", "2024-03-01", "Rotate: mallory out, new password");
  // Without a key: the first version, less mallory's entry (no MAC covers the recipients).
  const first = git(sb, repo, ["show", `${commits["create"]!}:app.enc.yaml`]).stdout;
  const malloryEntry = ageEntryBlocks(first).find((b) => b.includes(mallory.recipient))!;
  writeFileSync(join(repo, "app.enc.yaml"), first.replace(malloryEntry, ""));
  commitAt("restore", "2025-06-01", "Rotate the password");
});

afterAll(() => sb.cleanup());

describe("hush audit: a file put back to a version whose data key a removed reader held", () => {
  it("the restored file opens, with the old values, and mallory's old copy of the data key opens it", () => {
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(text).not.toContain(mallory.recipient);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("password: known-to-mallory\napi_key: k1\n");
    // What mallory kept of the first version (her entry) opens the restored values.
    const first = git(sb, repo, ["show", `${commits["create"]!}:app.enc.yaml`]).stdout;
    const withHerEntry = text.replace("    lastmodified:", `${ageEntryBlocks(first).find((b) => b.includes(mallory.recipient))!}    lastmodified:`);
    writeFileSync(join(sb.dir, "mallory-view.enc.yaml"), withHerEntry);
    expect(hush(sb, ["decrypt", join(sb.dir, "mallory-view.enc.yaml")], { cwd: sb.dir, env: mallory.env }).stdout).toBe("password: known-to-mallory\napi_key: k1\n");
  });

  it("dates the values from the version they come from, and reports the removed reader as holding the data key", () => {
    const r = hush(sb, ["audit", "--json", "--max-age", "365d", "--as-of", "2025-07-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const at = (name: string, date: string, subject: string): object => ({ commit: commits[name], date: `${date}T12:00:00Z`, author: "Test User", subject });
    const create = at("create", "2024-01-10", "Add app secrets");
    const report = JSON.parse(r.stdout) as { files: unknown[]; summary: unknown };
    expect(report.files).toEqual([
      {
        path: "app.enc.yaml",
        atHead: "encrypted",
        commits: 3,
        lastRekey: create,
        values: [
          { path: '["password"]', changed: create, ageDays: 537, stale: true, rekey: true },
          { path: '["api_key"]', changed: create, ageDays: 537, stale: true, rekey: true },
        ],
        removals: [
          {
            commit: at("rotate", "2024-03-01", "Rotate: mallory out, new password"),
            removed: [{ kind: "age", identity: mallory.recipient, name: null }],
            rekeyedSince: false,
            restoredIn: at("restore", "2025-06-01", "Rotate the password"),
          },
        ],
        unencryptedVersions: [],
      },
    ]);
    expect(report.summary).toEqual({ files: 1, values: 2, stale: 2, notRekeyedAfterRemoval: 1, unencryptedInHistory: 0 });

    const text = hush(sb, ["audit", "--as-of", "2025-07-01"], { cwd: repo, env: sb.keylessEnv });
    expect(text.status).toBe(1);
    const c10 = (name: string): string => commits[name]!.slice(0, 10);
    expect(text.stdout).toContain(
      `app.enc.yaml: age ${mallory.recipient.slice(0, 16)}…${mallory.recipient.slice(-6)} removed in ${c10("rotate")} (2024-03-01), but ${c10("restore")} (2025-06-01) went back to a data key it held (of ${c10("create")}, 2024-01-10): whoever held that key can open the file; run \`hush rotate -i app.enc.yaml\``,
    );
  });

  it("a later rotation ends the finding", () => {
    try {
      const r = hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo });
      expect(r.status, r.stderr).toBe(0);
      commitAt("rotate-again", "2025-06-15", "Rotate again");
      const audit = hush(sb, ["audit", "--json", "--as-of", "2025-07-01"], { cwd: repo, env: sb.keylessEnv });
      expect(audit.status, audit.stdout).toBe(0);
      const file = (JSON.parse(audit.stdout) as { files: Array<{ removals: Array<{ rekeyedSince: boolean; restoredIn: unknown }> }> }).files[0]!;
      expect(file.removals.map((x) => [x.rekeyedSince, x.restoredIn])).toEqual([[true, null]]);
    } finally {
      git(sb, repo, ["reset", "-q", "--hard", commits["restore"]!]);
    }
  });
});
