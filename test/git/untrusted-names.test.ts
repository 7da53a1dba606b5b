import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editEncrypted, editOnBothSides, git, hush, run, setupDrivers, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Names a branch or a shipped repository chooses — file names, the repository's own directory —
 * on their way into git's command line: they must not change which repository, revision or
 * files hush asks git about.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

describe("hush audit and a file named like a revision", () => {
  it("audits a repository whose top directory holds a file named HEAD", () => {
    const repo = createRepo(sb, "head-file");
    writeEncrypted(sb, repo, "app.enc.yaml", "token: s3cr3t\n");
    commitAll(sb, repo, "init");
    // Without `--`, git cannot tell the revision HEAD from this file and refuses to run.
    writeFileSync(join(repo, "HEAD"), "not a revision\n");
    commitAll(sb, repo, "add a file named HEAD");
    const r = hush(sb, ["audit", "--json", "--as-of", "2099-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; values: Array<{ path: string }> }> };
    expect(report.files.map((f) => [f.path, f.values.map((v) => v.path)])).toEqual([["app.enc.yaml", [`["token"]`]]]);
  });
});

describe("a repository whose directory name ends in a blank", () => {
  it("is the repository hush checks and sets up, not the one named without the blank next to it", () => {
    // A shipped repository in `project ` next to a `project` of the attacker's: read without its
    // final blank, the top-level path names the other one.
    const decoy = join(sb.dir, "project");
    mkdirSync(decoy);
    git(sb, decoy, ["init", "-q", "-b", "main"]);
    const repo = createRepo(sb, "project ");
    writeFileSync(join(repo, "app.enc.yaml"), "password: hunter2\n");
    git(sb, repo, ["add", "app.enc.yaml"]);

    const staged = hush(sb, ["check", "--staged"], { cwd: repo, env: sb.keylessEnv });
    expect(staged.stdout).toContain("app.enc.yaml: error: a creation rule covers this file");
    expect(staged.status).toBe(1);
    const tracked = hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv });
    expect(tracked.stdout).toContain("app.enc.yaml: error: a creation rule covers this file");
    expect(tracked.status).toBe(1);

    const setup = hush(sb, ["git", "setup"], { cwd: repo });
    expect(setup.status).toBe(0);
    expect(git(sb, repo, ["check-attr", "diff", "--", "app.enc.yaml"]).stdout).toBe("app.enc.yaml: diff: hush\n");
    expect(git(sb, repo, ["config", "--local", "diff.hush.textconv"]).stdout).toContain("git textconv --");
    // Nothing of it reached the other repository.
    expect(git(sb, decoy, ["status", "--porcelain", "--ignored"]).stdout).toBe("");
    expect(git(sb, decoy, ["config", "--local", "diff.hush.textconv"], { allowFail: true }).status).toBe(1);
  });
});

