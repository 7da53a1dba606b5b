import { findProgramOnPath, HushError } from "@hush/core";

/**
 * The `git` hush runs (review, check, audit, setup): found in PATH's absolute directories only,
 * as every program hush starts is. An empty or relative PATH entry means the working directory,
 * which in a cloned repository holds the repository's own files, and a `git` planted there would
 * run on a plain `hush check` or `git diff`.
 * @throws HushError SPAWN_FAILED when no git is found there
 */
export function gitProgram(env: Readonly<Record<string, string | undefined>>): string {
  const found = findProgramOnPath("git", env);
  if (found === undefined) throw new HushError("SPAWN_FAILED", "git: not found in PATH's absolute directories (install git, or put the directory that holds it in PATH)");
  return found;
}

/**
 * A path git printed on a line of its own (`rev-parse --show-toplevel`, `--git-path`): the
 * output without its final line break, and nothing else removed. A directory's name may end in
 * a blank or a line break (a shipped repository names its own), and trimmed, the path would
 * name another directory beside it, whose files hush would then check or write.
 */
export function gitPathLine(output: string): string {
  return output.endsWith("\n") ? output.slice(0, -1) : output;
}
