import { isUtf8 } from "node:buffer";
import { HushError } from "@hush/core";
import type { SimpleGit } from "simple-git";
import { childEnvironment, type CliIo } from "../../io.ts";
import { gitPathLine, gitProgram } from "../../git-program.ts";
import { gitBytes } from "../../git-run.ts";

/**
 * The repository the CLI works in, through simple-git (loaded only by the git commands that
 * need a repository: setup, uninstall, resolve and `check --staged`).
 */
export interface Repo {
  readonly git: SimpleGit;
  /** Absolute path of the working tree's top directory. */
  readonly root: string;
  /** The environment git runs with. */
  readonly env: Readonly<Record<string, string>>;
}

/** The repositories this run opened, by its io and directory: `hush check` asks from several places. */
const opened = new WeakMap<CliIo, Map<string, Promise<Repo>>>();

/**
 * Opens the repository around `cwd`; a clear error when there is none. Once per run and
 * directory: each opening costs a `git rev-parse`, and the pre-commit hook runs on every commit.
 */
export function openRepo(io: CliIo, cwd = io.cwd): Promise<Repo> {
  let byDir = opened.get(io);
  if (byDir === undefined) opened.set(io, (byDir = new Map()));
  let repo = byDir.get(cwd);
  if (repo === undefined) byDir.set(cwd, (repo = openRepoNow(io, cwd)));
  return repo;
}

async function openRepoNow(io: CliIo, cwd: string): Promise<Repo> {
  const { simpleGit } = await import("simple-git");
  const env = childEnvironment(io.env);
  const git = simpleGit({ baseDir: cwd, binary: gitProgram(env) }).env(env);
  let root: string;
  try {
    // Not simple-git's revparse, which trims the path.
    root = gitPathLine(await git.raw(["rev-parse", "--show-toplevel"]));
  } catch {
    throw new HushError("NOT_A_GIT_REPO", `${cwd}: not inside a git working tree (run \`git init\` first)`, { located: true });
  }
  return { git: simpleGit({ baseDir: root, binary: gitProgram(env) }).env(env), root, env };
}

/** Paths git lists, relative to the repository's root. */
export interface ListedFiles {
  readonly paths: readonly string[];
  /**
   * Those of `paths` whose name is not UTF-8 (a repository's names are bytes): hush names files
   * by UTF-8 text, so such a path is shown with U+FFFD in place of the bytes and names no file
   * hush can open. A caller must not take it for a deleted file.
   */
  readonly notUtf8: ReadonlySet<string>;
}

/** `git ls-files -z` with the given options ({@link ListedFiles}). */
export async function listFiles(repo: Repo, args: readonly string[]): Promise<ListedFiles> {
  const out = await gitBytes(repo.root, repo.env, ["ls-files", "-z", ...args]);
  const paths = new Set<string>();
  const notUtf8 = new Set<string>();
  for (let start = 0; start < out.length; ) {
    let end = out.indexOf(0, start);
    if (end === -1) end = out.length;
    const name = out.subarray(start, end);
    start = end + 1;
    if (name.length === 0) continue;
    const path = name.toString("utf8");
    paths.add(path);
    if (!isUtf8(name)) notUtf8.add(path);
  }
  return { paths: [...paths], notUtf8 };
}

/** A value of the repository's own config by key (case-insensitive section and variable), or undefined. */
export type LocalConfig = (key: string) => string | undefined;

/**
 * The repository's own config (not global), read once with one `git config --local --list -z`:
 * a caller that needs several keys asks this one snapshot (the pre-commit hook runs on every
 * commit). Read from the full list because `git config --get` exits 1 for a missing key, which
 * simple-git does not report as an error. Empty when git cannot read it.
 */
export async function readLocalConfig(repo: Repo): Promise<LocalConfig> {
  let out: string;
  try {
    out = await repo.git.raw(["config", "--local", "--list", "-z"]);
  } catch {
    out = "";
  }
  const values = new Map<string, string>();
  for (const item of out.split("\0")) {
    if (item === "") continue;
    const nl = item.indexOf("\n");
    // Section and variable names are case-insensitive; the last occurrence wins, as in git.
    values.set((nl === -1 ? item : item.slice(0, nl)).toLowerCase(), nl === -1 ? "" : item.slice(nl + 1));
  }
  return (key) => values.get(key.toLowerCase());
}

/** The commits this run resolved, by repository and revision: `hush check --base` needs its base in two places. */
const resolvedCommits = new WeakMap<Repo, Map<string, Promise<string | undefined>>>();

/**
 * The commit `rev` names (its full hex object name), or undefined when it names none. Once per
 * run and revision.
 */
export function resolveCommit(repo: Repo, rev: string): Promise<string | undefined> {
  let byRev = resolvedCommits.get(repo);
  if (byRev === undefined) resolvedCommits.set(repo, (byRev = new Map()));
  let commit = byRev.get(rev);
  if (commit === undefined) {
    // --end-of-options: a revision that starts with "-" is a name, never an option.
    commit = repo.git.raw(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]).then(
      (out) => (/^[0-9a-f]{40,64}$/.test(out.trim()) ? out.trim() : undefined),
      () => undefined,
    );
    byRev.set(rev, commit);
  }
  return commit;
}

/** An entry of a commit's tree: its type (`blob` for files and symbolic links), object name and path from the top. */
export interface TreeEntry {
  readonly type: string;
  readonly object: string;
  readonly path: string;
}

/**
 * Every entry of `commit`'s tree, recursively, with one `git ls-tree -r -z` (NUL-separated: a
 * name may hold a newline).
 */
export async function treeEntries(repo: Repo, commit: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  for (const line of (await repo.git.raw(["ls-tree", "-r", "-z", "--full-tree", commit])).split("\0")) {
    const m = /^\d+ (\S+) ([0-9a-f]{40,64})\t([\s\S]+)$/.exec(line);
    if (m !== null) out.push({ type: m[1]!, object: m[2]!, path: m[3]! });
  }
  return out;
}

/** Bytes of a blob (by object name, e.g. `:2:path` or a sha). */
export async function readBlob(repo: Repo, object: string): Promise<Buffer> {
  return repo.git.binaryCatFile(["blob", object]);
}
