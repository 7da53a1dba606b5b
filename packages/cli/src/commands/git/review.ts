import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { endWithHush, HushError } from "@hush/core";
import { renderDiffView, renderTooLargeView, rewritePatch, tooLargeSummary, type PatchSide } from "@hush/git";
import { EXIT } from "../../exit-codes.ts";
import { childEnvironment, readFileBounded, setClosedPipeStatus, writeOut, type CliIo } from "../../io.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import { AttributeReader } from "./attribute-reader.ts";
import { gitTakesForBinary } from "./git-binary.ts";
import { ObjectReader } from "../../git-objects.ts";
import { sizeLimit } from "./textconv.ts";
import { gitPathLine, gitProgram } from "../../git-program.ts";

/**
 * `hush git diff|log|show [git arguments]`: what git prints with hush's diff driver, in one
 * process. git runs without textconv and with a random path prefix; each file section whose
 * path has `diff=hush` gets the diff of the two review views (blobs read through one
 * `git cat-file --batch`, rendered here as `hush git textconv` renders them). Options whose
 * output this cannot reproduce (word diffs, colour, other diff algorithms, whitespace rules…) run
 * plain git with the driver instead, so the output is always git's.
 */

export type ReviewCommand = "diff" | "log" | "show";

/**
 * Options that change hunks or their format beyond what the in-process diff writes, or that
 * make git choose what to show by the text the driver would show: the pickaxe (`-S`, `-G`)
 * searches the review views, `--no-index` compares files outside the repository, which the
 * object reader cannot read, `--relative` names files from a subdirectory, where the working
 * tree's file and its attributes were looked up from the top (another file of the same name), and
 * `--graph` puts the graph before every line, where no section of a reviewed file was found: its
 * ciphertext was shown, raw. `--no-textconv` asks for the stored text, which git gives.
 */
const GIT_ONLY = /^(-S|-G|--pickaxe-|--no-index$|--relative(=|$)|--graph$|-c$|--cc$|--combined-all-paths|--dd$|--diff-merges|--remerge-diff|--color(=|$)|--color-words|--word-diff|--word-diff-regex|--color-moved|-W$|--function-context|-w$|-b$|--ignore-|--patience|--histogram|--minimal|--diff-algorithm|--anchored|--textconv|--no-textconv|--ext-diff|--output(=|$)|--src-prefix|--dst-prefix|--no-prefix|--default-prefix|--line-prefix|--break-rewrites|-B|--irreversible-delete|-D$|--binary|--full-index|--abbrev|--stat-graph|--indent-heuristic|--no-indent-heuristic|--output-indicator)/;

function contextOptions(args: readonly string[], config: Map<string, string>): { context: number; interHunkContext: number } {
  let context = Number(config.get("diff.context") ?? 3);
  let interHunkContext = Number(config.get("diff.interhunkcontext") ?? 0);
  for (const a of args) {
    if (a === "--") break;
    const u = /^(?:-U|--unified=)(\d+)$/.exec(a);
    if (u !== null) context = Number(u[1]);
    const ih = /^--inter-hunk-context=(\d+)$/.exec(a);
    if (ih !== null) interHunkContext = Number(ih[1]);
  }
  return { context: Number.isInteger(context) && context >= 0 ? context : 3, interHunkContext: Number.isInteger(interHunkContext) && interHunkContext >= 0 ? interHunkContext : 0 };
}

/**
 * Whether `git diff ARGS` compares two paths of which one is outside the working tree: git then
 * compares the files as `--no-index` does, without saying so. Taken broadly (any two words that
 * are not options, one an existing path outside): a wrong guess only costs the slow path.
 */
function comparesOutside(args: readonly string[], cwd: string, topLevel: string): boolean {
  const end = args.indexOf("--");
  const words = args.filter((a, i) => i !== end && (!a.startsWith("-") || (end !== -1 && i > end)));
  if (words.length !== 2) return false;
  return words.some((w) => {
    const path = resolve(cwd, w);
    const inside = relative(topLevel, path);
    return (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) && existsSync(path);
  });
}

