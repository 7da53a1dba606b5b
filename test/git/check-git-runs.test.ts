import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "../../packages/key-source-age/test/tools.ts";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type CheckJsonReport, type Sandbox } from "./helpers.ts";

/**
 * `hush check` is the pre-commit hook: every commit pays for each git process it starts. Each
 * question it asks git (the repository root, the attributes of the files, the local config) is
 * asked once per run, however many files and checks need the answer.
 */

let sb: Sandbox;
let repo: string;

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb);
  mkdirSync(join(repo, "config"));
  writeEncrypted(sb, repo, "db.enc.yaml", "password: git-runs-secret-1\n");
  writeEncrypted(sb, repo, "config/api.enc.json", '{"token": "git-runs-secret-2"}\n');
  writeFileSync(join(repo, "settings.yaml"), "debug: true\n");
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "initial");
});

afterAll(() => sb.cleanup());

/**
 * Runs `hush check` with git tracing to a file and returns the git commands it ran, sorted: the
 * subcommand, with `config`'s first option (`config --local`) so that reads are told apart.
 */
function gitRunsOf(name: string, args: readonly string[]): { report: CheckJsonReport; commands: string[] } {
  const trace = join(sb.dir, `${name}.trace`);
  const r = hush(sb, ["check", "--json", ...args], { cwd: repo, env: { ...sb.keylessEnv, GIT_TRACE: trace } });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  const commands = [...readFileSync(trace, "utf8").matchAll(/trace: built-in: git (\S+)(?: (--\S+))?/g)].map((m) => (m[1] === "config" ? `config ${m[2]}` : m[1]!));
  return { report: JSON.parse(r.stdout) as CheckJsonReport, commands: commands.sort() };
}

describe("hush check asks git each question once", () => {
  it("over the working tree: one rev-parse, ls-files, check-attr and config read", () => {
    const { report, commands } = gitRunsOf("tree", []);
    expect(report.summary).toEqual({ checked: 5, files: 2, errors: 0, warnings: 0 });
    expect(commands).toEqual(["check-attr", "config --local", "ls-files", "rev-parse"]);
  });

  it("over staged changes (the hook): one rev-parse, diff, check-attr and config read, one git reads every staged file, the staged root .gitattributes and HEAD's versions", () => {
    writeEncrypted(sb, repo, "new.enc.yaml", "password: git-runs-secret-3\n");
    writeEncrypted(sb, repo, "config/more.enc.yaml", "password: git-runs-secret-4\n");
    writeFileSync(join(repo, "notes.yaml"), "plain: true\n");
    writeFileSync(join(repo, "settings.yaml"), "debug: false\n");
    git(sb, repo, ["add", "-A"]);
    const { report, commands } = gitRunsOf("staged", ["--staged"]);
    expect(report.summary).toEqual({ checked: 4, files: 2, errors: 0, warnings: 0 });
    // Four staged files: one `cat-file --batch` reads them all, and the staged root .gitattributes
    // too (hush's block in it says whether covered files' drivers must be checked), and HEAD's
    // version of the changed plain file (settings.yaml: was it encrypted?), whose size one
    // `cat-file --batch-check` asks first.
    expect(commands).toEqual(["cat-file", "cat-file", "check-attr", "config --local", "diff", "rev-parse"]);
  });
});

