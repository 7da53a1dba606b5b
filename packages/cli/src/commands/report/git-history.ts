import { LOG_FORMAT, parseRawLog, type LoggedCommit } from "@hush/git/report";
import { gitOutput } from "../../git-run.ts";

/**
 * The two git processes of `hush audit`: one `git log` for the history of every file asked
 * about (here), and one `git cat-file --batch` for every blob and commit object it needs
 * (`ObjectReader`, ../../git-objects.ts). Never one process per revision.
 */

type Env = Readonly<Record<string, string | undefined>>;

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
    // `--` after the revision: without it git refuses to run when the top directory holds a file
    // named HEAD (ambiguous argument), which any branch can commit.
    gitOutput(root, env, ["rev-list", "--first-parent", "HEAD", "--"]),
  ]);
  const position = new Map<string, number>();
  chain.split("\n").forEach((commit, i) => {
    if (commit !== "") position.set(commit, i);
  });
  const logged = parseRawLog(out);
  const firstParent = logged.filter((c) => position.has(c.commit)).sort((a, b) => position.get(a.commit)! - position.get(b.commit)!);
  return { firstParent, merged: logged.filter((c) => !position.has(c.commit)) };
}
