import { spawn } from "node:child_process";
import { HushError } from "@hush/core";
import { BatchReader, LOG_FORMAT, parseRawLog, type BatchObject, type LoggedCommit } from "@hush/git/report";
import { gitProgram } from "../../git-program.ts";

/**
 * The two git processes of `hush audit`: one `git log` for the history of every file asked
 * about, and one `git cat-file --batch` for every blob and commit object it needs, fed object
 * names (hex hashes only) on its standard input. Never one process per revision.
 */

type Env = Readonly<Record<string, string | undefined>>;

function childEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs git and returns its standard output; throws with its message when it fails. */
export function gitOutput(root: string, env: Env, args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(gitProgram(env), [...args], { cwd: root, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new HushError("INVALID_ARGUMENT", `cannot run git: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString("utf8"));
      else reject(new HushError("INVALID_ARGUMENT", `git ${args[0]} failed: ${Buffer.concat(err).toString("utf8").trim().split("\n")[0] ?? ""}`));
    });
  });
}

/** The commits that changed the files asked about, in every branch HEAD reaches. */
export interface FileHistory {
  /** Along HEAD's first parents, newest first: a change made on a branch is dated by the merge that brought it (its diff against the first parent). */
  readonly firstParent: readonly LoggedCommit[];
  /** The other commits HEAD reaches that changed a file (on merged branches), in git's order. */
  readonly merged: readonly LoggedCommit[];
}

/**
 * The commits that changed the files under `pathspecs`, with each changed file's new blob: one
 * `git log --full-history` for every commit HEAD reaches (a version committed in clear on a
 * branch that was merged is in the history as much as one on the main line), and one
 * `git rev-list --first-parent` to tell the main line from the merged branches. The main line
 * is ordered by that list, not by commit dates (which the committer chooses).
 */
export async function fileHistory(root: string, env: Env, pathspecs: readonly string[]): Promise<FileHistory> {
  const [out, chain] = await Promise.all([
    gitOutput(root, env, ["-c", "core.quotePath=false", "log", "-z", "--full-history", "--diff-merges=first-parent", "--no-renames", "--raw", "--no-abbrev", `--format=${LOG_FORMAT}`, "HEAD", "--", ...pathspecs]),
    gitOutput(root, env, ["rev-list", "--first-parent", "HEAD"]),
  ]);
  const position = new Map<string, number>();
  chain.split("\n").forEach((commit, i) => {
    if (commit !== "") position.set(commit, i);
  });
  const logged = parseRawLog(out);
  const firstParent = logged.filter((c) => position.has(c.commit)).sort((a, b) => position.get(a.commit)! - position.get(b.commit)!);
  return { firstParent, merged: logged.filter((c) => !position.has(c.commit)) };
}

/** One `git cat-file --batch` process, asked for objects in rounds. */
export class ObjectReader {
  readonly #child;
  readonly #reader: BatchReader;
  #waiting: Array<(object: BatchObject) => void> = [];
  #failure: Error | undefined;

  constructor(root: string, env: Env) {
    this.#child = spawn(gitProgram(env), ["cat-file", "--batch"], { cwd: root, env: childEnv(env), stdio: ["pipe", "pipe", "ignore"] });
    this.#reader = new BatchReader((object) => this.#waiting.shift()?.(object));
    this.#child.stdout.on("data", (chunk: Buffer) => {
      try {
        this.#reader.push(chunk);
      } catch (err) {
        this.#fail(err as Error);
      }
    });
    this.#child.on("error", (e) => this.#fail(e));
    this.#child.on("close", () => this.#fail(new Error("git cat-file ended early")));
    // Errors on stdin show up as the process ending.
    this.#child.stdin.on("error", () => undefined);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w({ name: "", missing: true });
  }

  /**
   * Reads `names` (hex object names) and calls `each` for every object in order, as it arrives,
   * so that contents need not all be held at once.
   */
  async read(names: readonly string[], each: (object: BatchObject, index: number) => void): Promise<void> {
    if (names.length === 0) return;
    await new Promise<void>((resolvePromise, reject) => {
      let left = names.length;
      names.forEach((_, i) =>
        this.#waiting.push((object) => {
          if (this.#failure !== undefined) {
            reject(new HushError("INVALID_ARGUMENT", `cannot read git objects: ${this.#failure.message}`));
            return;
          }
          each(object, i);
          if (--left === 0) resolvePromise();
        }),
      );
      if (this.#failure !== undefined) this.#fail(this.#failure);
      else this.#child.stdin.write(`${names.join("\n")}\n`);
    });
  }

  /** Ends the process. */
  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}
