import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createAgeKey, createRepo, createSandbox, editEncrypted, editOnBothSides, findPlaintext, git, hush, writeEncrypted, type CheckJsonReport, type Sandbox, setUpCoveredRepo } from "./helpers.ts";

/**
 * What a branch, pull request or cloned repository controls — `.sops.yaml`, committed symbolic
 * links, a file's size — must not talk `hush check` (CI, the pre-commit hook) into passing a
 * plaintext secret, hang it, or have it read files outside the repository.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** `hush check --json` without keys, stopped after 20 s (an endless read must fail the test, not stall it). */
function checkJson(cwd: string, args: readonly string[] = []): { status: number | null; report: CheckJsonReport | undefined; stderr: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(process.execPath, [HUSH_SCRIPT, "check", "--json", ...args], { cwd, env: sb.keylessEnv, encoding: "utf8", timeout: 20_000, maxBuffer: 64 * 1024 * 1024 });
  let report: CheckJsonReport | undefined;
  try {
    report = JSON.parse(r.stdout) as CheckJsonReport;
  } catch {
    report = undefined;
  }
  return { status: r.status, report, stderr: r.stderr, ms: Date.now() - started };
}

function problemsOf(report: CheckJsonReport | undefined, path: string): string[] {
  return (report?.files.find((f) => f.path === path)?.problems ?? []).map((p) => `${p.severity} ${p.code}`);
}

