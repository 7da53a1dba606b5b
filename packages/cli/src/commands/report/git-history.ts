import { spawn } from "node:child_process";
import { HushError } from "@hush/core";
import { LOG_FORMAT, parseRawLog, type LoggedCommit } from "@hush/git/report";
import { gitEnvironment, gitProgram } from "../../git-program.ts";

/**
 * The two git processes of `hush audit`: one `git log` for the history of every file asked
 * about (here), and one `git cat-file --batch` for every blob and commit object it needs
 * (`ObjectReader`, ../../git-objects.ts). Never one process per revision.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Runs git and returns its standard output; throws with its message when it fails. */
export function gitOutput(root: string, env: Env, args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(gitProgram(env), [...args], { cwd: root, env: gitEnvironment(env), stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * The commits (along first parents, newest first) that changed the files under `pathspecs`, with
 * each changed file's new blob. A change made on a branch is dated by the merge that brought it.
 */
export async function fileHistory(root: string, env: Env, pathspecs: readonly string[]): Promise<LoggedCommit[]> {
  const out = await gitOutput(root, env, ["-c", "core.quotePath=false", "log", "-z", "--first-parent", "--no-renames", "--raw", "--no-abbrev", `--format=${LOG_FORMAT}`, "HEAD", "--", ...pathspecs]);
  return parseRawLog(out);
}
