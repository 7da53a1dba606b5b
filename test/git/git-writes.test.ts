import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT } from "@hush/testkit";
import { createRepo, createSandbox, git, hush, hushLines, setupDrivers, twoSidedRepo, writeEncrypted, realGitPath, type Sandbox } from "./helpers.ts";

/**
 * hush's own git writes (`git add` of a resolution, `git config` of setup and uninstall) while
 * another git command holds the lock git takes for them: git gives up at once, hush waits for
 * the lock, and when it cannot have it says what was done and what is left. And setup killed
 * between its config writes (SIGKILL: no handler runs): whatever it left, git never runs the
 * merge driver without `merge.hush.recursive = binary`, and the next setup finishes the job.
 */

let sb: Sandbox;
let realGit: string;

beforeAll(() => {
  sb = createSandbox();
  realGit = realGitPath(sb);
});

afterAll(() => sb.cleanup());

/** A repository in a conflicted merge of `app.enc.yaml` (ours: ours-pw, theirs: theirs-pw). */
async function conflictedRepo(name: string): Promise<string> {
  const repo = await twoSidedRepo(sb, name);
  expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).toBe(1);
  return repo;
}

/**
 * An environment whose `git` runs the real one and then writes `SUBCOMMAND STATUS` to the returned
 * log: a test sees that hush's git found the lock held before it lets the lock go.
 */
function loggingGitEnv(name: string): { env: Record<string, string>; log: string } {
  const bin = join(sb.dir, `${name}-bin`);
  const log = join(sb.dir, `${name}-git.log`);
  mkdirSync(bin);
  writeFileSync(join(bin, "git"), `#!/bin/sh\n'${realGit}' "$@"\nstatus=$?\necho "$1 $status" >> '${log}'\nexit $status\n`);
  chmodSync(join(bin, "git"), 0o755);
  return { env: { ...sb.env, PATH: `${bin}:${sb.env["PATH"]}`, HUSH_LOCK_TIMEOUT: "300" }, log };
}

/** Waits until `log` holds a line of `subcommand` that failed. */
async function failedOnce(log: string, subcommand: string): Promise<void> {
  const failed = new RegExp(`^${subcommand} [1-9]\\d*$`, "m");
  while (!(existsSync(log) && failed.test(readFileSync(log, "utf8")))) await new Promise((r) => setTimeout(r, 20));
}

/** Runs hush in `cwd`; resolves with its status and standard error when it ends. */
function hushInBackground(args: readonly string[], cwd: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [HUSH_SCRIPT, ...args], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
  const err: Buffer[] = [];
  child.stderr.on("data", (c: Buffer) => err.push(c));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stderr: Buffer.concat(err).toString("utf8") })));
}

