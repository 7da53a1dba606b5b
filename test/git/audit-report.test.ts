import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgeKey, createRepo, createSandbox, git, hush, run, writeEncrypted } from "./helpers.ts";
import { buildAuditRepo, short, type AuditRepo } from "./audit-fixture.ts";

/** `hush access` and `hush audit` on a repository with history (see audit-fixture.ts), run without any key. */

let t: AuditRepo;
const c10 = (name: string): string => t.commits[name]!.slice(0, 10);

beforeAll(() => {
  t = buildAuditRepo();
});
afterAll(() => t.sb.cleanup());

describe("hush access without a key", () => {
  it("prints each file's recipients, the recipient × file matrix and the drift from .sops.yaml", () => {
    const r = hush(t.sb, ["access"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        "#    FILE           NEEDED            CREATION RULE",
        '[1]  ci.enc.json    1 of 1 key group  "\\\\.enc\\\\.(env|json)$"',
        '[2]  dev.enc.env    1 of 1 key group  "\\\\.enc\\\\.(env|json)$"',
        '[3]  prod.enc.yaml  1 of 1 key group  "prod\\\\.enc\\\\.yaml$"',
        "",
        "Who can open which file (x: holds the data key; x:g0,g1: opens it alone, with the shares of enough key groups; gN: holds the share of key group N; .: nothing)",
        "RECIPIENT  KIND  IDENTITY                 [1]  [2]  [3]",
        `Alice      age   ${short(t.sb.recipient)}  x    x    x`,
        `bob        age   ${short(t.bob.recipient)}  .    .    x`,
        `carol      age   ${short(t.carol.recipient)}  x    .    .`,
        `-          age   ${short(t.dave.recipient)}  .    x    .`,
        "",
        "Drift from .sops.yaml:",
        `dev.enc.env: not named by the creation rule: age ${t.dave.recipient}`,
        `dev.enc.env: named by the creation rule but cannot open the file: carol (age ${t.carol.recipient})`,
        "",
        "hush access: 3 file(s), 4 recipient(s), 1 file(s) drifted from .sops.yaml",
        "",
      ].join("\n"),
    );
  });

  it("a named file that cannot be read is one line naming it once, and exit 1", () => {
    const r = hush(t.sb, ["access", "missing.enc.yaml", "prod.enc.yaml"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("hush: missing.enc.yaml: no such file\n");
    expect(r.stdout).toContain("[1]  prod.enc.yaml");
  });

  it("--json gives the same facts with whole identities", () => {
    const r = hush(t.sb, ["access", "--json"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    const A = { kind: "age", identity: t.sb.recipient, name: "Alice" };
    const B = { kind: "age", identity: t.bob.recipient, name: "bob" };
    const C = { kind: "age", identity: t.carol.recipient, name: "carol" };
    const D = { kind: "age", identity: t.dave.recipient, name: null };
    const none = { unexpected: [], missing: [], groups: null };
    expect(JSON.parse(r.stdout)).toEqual({
      schema: "hush-access",
      version: 1,
      files: [
        { path: "ci.enc.json", groups: [[A, C]], threshold: 1, thresholdProblem: null, rule: "\\.enc\\.(env|json)$", drift: none, readDifferently: [], ignored: [], otherReaders: [] },
        { path: "dev.enc.env", groups: [[A, D]], threshold: 1, thresholdProblem: null, rule: "\\.enc\\.(env|json)$", drift: { unexpected: [D], missing: [C], groups: null }, readDifferently: [], ignored: [], otherReaders: [] },
        { path: "prod.enc.yaml", groups: [[A, B]], threshold: 1, thresholdProblem: null, rule: "prod\\.enc\\.yaml$", drift: none, readDifferently: [], ignored: [], otherReaders: [] },
      ],
      matrix: [
        { recipient: A, groups: [[0], [0], [0]] },
        { recipient: B, groups: [[], [], [0]] },
        { recipient: C, groups: [[0], [], []] },
        { recipient: D, groups: [[], [0], []] },
      ],
      publishing: [],
    });
  });
});

describe("hush access: destination_rules", () => {
  it("lists where `sops publish` would send the files and who could read them there", () => {
    const sb = t.sb;
    const repo = createRepo(sb, "publishing");
    const mallory = createAgeKey(sb, "publishing-mallory");
    writeEncrypted(sb, repo, "prod.enc.yaml", "password: publishing-1\n");
    writeFileSync(
      join(repo, ".sops.yaml"),
      `${readFileSync(join(repo, ".sops.yaml"), "utf8")}destination_rules:\n  - path_regex: ^prod\n    s3_bucket: backups\n    s3_prefix: hush/\n    recreation_rule:\n      age: ${mallory.recipient}\n  - path_regex: ^prod\n    gcs_bucket: archive\n  - path_regex: ^prod\n    vault_address: https://vault.example:8200\n    vault_path: app/\n`,
    );
    const r = hush(sb, ["access"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      [
        "No drift from .sops.yaml.",
        "",
        "Where `sops publish` sends files (destination_rules of .sops.yaml; hush has no publish):",
        "PATH_REGEX  DESTINATION                                   READABLE THERE BY",
        `"^prod"     s3://backups/hush/                            age ${mallory.recipient} (re-encrypted to these)`,
        '"^prod"     gcs://archive/                                the file\'s own recipients',
        '"^prod"     Vault https://vault.example:8200 secret/app/  whoever can read that Vault path: the values in clear',
        "",
      ].join("\n"),
    );
    const json = JSON.parse(hush(sb, ["access", "--json"], { cwd: repo, env: sb.keylessEnv }).stdout) as { publishing: unknown };
    expect(json.publishing).toEqual([
      { pathRegex: "^prod", destination: "s3://backups/hush/", inClear: false, recipients: [{ kind: "age", identity: mallory.recipient, name: null }] },
      { pathRegex: "^prod", destination: "gcs://archive/", inClear: false, recipients: [] },
      { pathRegex: "^prod", destination: "Vault https://vault.example:8200 secret/app/", inClear: true, recipients: [] },
    ]);
  });
});

describe("hush audit without a key", () => {
  it("dates every value's last ciphertext change, flags old ones and the file not re-keyed after a removal", () => {
    const r = hush(t.sb, ["audit", "--max-age", "365d", "--as-of", "2026-01-01"], { cwd: t.repo, env: t.sb.keylessEnv });
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
        `prod.enc.yaml: carol (age ${short(t.carol.recipient)}) removed in ${c10("carol-prod")} (2025-01-15) without a new data key since: whoever held that key may still hold the file's data key; run \`hush rotate -i prod.enc.yaml\``,
        "",
        "hush audit: 3 file(s), 5 value(s) as of 2026-01-01, 3 older than 365 days; 1 file(s) not re-keyed after a recipient was removed; 1 file(s) with clear versions in history",
        "",
      ].join("\n"),
    );
  });
});

describe("hush audit --json", () => {
  it("gives every value's last change, the removals and the clear versions, as documented", () => {
    const r = hush(t.sb, ["audit", "--json", "--max-age", "1y", "--as-of", "2026-01-01"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const at = (name: string, date: string, subject: string): object => ({ commit: t.commits[name], date: `${date}T12:00:00Z`, author: "Test User", subject });
    const create = at("create", "2024-01-10", "Add prod and dev secrets");
    const encrypted = at("encrypted", "2024-02-02", "Encrypt CI token");
    const rotated = at("carol-dev", "2025-03-01", "Rotate dev: carol out, dave in");
    const carol = { kind: "age", identity: t.carol.recipient, name: "carol" };
    expect(JSON.parse(r.stdout)).toEqual({
      schema: "hush-audit",
      version: 1,
      asOf: "2026-01-01T00:00:00Z",
      maxAgeDays: 365,
      files: [
        {
          path: "ci.enc.json",
          atHead: "encrypted",
          commits: 2,
          lastRekey: encrypted,
          values: [{ path: '["token"]', changed: encrypted, ageDays: 698, stale: true, rekey: true }],
          removals: [],
          unencryptedVersions: [at("clear", "2024-02-01", "Add CI token")],
        },
        {
          path: "dev.enc.env",
          atHead: "encrypted",
          commits: 2,
          lastRekey: rotated,
          values: [
            { path: '["DB_PASSWORD"]', changed: rotated, ageDays: 305, stale: false, rekey: true },
            { path: '["TOKEN"]', changed: rotated, ageDays: 305, stale: false, rekey: true },
          ],
          removals: [{ commit: rotated, removed: [carol], rekeyedSince: true, restoredIn: null }],
          unencryptedVersions: [],
        },
        {
          path: "prod.enc.yaml",
          atHead: "encrypted",
          commits: 3,
          lastRekey: create,
          values: [
            { path: '["db"]["password"]', changed: at("password", "2024-06-01", "Change the prod database password"), ageDays: 578, stale: true, rekey: false },
            { path: '["api_key"]', changed: create, ageDays: 721, stale: true, rekey: true },
          ],
          removals: [{ commit: at("carol-prod", "2025-01-15", "Remove carol from prod"), removed: [carol], rekeyedSince: false, restoredIn: null }],
          unencryptedVersions: [],
        },
      ],
      summary: { files: 3, values: 5, stale: 3, notRekeyedAfterRemoval: 1, unencryptedInHistory: 1 },
    });
  });

  it("limits the audit to the paths given, and exits 0 when nothing is flagged", () => {
    const r = hush(t.sb, ["audit", "--json", "--as-of", "2026-01-01", "dev.enc.env"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).files.map((f: { path: string }) => f.path)).toEqual(["dev.enc.env"]);
  });

  it("says in one line that a path holds no encrypted value", () => {
    const r = hush(t.sb, ["audit", "--as-of", "2026-01-01", ".sops.yaml"], { cwd: t.repo, env: t.sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("hush audit: no encrypted value found in git history\n");
  });
});

describe("untrusted names in reports", () => {
  it("escapes file names, recipient names and commit subjects for the terminal, JSON and HTML", () => {
    const sb = createSandbox();
    try {
      const repo = createRepo(sb);
      const evil = "evil\u001b[2J\nname\u202e.enc.yaml";
      writeFileSync(
        join(repo, ".sops.yaml"),
        `hush_recipient_names:\n  "<img src=x>\\e]0;owned\\a\\u202eEve": ${sb.recipient}\ncreation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n`,
      );
      writeEncrypted(sb, repo, evil, "token: t1\n");
      const env = { ...sb.env, GIT_AUTHOR_DATE: "2025-01-01T00:00:00Z", GIT_COMMITTER_DATE: "2025-01-01T00:00:00Z" };
      git(sb, repo, ["add", "-A"], { env });
      git(sb, repo, ["commit", "-q", "--no-verify", "-m", "<script>alert(1)</script> \u001b[31mred\u0007"], { env });
      const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/;

      const access = hush(sb, ["access"], { cwd: repo, env: sb.keylessEnv });
      expect(access.status, access.stderr).toBe(0);
      expect(access.stdout).not.toMatch(unsafe);
      expect(access.stdout).toContain("evil\\x1b[2J\\x0aname\\u202e.enc.yaml");
      expect(access.stdout).toContain("<img src=x>\\x1b]0;owned\\x07\\u202eEve");

      const audit = hush(sb, ["audit", "--html", "report.html", "--as-of", "2025-06-01"], { cwd: repo, env: sb.keylessEnv });
      expect(audit.status, audit.stderr).toBe(0);
      expect(audit.stdout).not.toMatch(unsafe);
      expect(audit.stdout).toContain("<script>alert(1)</script> \\x1b[31mred\\x07");

      const json = hush(sb, ["audit", "--json", "--as-of", "2025-06-01"], { cwd: repo, env: sb.keylessEnv });
      expect(json.stdout).not.toMatch(unsafe);
      expect(JSON.parse(json.stdout).files[0].values[0].changed.subject).toBe("<script>alert(1)</script> \u001b[31mred\u0007");

      const page = readFileSync(join(repo, "report.html"), "utf8");
      expect(page).not.toMatch(unsafe);
      expect(page).not.toMatch(/<script|<img/i);
      expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt; \\x1b[31mred\\x07");
      expect(page).toContain("&lt;img src=x&gt;\\x1b]0;owned\\x07\\u202eEve");
    } finally {
      sb.cleanup();
    }
  });

  it("a file name in the command a finding says to run is one quoted word: pasted into a shell, its $(…) and ; do not run", () => {
    const sb = createSandbox();
    try {
      const repo = createRepo(sb);
      const other = createAgeKey(sb, "other");
      // Any name git holds; a commit that drops a recipient without a new data key needs no key.
      const evil = "x$(touch pwned-1);touch pwned-2;'q'.enc.yaml";
      writeFileSync(join(repo, "plain.yaml"), "token: t1\n");
      const enc = hush(sb, ["encrypt", "--config", "/dev/null", "--age", `${sb.recipient},${other.recipient}`, "plain.yaml"], { cwd: repo });
      expect(enc.status, enc.stderr).toBe(0);
      writeFileSync(join(repo, evil), enc.stdout);
      git(sb, repo, ["add", "--", evil]);
      git(sb, repo, ["commit", "-q", "--no-verify", "-m", "two recipients"]);
      const stanza = new RegExp(`\\n {8}- enc: \\|\\n(?: {12}.*\\n)+ {10}recipient: ${other.recipient}`);
      expect(enc.stdout).toMatch(stanza);
      writeFileSync(join(repo, evil), enc.stdout.replace(stanza, ""));
      git(sb, repo, ["commit", "-q", "--no-verify", "-am", "drop one"]);

      const audit = hush(sb, ["audit", "--html", "report.html"], { cwd: repo, env: sb.keylessEnv });
      const finding = audit.stdout.split("\n").find((l) => l.includes("without a new data key since"));
      expect(finding, audit.stdout).toBeDefined();
      const command = /run `([^`]*)`$/.exec(finding!)?.[1];
      expect(command).toBe(`hush rotate -i 'x$(touch pwned-1);touch pwned-2;'\\''q'\\''.enc.yaml'`);
      // Pasted into sh, it names the file and runs nothing else.
      const pasted = run("sh", ["-c", `hush() { printf '%s\\n' "$@"; }; ${command!}`], { cwd: repo, env: sb.keylessEnv });
      expect(pasted.stdout).toBe(`rotate\n-i\n${evil}\n`);
      for (const f of ["pwned-1", "pwned-2"]) expect(existsSync(join(repo, f)), f).toBe(false);
      expect(readFileSync(join(repo, "report.html"), "utf8")).toContain("run `hush rotate -i &#39;x$(touch pwned-1);touch pwned-2;&#39;\\&#39;&#39;q&#39;\\&#39;&#39;.enc.yaml&#39;`");
    } finally {
      sb.cleanup();
    }
  });
});

describe("hush audit reads history with a fixed number of git processes", () => {
  it("one git log for every file, one git rev-list for the first parents, one git cat-file for every version, however many versions", () => {
    const bin = join(t.sb.dir, "counting-bin");
    const calls = join(t.sb.dir, "git-calls.txt");
    const realGit = run("sh", ["-c", "command -v git"], { cwd: t.repo, env: t.sb.keylessEnv }).stdout.trim();
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "git"), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const env = { ...t.sb.keylessEnv, PATH: `${bin}:${t.sb.keylessEnv["PATH"]}` };
    const r = hush(t.sb, ["audit", "--json", "--as-of", "2026-01-01"], { cwd: t.repo, env });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).summary.values).toBe(5);
    // Each call's git command (after any `-c name=value`).
    const commands = readFileSync(calls, "utf8").split("\n").filter((l) => l !== "").map((l) => l.replace(/^(-c \S+ )*/, "").split(" ")[0]);
    expect(commands.sort()).toEqual(["cat-file", "log", "rev-list", "rev-parse", "rev-parse"]);
    // Some paths only: one more log, of the commits that added them (whether they were moved in).
    writeFileSync(calls, "");
    const limited = hush(t.sb, ["audit", "--json", "--as-of", "2026-01-01", "prod.enc.yaml"], { cwd: t.repo, env });
    expect(limited.stderr).toBe("");
    const limitedCommands = readFileSync(calls, "utf8").split("\n").filter((l) => l !== "").map((l) => l.replace(/^(-c \S+ )*/, "").split(" ")[0]);
    expect(limitedCommands.sort()).toEqual(["cat-file", "log", "log", "rev-list", "rev-parse", "rev-parse"]);
  });
});
