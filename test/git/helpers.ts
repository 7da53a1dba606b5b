import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openText, reencryptText, type FileFormat, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { HUSH_SCRIPT, makeTempDir, requireBuiltCli } from "@hush/testkit";
import { expect } from "vitest";

/**
 * A sandbox for git end-to-end tests: a private HOME, a `hush` on PATH that runs the built CLI,
 * an age key, and repositories with local user config. System and user git config are ignored.
 */

const CLI = HUSH_SCRIPT;

export interface Sandbox {
  readonly dir: string;
  readonly home: string;
  readonly keyFile: string;
  readonly recipient: string;
  /** Environment with the key available. */
  readonly env: Record<string, string>;
  /** Environment without any key. */
  readonly keylessEnv: Record<string, string>;
  readonly cleanup: () => void;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function requireTools(): void {
  const git = spawnSync("git", ["--version"]);
  if (git.error !== undefined || git.status !== 0) throw new Error("git is not installed: install git (2.39 or newer) to run these tests");
  requireBuiltCli();
}

export function run(cmd: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; input?: string }): RunResult {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env, input: options.input, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

export function createSandbox(): Sandbox {
  requireTools();
  const tmp = makeTempDir("hush-git-");
  const dir = tmp.path;
  const home = join(dir, "home");
  const bin = join(dir, "bin");
  mkdirSync(home);
  mkdirSync(bin);
  // git runs drivers through the shell and finds `hush` on PATH, as for an installed hush.
  writeFileSync(join(bin, "hush"), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  chmodSync(join(bin, "hush"), 0o755);
  const base: Record<string, string> = {
    PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    HOME: home,
    LANG: "C",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_PAGER: "cat",
    PAGER: "cat",
  };
  const keyFile = join(dir, "key.txt");
  const kg = run(process.execPath, [CLI, "keygen", "-o", keyFile], { cwd: dir, env: base });
  if (kg.status !== 0) throw new Error(`hush keygen failed: ${kg.stderr}`);
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(kg.stderr)?.[1];
  if (recipient === undefined) throw new Error("hush keygen printed no public key");
  return { dir, home, keyFile, recipient, env: { ...base, SOPS_AGE_KEY_FILE: keyFile }, keylessEnv: base, cleanup: tmp.cleanup };
}

/** `hush check --json`'s report, as the tests read it. */
export interface CheckJsonReport {
  ok: boolean;
  files: Array<{ path: string; covered: boolean; encrypted: boolean; problems: Array<{ severity: string; code: string; message: string; keyPath?: string; line?: number }> }>;
  summary: { checked: number; files: number; errors: number; warnings: number };
}

/** `hush check ARGS` in `cwd` without a key, as CI runs it: its status and text report, and its `--json` report. */
export function keylessCheck(sb: Sandbox, cwd: string, args: readonly string[]): { status: number; report: CheckJsonReport; stdout: string } {
  const r = hush(sb, ["check", ...args], { cwd, env: sb.keylessEnv });
  const json = hush(sb, ["check", "--json", ...args], { cwd, env: sb.keylessEnv });
  return { status: r.status, report: JSON.parse(json.stdout) as CheckJsonReport, stdout: r.stdout };
}

/** Each finding of a check report as `PATH SEVERITY CODE`. */
export function findingCodes(report: CheckJsonReport): string[] {
  return report.files.flatMap((f) => f.problems.map((p) => `${f.path} ${p.severity} ${p.code}`));
}

/** Another person's age key in the sandbox: its key file, recipient and an environment holding only it. */
export interface AgeKey {
  readonly keyFile: string;
  readonly recipient: string;
  readonly env: Record<string, string>;
}

export function createAgeKey(sb: Sandbox, name: string): AgeKey {
  const keyFile = join(sb.dir, `${name}-key.txt`);
  const kg = run(process.execPath, [CLI, "keygen", "-o", keyFile], { cwd: sb.dir, env: sb.keylessEnv });
  if (kg.status !== 0) throw new Error(`hush keygen failed: ${kg.stderr}`);
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(kg.stderr)?.[1];
  if (recipient === undefined) throw new Error("hush keygen printed no public key");
  return { keyFile, recipient, env: { ...sb.keylessEnv, SOPS_AGE_KEY_FILE: keyFile } };
}

/** Asserts that a command exited 0, showing its standard error otherwise. */
export function expectOk(r: { status: number; stderr: string }): void {
  expect(r.status, r.stderr).toBe(0);
}

/** The lines hush printed (git's own lines left out). */
export function hushLines(output: string): string[] {
  return output.split("\n").filter((l) => l.startsWith("hush:"));
}

/** Runs the built hush CLI. */
export function hush(sb: Sandbox, args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: string }): RunResult {
  return run(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? sb.env, ...(options.input === undefined ? {} : { input: options.input }) });
}

