import { realpathSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { leadsOutside, printable, type CreationRule } from "@hush/core";
import { checkFile, type CheckProblem, type FileCheckResult } from "@hush/git";
import { gitOutput } from "../../git-run.ts";
import type { CliIo } from "../../io.ts";
import { MAX_CHECKED_SIZE } from "./check-read.ts";
import { RepoPaths } from "./check-rules.ts";

/**
 * `hush check --base REV`: the covered files of every commit the branch adds (those of HEAD that
 * REV does not have), not only of its tip. A branch merged without squashing brings each of its
 * commits into the base branch's history: a file committed decrypted (`hush decrypt -i`, then
 * `git commit -a`) and encrypted again one commit later stays readable there, though the tip
 * passes. Only what the tip cannot show is read: a file version the tip or REV has at the same
 * path is checked there, or is not the branch's doing.
 */

/** The rule a file (by absolute path) must be encrypted under: the base's, else the branch's. */
export type HistoryRuleFor = (abs: string) => Promise<CreationRule | undefined>;

/** The codes that mean a secret is in clear in a commit. */
const IN_CLEAR = new Set<string>(["not-encrypted", "plaintext-value"]);

/** A regular file's version a commit of the branch wrote. */
interface Written {
  readonly commit: string;
  readonly path: string;
  readonly blob: string;
}

/**
 * Results for file versions that commits of the branch (HEAD, not `rev`) wrote and its tip no
 * longer has, where a covering rule (`ruleFor`) says a secret is in clear: `not-encrypted` and
 * `plaintext-value` errors, each under the path and the commit that wrote it. The earliest commit
 * writing a version is named. Only under `scope` (absolute paths of the files and directories
 * checked at the tip: the working directory, or the paths given).
 */
export async function branchCommitProblems(io: CliIo, rev: string, ruleFor: HistoryRuleFor, scope: readonly string[]): Promise<FileCheckResult[]> {
  const { openRepo, resolveCommit, treeEntries } = await import("./repo.ts");
  const repo = await openRepo(io);
  const base = await resolveCommit(repo, rev);
  if (base === undefined) return [];
  const pathspecs = scopePathspecs(repo.root, scope);
  if (pathspecs !== undefined && pathspecs.length === 0) return [];
  const commits = (await gitOutput(repo.root, repo.env, ["rev-list", "--reverse", "--topo-order", "HEAD", `^${base}`, "--"])).split("\n").filter((c) => c !== "");
  if (commits.length === 0) return [];
  // Each commit against its parent, as raw entries after the commit's line: `:<old mode> <new mode>
  // <old blob> <new blob> <status>` NUL path NUL; a merge's (-c) with one colon and one old mode
  // and blob per parent, for what it has from none of them (a merge's own changes).
  const raw = await gitOutput(repo.root, repo.env, ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", "-c", "--root", "--diff-filter=AMT", "--", ...(pathspecs ?? [])], `${commits.join("\n")}\n`);
  const known = new Set<string>();
  for (const tree of ["HEAD", base]) for (const e of await treeEntries(repo, tree)) if (e.type === "blob") known.add(`${e.path}\0${e.object}`);
  const written: Written[] = [];
  const fields = raw.split("\0");
  let commit = "";
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (!field.startsWith(":")) {
      // A commit's line (`<commit>` or `<commit> (from <parent>)`), or the end.
      commit = /^[0-9a-f]{40,64}/.exec(field)?.[0] ?? commit;
      continue;
    }
    const parents = /^:+/.exec(field)![0].length;
    const parts = field.slice(parents).split(" ");
    const [newMode = "", newBlob = ""] = [parts[parents], parts[2 * parents + 1]];
    const path = fields[++i] ?? "";
    // Regular files only: a link's blob is its target's name, a submodule's entry a commit.
    if (!/^100(?:644|755)$/.test(newMode) || known.has(`${path}\0${newBlob}`)) continue;
    known.add(`${path}\0${newBlob}`);
    written.push({ commit, path, blob: newBlob });
  }
  const covered: Array<Written & { rule: CreationRule | undefined }> = [];
  const unruled: Written[] = [];
  for (const w of written) {
    const rule = await ruleFor(join(repo.root, w.path));
    if (rule !== undefined) covered.push({ ...w, rule });
    else unruled.push(w);
  }
  // A file no rule covers that was encrypted where the branch started must stay encrypted in
  // each of its commits too (check-decrypted.ts).
  const { decryptedOnBranchProblem, encryptedAtStart } = await import("./check-decrypted.ts");
  // By path alone: a path's versions are not known to be in clear until read, and one of them can
  // be the start's encrypted file put back, which would make the start's version look plain.
  const atStart = unruled.length === 0 ? undefined : await encryptedAtStart(repo, rev, base, unruled.map((w) => ({ path: w.path })));
  for (const w of unruled) if (atStart?.paths.has(w.path) === true) covered.push({ ...w, rule: undefined });
  if (covered.length === 0) return [];
  // Sizes first: a version too large to check is not read, as at the tip (a branch can commit a
  // file of gigabytes and delete it in the next commit).
  const { blobSizes, ObjectReader } = await import("../../git-objects.ts");
  const sizes = await blobSizes(repo.root, repo.env, covered.map((w) => w.blob));
  const reader = new ObjectReader(repo.root, repo.env);
  const results: FileCheckResult[] = [];
  try {
    for (const w of covered) {
      // Shown as the tip's files are: from the working directory, else whole.
      const abs = join(repo.root, w.path);
      const display = relative(io.cwd, abs);
      const path = leadsOutside(display) ? abs : display.split(sep).join("/");
      const shown = `${path} (commit ${w.commit.slice(0, 10)})`;
      const size = sizes.get(w.blob);
      const bytes = size === undefined || size > MAX_CHECKED_SIZE ? undefined : await reader.blob(w.blob);
      if (bytes === undefined) {
        // Not checked is not passed: a blob missing here (a partial clone) is no proof either.
        const what = "cannot check this version of the file, from a commit of this branch (its last commit no longer has it)";
        const message =
          size === undefined
            ? `${what}: git cannot read it here; next: fetch the branch's history whole (git fetch --unshallow, or a CI checkout with fetch-depth: 0)`
            : `${what}: larger than ${MAX_CHECKED_SIZE} bytes; merged without squashing, that commit stays in the history; next: rewrite the branch so no commit holds it (git rebase -i ${printable(rev, 200)})`;
        results.push({ path: shown, format: undefined, covered: true, encrypted: false, problems: [{ severity: "error", code: "unreadable", message }] });
        continue;
      }
      // Checked under its own name, which gives the format; shown with the commit's.
      const checked = await checkFile({ path, text: bytes.toString("utf8"), creationRule: w.rule });
      const inClear = checked.problems.filter((p) => p.severity === "error" && IN_CLEAR.has(p.code));
      // Held to being encrypted by where the branch started, not by a rule.
      if (w.rule === undefined && atStart?.start !== undefined && !checked.encrypted) inClear.push(decryptedOnBranchProblem(atStart.start));
      const problems = inClear.map((p) => inHistory(p, rev));
      if (problems.length > 0) results.push({ ...checked, path: shown, problems });
    }
  } finally {
    reader.close();
  }
  return results;
}

/**
 * The pathspecs (from the top, literal) of the files and directories `scope` names (absolute
 * paths: those checked at the tip), none for the whole repository (undefined), leaving out those
 * outside it.
 */
function scopePathspecs(root: string, scope: readonly string[]): string[] | undefined {
  const repoPaths = new RepoPaths(root);
  const realRoot = realOrSelf(root);
  const specs: string[] = [];
  for (const abs of scope) {
    if (realOrSelf(abs) === realRoot) return undefined;
    const path = repoPaths.of(abs);
    if (path !== undefined) specs.push(`:(top,literal)${path}`);
  }
  return specs;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** A finding about a commit of the branch: what to do is rewrite the branch, not the file. */
function inHistory(problem: CheckProblem, rev: string): CheckProblem {
  const what = problem.message.replace(/; next: [\s\S]*$/, "");
  return {
    ...problem,
    message: `${what}, in a commit of this branch (its last commit no longer has it): merged without squashing, that commit keeps it in the history; next: rewrite the branch so no commit holds it (git rebase -i ${printable(rev, 200)}), and change the secrets it holds if the branch was pushed`,
  };
}