/**
 * Whether git's configuration asks for output the in-process diff does not write: `diff.relative`
 * (paths from the current subdirectory, as `--relative`; `--no-relative` undoes it) or
 * `diff.noprefix` (names without `a/` and `b/`).
 */
function gitOnlyConfig(cwd: string, env: Record<string, string>, options: readonly string[]): boolean {
  const out = spawnSync(gitProgram(env), ["config", "--type=bool", "--get-regexp", "^diff\\.(relative|noprefix)$"], { cwd, env, encoding: "utf8" }).stdout ?? "";
  const set = new Set(out.split("\n").flatMap((l) => (l.endsWith(" true") ? [l.slice(0, l.indexOf(" ")).toLowerCase()] : [])));
  return set.has("diff.noprefix") || (set.has("diff.relative") && !options.includes("--no-relative"));
}

/** 128 + SIGPIPE: what a shell shows for git ended by a reader that went away (`git log -p | head`). */
const CLOSED_PIPE_STATUS = 141;

/**
 * `hush git log -p | head` ends as `git log -p | head` does: with git's 141 (a script under
 * `set -o pipefail` sees the same as with git; a pager git starts itself is not involved, hush
 * runs git without one), and without a word from git. The git that hush reads is stopped with
 * SIGPIPE when hush ends first: left running, it wrote on into hush's closed end and printed
 * "fatal: write failure on 'stdout': Connection reset by peer" under the output.
 */
function endsLikeGitInAPipe(git: ChildProcess): void {
  setClosedPipeStatus(CLOSED_PIPE_STATUS);
  const stop = endWithHush(() => {
    if (git.exitCode === null && git.signalCode === null) git.kill("SIGPIPE");
  });
  git.on("close", stop);
}

/** Runs git as the user asked, with hush's driver (the slow path, for options the fast one does not reproduce). */
function plainGit(io: CliIo, command: ReviewCommand, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const git = spawn(gitProgram(io.env), [command, ...args], { cwd: io.cwd, env: childEnvironment(io.env), stdio: ["ignore", "pipe", "inherit"] });
    endsLikeGitInAPipe(git);
    git.stdout.on("data", (chunk: Buffer) => io.stdout.write(chunk));
    git.on("error", () => resolve(EXIT.generic));
    git.on("close", (code) => resolve(code ?? EXIT.generic));
  });
}