/** What must never reach a terminal raw: control characters (C0, DEL, C1) and bidirectional controls. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("names in hush check --json", () => {
  it("escape bidirectional and C1 control characters as JSON escapes, and parse back to the name", () => {
    const repo = createRepo(sb, "check-json-names");
    // U+202E reverses the text after it in a CI log; U+009B is CSI to terminals that read C1 controls.
    const name = "evil\u202egnp.\u009b31m.enc.yaml";
    writeFileSync(join(repo, name), "password: hunter2\n");
    const r = hush(sb, ["check", "--json", name], { cwd: repo, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(UNSAFE);
    expect(r.stdout).toContain('"path": "evil\\u202egnp.\\u009b31m.enc.yaml"');
    const report = JSON.parse(r.stdout) as CheckJsonReport;
    expect(report.files.map((f) => [f.path, f.problems.map((p) => p.code)])).toEqual([[name, ["not-encrypted"]]]);
  });
});

describe("names in hush git setup's summary", () => {
  it("are escaped: patterns from .sops.yaml and file names, and the rules it cannot turn into globs", () => {
    const repo = createRepo(sb, "setup-names");
    writeFileSync(
      join(repo, ".sops.yaml"),
      `creation_rules:\n  - path_regex: "^evil\\u202e\\\\.enc\\\\.yaml$"\n    age: ${sb.recipient}\n  - path_regex: "^x\\u009b[0-9]+\\u202e$"\n    age: ${sb.recipient}\n`,
    );
    const r = hush(sb, ["git", "setup", "--dry-run"], { cwd: repo });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(UNSAFE);
    expect(r.stdout).toContain("\n  + /evil\\u202e.enc.yaml\n");
    expect(r.stdout).toContain('note: creation rule 1: path_regex "^x\\x9b[0-9]+\\u202e$" has no glob equivalent');
  });
});

describe("hush git diff and a file name with a space", () => {
  it("shows the file's review view, as git diff does with the driver, not its ciphertext", async () => {
    const repo = createRepo(sb, "space-name");
    const name = "team secrets.enc.yaml";
    writeEncrypted(sb, repo, name, "token: old-value\n");
    commitAll(sb, repo, "init");
    setupDrivers(sb, repo);
    await editEncrypted(sb, repo, name, "yaml", "token: new-value\n");
    const viaDriver = git(sb, repo, ["diff"]).stdout;
    expect(viaDriver).toContain("-token: old-value\n+token: new-value\n");
    // git ends `--- a/team secrets.enc.yaml` with a tab, which is not part of the name.
    expect(viaDriver).toContain(`--- a/${name}\t\n`);
    const r = hush(sb, ["git", "diff"], { cwd: repo });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(viaDriver);
  });
});

describe("hush check and a file name that is not UTF-8", () => {
  it("reports a covered file it cannot open by name as an error, instead of skipping it as deleted", () => {
    const repo = createRepo(sb, "latin1-name");
    writeEncrypted(sb, repo, "ok.enc.yaml", "token: s3cr3t\n");
    // `\xff.enc.yaml`: a file name is bytes to git; decoded as UTF-8 it names no file.
    writeFileSync(Buffer.concat([Buffer.from(`${repo}/`), Buffer.from([0xff]), Buffer.from(".enc.yaml")]), "password: hunter2\n");
    commitAll(sb, repo, "a plaintext secret under a name that is not UTF-8");
    const shown = "\ufffd.enc.yaml";
    const message = "cannot check the file: its name is not UTF-8, so hush cannot open it (shown with U+FFFD in place of those bytes): rename it";
    for (const args of [["check", "--json"], ["check", "--json", "."]]) {
      const r = hush(sb, args, { cwd: repo, env: sb.keylessEnv });
      const report = JSON.parse(r.stdout) as CheckJsonReport;
      expect(report.files.map((f) => [f.path, f.problems.map((p) => `${p.code}: ${p.message}`)])).toEqual([
        ["ok.enc.yaml", []],
        [shown, [`unreadable: ${message}`]],
      ]);
      expect(r.status).toBe(1);
    }
  });
});

describe("hush check --staged and file names that are not UTF-8", () => {
  it("checks each staged file when two names decode alike, not the last one only", () => {
    const repo = createRepo(sb, "latin1-staged");
    const inRepo = (byte: number): Buffer => Buffer.concat([Buffer.from(`${repo}/`), Buffer.from([byte]), Buffer.from(".enc.yaml")]);
    writeEncrypted(sb, repo, "ok.enc.yaml", "token: s3cr3t\n");
    // `\xfe.enc.yaml` and `\xff.enc.yaml` both decode to `\ufffd.enc.yaml`: a plaintext one must not
    // pass under the name of an encrypted one.
    writeFileSync(inRepo(0xfe), "password: hunter2\n");
    writeFileSync(inRepo(0xff), readFileSync(join(repo, "ok.enc.yaml")));
    git(sb, repo, ["add", "-A"]);
    const r = hush(sb, ["check", "--staged", "--json"], { cwd: repo, env: sb.keylessEnv });
    const report = JSON.parse(r.stdout) as CheckJsonReport;
    // The two are listed in the order of their blobs, which the encryption makes random.
    expect(report.files.map((f) => `${f.path}: ${f.problems.map((p) => p.code).join(" ")}`).sort()).toEqual(["ok.enc.yaml: ", "\ufffd.enc.yaml: ", "\ufffd.enc.yaml: not-encrypted"]);
    expect(r.status).toBe(1);
  });
});

describe("hush git resolve and a directory name", () => {
  it("resolves only the file named, not the conflicted files under a directory of that name", async () => {
    const repo = createRepo(sb, "resolve-directory");
    mkdirSync(join(repo, "sub"));
    writeEncrypted(sb, repo, "sub/app.enc.yaml", "db:\n  password: base\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, "sub/app.enc.yaml", "yaml", { theirs: "db:\n  password: theirs\n", ours: "db:\n  password: ours\n" });
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).toBe(1);
    // The directory gone from the working tree, its name named no file to refuse.
    rmSync(join(repo, "sub"), { recursive: true });
    const index = git(sb, repo, ["ls-files", "--stage"]).stdout;
    const r = hush(sb, ["git", "resolve", "--ours", "sub"], { cwd: repo });
    expect(r.stderr).toBe("hush: sub: not in a conflicted merge (nothing to resolve)\n");
    expect(r.status).toBe(1);
    expect(existsSync(join(repo, "sub"))).toBe(false);
    expect(git(sb, repo, ["ls-files", "--stage"]).stdout).toBe(index);
  });
});

describe("commands that walk a directory and a file name that is not UTF-8", () => {
  it("name an encrypted file they cannot open as failed, instead of leaving it out unseen", () => {
    const repo = createRepo(sb, "latin1-walk");
    writeEncrypted(sb, repo, "ok.enc.yaml", "token: s3cr3t\n");
    const inRepo = (bytes: number[], rest: string): Buffer => Buffer.concat([Buffer.from(`${repo}/`), Buffer.from(bytes), Buffer.from(rest)]);
    // Its recipients, left out of `hush access`, would be people no report names; left out of
    // `hush updatekeys`, a removed recipient could still open it.
    writeFileSync(inRepo([0xfe], ".enc.yaml"), readFileSync(join(repo, "ok.enc.yaml")));
    // The same below a directory whose name is not UTF-8.
    mkdirSync(inRepo([0xfc], "dir"));
    writeFileSync(inRepo([0xfc], "dir/app.enc.yaml"), readFileSync(join(repo, "ok.enc.yaml")));
    // Plain configuration under such a name is left alone, as any plain file in a walk.
    writeFileSync(inRepo([0xfd], "-notes.txt"), "hello\n");
    const said = ["\ufffddir/app.enc.yaml", "\ufffd.enc.yaml"].map((name) => `hush: ${name}: the file's name is not UTF-8, so hush cannot open it by name (shown with U+FFFD in place of those bytes): rename it\n`).join("");

    const access = hush(sb, ["access", "--json"], { cwd: repo, env: sb.keylessEnv });
    expect(access.stderr).toBe(said);
    expect((JSON.parse(access.stdout) as { files: Array<{ path: string }> }).files.map((f) => f.path)).toEqual(["ok.enc.yaml"]);
    expect(access.status).toBe(1);

    const update = hush(sb, ["updatekeys", "-y", "."], { cwd: repo });
    expect(update.stderr).toBe(said);
    expect(update.stdout).toBe("up to date: ok.enc.yaml\nupdatekeys: 0 updated, 1 up to date, 2 failed\n");
    expect(update.status).toBe(2);
  });
});

describe("the pre-commit framework hook and file names that look like options", () => {
  it("checks a file named --help or --staged as a file: neither skips the check of the others", () => {
    // pre-commit runs the hook's entry, then its args, then the file names (`pass_filenames`).
    const hooks = readFileSync(join(REPO_ROOT, ".pre-commit-hooks.yaml"), "utf8");
    const entry = /^ {2}entry: (.+)$/m.exec(hooks)![1]!.split(" ");
    const args = JSON.parse(/^ {2}args: (\[.*\])$/m.exec(hooks)?.[1] ?? "[]") as string[];
    const repo = createRepo(sb, "pre-commit-names");
    const files = ["--help", "--staged", "app.enc.yaml"];
    for (const f of files) writeFileSync(join(repo, f), "password: hunter2\n");
    git(sb, repo, ["add", "--", ...files]);
    const r = run(entry[0]!, [...entry.slice(1), ...args, ...files], { cwd: repo, env: sb.keylessEnv });
    expect(r.stdout).toContain("app.enc.yaml: error: a creation rule covers this file");
    expect(r.stdout).toContain("hush check: 3 file(s) checked, 0 encrypted; 1 error(s), 0 warning(s)\n");
    expect(r.status).toBe(1);
  });
});

describe("a branch's encrypted file whose name is not UTF-8", () => {
  it("is shown by git's diff driver, and the files after it too: git log -p no longer stops at it with a fatal error", () => {
    const repo = createRepo(sb, "not-utf8-name");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    writeEncrypted(sb, repo, "z-after.enc.yaml", "token: before-change\n");
    commitAll(sb, repo, "init");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // Written under a UTF-8 name, then renamed to one with a latin1 byte: "caf\xe9.enc.yaml".
    writeEncrypted(sb, repo, "cafe.enc.yaml", "token: in-a-latin1-name\n");
    const bytesName = Buffer.concat([Buffer.from(`${repo}/caf`), Buffer.of(0xe9), Buffer.from(".enc.yaml")]);
    writeFileSync(bytesName, readFileSync(join(repo, "cafe.enc.yaml")));
    rmSync(join(repo, "cafe.enc.yaml"));
    writeEncrypted(sb, repo, "z-after.enc.yaml", "token: after-change\n");
    commitAll(sb, repo, "a name that is not UTF-8, and a change after it");
    for (const args of [["log", "-p", "-1"], ["diff", "main"]]) {
      const r = git(sb, repo, args);
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.stdout).toContain('+++ "b/caf\\351.enc.yaml"\n');
      expect(r.stdout).toContain("+token: in-a-latin1-name\n");
      expect(r.stdout).toContain("+token: after-change\n");
    }
  });
});