describe("git resolve: staging while another git command holds the index", () => {
  it("waits for the index's lock and stages the resolution once it is free", async () => {
    const repo = await conflictedRepo("resolve-waits");
    const { env, log } = loggingGitEnv("resolve-waits");
    const lock = join(repo, ".git", "index.lock");
    writeFileSync(lock, "");
    const done = hushInBackground(["git", "resolve", "--ours", "app.enc.yaml"], repo, env);
    await failedOnce(log, "add");
    rmSync(lock);
    const r = await done;
    expect(r.status, r.stderr).toBe(0);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toBe("");
    expect(git(sb, repo, ["status", "--porcelain"]).stdout).toBe("M  app.enc.yaml\n");
  });

  it("says the file is resolved but not staged, and how to stage it, when the lock stays held", async () => {
    const repo = await conflictedRepo("resolve-busy");
    writeFileSync(join(repo, ".git", "index.lock"), "");
    const r = hush(sb, ["git", "resolve", "--ours", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, HUSH_LOCK_TIMEOUT: "0" } });
    expect(r.status, r.stderr).toBe(1);
    expect(hushLines(r.stderr)).toEqual([expect.stringMatching(/^hush: app\.enc\.yaml: resolved and written encrypted, but not staged: another git command holds the index's lock \(fatal: Unable to create '.*index\.lock': File exists\.\)$/)]);
    expect(r.stderr).toContain("next: stage it with `git add app.enc.yaml` once that command ends");
    // The resolution is in the file, the index still conflicted: `git add` finishes it.
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("password: ours-pw\n");
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).not.toBe("");
    rmSync(join(repo, ".git", "index.lock"));
    git(sb, repo, ["add", "app.enc.yaml"]);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toBe("");
  });
});

describe("git setup and uninstall: writing git config while another git command holds it", () => {
  it("setup waits for the config's lock and sets every key once it is free", async () => {
    const repo = createRepo(sb, "setup-waits");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: base-pw\n");
    const { env, log } = loggingGitEnv("setup-waits");
    const lock = join(repo, ".git", "config.lock");
    writeFileSync(lock, "");
    const done = hushInBackground(["git", "setup"], repo, env);
    await failedOnce(log, "config");
    rmSync(lock);
    const r = await done;
    expect(r.status, r.stderr).toBe(0);
    const config = git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."]).stdout;
    expect(config.split("\n").filter((l) => l !== "").map((l) => l.split(" ")[0])).toEqual(["diff.hush.textconv", "merge.hush.name", "merge.hush.recursive", "merge.hush.driver"]);
  });

  it("uninstall names the held lock and says to run it again, which finishes the job", () => {
    const repo = createRepo(sb, "uninstall-busy");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: base-pw\n");
    setupDrivers(sb, repo);
    const lock = join(repo, ".git", "config.lock");
    writeFileSync(lock, "");
    const r = hush(sb, ["git", "uninstall"], { cwd: repo, env: { ...sb.env, HUSH_LOCK_TIMEOUT: "0" } });
    expect(r.status, r.stderr).toBe(1);
    expect(hushLines(r.stderr)).toEqual(["hush: git config: cannot remove section diff.hush: another git command holds the config's lock (error: could not lock config file .git/config)"]);
    expect(r.stderr).toContain("next: run hush git uninstall again once that command ends");
    rmSync(lock);
    expect(hush(sb, ["git", "uninstall"], { cwd: repo }).status).toBe(0);
    expect(git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."], { allowFail: true }).stdout).toBe("");
  });
});

/** The repository's hush driver config, key by key. */
function driverKeys(repo: string): Map<string, string> {
  const out = git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."], { allowFail: true }).stdout;
  return new Map(out.split("\n").filter((l) => l !== "").map((l) => [l.slice(0, l.indexOf(" ")), l.slice(l.indexOf(" ") + 1)] as [string, string]));
}

describe("git setup: killed between config writes", () => {
  for (const killedAt of [1, 2, 3, 4]) {
    it(`killed as it sets its config key number ${killedAt}: no merge driver without recursive = binary, and setup again completes it`, () => {
      const repo = createRepo(sb, `setup-killed-${killedAt}`);
      writeEncrypted(sb, repo, "app.enc.yaml", "password: base-pw\n");
      // A git that, at the given `git config --local KEY VALUE` of hush's, kills hush instead.
      const bin = join(sb.dir, `killed-${killedAt}-bin`);
      const count = join(sb.dir, `killed-${killedAt}-count`);
      mkdirSync(bin);
      writeFileSync(
        join(bin, "git"),
        `#!/bin/sh\nif [ "$1" = config ] && [ "$2" = --local ] && [ $# -eq 4 ] && [ "\${3#-}" = "$3" ]; then\n  echo x >> '${count}'\n  if [ "$(wc -l < '${count}')" -eq ${killedAt} ]; then kill -KILL $PPID; exit 1; fi\nfi\nexec '${realGit}' "$@"\n`,
      );
      chmodSync(join(bin, "git"), 0o755);
      const killed = hush(sb, ["git", "setup"], { cwd: repo, env: { ...sb.env, PATH: `${bin}:${sb.env["PATH"]}` } });
      // run() gives 128 for a process a signal ended.
      expect(killed.status, killed.stderr).toBe(128);
      const left = driverKeys(repo);
      expect(left.size).toBe(killedAt - 1);
      if (left.has("merge.hush.driver")) expect(left.get("merge.hush.recursive")).toBe("binary");
      expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
      expect([...driverKeys(repo).keys()].sort()).toEqual(["diff.hush.textconv", "merge.hush.driver", "merge.hush.name", "merge.hush.recursive"]);
    });
  }
});
