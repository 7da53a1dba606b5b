import { spawn } from "node:child_process";
import { HushError } from "@hush/core";
import { gitProgram } from "./git-program.ts";
import { childEnvironment } from "./io.ts";

/** Running git for its output, where simple-git's text is not enough (bytes, or no trimming). */

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Runs git in `cwd` and returns its standard output as bytes: file names in it are the
 * repository's bytes, which need not be UTF-8. Throws with git's first error line when it fails.
 * `input` is git's standard input (patterns for `-f -`, which no command line limits).
 */
export function gitBytes(cwd: string, env: Env, args: readonly string[], input?: string): Promise<Buffer> {
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
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new HushError("INVALID_ARGUMENT", `git ${args[0]} failed: ${Buffer.concat(err).toString("utf8").trim().split("\n")[0] ?? ""}`));
    });
  });
}

/** {@link gitBytes} as UTF-8 text. */
export async function gitOutput(cwd: string, env: Env, args: readonly string[], input?: string): Promise<string> {
  return (await gitBytes(cwd, env, args, input)).toString("utf8");
}