/** Runs git; throws with its stderr when it fails, unless `allowFail`. */
export function git(sb: Sandbox, cwd: string, args: readonly string[], options: { env?: Record<string, string>; allowFail?: boolean } = {}): RunResult {
  const r = run("git", args, { cwd, env: options.env ?? sb.env });
  if (r.status !== 0 && options.allowFail !== true) throw new Error(`git ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return r;
}

/** A new repository with a `.sops.yaml` whose rule covers `*.enc.<ext>` files for the sandbox key. */
export function createRepo(sb: Sandbox, name = "repo", pathRegex = "\\.enc\\.(yaml|json|env|ini|toml)$"): string {
  const repo = join(sb.dir, name);
  mkdirSync(repo);
  git(sb, repo, ["init", "-q", "-b", "main"]);
  git(sb, repo, ["config", "user.name", "Test User"]);
  git(sb, repo, ["config", "user.email", "test@example.com"]);
  git(sb, repo, ["config", "commit.gpgsign", "false"]);
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ${pathRegex}\n    age: ${sb.recipient}\n`);
  return repo;
}

/** Writes a plaintext file and encrypts it in place with `hush encrypt -i`. */
export function writeEncrypted(sb: Sandbox, repo: string, path: string, plaintext: string): void {
  writeFileSync(join(repo, path), plaintext);
  const r = hush(sb, ["encrypt", "-i", path], { cwd: repo });
  if (r.status !== 0) throw new Error(`hush encrypt ${path} failed: ${r.stderr}`);
}

function keySources(sb: Sandbox): KeySourceResolver {
  const source = new AgeKeySource({ identities: parseAgeIdentities(readFileSync(sb.keyFile, "utf8")) });
  return async (kind) => (kind === "age" ? source : undefined);
}

/**
 * Replaces an encrypted file's plaintext as an editor session does: same data key, unchanged
 * values keep their ciphertext, new MAC.
 */
export async function editEncrypted(sb: Sandbox, repo: string, path: string, format: FileFormat, plaintext: string): Promise<void> {
  const file = join(repo, path);
  const ks = keySources(sb);
  const opened = await openText(readFileSync(file, "utf8"), { format, keySources: ks });
  writeFileSync(file, await reencryptText(opened, plaintext, { keySources: ks }));
}

/**
 * Two branches that each change `file` from the current commit of main: `theirs` on a new branch
 * "theirs", then `ours` on main, each committed; `git merge theirs` then merges them.
 */
export async function editOnBothSides(sb: Sandbox, repo: string, file: string, format: FileFormat, edits: { theirs: string; ours: string }): Promise<void> {
  git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
  await editEncrypted(sb, repo, file, format, edits.theirs);
  commitAll(sb, repo, "theirs");
  git(sb, repo, ["checkout", "-q", "main"]);
  await editEncrypted(sb, repo, file, format, edits.ours);
  commitAll(sb, repo, "ours");
}

/**
 * The absolute path of the git on the sandbox's PATH: a test that puts a `git` of its own first
 * in PATH (to watch or stop hush's git commands) runs this one from it.
 */
export function realGitPath(sb: Sandbox): string {
  const which = spawnSync("sh", ["-c", "command -v git"], { env: sb.env });
  const path = which.stdout.toString("utf8").trim();
  if (which.status !== 0 || !path.startsWith("/")) throw new Error("git is not installed: install git (2.39 or newer) to run these tests");
  return path;
}

/**
 * A repository named `name`, set up with the drivers, whose `app.enc.yaml` (YAML) holds
 * `password: ours-pw` on main and `password: theirs-pw` on branch "theirs": `git merge theirs`
 * conflicts at ["password"].
 */
export async function twoSidedRepo(sb: Sandbox, name: string): Promise<string> {
  const repo = createRepo(sb, name);
  writeEncrypted(sb, repo, "app.enc.yaml", "password: base-pw\n");
  setupDrivers(sb, repo);
  await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: "password: theirs-pw\n", ours: "password: ours-pw\n" });
  return repo;
}

