import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";
import { DRIVER, DRIVER_ATTRIBUTES, driverOverrideProblem, hasManagedBlock, parseCheckAttr, readDriverCommand, routedToHush, type CheckProblem, type FileCheckResult } from "@hush/git";
import { printable } from "@hush/core";
import { childEnvironment, readFileBounded, type CliIo } from "../../io.ts";
import { RepoPaths } from "./check-rules.ts";
import { openRepo, readLocalConfig, type Repo } from "./repo.ts";
import { gitProgram } from "../../git-program.ts";

/**
 * `hush check`'s driver checks: files git's attributes hand to hush's drivers must be encrypted;
 * when `hush git setup` set up the drivers (the root `.gitattributes` has hush's block), every
 * covered encrypted file must still get `diff=hush` and `merge=hush`; the driver commands in the
 * local config must still run. One `git check-attr` process answers for all files.
 */

/** `git check-attr --stdin -z diff merge` for `paths` (relative to the root), or undefined when git fails. */
function checkAttr(io: CliIo, repo: Repo, paths: readonly string[], staged: boolean): Promise<string | undefined> {
  const env = childEnvironment(io.env);
  return new Promise((resolve) => {
    const child = spawn(gitProgram(env), ["check-attr", ...(staged ? ["--cached"] : []), "--stdin", "-z", ...DRIVER_ATTRIBUTES], { cwd: repo.root, env, stdio: ["pipe", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.once("error", () => resolve(undefined));
    child.once("close", (code) => resolve(code === 0 ? Buffer.concat(chunks).toString("utf8") : undefined));
    child.stdin.on("error", () => undefined);
    child.stdin.end(paths.map((p) => `${p}\0`).join(""));
  });
}

/** The attribute files that can apply to `path`, nearest first, that exist in the working tree. */
function attributeFiles(root: string, path: string): string[] {
  const out: string[] = [];
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    const file = dir === "." ? ".gitattributes" : `${dir}/.gitattributes`;
    if (existsSync(join(root, file))) out.push(file);
    if (dir === "." || dir === "/") break;
  }
  if (existsSync(join(root, ".git", "info", "attributes"))) out.push(".git/info/attributes");
  return out;
}

/** A staged file's bytes by its path from the repository root, or undefined when it is not in the index. */
export type StagedReader = (path: string) => Promise<Buffer | undefined>;

/**
 * The root `.gitattributes` as git reads it: staged, through `readStaged` (the check's reader of
 * staged files, so no other git process starts), else from the working tree. git does not follow
 * an in-tree `.gitattributes` that is a symbolic link (a branch can commit one to `/dev/zero`),
 * so neither does this.
 */
async function rootAttributes(repo: Repo, readStaged: StagedReader | undefined): Promise<string> {
  if (readStaged !== undefined) return (await readStaged(".gitattributes"))?.toString("utf8") ?? "";
  try {
    return readFileBounded(join(repo.root, ".gitattributes"), { regularFileOnly: true }).toString("utf8");
  } catch {
    return "";
  }
}

/** `files` (absolute paths) by their path relative to the repository's root; files outside it are left out. */
function byRepoPath(repo: Repo, files: readonly string[]): Map<string, string> {
  const byRel = new Map<string, string>();
  // The directory is resolved (the working directory may be reached through a link), the name
  // is not: git gives a committed link the attributes of its own path.
  const repoPaths = new RepoPaths(repo.root);
  for (const abs of files) {
    const rel = repoPaths.of(abs);
    if (rel !== undefined) byRel.set(rel, abs);
  }
  return byRel;
}

/**
 * git's `diff` and `merge` attributes of the files `hush check` looks at, read with one
 * `git check-attr` for all of them: the routing check and the driver check both need them, and
 * the pre-commit hook runs on every commit.
 */
export interface DriverAttributes {
  readonly repo: Repo;
  /** Absolute path by path relative to the repository's root (files outside it are left out). */
  readonly byRel: ReadonlyMap<string, string>;
  /** git's answer: attribute → value by path relative to the root. */
  readonly attrs: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/**
 * The {@link DriverAttributes} of `files` (absolute paths; staged: as in the index), or undefined
 * outside a repository, when no file is inside it, or when git cannot answer.
 */
export async function readDriverAttributes(io: CliIo, files: readonly string[], staged: boolean): Promise<DriverAttributes | undefined> {
  if (files.length === 0) return undefined;
  let repo: Repo;
  try {
    repo = await openRepo(io);
  } catch {
    return undefined;
  }
  const byRel = byRepoPath(repo, files);
  const output = byRel.size === 0 ? undefined : await checkAttr(io, repo, [...byRel.keys()], staged);
  return output === undefined ? undefined : { repo, byRel, attrs: parseCheckAttr(output) };
}

/**
 * The files among `files` (absolute paths) that git's attributes hand to hush's diff or merge
 * driver, with their `diff` and `merge` values: `hush check` holds them to be encrypted even when
 * no creation rule covers them. Empty when the attributes could not be read.
 */
export function filesRoutedToHush(attributes: DriverAttributes | undefined, files: readonly string[]): Map<string, ReadonlyMap<string, string>> {
  const routed = new Map<string, ReadonlyMap<string, string>>();
  if (attributes === undefined) return routed;
  const wanted = new Set(files);
  for (const [rel, attrs] of attributes.attrs) {
    const abs = attributes.byRel.get(rel);
    if (abs !== undefined && wanted.has(abs) && routedToHush(attrs)) routed.set(abs, attrs);
  }
  return routed;
}

/** The trusted revision (`--base`) and whether the branch took hush's block out (`BaseRevision.setUp`). */
export interface SetUpAt {
  readonly rev: string;
  setUp(): Promise<boolean>;
}

/**
 * `drivers-overridden` findings by absolute path for `files` (absolute paths of covered encrypted
 * files). Empty when the attributes could not be read or hush's block is not in the root
 * `.gitattributes` (the staged one when `readStaged` is given), unless `setUpAt` names the
 * trusted revision (`--base`) and its `setUp` says the branch took the block out: a branch that
 * takes the whole block out must not make the check go quiet.
 */
export async function driverProblems(
  attributes: DriverAttributes | undefined,
  files: readonly string[],
  readStaged: StagedReader | undefined,
  setUpAt?: SetUpAt,
): Promise<Map<string, CheckProblem>> {
  const found = new Map<string, CheckProblem>();
  if (attributes === undefined || files.length === 0) return found;
  const { repo, byRel, attrs } = attributes;
  const blockHere = hasManagedBlock(await rootAttributes(repo, readStaged));
  if (!blockHere && (setUpAt === undefined || !(await setUpAt.setUp()))) return found;
  const removed = blockHere ? "" : ` (this branch took out the block \`hush git setup\` wrote in the root .gitattributes, which ${printable(setUpAt!.rev, 200)} has: put it back, or run \`hush git setup\`)`;
  const wanted = new Set(files);
  for (const [rel, abs] of byRel) {
    if (!wanted.has(abs)) continue;
    const problem = driverOverrideProblem(attrs.get(rel), attributeFiles(repo.root, rel));
    if (problem !== undefined) found.set(abs, { ...problem, message: `${problem.message}${removed}` });
  }
  return found;
}

/**
 * A finding when the drivers `hush git setup` configured run a program by absolute path that no
 * longer exists: setup writes the absolute path of the running hush (GUIs and IDEs run git
 * without the shell's PATH), so moving or reinstalling hush or node breaks `git diff` and merges
 * until setup runs again. Empty outside a repository or when the drivers are not set up.
 */
export async function driverCommandProblems(io: CliIo): Promise<FileCheckResult[]> {
  let repo: Repo;
  try {
    repo = await openRepo(io);
  } catch {
    return [];
  }
  const config = await readLocalConfig(repo);
  const drivers = [
    { key: `diff.${DRIVER}.textconv`, kind: "textconv" as const },
    { key: `merge.${DRIVER}.driver`, kind: "merge" as const },
  ];
  for (const { key, kind } of drivers) {
    const command = config(key);
    if (command === undefined) continue;
    const driver = readDriverCommand(kind, command);
    const missing = driver.programs.find((w) => isAbsolute(w) && !existsSync(w));
    if (missing !== undefined) {
      const problem: CheckProblem = {
        severity: "error",
        code: "driver-command-missing",
        message: `git config ${key} runs a program that no longer exists (${printable(missing, 512)}; hush or node was moved or reinstalled), so git diff and merges of encrypted files fail: run \`hush git setup\` again (add --hook if you use the pre-commit hook)`,
      };
      return [{ path: ".git/config", format: undefined, covered: false, encrypted: false, problems: [problem] }];
    }
    if (OUTDATED_DRIVER.test(command)) {
      const problem: CheckProblem = {
        severity: "warning",
        code: "driver-command-outdated",
        message: `git config ${key} passes file names without \`--\` before them (written by an older hush), so a file whose name starts with - is read as an option in diffs and merges: run \`hush git setup\` again`,
      };
      return [{ path: ".git/config", format: undefined, covered: false, encrypted: false, problems: [problem] }];
    }
    if (kind === "merge" && !driver.guarded && driver.programs.some((w) => isAbsolute(w))) {
      const problem: CheckProblem = {
        severity: "warning",
        code: "driver-command-outdated",
        message: `git config ${key} does not check that hush is still there (written by an older hush), so once hush or node moves a merge leaves your side of an encrypted file alone, without conflict markers, for \`git add\` to take: run \`hush git setup\` again`,
      };
      return [{ path: ".git/config", format: undefined, covered: false, encrypted: false, problems: [problem] }];
    }
  }
  if (config(`merge.${DRIVER}.driver`) !== undefined && config(`merge.${DRIVER}.recursive`) === undefined) {
    const problem: CheckProblem = {
      severity: "warning",
      code: "driver-command-outdated",
      message: `git config merge.${DRIVER}.recursive is not set (an older hush's setup), so a merge of branches with several merge bases merges those with the driver first, and where they conflict every difference conflicts: run \`hush git setup\` again`,
    };
    return [{ path: ".git/config", format: undefined, covered: false, encrypted: false, problems: [problem] }];
  }
  return [];
}

/** The driver commands an older `hush git setup` wrote: file names right after the subcommand. */
const OUTDATED_DRIVER = /\bgit textconv\s*$|\bgit merge %O\b/;
