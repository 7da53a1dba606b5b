import { LOG_FORMAT, parseRawLog, type LoggedCommit } from "@hush/git/report";
import { gitOutput } from "../../git-run.ts";

/**
 * The git processes of `hush audit`: one `git log` for the history of every file asked about
 * and one `git rev-list` for HEAD's first parents (here), and one `git cat-file --batch` for
 * every blob and commit object it needs (`ObjectReader`, ../../git-objects.ts). Never one
 * process per revision. An audit of some paths only asks two more for each round of moves it
 * follows out of them (audit-history.ts).
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The log's options: every commit HEAD reaches, merges diffed against their first parent, each changed file's new blob. */
const RAW_LOG = ["-c", "core.quotePath=false", "log", "-z", "--full-history", "--diff-merges=first-parent", "--no-renames", "--raw", "--no-abbrev", `--format=${LOG_FORMAT}`];

/** The commits that changed the files asked about, in every branch HEAD reaches. */
export interface FileHistory {
  /** Along HEAD's first parents, newest first: a change made on a branch is dated by the merge that brought it (its diff against the first parent). */
  readonly firstParent: readonly LoggedCommit[];
  /** The other commits HEAD reaches that changed a file (on merged branches), in git's order. */
  readonly merged: readonly LoggedCommit[];
  /** Each commit of HEAD's first-parent chain by its place on it, 0 for the oldest. */
  readonly mainLine: MainLine;
}

/** HEAD's first-parent chain: commit → place, 0 for the oldest. */
export type MainLine = ReadonlyMap<string, number>;

/**
 * The commits that changed the files under `pathspecs`, with each changed file's new blob: one
 * `git log --full-history` for every commit HEAD reaches (a version committed in clear on a
 * branch that was merged is in the history as much as one on the main line), and one
 * `git rev-list --first-parent` to tell the main line from the merged branches (unless
 * `mainLine` is given: a second history of the same audit). The main line is ordered by that
 * list, not by commit dates (which the committer chooses). `onStdin`: the pathspecs go to git's
 * standard input (any number of them), but for those holding a line break or a carriage return,
 * which git reads there as the end of a line (a file `a\r` would be `a`): those go on the command
 * line. No pathspec: no commit.
 */
export async function fileHistory(root: string, env: Env, pathspecs: readonly string[], options: { mainLine?: MainLine; onStdin?: boolean } = {}): Promise<FileHistory> {
  if (pathspecs.length === 0) return { firstParent: [], merged: [], mainLine: options.mainLine ?? (await firstParents(root, env)) };
  const log = options.onStdin === true ? logWithStdin(root, env, pathspecs) : gitOutput(root, env, [...RAW_LOG, "HEAD", "--", ...pathspecs]);
  const [out, mainLine] = await Promise.all([log, options.mainLine ?? firstParents(root, env)]);
  const logged = parseRawLog(out);
  const firstParent = logged.filter((c) => mainLine.has(c.commit)).sort((a, b) => mainLine.get(b.commit)! - mainLine.get(a.commit)!);
  return { firstParent, merged: logged.filter((c) => !mainLine.has(c.commit)), mainLine };
}

/**
 * `git log` of `pathspecs` given on its standard input, those that a line of it cannot hold on
 * the command line: with none left for the input, an empty line after `--` is an empty pathspec,
 * which git refuses (the whole audit failed when every file moved in had such a name).
 */
function logWithStdin(root: string, env: Env, pathspecs: readonly string[]): Promise<string> {
  const oneLine = (p: string): boolean => !/[\r\n]/.test(p);
  const lines = pathspecs.filter(oneLine);
  const input = lines.length === 0 ? "HEAD\n" : `HEAD\n--\n${lines.join("\n")}\n`;
  return gitOutput(root, env, [...RAW_LOG, "--stdin", "--", ...pathspecs.filter((p) => !oneLine(p))], input);
}

async function firstParents(root: string, env: Env): Promise<MainLine> {
  // `--` after the revision: without it git refuses to run when the top directory holds a file
  // named HEAD (ambiguous argument), which any branch can commit.
  const chain = (await gitOutput(root, env, ["rev-list", "--first-parent", "HEAD", "--"])).split("\n").filter((c) => c !== "");
  return new Map(chain.map((commit, i) => [commit, chain.length - 1 - i]));
}

/** Every file `commits` changed (merges against their first parent), through one `git log --no-walk`. */
export async function commitChanges(root: string, env: Env, commits: readonly string[]): Promise<LoggedCommit[]> {
  if (commits.length === 0) return [];
  return parseRawLog(await gitOutput(root, env, [...RAW_LOG, "--no-walk=unsorted", "--stdin"], `${commits.join("\n")}\n`));
}
