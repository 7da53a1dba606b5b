import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, writeEncrypted, type AgeKey, type CheckJsonReport, type Sandbox } from "./helpers.ts";

/**
 * What `hush check` and the review view must notice in changes made without a key: a nested
 * `.gitattributes` that switches hush's drivers off, recipients of kinds hush cannot wrap, a
 * recipient the rule names that is gone, key groups and thresholds that differ from the rule,
 * metadata no tool reads (`key_groups` next to the flat lists, unknown `sops` fields), and fields
 * SOPS reads under another spelling (`AGE`).
 */

let sb: Sandbox;
let backup: AgeKey;

function codes(report: CheckJsonReport, path: string): string[] {
  return (report.files.find((f) => f.path === path)?.problems ?? []).map((p) => `${p.severity} ${p.code}`);
}

function checkJson(cwd: string, args: readonly string[]): CheckJsonReport {
  return JSON.parse(hush(sb, ["check", "--json", ...args], { cwd, env: sb.keylessEnv }).stdout) as CheckJsonReport;
}

/** Inserts metadata lines right after the `sops:` line of a YAML file. */
function withSopsLines(text: string, lines: string): string {
  const at = text.indexOf("\nsops:\n") + "\nsops:\n".length;
  return text.slice(0, at) + lines + text.slice(at);
}

beforeAll(() => {
  sb = createSandbox();
  backup = createAgeKey(sb, "backup");
});

afterAll(() => sb.cleanup());

describe("a nested .gitattributes that overrides hush's drivers", () => {
  it("is an error of hush check naming the file, the attribute values and where to look; silent without hush git setup", () => {
    const repo = createRepo(sb, "attrs");
    mkdirSync(join(repo, "app"));
    writeEncrypted(sb, repo, "app/s.enc.yaml", "password: attr-secret-1\n");
    writeEncrypted(sb, repo, "top.enc.yaml", "password: attr-secret-2\n");
    writeFileSync(join(repo, "app", ".gitattributes"), "*.yaml text eol=lf diff merge=text\n");
    commitAll(sb, repo, "initial");
    // Without hush's drivers set up, nothing to report.
    const before = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(before.status, before.stdout).toBe(0);
    expect(before.stdout).not.toContain("drivers-overridden");

    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    const attrs = git(sb, repo, ["check-attr", "diff", "merge", "--", "app/s.enc.yaml"]).stdout;
    expect(attrs).toContain("app/s.enc.yaml: diff: set");
    const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stdout).toBe(1);
    const line = r.stdout.split("\n").find((l) => l.includes("[drivers-overridden]"));
    expect(line).toBeDefined();
    expect(line).toMatch(/^app\/s\.enc\.yaml: error: /);
    expect(line).toContain("diff: set");
    expect(line).toContain("merge: text");
    expect(line).toContain("app/.gitattributes");
    expect(codes(checkJson(repo, []), "top.enc.yaml")).toEqual([]);
    // The pre-commit hook's mode sees it too.
    const staged = hush(sb, ["check", "--staged"], { cwd: repo, env: sb.keylessEnv });
    expect(staged.stdout).not.toContain("drivers-overridden");
    writeFileSync(join(repo, "app", ".gitattributes"), "*.yaml -diff\n");
    git(sb, repo, ["add", "-A"]);
    const unset = hush(sb, ["check", "--staged"], { cwd: repo, env: sb.keylessEnv });
    expect(unset.status, unset.stdout).toBe(1);
    expect(unset.stdout).toContain("diff: unset");
    expect(unset.stdout).toContain("[drivers-overridden]");
    // Put back as hush wants it: no finding.
    writeFileSync(join(repo, "app", ".gitattributes"), "*.yaml text\n");
    const fixed = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(fixed.status, fixed.stdout).toBe(0);
  });
});