export async function runReview(io: CliIo, command: ReviewCommand, args: readonly string[]): Promise<number> {
  const env = childEnvironment(io.env);
  const options = args.slice(0, args.includes("--") ? args.indexOf("--") : args.length);
  if (options.some((a) => GIT_ONLY.test(a))) return plainGit(io, command, args);
  const top = spawnSync(gitProgram(env), ["rev-parse", "--show-toplevel"], { cwd: io.cwd, env, encoding: "utf8" });
  if (top.error !== undefined) throw new HushError("SPAWN_FAILED", "git is not installed (install git 2.39 or newer)", { located: true });
  if (top.status !== 0) throw new HushError("NOT_A_GIT_REPO", `${io.cwd}: not inside a git working tree`, { located: true });
  const topLevel = gitPathLine(top.stdout);
  if (command === "diff" && comparesOutside(args, io.cwd, topLevel)) return plainGit(io, command, args);
  if (gitOnlyConfig(io.cwd, env, options)) return plainGit(io, command, args);
  const configOut = spawnSync(gitProgram(env), ["config", "--get-regexp", "^diff\\.(context|interhunkcontext)$"], { cwd: io.cwd, env, encoding: "utf8" }).stdout ?? "";
  const config = new Map(configOut.split("\n").filter((l) => l !== "").map((l) => [l.slice(0, l.indexOf(" ")).toLowerCase(), l.slice(l.indexOf(" ") + 1)] as [string, string]));

  const nonce = `hush-${randomBytes(12).toString("hex")}-`;
  const gitArgs = ["--no-pager", command, "--no-textconv", "--no-ext-diff", "--no-color", `--src-prefix=${nonce}a/`, `--dst-prefix=${nonce}b/`, ...args];
  const git = spawn(gitProgram(env), gitArgs, { cwd: io.cwd, env, stdio: ["ignore", "pipe", "inherit"] });
  endsLikeGitInAPipe(git);
  const exited = new Promise<number>((resolve) => {
    git.on("error", () => resolve(EXIT.generic));
    git.on("close", (code) => resolve(code ?? EXIT.generic));
  });
  const objects = new ObjectReader(topLevel, env);
  const attributes = new AttributeReader(topLevel, env);
  const keySources = createKeySourceResolver(io.env);
  const limit = sizeLimit(io);

  const bytesOf = async (side: PatchSide): Promise<Buffer> => {
    if (/^0+$/.test(side.blob)) return Buffer.alloc(0);
    const blob = await objects.blob(side.blob);
    if (blob !== undefined) return blob;
    // `git diff` against the working tree: git names a blob it has not stored; read the file.
    if (command !== "diff") return Buffer.alloc(0);
    const file = join(topLevel, side.path);
    try {
      return readFileBounded(file, { regularFileOnly: true });
    } catch {
      return Buffer.alloc(0);
    }
  };
  const view = async (side: PatchSide | undefined): Promise<Buffer> => {
    if (side === undefined) return Buffer.alloc(0);
    const bytes = await bytesOf(side);
    if (bytes.length > limit) return renderTooLargeView(bytes.length, limit, createHash("sha256").update(bytes).digest("hex"), await tooLargeSummary(bytes, side.path)).output;
    return (await renderDiffView(bytes, { path: side.path, keySources })).output;
  };

  // Lines with their breaks, as latin1 text (one char per byte: every byte passes through as it is).
  async function* withBreaks(): AsyncGenerator<string> {
    let rest = "";
    for await (const chunk of git.stdout.setEncoding("latin1")) {
      const parts = (rest + (chunk as string)).split("\n");
      rest = parts.pop()!;
      for (const p of parts) yield `${p}\n`;
    }
    if (rest !== "") yield rest;
  }
  // `show` of a merge commit and `diff` of an unmerged file print combined diffs, which are not
  // reproduced here: their output is held until git ends, and plain git with the driver runs
  // instead when a reviewed file has one.
  const holdAll = command !== "log";
  let combinedReviewed = false;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0 || combinedReviewed) return;
    const text = pending.join("");
    pending = [];
    await writeOut(io.stdout, Buffer.from(text, "latin1"));
  };
  try {
    await rewritePatch(
      withBreaks(),
      async (text) => {
        if (combinedReviewed) return;
        pending.push(text);
        if (!holdAll && pending.length >= 256) await flush();
      },
      {
        nonce,
        ...contextOptions(options, config),
        reviewed: async (path) => (await attributes.diffAttribute(path)) === "hush",
        view,
        plain: async (side) => {
          // Shown as stored unless git takes it for binary: `-diff`, another driver, or (with no
          // attribute) a NUL byte among its first 8000, git's own test.
          const attribute = await attributes.diffAttribute(side.path);
          if (attribute !== undefined && attribute !== "set") return undefined;
          const bytes = await bytesOf(side);
          return attribute === undefined && gitTakesForBinary(bytes) ? undefined : bytes;
        },
        combined: async (path) => {
          if (holdAll && (await attributes.diffAttribute(path)) === "hush") {
            combinedReviewed = true;
            pending = [];
          }
        },
      },
    );
    await flush();
  } finally {
    objects.close();
    attributes.close();
  }
  if (combinedReviewed) {
    await exited;
    return plainGit(io, command, args);
  }
  return exited;
}
