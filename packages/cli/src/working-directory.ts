import { HushError } from "@hush/core";

/**
 * The working directory, and what hush says when it has none. A directory removed under a running
 * service (a release directory replaced by a deploy, a container's emptied work dir) has no name
 * any more: `hush decrypt /abs/file` still works, and a command that needs the directory says so
 * in one line instead of ending with Node's stack trace.
 */

/**
 * The working directory, asked for when a command needs it.
 * @throws HushError READ_FAILED when it cannot be read (see {@link workingDirectoryError})
 */
export function workingDirectory(): string {
  try {
    return process.cwd();
  } catch (err) {
    throw workingDirectoryError(err);
  }
}

/**
 * The one-line error for `err`, Node's error from reading the working directory: also what a
 * relative path resolved by Node itself (`path.resolve("out.yaml")`, which asks for the directory
 * on its own) throws, so that `--output out.yaml` or `keygen -o key.txt` in a removed directory
 * say the same as every other command there.
 */
export function workingDirectoryError(err: unknown): HushError {
  const code = (err as { code?: string }).code ?? "error";
  return new HushError("READ_FAILED", `the working directory cannot be read (${code}: it was removed, or you may not enter it)`, {
    hint: "cd to a directory that exists, or name every file by its absolute path",
  });
}

/** Whether `err` is Node's error from reading the working directory (its `uv_cwd` call). */
export function isWorkingDirectoryFailure(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { syscall?: unknown }).syscall === "uv_cwd";
}
