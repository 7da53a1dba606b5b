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