describe("a pull request that narrows .sops.yaml", () => {
  it("cannot pass a plaintext file that .gitattributes still routes to hush's drivers", () => {
    const repo = setUpCoveredRepo(sb, "narrowed");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // The branch narrows the rule to one file and adds a plaintext secret where the rule was.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/app\\.yaml$\n    age: ${sb.recipient}\n`);
    writeFileSync(join(repo, "secrets", "db.yaml"), "password: plaintext-on-a-branch\n");
    commitAll(sb, repo, "narrow the rule");
    expect(git(sb, repo, ["check-attr", "diff", "--", "secrets/db.yaml"]).stdout).toBe("secrets/db.yaml: diff: hush\n");

    const r = checkJson(repo);
    expect(r.status, JSON.stringify(r.report)).toBe(1);
    expect(problemsOf(r.report, "secrets/db.yaml")).toEqual(["error not-encrypted"]);
    const message = r.report!.files.find((f) => f.path === "secrets/db.yaml")!.problems[0]!.message;
    expect(message).toContain("diff=hush");
    expect(message).not.toContain("plaintext-on-a-branch");
    // The pre-commit hook sees it too.
    writeFileSync(join(repo, "secrets", "db.yaml"), "password: plaintext-on-a-branch\nuser: staged-later\n");
    git(sb, repo, ["add", "secrets/db.yaml"]);
    expect(problemsOf(checkJson(repo, ["--staged"]).report, "secrets/db.yaml")).toEqual(["error not-encrypted"]);
    // An encrypted file outside the narrowed rule still passes.
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual([]);
  });

  it("and .gitattributes with it: --base holds the branch to the base revision's rules", () => {
    const repo = setUpCoveredRepo(sb, "narrowed-both");
    mkdirSync(join(repo, "apps", "web"), { recursive: true });
    // A monorepo's nested config: the nearest .sops.yaml at the base applies.
    writeFileSync(join(repo, "apps", "web", ".sops.yaml"), `creation_rules:\n  - path_regex: \\.env$\n    age: ${sb.recipient}\n`);
    writeFileSync(join(repo, "apps", "web", "prod.env"), "TOKEN=web-secret-1\n");
    expect(hush(sb, ["encrypt", "-i", "prod.env"], { cwd: join(repo, "apps", "web") }).status).toBe(0);
    commitAll(sb, repo, "web app");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^secrets/app\\.yaml$\n    age: ${sb.recipient}\n`);
    writeFileSync(join(repo, "apps", "web", ".sops.yaml"), `creation_rules:\n  - path_regex: ^never$\n    age: ${sb.recipient}\n`);
    writeFileSync(join(repo, ".gitattributes"), "");
    writeFileSync(join(repo, "secrets", "db.yaml"), "password: plaintext-on-a-branch\n");
    writeFileSync(join(repo, "apps", "web", "stage.env"), "TOKEN=plaintext-on-a-branch\n");
    commitAll(sb, repo, "narrow the rules and the attributes");

    // The branch's own rules cover neither file: without --base the check passes.
    expect(checkJson(repo).status).toBe(0);
    const r = checkJson(repo, ["--base", "main"]);
    expect(r.status, JSON.stringify(r.report)).toBe(1);
    for (const [path, config] of [["secrets/db.yaml", "main:.sops.yaml"], ["apps/web/stage.env", "main:apps/web/.sops.yaml"]] as const) {
      expect(problemsOf(r.report, path), path).toEqual(["error not-encrypted"]);
      const message = r.report!.files.find((f) => f.path === path)!.problems[0]!.message;
      expect(message).toContain(`the rule is in ${config}`);
      expect(message).not.toContain("plaintext-on-a-branch");
    }
    // The emptied .gitattributes took hush's block out: main has it, so its encrypted files
    // still must get hush's drivers (after the merge, reviews would show ciphertext and merges
    // would be line merges).
    for (const path of ["secrets/app.yaml", "apps/web/prod.env"]) {
      expect(problemsOf(r.report, path), path).toEqual(["error drivers-overridden"]);
      const message = r.report!.files.find((f) => f.path === path)!.problems[0]!.message;
      expect(message).toContain("this branch took out the block `hush git setup` wrote in the root .gitattributes, which main has");
    }

    const bad = hush(sb, ["check", "--base", "--output=x"], { cwd: repo, env: sb.keylessEnv });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("--base --output=x: not a commit in this repository");
  });

  it("a plaintext file hush's drivers do not get is not affected", () => {
    const repo = setUpCoveredRepo(sb, "unrouted");
    writeFileSync(join(repo, "settings.yaml"), "debug: true\n");
    commitAll(sb, repo, "settings");
    const r = checkJson(repo);
    expect(r.status, JSON.stringify(r.report)).toBe(0);
    expect(problemsOf(r.report, "settings.yaml")).toEqual([]);
  });
});

describe("committed symbolic links", () => {
  it("a covered path linked to /dev/zero or to a file outside the repository: hush check neither hangs nor reads it", () => {
    const repo = setUpCoveredRepo(sb, "links");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    // A CI runner's credentials, outside the repository.
    const outside = join(sb.dir, "runner-credentials");
    writeFileSync(outside, "[default]\naws_access_key_id = AKIAZ7QWERTYUIOPASDF\n");
    symlinkSync("/dev/zero", join(repo, "secrets", "zero.yaml"));
    symlinkSync(outside, join(repo, "secrets", "creds.yaml"));
    // Not covered: a link out of the repository is not read either (its findings would tell a
    // pull request's public CI log what the runner's files hold).
    symlinkSync(outside, join(repo, "notes.ini"));
    // A link inside the repository is checked as the file it leads to.
    symlinkSync("app.yaml", join(repo, "secrets", "current.yaml"));
    commitAll(sb, repo, "links");

    const r = checkJson(repo);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.status, r.stderr).toBe(1);
    for (const path of ["secrets/zero.yaml", "secrets/creds.yaml"]) {
      expect(problemsOf(r.report, path), path).toEqual(["error unreadable"]);
      expect(r.report!.files.find((f) => f.path === path)!.problems[0]!.message).toContain("symbolic link");
    }
    expect(r.report!.files.find((f) => f.path === "notes.ini")).toBeUndefined();
    expect(problemsOf(r.report, "secrets/current.yaml")).toEqual([]);
    expect(JSON.stringify(r.report)).not.toContain("AWS");
    expect(readFileSync(outside, "utf8")).toContain("AKIA");
  });
});

describe("hush git setup in a clone with a committed link to /dev/zero", () => {
  it("finishes, and writes no pattern for the link", () => {
    const repo = setUpCoveredRepo(sb, "setup-link");
    symlinkSync("/dev/zero", join(repo, "notes.yaml"));
    commitAll(sb, repo, "a link");
    const started = Date.now();
    const r = spawnSync(process.execPath, [HUSH_SCRIPT, "git", "setup"], { cwd: repo, env: sb.env, encoding: "utf8", timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).not.toContain("notes.yaml");
  });
});

describe("a committed .gitattributes link", () => {
  it("to /dev/zero: hush check does not hang on it, and reads it as git does (git does not follow it)", () => {
    const repo = setUpCoveredRepo(sb, "attributes-link");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    git(sb, repo, ["rm", "-q", ".gitattributes"]);
    symlinkSync("/dev/zero", join(repo, ".gitattributes"));
    commitAll(sb, repo, "attributes link");
    const r = checkJson(repo);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.status, r.stderr).toBe(0);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual([]);
  });
});

describe("a file padded past the review view's size limit", () => {
  it("still shows, without a key, the metadata summary: a changed rule cannot hide behind a big comment", () => {
    const repo = setUpCoveredRepo(sb, "padded");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const file = join(repo, "secrets", "app.yaml");
    // Without a key: a comment of 1.1 MB (no MAC covers it) and a rule that leaves every key
    // ending in "word" in plaintext from the next edit on.
    const stored = readFileSync(file, "utf8");
    expect(stored).toContain("unencrypted_suffix: _unencrypted");
    writeFileSync(file, `#${"x".repeat(1_100_000)}\n${stored.replace("unencrypted_suffix: _unencrypted", "unencrypted_suffix: word")}`);
    commitAll(sb, repo, "pad");

    for (const args of [["show", "HEAD", "--", "secrets/app.yaml"], ["git", "show", "HEAD", "--", "secrets/app.yaml"]]) {
      const shown = args[0] === "git" ? hush(sb, args, { cwd: repo, env: sb.keylessEnv }) : git(sb, repo, args, { env: sb.keylessEnv });
      expect(shown.status, shown.stderr).toBe(0);
      expect(shown.stdout, args.join(" ")).toMatch(/^\+# hush: file too large for the review view/m);
      expect(shown.stdout, args.join(" ")).toContain('-# hush: encryption rule: unencrypted_suffix "_unencrypted"\n');
      expect(shown.stdout, args.join(" ")).toContain('+# hush: encryption rule: unencrypted_suffix "word"\n');
      expect(shown.stdout).toMatch(/^[ +]# hush: key group 0: age age1\w+ wrapped key [0-9a-f]{16}$/m);
      expect(shown.stdout.length).toBeLessThan(4000);
    }
  });

  it("shows, without a key, a recipient added to a file above the limit in every format, not only plain YAML", () => {
    const repo = createRepo(sb, "padded-formats");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    const mallory = createAgeKey(sb, "mallory-padded");
    const files: ReadonlyArray<{ name: string; plaintext: string; edit?: (stored: string) => string }> = [
      { name: "app.enc.json", plaintext: '{"password": "json-secret"}\n' },
      { name: "app.enc.env", plaintext: "PASSWORD=dotenv-secret\n" },
      { name: "app.enc.ini", plaintext: "[db]\npassword = ini-secret\n" },
      { name: "app.enc.toml", plaintext: 'password = "toml-secret"\n' },
      { name: "stream.enc.yaml", plaintext: "password: first-doc\n---\npassword: second-doc\n" },
      // A trailing space after the metadata key: the same YAML to every parser.
      { name: "spaced.enc.yaml", plaintext: "password: spaced-secret\n", edit: (stored) => stored.replace(/^sops:\n/m, "sops: \n") },
    ];
    for (const f of files) writeEncrypted(sb, repo, f.name, f.plaintext);
    commitAll(sb, repo, "initial");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    for (const f of files) {
      const r = hush(sb, ["rotate", "-i", "--add-age", mallory.recipient, f.name], { cwd: repo });
      expect(r.status, r.stderr).toBe(0);
      if (f.edit !== undefined) {
        const stored = readFileSync(join(repo, f.name), "utf8");
        const edited = f.edit(stored);
        expect(edited).not.toBe(stored);
        writeFileSync(join(repo, f.name), edited);
      }
    }
    commitAll(sb, repo, "add a recipient");

    const env = { ...sb.keylessEnv, HUSH_TEXTCONV_MAX_BYTES: "10" };
    for (const f of files) {
      const shown = git(sb, repo, ["show", "HEAD", "--", f.name], { env });
      expect(shown.stdout, f.name).toMatch(/^\+# hush: file too large for the review view/m);
      expect(shown.stdout, f.name).toMatch(new RegExp(`^\\+# hush: key group 0: age ${mallory.recipient} wrapped key [0-9a-f]{16}$`, "m"));
      expect(shown.stdout, f.name).toMatch(new RegExp(`^[ +]# hush: key group 0: age ${sb.recipient} wrapped key [0-9a-f]{16}$`, "m"));
      expect(shown.stdout, f.name).not.toContain("cannot be read");
      const direct = hush(sb, ["git", "textconv", f.name], { cwd: repo, env });
      expect(direct.status, direct.stderr).toBe(0);
      expect(direct.stdout, f.name).toContain(`# hush: key group 0: age ${mallory.recipient} wrapped key`);
    }
  });
});

describe("file names that are pathspecs", () => {
  it("hush git resolve of a file named like a glob stages that file only, never an untracked plaintext file the glob matches", async () => {
    const repo = setUpCoveredRepo(sb, "globs");
    const name = "secrets/[ab].yaml";
    writeEncrypted(sb, repo, name, "password: glob-base\n");
    commitAll(sb, repo, "a file named like a glob");
    await editOnBothSides(sb, repo, name, "yaml", { theirs: "password: glob-theirs\n", ours: "password: glob-ours\n" });
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);
    // A decrypted copy beside it, never added (the glob [ab] matches its name).
    writeFileSync(join(repo, "secrets", "a.yaml"), "password: decrypted-copy-never-staged\n");

    const r = hush(sb, ["git", "resolve", "--ours", name], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(git(sb, repo, ["diff", "--cached", "--name-only"]).stdout.split("\n")).not.toContain("secrets/a.yaml");
    expect(git(sb, repo, ["ls-files", "--", ":(literal)secrets/a.yaml"]).stdout).toBe("");
    expect(findPlaintext(sb, repo, ["decrypted-copy-never-staged"]).filter((hit) => !hit.endsWith("secrets/a.yaml: decrypted-copy-never-staged"))).toEqual([]);
  });
});

describe("file names that look like options", () => {
  it("the diff and merge drivers take a root file named -x.enc.yaml as a file, not an option", async () => {
    const repo = createRepo(sb, "dash-names");
    const name = "-x.enc.yaml";
    writeEncrypted(sb, repo, `./${name}`, "user: base\npassword: dash-base\n");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "initial");

    // git hands a work-tree file to the diff driver by its name.
    await editEncrypted(sb, repo, name, "yaml", "user: base\npassword: dash-edited\n");
    const diff = git(sb, repo, ["diff", "--", `./${name}`], { allowFail: true });
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.stdout).toContain("+password: dash-edited\n");
    git(sb, repo, ["checkout", "--", `./${name}`]);

    // The merge driver gets it as %P.
    await editOnBothSides(sb, repo, name, "yaml", { theirs: "user: theirs\npassword: dash-base\n", ours: "user: base\npassword: dash-ours\n" });
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    expect(merge.stderr).toContain("hush: -x.enc.yaml: merged by key path");
    expect(hush(sb, ["decrypt", `./${name}`], { cwd: repo }).stdout).toBe("user: theirs\npassword: dash-ours\n");
  });
});

describe("a plaintext comment added without a key", () => {
  it("is reported in a YAML file that had no comment (no MAC covers comments)", () => {
    const repo = setUpCoveredRepo(sb, "comments");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const file = join(repo, "secrets", "app.yaml");
    writeFileSync(file, `# old password: comment-secret-1\n${readFileSync(file, "utf8")}`);
    commitAll(sb, repo, "a comment");
    const r = checkJson(repo);
    expect(problemsOf(r.report, "secrets/app.yaml")).toEqual(["warning plaintext-comment"]);
    expect(JSON.stringify(r.report)).not.toContain("comment-secret-1");
  });
});
