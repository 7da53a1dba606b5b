import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editEncrypted, git, hush, run, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

/**
 * `hush check` and the pre-commit hook against files changed by someone without a key: recipients
 * the creation rule does not name, wrapped keys that cannot be keys, a value staged without its
 * MAC (`git add -p`), and names with control characters.
 */

let sb: Sandbox;
let repo: string;
let attacker: string;
let attackerEntry: string;

function ageEntryBlock(text: string): string {
  const m = /^ {8}- enc: \|\n(?: {12}.*\n)+ {10}recipient: .*\n/m.exec(text);
  if (m === null) throw new Error("no age entry in the file");
  return m[0];
}

function withEntry(text: string, entry: string): string {
  const end = text.indexOf("\n    age:\n") + "\n    age:\n".length;
  return text.slice(0, end) + entry + text.slice(end);
}

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb);
  writeEncrypted(sb, repo, "app.enc.yaml", "password: check-secret-23\nport: 5432\n");
  commitAll(sb, repo, "initial");
  const keygen = hush(sb, ["keygen", "-o", join(sb.dir, "attacker.txt")], { cwd: sb.dir });
  attacker = /Public key: (age1[0-9a-z]+)/.exec(keygen.stderr)![1]!;
  writeFileSync(join(sb.dir, "other.yaml"), "x: 1\n");
  attackerEntry = ageEntryBlock(hush(sb, ["encrypt", "--age", attacker, join(sb.dir, "other.yaml")], { cwd: sb.dir }).stdout);
});

afterAll(() => sb.cleanup());

describe("hush check and recipients", () => {
  it("reports a recipient the creation rule does not name: warning by default, error with --strict, both in --json", () => {
    const file = join(repo, "app.enc.yaml");
    const original = readFileSync(file, "utf8");
    try {
      writeFileSync(file, withEntry(original, attackerEntry));
      // The data key and the MAC are untouched: --verify alone cannot see the addition.
      const r = hush(sb, ["check", "--verify", "app.enc.yaml"], { cwd: repo });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout).toContain(`app.enc.yaml: warning: age recipient ${attacker} in key group 0 is not named by the creation rule for this file`);
      expect(r.stdout).toContain("[unexpected-recipient]");
      const strict = hush(sb, ["check", "--strict", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(strict.status).toBe(1);
      expect(strict.stdout).toContain("app.enc.yaml: error: age recipient");
      const json = JSON.parse(hush(sb, ["check", "--json", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv }).stdout) as CheckJsonReport;
      expect(json.ok).toBe(true);
      expect(json.files[0]!.problems).toEqual([expect.objectContaining({ severity: "warning", code: "unexpected-recipient" })]);
      const strictJson = JSON.parse(hush(sb, ["check", "--json", "--strict", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv }).stdout) as CheckJsonReport;
      expect(strictJson.ok).toBe(false);
      expect(strictJson.files[0]!.problems).toEqual([expect.objectContaining({ severity: "error", code: "unexpected-recipient" })]);
      // The file as the rule wrote it has no finding.
      writeFileSync(file, original);
      const clean = hush(sb, ["check", "--strict", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
      expect(clean.status, clean.stdout).toBe(0);
      expect(clean.stdout).toContain("0 error(s), 0 warning(s)");
    } finally {
      writeFileSync(file, original);
    }
  });

  it("reports wrapped keys that cannot be keys, per kind", () => {
    const file = join(repo, "app.enc.yaml");
    const original = readFileSync(file, "utf8");
    const own = ageEntryBlock(original);
    try {
      // Armored, but the payload is not an age file.
      const bogus = own.replace(/( {12}-----BEGIN AGE ENCRYPTED FILE-----\n)(?: {12}(?!-----).*\n)+/, "$1            YWJjZGVm\n");
      writeFileSync(file, withEntry(original, bogus));
      const r = hush(sb, ["check", "--json", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
      const json = JSON.parse(r.stdout) as CheckJsonReport;
      expect(json.files[0]!.problems).toEqual([expect.objectContaining({ severity: "warning", code: "wrapped-key-invalid", message: expect.stringContaining("no age v1 header") })]);
      expect(hush(sb, ["check", "--strict", "app.enc.yaml"], { cwd: repo, env: sb.keylessEnv }).status).toBe(1);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("escapes control characters of file names and recipients in its text output", () => {
    const name = "evil\n[fake] ok\u001b[31m.enc.yaml";
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    writeFileSync(join(repo, name), withEntry(text, attackerEntry.replace(/recipient: .*\n/, 'recipient: "age1x\\e[2J\\nfake: line"\n')));
    try {
      const r = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
      expect(r.stdout).not.toMatch(/\u001b/);
      expect(r.stdout).toContain("evil\\x0a[fake] ok\\x1b[31m.enc.yaml: warning:");
      expect(r.stdout).toContain("age1x\\x1b[2J\\x0afake: line");
      expect(r.stdout.split("\n").filter((l) => l.startsWith("[fake]") || l.startsWith("fake:"))).toEqual([]);
    } finally {
      run("rm", ["-f", "--", join(repo, name)], { cwd: repo, env: sb.env });
    }
  });
});

describe("the pre-commit hook verifies MACs when it can", () => {
  it("blocks a value hunk staged without its MAC (git add -p) for a key holder, and says so on stderr when it has no key", async () => {
    const setup = hush(sb, ["git", "setup", "--hook"], { cwd: repo });
    expect(setup.status, setup.stderr).toBe(0);
    commitAll(sb, repo, "setup");
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "password: check-secret-24\nport: 5432\n");
    // Stage the first hunk (the value) and not the second (lastmodified and mac).
    const add = run("git", ["add", "-p", "app.enc.yaml"], { cwd: repo, env: sb.env, input: "y\nn\n" });
    expect(add.status, add.stderr).toBe(0);
    const staged = git(sb, repo, ["diff", "--cached", "--no-textconv"]).stdout;
    expect(staged).toMatch(/^\+password: ENC\[/m);
    expect(staged).not.toMatch(/^\+ {4}mac: /m);

    const blocked = git(sb, repo, ["commit", "-q", "-m", "value without mac"], { allowFail: true });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain("app.enc.yaml: error:");
    expect(blocked.stdout + blocked.stderr).toContain("[mac-mismatch]");
    // The likely cause, and the way out, for whoever staged by hunks.
    expect(blocked.stdout + blocked.stderr).toContain("; next: stage the whole file (git add app.enc.yaml): a changed value is staged only with its mac line [mac-mismatch]");

    // Without a key the hook cannot verify: it says so and does not fail for that alone.
    const keyless = git(sb, repo, ["commit", "-q", "-m", "value without mac (keyless)"], { env: sb.keylessEnv, allowFail: true });
    expect(keyless.status, keyless.stdout + keyless.stderr).toBe(0);
    expect(keyless.stderr).toContain("hush check: could not verify the MAC of 1 file(s), no key here opens them (not an error): app.enc.yaml");
    git(sb, repo, ["reset", "-q", "--hard", "HEAD~1"]);
  });

  it("lets a whole, valid edit through", async () => {
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "password: check-secret-25\nport: 5432\n");
    git(sb, repo, ["add", "app.enc.yaml"]);
    const ok = git(sb, repo, ["commit", "-q", "-m", "valid edit"], { allowFail: true });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  });

});