/** Runs `hush git setup` (diff and merge drivers, no hook) in `repo` and commits what it wrote. */
export function setupDrivers(sb: Sandbox, repo: string): void {
  const r = hush(sb, ["git", "setup"], { cwd: repo });
  if (r.status !== 0) throw new Error(`hush git setup failed (${r.status}): ${r.stderr}`);
  commitAll(sb, repo, "git setup");
}

export function commitAll(sb: Sandbox, repo: string, message: string): void {
  git(sb, repo, ["add", "-A"]);
  git(sb, repo, ["commit", "-q", "--no-verify", "-m", message]);
}

/** Commits everything with author and committer date `date` (YYYY-MM-DD, noon UTC); returns the commit. */
export function commitAtDate(sb: Sandbox, repo: string, date: string, message: string): string {
  const env = { ...sb.env, GIT_AUTHOR_DATE: `${date}T12:00:00Z`, GIT_COMMITTER_DATE: `${date}T12:00:00Z` };
  git(sb, repo, ["add", "-A"], { env });
  git(sb, repo, ["commit", "-q", "--no-verify", "-m", message], { env });
  return git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
}

/**
 * Back on main, `path` (YAML) gets `plaintext` as `hush edit` writes it and is committed, then
 * `branch` is merged: git's exit status and the lines hush printed.
 */
export async function editOnMainThenMerge(sb: Sandbox, repo: string, branch: string, path: string, plaintext: string): Promise<{ status: number; said: string }> {
  git(sb, repo, ["checkout", "-q", "main"]);
  await editEncrypted(sb, repo, path, "yaml", plaintext);
  commitAll(sb, repo, `main: ${path}`);
  const merge = git(sb, repo, ["merge", "--no-edit", branch], { allowFail: true });
  return { status: merge.status, said: hushLines(merge.stderr).join("\n") };
}

/**
 * A repository whose `.sops.yaml` covers `secrets/*.yaml`, set up with `hush git setup`, one
 * encrypted file (`secrets/app.yaml`) committed on main.
 */
export function setUpCoveredRepo(sb: Sandbox, name: string): string {
  const repo = createRepo(sb, name, "^secrets/.*\\.yaml$");
  mkdirSync(join(repo, "secrets"));
  writeEncrypted(sb, repo, "secrets/app.yaml", "password: committed-secret-1\n");
  const setup = hush(sb, ["git", "setup"], { cwd: repo });
  if (setup.status !== 0) throw new Error(`hush git setup failed: ${setup.stderr}`);
  commitAll(sb, repo, "initial");
  return repo;
}

/** Every file under a directory (the repository's .git included), as raw bytes. */
function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ path: p, bytes: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

/**
 * Where any of `secrets` occurs: in the working tree and .git as stored, and in every git object
 * decompressed (`git cat-file --batch-all-objects --batch`). Empty when none is found.
 */
export function findPlaintext(sb: Sandbox, repo: string, secrets: readonly string[]): string[] {
  const hits: string[] = [];
  const needles = secrets.map((s) => Buffer.from(s, "utf8"));
  for (const { path, bytes } of filesUnder(repo)) {
    for (const [i, n] of needles.entries()) if (bytes.includes(n)) hits.push(`${path}: ${secrets[i]}`);
  }
  const objects = spawnSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo, env: sb.env, maxBuffer: 256 * 1024 * 1024 });
  if (objects.status !== 0) throw new Error(`git cat-file failed: ${objects.stderr.toString()}`);
  for (const [i, n] of needles.entries()) if (objects.stdout.includes(n)) hits.push(`git object: ${secrets[i]}`);
  return hits;
}

/** The `sops.age` entries of a YAML file, as text blocks (`        - ...` up to the next one), as anyone can edit them on a branch. */
export function ageEntryBlocks(text: string): string[] {
  const list = /^ {4}age:\n((?: {8}.*\n)+)/m.exec(text)?.[1] ?? "";
  return list.split(/(?=^ {8}- )/m).filter((b) => b !== "");
}

/**
 * The node running the tests as `DIR/node` in a new directory `dir` (a hard link, or a copy across
 * file systems): a node whose path setup writes and a test can take away by moving `dir`.
 */
export function nodeInDirectory(dir: string): string {
  mkdirSync(dir);
  const node = join(dir, "node");
  try {
    linkSync(process.execPath, node);
  } catch {
    copyFileSync(process.execPath, node);
  }
  return node;
}
