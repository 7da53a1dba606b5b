import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo, createSandbox, git, hush, run, writeEncrypted, type Sandbox, commitAtDate } from "./helpers.ts";

/**
 * `hush audit` and secrets committed in clear at paths the current `.sops.yaml` covers, whatever
 * became of the file: deleted since, renamed and encrypted in one commit, or never encrypted.
 * Files outside every rule are not reported.
 */

let sb: Sandbox;
let repo: string;
const commits: Record<string, string> = {};

/** Writes a file of the repository, its directory too (git removes a directory it empties). */
function put(path: string, text: string, dir = repo): void {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** Commits everything at a fixed date and remembers the commit as `name`. */
function commitAt(name: string, date: string, message: string): void {
  commits[name] = commitAtDate(sb, repo, date, message);
}

beforeAll(() => {
  sb = createSandbox();
  // The top rule covers everything under secrets/; svc/ has its own .sops.yaml (nearest wins),
  // whose rule is relative to svc/.
  repo = createRepo(sb, "history", "^secrets/");
  put("svc/.sops.yaml", `creation_rules:\n  - path_regex: ^config\\.yaml$\n    age: ${sb.recipient}\n`);
  put("README.md", "hello\n");
  commitAt("init", "2024-01-01", "init");
  // Deleted since: the secret stays in history.
  put("secrets/old.yaml", "token: deleted-secret\n");
  commitAt("old-clear", "2024-02-01", "Add old token");
  git(sb, repo, ["rm", "-q", "secrets/old.yaml"]);
  commitAt("old-gone", "2024-02-02", "Remove old token");
  // Committed in clear, then renamed and encrypted in one commit.
  put("secrets/app.yaml", "db_password: renamed-secret\n");
  commitAt("app-clear", "2024-03-01", "Add app secrets");
  git(sb, repo, ["mv", "secrets/app.yaml", "secrets/app.enc.yaml"]);
  writeEncrypted(sb, repo, "secrets/app.enc.yaml", "db_password: renamed-secret\n");
  commitAt("app-encrypted", "2024-03-02", "Encrypt app secrets");
  // Covered, never encrypted.
  put("secrets/never.env", "API_KEY=never-encrypted\n");
  commitAt("never", "2024-04-01", "Add API key");
  // svc/config.yaml is covered by svc/.sops.yaml; deleted since. config.yaml at the top is not covered.
  put("svc/config.yaml", "password: svc-secret\n");
  put("config.yaml", "password: top-level\n");
  commitAt("svc-clear", "2024-05-01", "Add service config");
  git(sb, repo, ["rm", "-q", "svc/config.yaml"]);
  commitAt("svc-gone", "2024-05-02", "Drop service config");
  // Outside every rule: not reported, though it looks like a secret.
  put("notes/todo.yaml", "password: not-covered\n");
  commitAt("notes", "2024-06-01", "Add notes");
});

afterAll(() => sb.cleanup());

interface Commit {
  commit: string;
  date: string;
  author: string;
  subject: string;
}
interface AuditJson {
  files: Array<{ path: string; atHead: string; commits: number; values: unknown[]; unencryptedVersions: Commit[] }>;
  summary: { files: number; unencryptedInHistory: number };
}

function auditJson(args: readonly string[] = []): { status: number; report: AuditJson; stderr: string } {
  const r = hush(sb, ["audit", "--json", "--as-of", "2025-01-01", ...args], { cwd: repo, env: sb.keylessEnv });
  return { status: r.status, report: JSON.parse(r.stdout) as AuditJson, stderr: r.stderr };
}

const at = (name: string, date: string, subject: string): Commit => ({ commit: commits[name]!, date: `${date}T12:00:00Z`, author: "Test User", subject });
const fileOf = (report: AuditJson, path: string): AuditJson["files"][number] | undefined => report.files.find((f) => f.path === path);

describe("hush audit: clear versions at paths the current .sops.yaml covers", () => {
  it("reports a file committed in clear and deleted since", () => {
    const { status, report, stderr } = auditJson();
    expect(stderr).toBe("");
    expect(status).toBe(1);
    expect(fileOf(report, "secrets/old.yaml")).toEqual({
      path: "secrets/old.yaml",
      atHead: "absent",
      commits: 2,
      lastRekey: null,
      values: [],
      removals: [],
      unencryptedVersions: [at("old-clear", "2024-02-01", "Add old token")],
    });
  });

  it("reports a file committed in clear, then moved and encrypted in one commit", () => {
    const { report } = auditJson();
    expect(fileOf(report, "secrets/app.yaml")?.unencryptedVersions).toEqual([at("app-clear", "2024-03-01", "Add app secrets")]);
    expect(fileOf(report, "secrets/app.yaml")?.atHead).toBe("absent");
    // The encrypted file under its new name is audited as before, without a clear version.
    const renamed = fileOf(report, "secrets/app.enc.yaml");
    expect(renamed?.atHead).toBe("encrypted");
    expect(renamed?.values).toHaveLength(1);
    expect(renamed?.unencryptedVersions).toEqual([]);
  });

  it("reports a covered file that was never encrypted, and one covered by the .sops.yaml nearest to it", () => {
    const { report } = auditJson();
    expect(fileOf(report, "secrets/never.env")).toMatchObject({ atHead: "unencrypted", commits: 1, unencryptedVersions: [at("never", "2024-04-01", "Add API key")] });
    expect(fileOf(report, "svc/config.yaml")).toMatchObject({ atHead: "absent", unencryptedVersions: [at("svc-clear", "2024-05-01", "Add service config")] });
  });

  it("does not report files outside every creation rule, nor .sops.yaml files", () => {
    const { report } = auditJson();
    expect(report.files.map((f) => f.path)).toEqual(["secrets/app.enc.yaml", "secrets/app.yaml", "secrets/never.env", "secrets/old.yaml", "svc/config.yaml"]);
    expect(report.summary).toMatchObject({ files: 5, unencryptedInHistory: 4 });
  });

  it("keeps to the paths given", () => {
    const { status, report } = auditJson(["secrets/app.enc.yaml"]);
    expect(report.files.map((f) => f.path)).toEqual(["secrets/app.enc.yaml"]);
    expect(status).toBe(0);
  });

  it("shows the findings on the terminal and in the HTML page, saying what became of each file", () => {
    const r = hush(sb, ["audit", "--as-of", "2025-01-01", "--html", "audit.html"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const c10 = (name: string): string => commits[name]!.slice(0, 10);
    const findings = [
      `secrets/app.yaml (no longer at HEAD): the version of ${c10("app-clear")} (2024-03-01) was not encrypted: its values are in git history in clear; change them`,
      `secrets/never.env (not encrypted at HEAD): the version of ${c10("never")} (2024-04-01) was not encrypted: its values are in git history in clear; change them`,
      `secrets/old.yaml (no longer at HEAD): the version of ${c10("old-clear")} (2024-02-01) was not encrypted: its values are in git history in clear; change them`,
      `svc/config.yaml (no longer at HEAD): the version of ${c10("svc-clear")} (2024-05-01) was not encrypted: its values are in git history in clear; change them`,
    ];
    for (const line of findings) expect(r.stdout).toContain(`\n${line}\n`);
    expect(r.stdout).toContain("hush audit: 5 file(s), 1 value(s) as of 2025-01-01; 0 file(s) not re-keyed after a recipient was removed; 4 file(s) with clear versions in history\n");
    expect(r.stdout).not.toContain("notes/todo.yaml");
    expect(r.stdout).not.toMatch(/^config\.yaml/m);
    const page = readFileSync(join(repo, "audit.html"), "utf8");
    for (const line of findings) expect(page).toContain(line);
  });

  it("still reads history with one git log, one git rev-list and one git cat-file", () => {
    const bin = join(sb.dir, "counting-bin");
    const calls = join(sb.dir, "git-calls.txt");
    const realGit = run("sh", ["-c", "command -v git"], { cwd: repo, env: sb.keylessEnv }).stdout.trim();
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "git"), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const r = hush(sb, ["audit", "--json", "--as-of", "2025-01-01"], { cwd: repo, env: { ...sb.keylessEnv, PATH: `${bin}:${sb.keylessEnv["PATH"]}` } });
    expect(JSON.parse(r.stdout).summary.unencryptedInHistory).toBe(4);
    const commands = readFileSync(calls, "utf8").split("\n").filter((l) => l !== "").map((l) => l.replace(/^(-c \S+ )*/, "").split(" ")[0]);
    expect(commands.sort()).toEqual(["cat-file", "log", "rev-list", "rev-parse", "rev-parse"]);
  });
});

describe("hush audit: untrusted names of deleted covered files", () => {
  it("escapes a deleted file's path, its author and its subject on the terminal and in HTML; JSON carries them as they are", () => {
    const evil = "secrets/evil\u001b[2J\nname\u202e.yaml";
    writeFileSync(join(repo, evil), "token: evil-secret\n");
    const env = { ...sb.env, GIT_AUTHOR_NAME: 'Mal & "Eve" \u001b]0;x\u0007 Smith', GIT_AUTHOR_DATE: "2024-07-01T00:00:00Z", GIT_COMMITTER_DATE: "2024-07-01T00:00:00Z" };
    git(sb, repo, ["add", "-A"], { env });
    git(sb, repo, ["commit", "-q", "--no-verify", "-m", "<script>x</script>\u001b[31m"], { env });
    git(sb, repo, ["rm", "-q", evil]);
    git(sb, repo, ["commit", "-q", "--no-verify", "-m", "remove"]);
    const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/;
    try {
      const text = hush(sb, ["audit", "--as-of", "2025-01-01", "--html", "evil.html"], { cwd: repo, env: sb.keylessEnv });
      expect(text.status, text.stderr).toBe(1);
      expect(text.stdout).not.toMatch(unsafe);
      expect(text.stdout).toContain("secrets/evil\\x1b[2J\\x0aname\\u202e.yaml (no longer at HEAD): the version of ");
      const page = readFileSync(join(repo, "evil.html"), "utf8");
      expect(page).not.toMatch(unsafe);
      expect(page).not.toMatch(/<script/i);
      expect(page).toContain("secrets/evil\\x1b[2J\\x0aname\\u202e.yaml (no longer at HEAD)");
      // The table of clear versions names each one's author and subject.
      expect(page).toContain("Mal &amp; &quot;Eve&quot; \\x1b]0;x\\x07 Smith");
      expect(page).toContain("&lt;script&gt;x&lt;/script&gt;\\x1b[31m");
      const { report } = auditJson();
      const file = fileOf(report, evil);
      expect(file?.unencryptedVersions[0]).toMatchObject({ author: 'Mal & "Eve" \u001b]0;x\u0007 Smith', subject: "<script>x</script>\u001b[31m" });
    } finally {
      git(sb, repo, ["reset", "-q", "--hard", commits["notes"]!]);
    }
  });
});

describe("hush audit: a covered file committed in clear and deleted on a merged branch", () => {
  it("is reported, though no first-parent commit ever had it", () => {
    const branchRepo = createRepo(sb, "branch-only", "^secrets/");
    put("README.md", "hello\n", branchRepo);
    git(sb, branchRepo, ["add", "-A"]);
    git(sb, branchRepo, ["commit", "-q", "--no-verify", "-m", "init"]);
    git(sb, branchRepo, ["checkout", "-q", "-b", "feature"]);
    put("secrets/branch.yaml", "token: on-a-branch\n", branchRepo);
    git(sb, branchRepo, ["add", "-A"]);
    git(sb, branchRepo, ["commit", "-q", "--no-verify", "-m", "add a token"]);
    const clear = git(sb, branchRepo, ["rev-parse", "HEAD"]).stdout.trim();
    git(sb, branchRepo, ["rm", "-q", "secrets/branch.yaml"]);
    git(sb, branchRepo, ["commit", "-q", "--no-verify", "-m", "oops, remove it"]);
    git(sb, branchRepo, ["checkout", "-q", "main"]);
    git(sb, branchRepo, ["merge", "-q", "--no-ff", "--no-verify", "-m", "merge feature", "feature"]);

    const r = hush(sb, ["audit", "--json"], { cwd: branchRepo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as AuditJson;
    expect(report.files.map((f) => [f.path, f.atHead, f.commits, f.unencryptedVersions.map((c) => c.commit)])).toEqual([["secrets/branch.yaml", "absent", 0, [clear]]]);
  });
});

describe("hush audit: a history path that now runs through a symbolic link", () => {
  it("does not search for .sops.yaml through the link (the repository chooses where it points)", () => {
    const linkRepo = createRepo(sb, "link-dir", "^secrets/");
    put("cfg/app.yaml", "token: t\n", linkRepo);
    git(sb, linkRepo, ["add", "-A"]);
    git(sb, linkRepo, ["commit", "-q", "--no-verify", "-m", "add cfg"]);
    git(sb, linkRepo, ["rm", "-q", "-r", "cfg"]);
    // Outside the repository: a .sops.yaml hush must not read because the repository links to it.
    put("outside/.sops.yaml", "creation_rules: [\n", sb.dir);
    symlinkSync("../outside", join(linkRepo, "cfg"));
    git(sb, linkRepo, ["add", "-A"]);
    git(sb, linkRepo, ["commit", "-q", "--no-verify", "-m", "cfg is a link now"]);

    const r = hush(sb, ["audit", "--json"], { cwd: linkRepo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as AuditJson).files).toEqual([]);
  });
});
