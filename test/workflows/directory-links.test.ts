import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHush, type HushResult } from "@hush/testkit";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Writes never follow a directory link inside a git work tree: a branch can commit `secrets` as a
 * link to `../../elsewhere` (or an absolute path), and `hush set secrets/app.yaml` would then
 * write, and create its lock and temporary files, wherever the branch's author chose. git itself
 * refuses paths beyond a symbolic link in a work tree. Links above the work tree (a user's
 * `~/work -> /mnt/data/work`) and outside any work tree stay the user's own layout.
 */

let k: KeyedDir;
let gitEnv: Record<string, string>;

beforeAll(() => {
  const git = spawnSync("git", ["--version"]);
  if (git.error !== undefined || git.status !== 0) throw new Error("git is not installed: install git (2.39 or newer) to run these tests");
  // The temporary directory's real path: messages and git name it so.
  k = keyedDir();
  mkdirSync(k.path("home"));
  gitEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: k.path("home"), LANG: "C", GIT_CONFIG_NOSYSTEM: "1" };
});
afterAll(() => k.cleanup());

function git(cwd: string, args: readonly string[]): string {
  const r = spawnSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd, env: gitEnv, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** A clone of a repository whose author committed `secrets` as a link to `target`. */
function cloneWithLinkedDirectory(name: string, target: string, linkName = "secrets"): string {
  const origin = k.path(`${name}-origin`);
  mkdirSync(origin);
  git(origin, ["init", "-q", "-b", "main"]);
  mkdirSync(join(origin, linkName, ".."), { recursive: true });
  symlinkSync(target, join(origin, linkName));
  writeFileSync(join(origin, "README"), "read me\n");
  git(origin, ["add", "-A"]);
  git(origin, ["commit", "-q", "-m", "layout"]);
  const clone = k.path(name);
  git(k.dir, ["clone", "-q", origin, clone]);
  expect(lstatSync(join(clone, linkName)).isSymbolicLink()).toBe(true);
  return clone;
}

/**
 * `name/app.yaml` encrypted outside a clone that links `secrets` to it, with a rule naming a second
 * recipient, so that updatekeys has a change to write.
 */
function rekeyThroughLink(name: string): { elsewhere: string; repo: string } {
  const elsewhere = k.path(name);
  mkdirSync(elsewhere);
  encryptFile(k, `${name}/app.yaml`, "a: 1\n");
  const repo = cloneWithLinkedDirectory(`${name}-link`, `../${name}`);
  const second = runHush(["keygen", "-o", k.path(`${name}-second.txt`)], { cwd: k.dir });
  const other = /Public key: (age1[0-9a-z]+)/.exec(second.stderr)?.[1];
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
  return { elsewhere, repo };
}

function hushIn(cwd: string, args: readonly string[], env: Record<string, string> = {}): HushResult {
  return runHush(args, { cwd, env: { ...k.env, ...env }, home: k.path("home") });
}

/** Everything in `dir`, for checking that nothing (file, lock, temporary file) appeared or changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    out[name] = lstatSync(path).isDirectory() ? "(directory)" : readFileSync(path, "latin1");
  }
  return out;
}

describe("writes refuse a directory link inside a git work tree", () => {
  it("a committed relative link: every writing command refuses it, names it, and writes nothing behind it", () => {
    const elsewhere = k.path("elsewhere");
    mkdirSync(elsewhere);
    encryptFile(k, "elsewhere/app.yaml", "a: 1\n");
    writeFileSync(join(elsewhere, "plain.yaml"), "token: abc\n");
    const repo = cloneWithLinkedDirectory("relative", "../elsewhere");
    // updatekeys writes only when the keys change: the rule names a second recipient.
    const second = runHush(["keygen", "-o", k.path("second.txt")], { cwd: k.dir });
    const other = /Public key: (age1[0-9a-z]+)/.exec(second.stderr)?.[1];
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
    const before = snapshot(elsewhere);
    const marker = k.path("editor-ran");
    for (const args of [
      ["set", "secrets/app.yaml", '["a"]', "2"],
      ["unset", "secrets/app.yaml", '["a"]'],
      ["edit", "secrets/app.yaml"],
      ["edit", "secrets/new.yaml"],
      ["rotate", "-i", "secrets/app.yaml"],
      ["updatekeys", "-y", "secrets/app.yaml"],
      ["groups", "add", "-i", "-f", "secrets/app.yaml", "--age", k.recipient],
      ["encrypt", "-i", "--age", k.recipient, "secrets/plain.yaml"],
      ["decrypt", "-i", "secrets/app.yaml"],
      ["decrypt", "-i", "secrets/app.yaml", "README"],
      ["decrypt", "--output", "secrets/out.yaml", join(elsewhere, "app.yaml")],
      ["decrypt", "--output", "secrets/new-dir/out.yaml", join(elsewhere, "app.yaml")],
      ["encrypt", "--age", k.recipient, "--output", "secrets/out.enc.yaml", join(elsewhere, "plain.yaml")],
    ]) {
      const r = hushIn(repo, args, { EDITOR: `touch ${marker}` });
      const name = args.find((a) => a.startsWith("secrets/"))!;
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(3);
      // rotate, updatekeys and groups name files by their absolute path, in this message as in all.
      const shown = ["rotate", "updatekeys", "groups"].includes(args[0]!) ? `${join(realpathSync(repo), name)}: ${join(realpathSync(repo), "secrets")}` : `${name}: secrets`;
      expect(r.stderr, args.join(" ")).toContain(`hush: ${shown} is a symbolic link (to ../elsewhere) in the git work tree ${realpathSync(repo)}; hush does not write through a directory link in a repository`);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(snapshot(elsewhere), args.join(" ")).toEqual(before);
      expect(existsSync(marker), args.join(" ")).toBe(false);
    }
    // The next step the message gives works: the real path is outside the repository.
    const r = hushIn(repo, ["set", join(elsewhere, "app.yaml"), '["a"]', "2"]);
    expect(r.status, r.stderr).toBe(0);
  });

  it("re-keying through a committed link is refused before any key is asked (no KMS call, passphrase or token touch for a write that cannot happen)", () => {
    const { elsewhere, repo } = rekeyThroughLink("unasked");
    const before = snapshot(elsewhere);
    // No identity at all: a command that asked for the data key first would fail with exit 128.
    const noKey = { SOPS_AGE_KEY_FILE: k.path("no-such-keys.txt") };
    for (const args of [
      ["rotate", "-i", "secrets/app.yaml"],
      ["rotate", "-i", "secrets"],
      ["rotate", "--output", "secrets/out.yaml", join(elsewhere, "app.yaml")],
      ["updatekeys", "-y", "secrets/app.yaml"],
      ["groups", "add", "-i", "-f", "secrets/app.yaml", "--age", k.recipient],
    ]) {
      const r = hushIn(repo, args, noKey);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(3);
      expect(r.stderr, args.join(" ")).toContain("secrets is a symbolic link (to ../unasked)");
      expect(r.stderr, args.join(" ")).not.toContain("could not decrypt the data key");
      expect(snapshot(elsewhere), args.join(" ")).toEqual(before);
    }
    // A dry run writes nothing, so it reads through the link as any read does.
    const dry = hushIn(repo, ["rotate", "--dry-run", "secrets/app.yaml"], noKey);
    expect(dry.stderr).toContain("could not decrypt the data key");
  });

  it("rotate and updatekeys of a directory named through a committed link refuse its files", () => {
    const { elsewhere, repo } = rekeyThroughLink("walked");
    const before = snapshot(elsewhere);
    for (const args of [
      ["rotate", "-i", "secrets"],
      ["updatekeys", "-y", "secrets/"],
    ]) {
      const r = hushIn(repo, args);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, args.join(" ")).toContain(`secrets is a symbolic link (to ../walked) in the git work tree ${realpathSync(repo)}`);
      expect(snapshot(elsewhere), args.join(" ")).toEqual(before);
    }
  });

  it("keygen -o makes no directory behind a committed link", () => {
    const elsewhere = k.path("keys-target");
    mkdirSync(elsewhere);
    const repo = cloneWithLinkedDirectory("keys-link", "../keys-target", "keys");
    const r = hushIn(repo, ["keygen", "-o", "keys/new/age.txt"]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("hush: keys/new/age.txt: keys is a symbolic link (to ../keys-target) in the git work tree");
    expect(readdirSync(elsewhere)).toEqual([]);
    // A directory still to be made, and a `..` out of it back to the link: made, it is a real
    // directory, and the `..` leads back into the repository.
    const back = hushIn(repo, ["keygen", "-o", "made/../keys/new/age.txt"]);
    expect(back.status, back.stderr).toBe(3);
    expect(back.stderr).toContain("hush: made/../keys/new/age.txt: made/../keys is a symbolic link (to ../keys-target) in the git work tree");
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(existsSync(join(repo, "made"))).toBe(false);
  });

  it("the message names the real path to use instead", () => {
    const elsewhere = k.path("named");
    mkdirSync(elsewhere);
    encryptFile(k, "named/app.yaml", "a: 1\n");
    const repo = cloneWithLinkedDirectory("named-real", "../named");
    const r = hushIn(repo, ["set", "secrets/app.yaml", '["a"]', "2"]);
    expect(r.stderr).toContain(`name the file by its real path, ${realpathSync(elsewhere)}/app.yaml, if you mean it`);
  });

  it("an absolute link, a link deeper in the tree, and a link a `..` steps back out of are refused too", () => {
    const elsewhere = k.path("abs-target");
    mkdirSync(join(elsewhere, "deep"), { recursive: true });
    const repo = cloneWithLinkedDirectory("absolute", elsewhere, "config/secrets");
    const before = snapshot(elsewhere);
    const source = encryptFile(k, "abs-source.yaml", "a: 1\n");
    const absolute = join(repo, "config/secrets/app.yaml");
    for (const [path, cwd] of [
      ["config/secrets/app.yaml", repo],
      [absolute, k.dir],
      // The kernel resolves `..` after the link: this is abs-target/out.yaml, not config/out.yaml.
      ["config/secrets/deep/../out.yaml", repo],
      ["secrets/app.yaml", join(repo, "config")],
    ] as const) {
      const r = hushIn(cwd, ["decrypt", "--output", path, source]);
      expect(r.status, `${path}: ${r.stderr}`).toBe(3);
      expect(r.stderr, path).toContain(`is a symbolic link (to ${elsewhere}) in the git work tree ${realpathSync(repo)}`);
      expect(snapshot(elsewhere), path).toEqual(before);
    }
  });

  it("a link in a worktree, whose .git is a file, is refused too", () => {
    const elsewhere = k.path("wt-target");
    mkdirSync(elsewhere);
    const repo = cloneWithLinkedDirectory("wt-main", "../wt-target");
    const worktree = k.path("wt-linked");
    git(repo, ["worktree", "add", "-q", worktree]);
    expect(lstatSync(join(worktree, ".git")).isFile()).toBe(true);
    writeFileSync(k.path("wt-plain.yaml"), "a: 1\n");
    const r = hushIn(worktree, ["encrypt", "--age", k.recipient, "--output", "secrets/x.yaml", k.path("wt-plain.yaml")]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`secrets is a symbolic link (to ../wt-target) in the git work tree ${realpathSync(worktree)}`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("a working directory reached through a committed link (cd secrets) refuses writes there, and says to work in its real path", () => {
    const elsewhere = k.path("cd-target");
    mkdirSync(elsewhere);
    encryptFile(k, "cd-target/app.yaml", "a: 1\n");
    writeFileSync(join(elsewhere, "plain.yaml"), "token: abc\n");
    const repo = cloneWithLinkedDirectory("cd-link", "../cd-target");
    const second = runHush(["keygen", "-o", k.path("cd-second.txt")], { cwd: k.dir });
    const other = /Public key: (age1[0-9a-z]+)/.exec(second.stderr)?.[1];
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
    writeFileSync(join(elsewhere, ".sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
    const source = encryptFile(k, "cd-source.yaml", "a: 1\n");
    const before = snapshot(elsewhere);
    // The shell's cd follows the link and says so in PWD; the kernel's working directory is the target.
    const logical = join(repo, "secrets");
    for (const args of [
      ["decrypt", "--output", "out.yaml", source],
      ["set", "app.yaml", '["a"]', "2"],
      ["encrypt", "-i", "--age", k.recipient, "plain.yaml"],
      ["rotate", "-i", "app.yaml"],
      ["updatekeys", "-y", "."],
    ]) {
      const r = hushIn(elsewhere, args, { PWD: logical });
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(3);
      expect(r.stderr, args.join(" ")).toContain(`${logical} is a symbolic link (to ../cd-target) in the git work tree ${realpathSync(repo)}`);
      expect(r.stderr, args.join(" ")).toContain(`work in the directory's real path, ${realpathSync(elsewhere)}, if you mean it`);
      expect(snapshot(elsewhere), args.join(" ")).toEqual(before);
    }
    // Reached by its real path (or with no PWD to say otherwise), the directory is outside the repository.
    expect(hushIn(elsewhere, ["set", "app.yaml", '["a"]', "2"], { PWD: realpathSync(elsewhere) }).status).toBe(0);
    // A PWD naming another directory than the working directory is stale, and ignored.
    expect(hushIn(elsewhere, ["set", "app.yaml", '["a"]', "3"], { PWD: repo }).status).toBe(0);
  });
});

describe("directory links the user made stay usable", () => {
  it("a link above the work tree (~/work -> /mnt/data/work) is followed", () => {
    const real = k.path("data/work");
    mkdirSync(join(real, "project"), { recursive: true });
    git(join(real, "project"), ["init", "-q", "-b", "main"]);
    encryptFile(k, "data/work/project/app.yaml", "a: 1\n");
    symlinkSync(real, k.path("home/work"));
    const viaLink = join(k.path("home/work"), "project/app.yaml");
    const r = hushIn(k.dir, ["set", viaLink, '["a"]', "2"]);
    expect(r.status, r.stderr).toBe(0);
    const d = hushIn(k.dir, ["decrypt", viaLink]);
    expect(d.stdout).toBe("a: 2\n");
    expect(lstatSync(k.path("home/work")).isSymbolicLink()).toBe(true);
    // So is the working directory reached through it (cd ~/work/project).
    const inside = hushIn(join(real, "project"), ["set", "app.yaml", '["a"]', "3"], { PWD: join(k.path("home/work"), "project") });
    expect(inside.status, inside.stderr).toBe(0);
    expect(hushIn(k.dir, ["decrypt", viaLink]).stdout).toBe("a: 3\n");
  });

  it("a link in the work tree that git does not track (a gitignored data -> /mnt/disk) is followed; once committed, refused", () => {
    const repo = k.path("untracked-repo");
    mkdirSync(repo);
    git(repo, ["init", "-q", "-b", "main"]);
    writeFileSync(join(repo, ".gitignore"), "data\n");
    git(repo, ["add", "-A"]);
    git(repo, ["commit", "-q", "-m", "ignore data"]);
    mkdirSync(k.path("untracked-disk"));
    encryptFile(k, "untracked-disk/app.yaml", "a: 1\n");
    symlinkSync(k.path("untracked-disk"), join(repo, "data"));
    const r = hushIn(repo, ["set", "data/app.yaml", '["a"]', "2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(hushIn(k.dir, ["decrypt", "untracked-disk/app.yaml"]).stdout).toBe("a: 2\n");
    git(repo, ["add", "-f", "data"]);
    git(repo, ["commit", "-q", "-m", "data link"]);
    const refused = hushIn(repo, ["set", "data/app.yaml", '["a"]', "3"]);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain("data is a symbolic link (to ");
    expect(hushIn(k.dir, ["decrypt", "untracked-disk/app.yaml"]).stdout).toBe("a: 2\n");
  });

  it("a committed link is refused when git cannot be asked whether it is tracked (no git in PATH)", () => {
    const real = k.path("nogit-target");
    mkdirSync(real);
    encryptFile(k, "nogit-target/app.yaml", "a: 1\n");
    const clone = cloneWithLinkedDirectory("nogit", real);
    const r = hushIn(clone, ["set", "secrets/app.yaml", '["a"]', "2"], { PATH: k.path("no-programs-here") });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("secrets is a symbolic link (to ");
    expect(hushIn(k.dir, ["decrypt", "nogit-target/app.yaml"]).stdout).toBe("a: 1\n");
  });

  it("a work tree whose .git is a link to its git directory (kept elsewhere) is set up through it", () => {
    const store = k.path("gitdir-store/project.git");
    mkdirSync(k.path("gitdir-store"));
    const work = k.path("gitdir-work");
    mkdirSync(work);
    git(k.dir, ["init", "-q", "-b", "main", "--separate-git-dir", store, work]);
    // --separate-git-dir leaves a .git file; some layouts put a link there instead, which no branch can commit.
    rmSync(join(work, ".git"));
    symlinkSync(store, join(work, ".git"));
    expect(git(work, ["rev-parse", "--is-inside-work-tree"]).trim()).toBe("true");
    const r = hushIn(work, ["git", "setup", "*.yaml"], { GIT_CONFIG_NOSYSTEM: "1" });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(store, "info/exclude"), "utf8")).toContain(".hush-lock");
  });

  it("outside any git work tree a directory link is the user's layout and is followed", () => {
    const real = k.path("plain-real");
    mkdirSync(real);
    encryptFile(k, "plain-real/app.yaml", "a: 1\n");
    symlinkSync(real, k.path("plain-link"));
    const r = hushIn(k.dir, ["set", "plain-link/app.yaml", '["a"]', "3"]);
    expect(r.status, r.stderr).toBe(0);
    expect(hushIn(k.dir, ["decrypt", "plain-real/app.yaml"]).stdout).toBe("a: 3\n");
  });
});