describe("hush check --base asks git the same questions however many .sops.yaml files the base has", () => {
  /** The git commands `hush check --base HEAD` runs in `dir`, sorted (as {@link gitRunsOf}). */
  function baseRunsIn(dir: string, name: string): string[] {
    const trace = join(sb.dir, `${name}.trace`);
    const r = hush(sb, ["check", "--json", "--base", "HEAD"], { cwd: dir, env: { ...sb.keylessEnv, GIT_TRACE: trace } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as CheckJsonReport).summary.errors).toBe(0);
    return [...readFileSync(trace, "utf8").matchAll(/trace: built-in: git (\S+)(?: (--\S+))?/g)].map((m) => (m[1] === "config" ? `config ${m[2]}` : m[1]!)).sort();
  }

  it("one revision lookup, one tree listing and one git reading every .sops.yaml of the base, and as many with five of them as with one", () => {
    const dir = createRepo(sb, "configs");
    writeEncrypted(sb, dir, "db.enc.yaml", "password: git-runs-secret-5\n");
    commitAll(sb, dir, "one config");
    const one = baseRunsIn(dir, "base-one");
    for (const team of ["alpha", "beta", "gamma", "delta"]) {
      mkdirSync(join(dir, team));
      writeFileSync(join(dir, team, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n`);
      writeEncrypted(sb, dir, `${team}/app.enc.yaml`, `password: git-runs-secret-${team}\n`);
    }
    commitAll(sb, dir, "four team configs");
    const five = baseRunsIn(dir, "base-five");
    // The rules' revision and where the branch started (merge-base) each get one tree listing;
    // one `cat-file --batch` reads the base's configs, one the covered files as they were; one
    // `rev-list` finds the branch's commits (none here).
    expect(five).toEqual(["cat-file", "cat-file", "check-attr", "config --local", "ls-files", "ls-tree", "ls-tree", "merge-base", "rev-list", "rev-parse", "rev-parse"]);
    expect(five).toEqual(one);
  });

  it("one git grep finds the files a branch copied, however many MACs and wrapped keys it looks for", () => {
    const dir = createRepo(sb, "copies");
    // Two files with 60 recipients each: 122 things to look for (each MAC and a piece of each wrapped key).
    const keygen = requireTool("age-keygen", "age");
    for (const name of ["one", "two"]) {
      const many = Array.from({ length: 60 }, () => /age1[0-9a-z]+/.exec(execFileSync(keygen, [], { encoding: "utf8" }))![0]);
      writeFileSync(join(dir, `${name}.enc.yaml`), `password: git-runs-secret-${name}\n`);
      const encrypted = hush(sb, ["encrypt", "-i", "--age", many.join(","), `${name}.enc.yaml`], { cwd: dir });
      expect(encrypted.status, encrypted.stderr).toBe(0);
    }
    commitAll(sb, dir, "files many can read");
    git(sb, dir, ["checkout", "-q", "-b", "copies"]);
    for (const name of ["one", "two"]) git(sb, dir, ["mv", `${name}.enc.yaml`, `${name}-moved.enc.yaml`]);
    commitAll(sb, dir, "moved");
    const trace = join(sb.dir, "copies.trace");
    const r = hush(sb, ["check", "--json", "--base", "main"], { cwd: dir, env: { ...sb.keylessEnv, GIT_TRACE: trace } });
    expect((JSON.parse(r.stdout) as CheckJsonReport).summary.errors, r.stderr).toBe(0);
    expect([...readFileSync(trace, "utf8").matchAll(/trace: built-in: git grep /g)]).toHaveLength(1);
  });
});

describe("hush check --staged reads staged files ahead, many to a request", () => {
  /** Counts the requests written to `git cat-file --batch` (each write to its input), into $CAT_FILE_WRITES at exit. */
  const COUNTER = `
const childProcess = require("node:child_process");
const { syncBuiltinESMExports } = require("node:module");
const fs = require("node:fs");
let writes = 0;
const spawn = childProcess.spawn;
childProcess.spawn = function (command, args, ...rest) {
  const child = spawn.call(this, command, args, ...rest);
  if (Array.isArray(args) && args[0] === "cat-file" && child.stdin) {
    const write = child.stdin.write;
    child.stdin.write = function (...a) { writes++; return write.apply(this, a); };
  }
  return child;
};
syncBuiltinESMExports();
process.on("exit", () => fs.writeFileSync(process.env.CAT_FILE_WRITES, String(writes)));
`;

  it("a commit of 130 files asks git for their contents in three requests, not one per file", () => {
    const dir = createRepo(sb, "many-staged");
    commitAll(sb, dir, "rules");
    for (let i = 0; i < 130; i++) writeFileSync(join(dir, `notes-${String(i).padStart(3, "0")}.yaml`), `replicas: ${i}\n`);
    git(sb, dir, ["add", "-A"]);
    const counter = join(sb.dir, "count-cat-file-writes.cjs");
    writeFileSync(counter, COUNTER);
    const count = join(sb.dir, "cat-file-writes");
    const r = hush(sb, ["check", "--staged", "--json"], { cwd: dir, env: { ...sb.keylessEnv, NODE_OPTIONS: `--require ${counter}`, CAT_FILE_WRITES: count } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as CheckJsonReport).summary).toEqual({ checked: 130, files: 0, errors: 0, warnings: 0 });
    // 64 files to a request: 64, 64 and 2.
    expect(readFileSync(count, "utf8")).toBe("3");
  });

  it("a file read ahead is checked as it is staged: a plaintext secret staged among many is found", () => {
    const dir = join(sb.dir, "many-staged");
    // A GitHub token, written in two parts so that this file holds none.
    writeFileSync(join(dir, "notes-100.yaml"), `token: ${["ghp_", "R2aZ7b9Qk1XvT3yP0mW8sL4nF6dJ5hC2gE9u"].join("")}\n`);
    writeEncrypted(sb, dir, "db.enc.yaml", "password: git-runs-secret-6\n");
    writeFileSync(join(dir, "plain.enc.yaml"), "password: git-runs-secret-7\n");
    git(sb, dir, ["add", "-A"]);
    const r = hush(sb, ["check", "--staged", "--json"], { cwd: dir, env: sb.keylessEnv });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as CheckJsonReport;
    expect(report.files.map((f) => [f.path, f.problems.map((p) => p.code)])).toEqual([
      ["db.enc.yaml", []],
      ["notes-100.yaml", ["likely-secret"]],
      ["plain.enc.yaml", ["not-encrypted"]],
    ]);
  });
});
