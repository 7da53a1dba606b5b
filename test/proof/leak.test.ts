import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, makeTempDir } from "@hush/testkit";

/**
 * The leak suite: after each workflow (encrypt, decrypt to stdout, edit, edit interrupted with
 * Ctrl+C, set, exec-env, exec-file, git diff, git merge with a conflict), the plaintext markers
 * must be nowhere but where the user asked for plaintext (stdout of decrypt, the child of exec-*,
 * the diff shown by git): not in temporary directories, not in the working tree, not in any git
 * object or file under .git, not on stderr.
 *
 * Every secret value holds a marker unique to this run, so that nothing else on the machine can
 * match. hush runs with a private TMPDIR (scanned completely) and the shared temporary directory
 * is scanned for files created during the run. A command that does not exist fails its test
 * with a message saying so; nothing is skipped.
 */

const RUN = randomBytes(6).toString("hex");
const MARKER = `LEAK${RUN}`;
const secret = (name: string): string => `${MARKER}-${name}`;
const CLI = HUSH_SCRIPT;
const started = Date.now();

let dir: { path: string; cleanup: () => void };
let repo: string;
let outside: string;
let privateTmp: string;
let bin: string;
let env: Record<string, string>;
let recipient: string;

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: options.cwd ?? repo, env: { ...env, ...options.env }, input: options.input, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}
const hush = (args: readonly string[], options: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Run => run(join(bin, "hush"), args, options);
const git = (args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run => run("git", args, options);

/** Fails with a clear message when a hush command is not there (instead of skipping). */
function requireCommand(...words: string[]): void {
  const r = hush([...words, "--help"]);
  if (r.status !== 0 || /unknown command/i.test(r.stderr)) {
    throw new Error(`\`hush ${words.join(" ")}\` is not available (exit ${r.status}: ${r.stderr.trim().split("\n")[0] ?? ""}); the leak suite needs it`);
  }
}

function filesUnder(root: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if (skip(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(root);
  return out;
}

/** Files under `root` whose bytes contain the marker. */
function filesWithMarker(root: string, skip?: (path: string) => boolean): string[] {
  const needle = Buffer.from(MARKER);
  return filesUnder(root, skip).filter((p) => {
    try {
      const st = statSync(p);
      if (!st.isFile() || st.size > 256 * 1024 * 1024) return false;
      return readFileSync(p).includes(needle);
    } catch {
      return false;
    }
  });
}

/** Every git object (loose and packed, reachable or not) with the marker in its content. */
function gitObjectsWithMarker(): string[] {
  const r = spawnSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo, env, maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git cat-file failed: ${r.stderr.toString()}`);
  const out = r.stdout;
  const hits: string[] = [];
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(0x0a, at);
    const [sha, , size] = out.subarray(at, nl).toString("latin1").split(" ");
    const len = Number(size);
    const body = out.subarray(nl + 1, nl + 1 + len);
    if (body.includes(Buffer.from(MARKER))) hits.push(sha!);
    at = nl + 1 + len + 1;
  }
  return hits;
}

/** Temporary files created during this run anywhere in the shared temp directory. */
function sharedTmpWithMarker(): string[] {
  const shared = tmpdir();
  return filesWithMarker(shared, (p) => {
    // Only what appeared during this run, and not this suite's own directory (scanned apart).
    if (p.startsWith(dir.path)) return true;
    try {
      return lstatSync(p).mtimeMs < started - 1000 && !lstatSync(p).isDirectory();
    } catch {
      return true;
    }
  });
}

/** The checks after every workflow. `stderrs` are the stderr outputs of the workflow's commands. */
function expectNoLeak(stderrs: readonly string[]): void {
  for (const e of stderrs) expect(e, "stderr").not.toContain(MARKER);
  expect(filesWithMarker(privateTmp), "hush's TMPDIR").toEqual([]);
  expect(sharedTmpWithMarker(), "shared temporary directory").toEqual([]);
  expect(
    filesWithMarker(repo, (p) => p === join(repo, ".git", "objects")).map((p) => relative(repo, p)),
    "working tree and .git (objects apart)",
  ).toEqual([]);
  expect(gitObjectsWithMarker(), "git objects").toEqual([]);
}

const PLAIN_YAML = () => `db:\n    user: app\n    password: ${secret("password")}\napi:\n    token: ${secret("token")}\n    timeout: 30\n`;
const PLAIN_ENV = () => `DB_PASSWORD=${secret("envpassword")}\nAPI_TOKEN=${secret("envtoken")}\n`;

beforeAll(() => {
  dir = makeTempDir("hush-leak-");
  repo = join(dir.path, "repo");
  outside = join(dir.path, "outside");
  privateTmp = join(dir.path, "tmp");
  bin = join(dir.path, "bin");
  for (const d of [repo, outside, privateTmp, bin, join(dir.path, "home")]) mkdirSync(d, { recursive: true });
  // `hush` on PATH, as git's drivers and users run it.
  writeFileSync(join(bin, "hush"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`);
  chmodSync(join(bin, "hush"), 0o755);
  env = {
    PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    HOME: join(dir.path, "home"),
    LANG: "C",
    TMPDIR: privateTmp,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Leak Test",
    GIT_AUTHOR_EMAIL: "leak@example.invalid",
    GIT_COMMITTER_NAME: "Leak Test",
    GIT_COMMITTER_EMAIL: "leak@example.invalid",
    SOPS_AGE_KEY_FILE: join(dir.path, "key.txt"),
  };
  const v = spawnSync("git", ["--version"], { env });
  if (v.status !== 0) throw new Error("git is missing: install git (apt-get install git)");
  const kg = hush(["keygen", "-o", join(dir.path, "key.txt")]);
  expect(kg.status, kg.stderr).toBe(0);
  recipient = /Public key: (age1[a-z0-9]+)/.exec(kg.stderr)![1]!;
  expect(git(["init", "-q", "-b", "main"]).status).toBe(0);
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
  writeFileSync(join(outside, "secrets.yaml"), PLAIN_YAML());
  writeFileSync(join(outside, "secrets.env"), PLAIN_ENV());
});
afterAll(() => dir?.cleanup());

describe("no plaintext left behind", () => {
  it("encrypt (to a file in the repository, then committed)", () => {
    const a = hush(["encrypt", "--output", join(repo, "secrets.yaml"), join(outside, "secrets.yaml")]);
    expect(a.status, a.stderr).toBe(0);
    const b = hush(["encrypt", "--output", join(repo, "secrets.env"), join(outside, "secrets.env")]);
    expect(b.status, b.stderr).toBe(0);
    expect(git(["add", "."]).status).toBe(0);
    expect(git(["commit", "-q", "-m", "secrets"]).status).toBe(0);
    expectNoLeak([a.stderr, b.stderr]);
  });

  it("decrypt to stdout", () => {
    const r = hush(["decrypt", "secrets.yaml"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(PLAIN_YAML());
    expectNoLeak([r.stderr]);
  });

  it("edit (one value changed in the editor)", () => {
    requireCommand("edit");
    const editor = join(dir.path, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\nsed -i -e 's/${secret("token")}/${secret("edited")}/' "$1"\n`);
    chmodSync(editor, 0o755);
    const r = hush(["edit", "secrets.yaml"], { env: { EDITOR: editor } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(repo, "secrets.yaml"), "utf8")).not.toContain(MARKER);
    const check = hush(["decrypt", "--extract", '["api"]["token"]', "secrets.yaml"]);
    expect(check.stdout).toBe(secret("edited"));
    expectNoLeak([r.stderr, check.stderr]);
  });

  it("edit interrupted with Ctrl+C while the editor is open", async () => {
    requireCommand("edit");
    const ready = join(dir.path, "editor-ready");
    const editor = join(dir.path, "slow-editor.sh");
    // Like a terminal editor: it has the plaintext file open when the user presses Ctrl+C.
    writeFileSync(editor, `#!/bin/sh\necho "$1" > ${JSON.stringify(ready)}\nsleep 30\n`);
    chmodSync(editor, 0o755);
    const before = readFileSync(join(repo, "secrets.yaml"), "utf8");
    const child = spawn(join(bin, "hush"), ["edit", "secrets.yaml"], { cwd: repo, env: { ...env, EDITOR: editor }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const deadline = Date.now() + 20_000;
    while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(ready), "the editor did not start").toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    // Ctrl+C in a terminal sends SIGINT to the whole foreground process group.
    process.kill(-child.pid!, "SIGINT");
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
    if (code === "timeout") process.kill(-child.pid!, "SIGKILL");
    expect(code, "hush edit did not exit after Ctrl+C").not.toBe("timeout");
    expect(code).not.toBe(0);
    expect(readFileSync(join(repo, "secrets.yaml"), "utf8")).toBe(before);
    // The file the editor had open held the plaintext; it must be gone.
    const tmpPath = readFileSync(ready, "utf8").trim();
    expect(existsSync(tmpPath), `the plaintext temp file ${tmpPath} is still there`).toBe(false);
    expectNoLeak([stderr]);
  });

  it("set (value on the command line, then from stdin)", () => {
    requireCommand("set");
    const a = hush(["set", "secrets.yaml", '["db"]["password"]', JSON.stringify(secret("set1"))]);
    expect(a.status, a.stderr).toBe(0);
    const b = hush(["set", "--value-stdin", "secrets.yaml", '["api"]["token"]'], { input: JSON.stringify(secret("set2")) });
    expect(b.status, b.stderr).toBe(0);
    const check = hush(["decrypt", "secrets.yaml"]);
    expect(check.stdout).toContain(secret("set1"));
    expect(check.stdout).toContain(secret("set2"));
    expectNoLeak([a.stderr, b.stderr, check.stderr]);
  });

  it("exec-env (the child sees the values; nothing else does)", () => {
    requireCommand("exec-env");
    const probe = join(dir.path, "exec-env-ok");
    const r = hush(["exec-env", "secrets.env", `sh -c 'case "$DB_PASSWORD" in ${MARKER}*) touch ${probe};; esac'`]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(probe), "the child did not get the value").toBe(true);
    expectNoLeak([r.stderr]);
  });

  it("exec-file, with a FIFO and with --no-fifo", () => {
    requireCommand("exec-file");
    for (const flags of [[], ["--no-fifo"]]) {
      const probe = join(dir.path, `exec-file-ok${flags.length}`);
      const r = hush(["exec-file", ...flags, "secrets.env", `grep -q ${MARKER} {} && touch ${probe}`]);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(probe), "the child could not read the file").toBe(true);
      expectNoLeak([r.stderr]);
    }
  });

  it("git diff through the textconv driver", () => {
    requireCommand("git", "setup");
    const s = hush(["git", "setup"]);
    expect(s.status, s.stderr).toBe(0);
    expect(git(["add", "."]).status).toBe(0);
    expect(git(["commit", "-q", "-m", "values changed; drivers set up"]).status).toBe(0);
    const set = hush(["set", "secrets.yaml", '["db"]["user"]', JSON.stringify(secret("diffuser"))]);
    expect(set.status, set.stderr).toBe(0);
    const d = git(["diff"]);
    expect(d.status, d.stderr).toBe(0);
    // The diff is for the user's eyes and shows the change in clear …
    expect(d.stdout).toContain(secret("diffuser"));
    const log = git(["log", "-p", "-2"]);
    expect(log.status).toBe(0);
    expect(git(["commit", "-q", "-am", "user changed"]).status).toBe(0);
    // … but nothing of it stays behind (no textconv cache in refs/notes, no temp files).
    expectNoLeak([d.stderr, log.stderr, set.stderr]);
  });

  it("git merge with a conflict on one value", () => {
    requireCommand("git", "merge");
    expect(git(["checkout", "-q", "-b", "other"]).status).toBe(0);
    expect(hush(["set", "secrets.yaml", '["db"]["password"]', JSON.stringify(secret("theirs"))]).status).toBe(0);
    expect(git(["commit", "-q", "-am", "theirs"]).status).toBe(0);
    expect(git(["checkout", "-q", "main"]).status).toBe(0);
    expect(hush(["set", "secrets.yaml", '["db"]["password"]', JSON.stringify(secret("ours"))]).status).toBe(0);
    expect(git(["commit", "-q", "-am", "ours"]).status).toBe(0);
    const m = git(["merge", "other"]);
    expect(m.status, "the merge should stop on the conflicting value").not.toBe(0);
    // Conflict markers with both plaintexts must not be written into the working tree.
    expect(readFileSync(join(repo, "secrets.yaml"), "utf8")).not.toContain(MARKER);
    expectNoLeak([m.stderr, m.stdout]);
    const abort = git(["merge", "--abort"]);
    expect(abort.status, abort.stderr).toBe(0);
    expectNoLeak([abort.stderr]);
  });
});
