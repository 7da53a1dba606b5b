import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * What the keyless reports tell an auditor about a history they did not write. `hush audit`
 * dates values along first parents, but a secret committed in clear anywhere in the history
 * HEAD reaches is published, whichever branch it was committed on.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

interface AuditJson {
  files: Array<{ path: string; unencryptedVersions: Array<{ commit: string; subject: string }> }>;
  summary: { unencryptedInHistory: number };
}

describe("hush audit and a branch merged with --no-ff", () => {
  it("reports a version committed in clear on the branch, though every first-parent version is encrypted", () => {
    const repo = createRepo(sb, "merged-clear");
    writeEncrypted(sb, repo, "app.enc.yaml", "x: 1\n");
    commitAll(sb, repo, "init");
    git(sb, repo, ["checkout", "-q", "-b", "feature"]);
    writeFileSync(join(repo, "app.enc.yaml"), "x: 1\ntoken: s3cr3t-in-clear\n");
    commitAll(sb, repo, "add a token (forgot to encrypt)");
    const clear = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
    writeEncrypted(sb, repo, "app.enc.yaml", "x: 1\ntoken: s3cr3t-in-clear\n");
    commitAll(sb, repo, "encrypt it");
    git(sb, repo, ["checkout", "-q", "main"]);
    git(sb, repo, ["merge", "-q", "--no-ff", "--no-verify", "-m", "merge feature", "feature"]);
    // The clear value is reachable from HEAD.
    expect(git(sb, repo, ["log", "-p", "--all"]).stdout).toContain("s3cr3t-in-clear");

    const r = hush(sb, ["audit", "--json", "--as-of", "2099-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as AuditJson;
    expect(report.files.map((f) => f.path)).toEqual(["app.enc.yaml"]);
    expect(report.files[0]!.unencryptedVersions.map((c) => c.commit)).toEqual([clear]);
    expect(report.summary.unencryptedInHistory).toBe(1);
    expect(r.status).toBe(1);

    const text = hush(sb, ["audit", "--as-of", "2099-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(text.stdout).toContain(`app.enc.yaml: the version of ${clear.slice(0, 10)} (`);
    expect(text.stdout).toContain("was not encrypted: its values are in git history in clear");
  });
});

describe("duplicate keys in a YAML file's sops metadata", () => {
  it("are refused by access, check and decrypt, as SOPS refuses them, instead of hiding the first entry", () => {
    const repo = createRepo(sb, "duplicate-keys");
    const mallory = createAgeKey(sb, "mallory-dup");
    writeEncrypted(sb, repo, "app.enc.yaml", "token: s3cr3t\n");
    const honest = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    // A second `age:` list after the first: read as plain data, the last one wins, so every
    // report would name mallory alone while the owner's wrapped key sits above it.
    const shadowed = honest.replace("\n    lastmodified:", `\n    age:\n        - recipient: ${mallory.recipient}\n          enc: x\n    lastmodified:`);
    // The same within one entry: two `recipient` fields.
    const twoNames = honest.replace(`          recipient: ${sb.recipient}`, `          recipient: ${mallory.recipient}\n          recipient: ${sb.recipient}`);
    const lineOf = (text: string, l: string, nth: number): number => text.split("\n").map((x, i) => (x === l ? i + 1 : 0)).filter((i) => i > 0)[nth]!;
    const cases = [
      { name: "shadowed.enc.yaml", text: shadowed, line: lineOf(shadowed, "    age:", 1) },
      { name: "two-names.enc.yaml", text: twoNames, line: lineOf(twoNames, `          recipient: ${sb.recipient}`, 0) },
    ];
    for (const { name, text, line } of cases) {
      writeFileSync(join(repo, name), text);
      const access = hush(sb, ["access", name], { cwd: repo, env: sb.keylessEnv });
      expect(access.status).toBe(1);
      expect(access.stderr).toContain(`hush: ${name}: invalid sops metadata: duplicate key at line ${line}\n`);
      expect(access.stdout).not.toContain(mallory.recipient.slice(0, 16));
      const check = JSON.parse(hush(sb, ["check", "--json", name], { cwd: repo, env: sb.keylessEnv }).stdout) as { files: Array<{ problems: Array<{ severity: string; message: string }> }> };
      expect(check.files[0]!.problems.map((p) => p.severity)).toContain("error");
      expect(check.files[0]!.problems.map((p) => p.message).join("\n")).toContain("duplicate key at line");
      const decrypt = hush(sb, ["decrypt", name], { cwd: repo });
      expect(decrypt.status).toBe(2);
      expect(decrypt.stderr).toContain("duplicate key at line");
    }
  });
});

describe("a shamir_threshold no set of key groups can meet", () => {
  it("is reported by access (no one can open the file) and is an error of check, not read as 1 of 2 or 2 of 2", () => {
    const repo = createRepo(sb, "threshold");
    const second = createAgeKey(sb, "second-group");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    key_groups:\n      - age: [${sb.recipient}]\n      - age: [${second.recipient}]\n`);
    writeEncrypted(sb, repo, "two.enc.yaml", "token: s3cr3t\n");
    const honest = readFileSync(join(repo, "two.enc.yaml"), "utf8");
    expect(honest).toContain("    shamir_threshold: 2\n");
    for (const [threshold, why] of [
      [1, "shamir_threshold is 1 with 2 key groups; a Shamir threshold is at least 2"],
      [5, "shamir_threshold is 5 with 2 key groups; no 5 groups can open the file"],
    ] as const) {
      const name = `t${threshold}.enc.yaml`;
      writeFileSync(join(repo, name), honest.replace("    shamir_threshold: 2\n", `    shamir_threshold: ${threshold}\n`));
      const text = hush(sb, ["access", name], { cwd: repo, env: sb.keylessEnv });
      expect(text.status).toBe(0);
      expect(text.stdout.split("\n")[1]).toBe(`[1]  ${name}  no one: ${why}  "\\\\.enc\\\\.yaml$"`);
      const json = JSON.parse(hush(sb, ["access", "--json", name], { cwd: repo, env: sb.keylessEnv }).stdout) as { files: Array<{ threshold: number; thresholdProblem: string | null }> };
      expect(json.files[0]).toMatchObject({ threshold, thresholdProblem: why });
      const check = hush(sb, ["check", name], { cwd: repo, env: sb.keylessEnv });
      expect(check.status).toBe(1);
      expect(check.stdout).toContain(`${name}: error: ${why}: no one can open the file [metadata-invalid]`);
      // The review view (without a key) says so on the threshold line.
      expect(hush(sb, ["git", "textconv", name], { cwd: repo, env: sb.keylessEnv }).stdout).toContain(`# hush: shamir threshold: ${threshold} of 2 key groups (no one can open the file: ${why})\n`);
      // As decrypt says.
      expect(hush(sb, ["decrypt", name], { cwd: repo }).stderr).toContain(why);
    }
    const ok = JSON.parse(hush(sb, ["access", "--json", "two.enc.yaml"], { cwd: repo, env: sb.keylessEnv }).stdout) as { files: Array<{ threshold: number; thresholdProblem: string | null }> };
    expect(ok.files[0]).toMatchObject({ threshold: 2, thresholdProblem: null });
  });
});

describe("a recipient made to look like another one in a shortened identity", () => {
  it("is shown whole in access's drift lines: an alias ARN ending like the team's key is not the team's key", () => {
    const repo = createRepo(sb, "lookalike");
    const team = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    // Anyone can create a key with this alias in their own account: same first 16 and last 6 characters.
    const forged = "arn:aws:kms:us-east-1:666666666666:alias/x-1234567890ab";
    writeEncrypted(sb, repo, "app.enc.yaml", "token: s3cr3t\n");
    // Then the rule adds the team's KMS key (the file is not re-keyed yet).
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n    kms: ${team}\n`);
    const wrapped = Buffer.alloc(64, 7).toString("base64");
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    const withForged = text.replace("\n    lastmodified:", `\n    kms:\n        - arn: ${forged}\n          created_at: "2026-01-01T00:00:00Z"\n          enc: ${wrapped}\n          aws_profile: ""\n    lastmodified:`);
    expect(withForged).not.toBe(text);
    writeFileSync(join(repo, "app.enc.yaml"), withForged);
    const r = hush(sb, ["access", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`app.enc.yaml: not named by the creation rule: kms ${forged}\n`);
    expect(r.stdout).toContain(`app.enc.yaml: named by the creation rule but cannot open the file: kms ${team}\n`);
    // The matrix shows the file's KMS key whole too once another row shares its short form.
    writeFileSync(join(repo, "team.enc.yaml"), withForged.replace(`arn: ${forged}`, `arn: ${team}`));
    const both = hush(sb, ["access", "app.enc.yaml", "team.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    const row = (identity: string): string[] | undefined => both.stdout.split("\n").find((l) => l.includes(identity) && l.startsWith("-"))?.split(/ +/);
    expect(row(forged)).toEqual(["-", "kms", forged, "x", "."]);
    expect(row(team)).toEqual(["-", "kms", team, ".", "x"]);
  });
});