describe("hush check --base and hush's block in the root .gitattributes", () => {
  it("holds a branch that took the block out to the drivers, not one that started before the base set them up", () => {
    const repo = createRepo(sb, "attrs-base");
    writeEncrypted(sb, repo, "top.enc.yaml", "password: attr-secret-3\n");
    commitAll(sb, repo, "initial");
    // A branch made before main ran `hush git setup`: it never had the block.
    git(sb, repo, ["checkout", "-q", "-b", "older"]);
    writeFileSync(join(repo, "notes.txt"), "unrelated\n");
    commitAll(sb, repo, "unrelated");
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    // A branch made after: it takes the block out.
    git(sb, repo, ["checkout", "-q", "-b", "newer"]);
    writeFileSync(join(repo, ".gitattributes"), "");
    commitAll(sb, repo, "no drivers");
    expect(codes(checkJson(repo, ["--base", "main"]), "top.enc.yaml")).toEqual(["error drivers-overridden"]);

    git(sb, repo, ["checkout", "-q", "older"]);
    const r = hush(sb, ["check", "--base", "main"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stdout).not.toContain("drivers-overridden");
    expect(r.status, r.stdout).toBe(0);
  });
});

describe("recipients compared with the creation rule", () => {
  it("reports an hc_vault (or any kind) entry the rule does not name", () => {
    const repo = createRepo(sb, "vault");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: vault-secret-1\n");
    const file = join(repo, "app.enc.yaml");
    writeFileSync(
      file,
      withSopsLines(
        readFileSync(file, "utf8"),
        '    hc_vault:\n        - vault_address: https://vault.evil.example\n          engine_path: sops\n          key_name: k\n          created_at: "2024-01-01T00:00:00Z"\n          enc: vault:v1:abc\n',
      ),
    );
    const r = hush(sb, ["check", "--verify", "app.enc.yaml"], { cwd: repo });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("[unexpected-recipient]");
    expect(r.stdout).toContain("hc_vault recipient");
    expect(r.stdout).toContain("vault.evil.example");
    expect(codes(checkJson(repo, ["--strict", "app.enc.yaml"]), "app.enc.yaml")).toEqual(["error unexpected-recipient"]);
  });

  it("reports a recipient the rule names that the file lacks", () => {
    const repo = createRepo(sb, "missing");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: missing-secret-1\n");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${backup.recipient}\n`);
    const r = hush(sb, ["check", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain(`app.enc.yaml: warning: age recipient ${backup.recipient}`);
    expect(r.stdout).toContain("[missing-recipient]");
    expect(r.stdout).toContain("hush updatekeys");
    const strict = checkJson(repo, ["--strict", "app.enc.yaml"]);
    expect(strict.ok).toBe(false);
    expect(codes(strict, "app.enc.yaml")).toEqual(["error missing-recipient"]);
  });

  it("reports key groups and a threshold that differ from the rule", () => {
    const repo = createRepo(sb, "groups");
    writeFileSync(
      join(repo, ".sops.yaml"),
      `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${sb.recipient}]\n      - age: [${backup.recipient}]\n`,
    );
    writeEncrypted(sb, repo, "rule.enc.yaml", "password: groups-secret-1\n");
    // The same two recipients in one group: either key alone opens the file.
    writeFileSync(join(sb.dir, "one-group.yaml"), "password: groups-secret-2\n");
    const one = hush(sb, ["encrypt", "--age", `${sb.recipient},${backup.recipient}`, join(sb.dir, "one-group.yaml")], { cwd: sb.dir });
    expect(one.status, one.stderr).toBe(0);
    writeFileSync(join(repo, "one.enc.yaml"), one.stdout);
    const ruleFile = readFileSync(join(repo, "rule.enc.yaml"), "utf8");
    expect(ruleFile).toContain("shamir_threshold: 2");
    writeFileSync(join(repo, "low.enc.yaml"), ruleFile.replace("shamir_threshold: 2", "shamir_threshold: 1"));

    const report = checkJson(repo, ["--strict"]);
    expect(codes(report, "rule.enc.yaml")).toEqual([]);
    expect(codes(report, "one.enc.yaml")).toEqual(["error key-groups-differ"]);
    // A threshold of 1 with two groups is also one no set of groups can meet (decrypt refuses it).
    expect(codes(report, "low.enc.yaml")).toEqual(["error metadata-invalid", "error key-groups-differ"]);
    const text = hush(sb, ["check", "one.enc.yaml", "low.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(text.status, text.stdout).toBe(1);
    expect(text.stdout).toContain("low.enc.yaml: error: shamir_threshold is 1 with 2 key groups; a Shamir threshold is at least 2: no one can open the file [metadata-invalid]");
    expect(text.stdout).toContain("one.enc.yaml: warning: ");
    expect(text.stdout).toContain("hush updatekeys");
    expect(text.stdout).toMatch(/low\.enc\.yaml: warning: .*threshold/);
  });
});

describe("metadata no tool reads", () => {
  let repo: string;
  let original: string;

  beforeAll(() => {
    repo = createRepo(sb, "unread");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: unread-secret-1\n");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "initial");
    original = readFileSync(join(repo, "app.enc.yaml"), "utf8");
  });

  it("key_groups next to the flat age list: shown in the diff, metadata-ambiguous in check", () => {
    const file = join(repo, "app.enc.yaml");
    const own = /^ {8}- enc: \|\n(?: {12}.*\n)+ {10}recipient: .*\n/m.exec(original)![0];
    const groups = `    key_groups:\n        - age:\n${own.replace(/^ {8}/gm, "            ").replace(/^ {10}recipient/m, "              recipient")}            - recipient: ${backup.recipient}\n              enc: x\n`;
    try {
      writeFileSync(file, withSopsLines(original, groups));
      const diff = git(sb, repo, ["diff", "--", "app.enc.yaml"]).stdout;
      expect(diff).toMatch(/^\+# hush: .*key_groups/m);
      const report = checkJson(repo, ["--strict", "--verify", "app.enc.yaml"]);
      expect(report.ok).toBe(false);
      expect(codes(report, "app.enc.yaml")).toContain("error metadata-ambiguous");
    } finally {
      writeFileSync(file, original);
    }
  });

  it("a field spelled like one SOPS reads (`AGE`): shown in the diff as SOPS reads it, an error in check even without --strict", () => {
    const file = join(repo, "app.enc.yaml");
    try {
      writeFileSync(file, withSopsLines(original, `    AGE:\n        - recipient: ${backup.recipient}\n          enc: x\n`));
      const diff = git(sb, repo, ["diff", "--", "app.enc.yaml"]).stdout;
      expect(diff).toMatch(/^\+# hush: sops field sops\.AGE that SOPS reads as age \(hush does not: `hush check` refuses it\)$/m);
      const report = checkJson(repo, ["app.enc.yaml"]);
      expect(report.ok).toBe(false);
      expect(codes(report, "app.enc.yaml")).toEqual(["error metadata-lookalike-field"]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("an unknown sops field: shown escaped with a hash of its value in the diff, a warning in check", () => {
    const file = join(repo, "app.enc.yaml");
    try {
      writeFileSync(file, withSopsLines(original, '    evil_extra: "https://evil.example/\\e[31m"\n    "bad\\nname": 1\n'));
      const diff = git(sb, repo, ["diff", "--", "app.enc.yaml"]).stdout;
      expect(diff).toMatch(/^\+# hush: unknown sops field evil_extra, value hash [0-9a-f]{16}$/m);
      expect(diff).toContain("bad\\x0aname");
      expect(diff).not.toMatch(/\u001b/);
      const report = JSON.parse(hush(sb, ["check", "--json", "--verify", "app.enc.yaml"], { cwd: repo }).stdout) as CheckJsonReport;
      expect(report.ok).toBe(true);
      expect(codes(report, "app.enc.yaml")).toEqual(["warning unknown-metadata-field", "warning unknown-metadata-field"]);
      expect(codes(checkJson(repo, ["--strict", "app.enc.yaml"]), "app.enc.yaml")).toContain("error unknown-metadata-field");
    } finally {
      writeFileSync(file, original);
    }
  });
});
