import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, writeEncrypted, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * `hush access` and `hush audit` on a repository with history: three files, recipients added and
 * removed, values changed, every commit at a fixed date. Both run without any key.
 */

let sb: Sandbox;
let repo: string;
let bob: AgeKey;
let carol: AgeKey;
let dave: AgeKey;
const commits: Record<string, string> = {};

/** Commits everything at a fixed author and committer date, and remembers the commit by name. */
function commitAt(name: string, date: string, message: string): void {
  const env = { ...sb.env, GIT_AUTHOR_DATE: `${date}T12:00:00Z`, GIT_COMMITTER_DATE: `${date}T12:00:00Z` };
  git(sb, repo, ["add", "-A"], { env });
  git(sb, repo, ["commit", "-q", "--no-verify", "-m", message], { env });
  commits[name] = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
}

function sopsYaml(prod: readonly string[]): string {
  return [
    "# Names for reports; SOPS ignores this key.",
    "hush_recipient_names:",
    `  Alice: ${sb.recipient}`,
    "keys:",
    `  - &bob ${bob.recipient}`,
    `  - &carol ${carol.recipient}`,
    "creation_rules:",
    "  - path_regex: prod\\.enc\\.yaml$",
    "    key_groups:",
    "      - age:",
    ...prod.map((r) => `          - ${r}`),
    "  - path_regex: \\.enc\\.(env|json)$",
    "    key_groups:",
    "      - age:",
    `          - ${sb.recipient}`,
    "          - *carol",
    "",
  ].join("\n");
}

const short = (r: string): string => `${r.slice(0, 16)}…${r.slice(-6)}`;
const c10 = (name: string): string => commits[name]!.slice(0, 10);

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb);
  bob = createAgeKey(sb, "bob");
  carol = createAgeKey(sb, "carol");
  dave = createAgeKey(sb, "dave");
  writeFileSync(join(repo, ".sops.yaml"), sopsYaml([sb.recipient, "*bob", "*carol"]));
  writeEncrypted(sb, repo, "prod.enc.yaml", "db:\n  password: first\napi_key: k1\n");
  writeEncrypted(sb, repo, "dev.enc.env", "DB_PASSWORD=dev1\nTOKEN=t1\n");
  commitAt("create", "2024-01-10", "Add prod and dev secrets");
  // A file committed in clear, then encrypted: its first version stays in history.
  writeFileSync(join(repo, "ci.enc.json"), '{"token": "ci-1"}\n');
  commitAt("clear", "2024-02-01", "Add CI token");
  const enc = hush(sb, ["encrypt", "-i", "ci.enc.json"], { cwd: repo });
  expect(enc.stderr).toBe("");
  commitAt("encrypted", "2024-02-02", "Encrypt CI token");
  const set = hush(sb, ["set", "prod.enc.yaml", '["db"]["password"]', '"second"'], { cwd: repo });
  expect(set.stderr).toBe("");
  commitAt("password", "2024-06-01", "Change the prod database password");
  // carol leaves prod the SOPS way: her wrapped key is gone, the data key she may hold stays.
  writeFileSync(join(repo, ".sops.yaml"), sopsYaml([sb.recipient, "*bob"]));
  const up = hush(sb, ["updatekeys", "-y", "--keep-data-key", "prod.enc.yaml"], { cwd: repo });
  expect(up.status, up.stderr).toBe(0);
  commitAt("carol-prod", "2025-01-15", "Remove carol from prod");
  // carol leaves dev with a new data key; dave joins it without being in the rule.
  const rot = hush(sb, ["rotate", "-i", "--rm-age", carol.recipient, "--add-age", dave.recipient, "dev.enc.env"], { cwd: repo });
  expect(rot.status, rot.stderr).toBe(0);
  commitAt("carol-dev", "2025-03-01", "Rotate dev: carol out, dave in");
});
afterAll(() => sb.cleanup());

