import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, git, hush, type Sandbox } from "./helpers.ts";

/**
 * `hush git setup` in a cloned repository: everything in it is untrusted. Files setup writes
 * (`.gitattributes`, `.git/info/exclude`, the pre-commit hook) may be committed or planted as
 * links to the user's own files, and `.sops.yaml` path rules or file names may hold a newline
 * that would start a line of the attacker's in `.gitattributes`.
 */

let sb: Sandbox;
let victim: string;
const BASHRC = "alias ll='ls -l'\n";

beforeAll(() => {
  sb = createSandbox();
  victim = join(sb.home, ".bashrc");
});

afterAll(() => sb.cleanup());

/** A clone of a repository whose author committed `.gitattributes` as a link to ~/.bashrc. */
function cloneWithLinkedAttributes(name: string): string {
  const origin = createRepo(sb, `${name}-origin`);
  symlinkSync("../home/.bashrc", join(origin, ".gitattributes"));
  commitAll(sb, origin, "attributes");
  const clone = join(sb.dir, name);
  git(sb, sb.dir, ["clone", "-q", origin, clone]);
  expect(lstatSync(join(clone, ".gitattributes")).isSymbolicLink()).toBe(true);
  return clone;
}

describe("git setup writes no file through a link", () => {
  it("a committed .gitattributes link to ~/.bashrc: setup refuses, before changing anything", () => {
    writeFileSync(victim, BASHRC);
    const repo = cloneWithLinkedAttributes("attr-link");
    for (const args of [["git", "setup"], ["git", "setup", "--dry-run"], ["git", "uninstall"]]) {
      const r = hush(sb, args, { cwd: repo });
      expect(r.status, args.join(" ")).toBe(3);
      expect(r.stderr).toContain(`${join(repo, ".gitattributes")} is a symbolic link (to ${victim}); hush does not write through links`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
    expect(readFileSync(victim, "utf8")).toBe(BASHRC);
    expect(lstatSync(join(repo, ".gitattributes")).isSymbolicLink()).toBe(true);
    // Nothing half done: no driver config either.
    expect(git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."], { allowFail: true }).stdout).toBe("");
  });

  it("a .git/info/exclude link: refused, and .gitattributes is not written either", () => {
    writeFileSync(victim, BASHRC);
    const repo = createRepo(sb, "exclude-link");
    mkdirSync(join(repo, ".git", "info"), { recursive: true });
    const exclude = join(repo, ".git", "info", "exclude");
    rmSync(exclude, { force: true });
    symlinkSync(victim, exclude);
    const r = hush(sb, ["git", "setup"], { cwd: repo });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`${exclude} is a symbolic link (to ${victim})`);
    expect(readFileSync(victim, "utf8")).toBe(BASHRC);
    expect(existsSync(join(repo, ".gitattributes"))).toBe(false);
  });

  it("a hook that is a link (core.hooksPath into the work tree) is left alone, with a note", () => {
    writeFileSync(victim, `#!/bin/sh\n# hush pre-commit hook (written by \`hush git setup --hook\`)\n`);
    const before = readFileSync(victim, "utf8");
    const repo = createRepo(sb, "hook-link");
    mkdirSync(join(repo, ".githooks"));
    symlinkSync(victim, join(repo, ".githooks", "pre-commit"));
    git(sb, repo, ["config", "core.hooksPath", ".githooks"]);
    const r = hush(sb, ["git", "setup", "--hook"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("note: .githooks/pre-commit is a symbolic link or not a regular file, so hush leaves it alone");
    expect(readFileSync(victim, "utf8")).toBe(before);
    const un = hush(sb, ["git", "uninstall"], { cwd: repo });
    expect(un.status, un.stderr).toBe(0);
    expect(lstatSync(join(repo, ".githooks", "pre-commit")).isSymbolicLink()).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe(before);
  });
});

describe("git setup writes nothing through a directory link in the work tree", () => {
  const HOOK = `#!/bin/sh\n# hush pre-commit hook (written by \`hush git setup --hook\`)\n`;

  /** A clone whose author committed `.githooks` as a link to a directory of the user's. */
  function cloneWithLinkedHooks(name: string): { repo: string; victimDir: string } {
    const victimDir = join(sb.home, `${name}-victim`);
    mkdirSync(victimDir);
    const origin = createRepo(sb, `${name}-origin`);
    symlinkSync(`../home/${name}-victim`, join(origin, ".githooks"));
    commitAll(sb, origin, "hooks");
    const repo = join(sb.dir, name);
    git(sb, sb.dir, ["clone", "-q", origin, repo]);
    expect(lstatSync(join(repo, ".githooks")).isSymbolicLink()).toBe(true);
    return { repo, victimDir };
  }

  it("core.hooksPath on a committed .githooks link: setup --hook refuses before changing anything", () => {
    const { repo, victimDir } = cloneWithLinkedHooks("hooks-dir-link");
    for (const hooksPath of [".githooks", join(repo, ".githooks"), ".githooks/sub"]) {
      git(sb, repo, ["config", "core.hooksPath", hooksPath]);
      const r = hush(sb, ["git", "setup", "--hook"], { cwd: repo });
      expect(r.status, `${hooksPath}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`.githooks is a symbolic link (to ../home/hooks-dir-link-victim) in the git work tree ${repo}; hush does not write through a directory link in a repository`);
      expect(r.stderr).toContain(hooksPath === ".githooks/sub" ? "point core.hooksPath at a directory that is not a link" : `point core.hooksPath at ${victimDir} if you mean it`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(readdirSync(victimDir), hooksPath).toEqual([]);
      expect(existsSync(join(repo, ".gitattributes"))).toBe(false);
      expect(git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."], { allowFail: true }).stdout).toBe("");
    }
  });

  it("uninstall does not remove a hush hook behind a committed .githooks link", () => {
    const { repo, victimDir } = cloneWithLinkedHooks("hooks-uninstall-link");
    writeFileSync(join(victimDir, "pre-commit"), HOOK);
    git(sb, repo, ["config", "core.hooksPath", ".githooks"]);
    const r = hush(sb, ["git", "uninstall"], { cwd: repo });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(".githooks is a symbolic link");
    expect(readFileSync(join(victimDir, "pre-commit"), "utf8")).toBe(HOOK);
  });

  it("the user's own link inside .git (.git/hooks to a shared directory) is followed: no branch can commit one", () => {
    const repo = createRepo(sb, "own-hooks-link");
    const shared = join(sb.home, "shared-hooks");
    mkdirSync(shared);
    rmSync(join(repo, ".git", "hooks"), { recursive: true, force: true });
    symlinkSync(shared, join(repo, ".git", "hooks"));
    writeFileSync(join(repo, "a.enc.yaml"), "x: 1\n");
    const r = hush(sb, ["git", "setup", "--hook", "*.enc.yaml"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(shared, "pre-commit"), "utf8")).toContain("# hush pre-commit hook");
  });
});

describe("git setup writes one pattern per line, whatever the input", () => {
  it("a path_regex with a newline is refused: it cannot inject attributes", () => {
    const repo = createRepo(sb, "regex-newline");
    writeFileSync(
      join(repo, ".sops.yaml"),
      `creation_rules:\n  - path_regex: "x\\n[^/]*\\\\.yaml filter=evil\\ny"\n    age: ${sb.recipient}\n`,
    );
    const r = hush(sb, ["git", "setup"], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('.sops.yaml: creation rule 0: path_regex "x\\n[^/]*\\\\.yaml filter=evil\\ny" contains a control character; hush does not write it to .gitattributes');
    expect(existsSync(join(repo, ".gitattributes"))).toBe(false);
    expect(git(sb, repo, ["check-attr", "filter", "--", "a.yaml"]).stdout).toBe("a.yaml: filter: unspecified\n");
  });

  it("a path_regex with blanks becomes one quoted pattern, not extra attributes", () => {
    const repo = createRepo(sb, "regex-blank", "^conf/my secrets filter=lfs/.*\\.yaml$");
    const r = hush(sb, ["git", "setup"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toContain('"/conf/my secrets filter=lfs/**/*.yaml" diff=hush merge=hush\n');
    const attrs = git(sb, repo, ["check-attr", "diff", "filter", "--", "conf/my secrets filter=lfs/a/b.yaml"]).stdout;
    expect(attrs).toBe("conf/my secrets filter=lfs/a/b.yaml: diff: hush\nconf/my secrets filter=lfs/a/b.yaml: filter: unspecified\n");
  });

  it("an encrypted file whose name holds a newline is covered by an escaped, quoted pattern", () => {
    const repo = createRepo(sb, "name-newline");
    rmSync(join(repo, ".sops.yaml"));
    const name = "a\n* filter=evil\nb.enc.yaml";
    writeFileSync(join(repo, name), "k: v\n");
    const enc = hush(sb, ["encrypt", "-i", "--age", sb.recipient, name], { cwd: repo });
    expect(enc.status, enc.stderr).toBe(0);
    const r = hush(sb, ["git", "setup"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    const attributes = readFileSync(join(repo, ".gitattributes"), "utf8");
    expect(attributes).toContain('"/a\\n\\\\* filter=evil\\nb.enc.yaml" diff=hush merge=hush\n');
    expect(attributes).not.toMatch(/^\* filter=evil/m);
    expect(git(sb, repo, ["check-attr", "diff", "filter", "--", name]).stdout).toBe(`"a\\n* filter=evil\\nb.enc.yaml": diff: hush\n"a\\n* filter=evil\\nb.enc.yaml": filter: unspecified\n`);
    expect(git(sb, repo, ["check-attr", "filter", "--", "other.yaml"]).stdout).toBe("other.yaml: filter: unspecified\n");
    // Idempotent: the escaped pattern is recognised as already there.
    expect(hush(sb, ["git", "setup"], { cwd: repo }).stdout).toContain("already set up");
  });

  it("a pattern given on the command line with a control character is refused", () => {
    const repo = createRepo(sb, "given-control");
    const r = hush(sb, ["git", "setup", "*.yaml\n* filter=evil"], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("contains a control character");
    expect(existsSync(join(repo, ".gitattributes"))).toBe(false);
  });
});
