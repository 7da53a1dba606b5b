import { spawn } from "node:child_process";
import { HushError } from "@hush/core";
import { gitProgram } from "./git-program.ts";
import { childEnvironment } from "./io.ts";

/** Running git for its output, where simple-git's text is not enough (bytes, or no trimming). */

type Env = Readonly<Record<string, string | undefined>>;

/** What a git run gave: its exit status (null when a signal ended it), standard output and error. */
export interface GitRun {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/**
 * Runs git in `cwd` to its end, whatever its status. `input` is git's standard input (patterns
 * for `-f -`, which no command line limits).
 * @throws HushError INVALID_ARGUMENT when git cannot be started
 */
export function runGit(cwd: string, env: Env, args: readonly string[], input?: string): Promise<GitRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(gitProgram(env), [...args], { cwd, env: childEnvironment(env), stdio: ["pipe", "pipe", "pipe"] });
    // git may exit before reading it all (an error): the pipe's error is its exit's to report.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => reject(new HushError("INVALID_ARGUMENT", `cannot run git: ${e.message}`)));
    child.on("close", (code) => resolvePromise({ status: code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
  });
}

/** git's first line of error output, trimmed ("" when it said nothing). */
export function firstErrorLine(run: GitRun): string {
  return run.stderr.toString("utf8").trim().split("\n")[0] ?? "";
}

/**
 * Runs git in `cwd` and returns its standard output as bytes: file names in it are the
 * repository's bytes, which need not be UTF-8. Throws with git's first error line when it fails.
 * `input` is git's standard input (patterns for `-f -`, which no command line limits).
 */
export async function gitBytes(cwd: string, env: Env, args: readonly string[], input?: string): Promise<Buffer> {
  const run = await runGit(cwd, env, args, input);
  if (run.status !== 0) throw new HushError("INVALID_ARGUMENT", `git ${args[0]} failed: ${firstErrorLine(run)}`);
  return run.stdout;
}

/** {@link gitBytes} as UTF-8 text. */
export async function gitOutput(cwd: string, env: Env, args: readonly string[], input?: string): Promise<string> {
  return (await gitBytes(cwd, env, args, input)).toString("utf8");
}