describe("hush access without a key", () => {
  it("prints each file's recipients, the recipient × file matrix and the drift from .sops.yaml", () => {
    const r = hush(sb, ["access"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "#    FILE           NEEDED            CREATION RULE",
        '[1]  ci.enc.json    1 of 1 key group  "\\\\.enc\\\\.(env|json)$"',
        '[2]  dev.enc.env    1 of 1 key group  "\\\\.enc\\\\.(env|json)$"',
        '[3]  prod.enc.yaml  1 of 1 key group  "prod\\\\.enc\\\\.yaml$"',
        "",
        "Who can open which file (x: holds the data key; gN: holds the share of key group N; .: nothing)",
        "RECIPIENT  KIND  IDENTITY                 [1]  [2]  [3]",
        `Alice      age   ${short(sb.recipient)}  x    x    x`,
        `bob        age   ${short(bob.recipient)}  .    .    x`,
        `carol      age   ${short(carol.recipient)}  x    .    .`,
        `-          age   ${short(dave.recipient)}  .    x    .`,
        "",
        "Drift from .sops.yaml:",
        `dev.enc.env: not named by the creation rule: age ${short(dave.recipient)}`,
        `dev.enc.env: named by the creation rule but cannot open the file: carol (age ${short(carol.recipient)})`,
        "",
        "hush access: 3 file(s), 4 recipient(s), 1 file(s) drifted from .sops.yaml",
        "",
      ].join("\n"),
    );
  });

  it("--json gives the same facts with whole identities", () => {
    const r = hush(sb, ["access", "--json"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    const A = { kind: "age", identity: sb.recipient, name: "Alice" };
    const B = { kind: "age", identity: bob.recipient, name: "bob" };
    const C = { kind: "age", identity: carol.recipient, name: "carol" };
    const D = { kind: "age", identity: dave.recipient, name: null };
    const none = { unexpected: [], missing: [], groups: null };
    expect(JSON.parse(r.stdout)).toEqual({
      schema: "hush-access",
      version: 1,
      files: [
        { path: "ci.enc.json", groups: [[A, C]], threshold: 1, rule: "\\.enc\\.(env|json)$", drift: none },
        { path: "dev.enc.env", groups: [[A, D]], threshold: 1, rule: "\\.enc\\.(env|json)$", drift: { unexpected: [D], missing: [C], groups: null } },
        { path: "prod.enc.yaml", groups: [[A, B]], threshold: 1, rule: "prod\\.enc\\.yaml$", drift: none },
      ],
      matrix: [
        { recipient: A, groups: [[0], [0], [0]] },
        { recipient: B, groups: [[], [], [0]] },
        { recipient: C, groups: [[0], [], []] },
        { recipient: D, groups: [[], [0], []] },
      ],
    });
  });
});

describe("hush audit without a key", () => {
  it("dates every value's last ciphertext change, flags old ones and the file not re-keyed after a removal", () => {
    const r = hush(sb, ["audit", "--max-age", "365d", "--as-of", "2026-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      [
        "FILE           KEY PATH            CHANGED     AGE   COMMIT      SUBJECT                            FLAGS",
        `ci.enc.json    ["token"]           2024-02-02  698d  ${c10("encrypted")}  Encrypt CI token                   STALE,rekey`,
        `dev.enc.env    ["DB_PASSWORD"]     2025-03-01  305d  ${c10("carol-dev")}  Rotate dev: carol out, dave in     rekey`,
        `dev.enc.env    ["TOKEN"]           2025-03-01  305d  ${c10("carol-dev")}  Rotate dev: carol out, dave in     rekey`,
        `prod.enc.yaml  ["db"]["password"]  2024-06-01  578d  ${c10("password")}  Change the prod database password  STALE`,
        `prod.enc.yaml  ["api_key"]         2024-01-10  721d  ${c10("create")}  Add prod and dev secrets           STALE,rekey`,
        "",
        `ci.enc.json: the version of ${c10("clear")} (2024-02-01) was not encrypted: its values are in git history in clear; change them`,
        `prod.enc.yaml: carol (age ${short(carol.recipient)}) removed in ${c10("carol-prod")} (2025-01-15) without a new data key since: whoever held that key may still hold the file's data key; run \`hush rotate -i prod.enc.yaml\``,
        "",
        "hush audit: 3 file(s), 5 value(s) as of 2026-01-01, 3 older than 365 days; 1 file(s) not re-keyed after a recipient was removed; 1 file(s) with clear versions in history",
        "",
      ].join("\n"),
    );
  });
});
