import { HushError, printable } from "@hush/core";
import type { Repo } from "./repo.ts";

/**
 * Where a branch started, for `hush check --base REV`: the merge base of HEAD and REV. What the
 * branch did to a file is judged against that commit, never against REV's tip: a file the base
 * branch changed since (encrypted, re-keyed) is not the branch's doing.
 */

/** The start commits this run found, by repository and base commit. */
const starts = new WeakMap<Repo, Map<string, Promise<string>>>();

/**
 * The merge base of HEAD and `base` (a commit's full name; `rev` names it in messages), once per
 * run: the tip's check and the branch's commits both ask.
 * @throws HushError INVALID_ARGUMENT when HEAD and `base` have no common commit (a shallow clone)
 */
export function branchStart(repo: Repo, rev: string, base: string): Promise<string> {
  let byBase = starts.get(repo);
  if (byBase === undefined) starts.set(repo, (byBase = new Map()));
  let start = byBase.get(base);
  if (start === undefined) byBase.set(base, (start = findStart(repo, rev, base)));
  return start;
}

async function findStart(repo: Repo, rev: string, base: string): Promise<string> {
  let start = "";
  try {
    start = (await repo.git.raw(["merge-base", "HEAD", base])).trim();
  } catch {
    // No common commit (git exits 1): below.
  }
  if (!/^[0-9a-f]{40,64}$/.test(start)) {
    // A shallow clone, as CI checkouts often are: passing would hide every finding that needs it.
    const name = printable(rev, 200);
    throw new HushError(
      "INVALID_ARGUMENT",
      `--base ${name}: HEAD and ${name} have no commit in common here, so what the branch did since it started (copied files, files put back, relabelled values) cannot be checked`,
      { details: ["next: fetch the history (git fetch --unshallow, or a CI checkout with fetch-depth: 0)"] },
    );
  }
  return start;
}
