import { readMetadata, type FileFormat, type FileMetadata } from "@hush/core";
import { retypedValues, type CheckProblem } from "@hush/git";
import { ObjectReader } from "../../git-objects.ts";
import type { CliIo } from "../../io.ts";
import { RepoPaths } from "./check-rules.ts";

/**
 * `hush check --base REV`: what a branch did to encrypted files since it started (the merge base
 * of HEAD and REV) that only the earlier version shows, without a key:
 * - `rolled-back`: the file put back to an older version. Restoring an old blob needs no key, and
 *   it brings back that version's data key, which a recipient removed since (with a fresh data
 *   key, as `hush updatekeys` and `hush rotate --rm-*` draw) still holds: every value added to the
 *   file afterwards would be theirs to read. Only the metadata tells: `lastmodified`, which the
 *   MAC binds (no one can set it without the data key), earlier than where the branch started,
 *   and key entries that are not the ones there. Reverting a value's change (`git revert`) keeps
 *   the key entries, and is not reported.
 * - `retyped-value`: a value's ciphertext kept under another type label, at another depth of
 *   lists or in another YAML document (retyped-values.ts in the git package).
 */

/** A covered encrypted file as the branch has it. */
export interface BranchFile {
  readonly abs: string;
  readonly format: FileFormat;
  readonly text: string;
}

async function metadataOf(text: string, format: FileFormat): Promise<FileMetadata | undefined> {
  try {
    return await readMetadata(text, format);
  } catch {
    // The branch's file is checked on its own; an unreadable old version says nothing here.
    return undefined;
  }
}

/**
 * The `rolled-back` (a warning; an error with `strict`) and `retyped-value` problems of each file
 * in `files` against its version at the merge base of HEAD and `rev`, by absolute path. Nothing
 * when there is no common commit or no such file.
 */
export async function sinceStartProblems(io: CliIo, rev: string, files: readonly BranchFile[], strict: boolean): Promise<Map<string, CheckProblem[]>> {
  const found = new Map<string, CheckProblem[]>();
  if (files.length === 0) return found;
  const { openRepo, resolveCommit, treeEntries } = await import("./repo.ts");
  const repo = await openRepo(io);
  const base = await resolveCommit(repo, rev);
  if (base === undefined) return found;
  let start: string;
  try {
    start = (await repo.git.raw(["merge-base", "HEAD", base])).trim();
  } catch {
    return found;
  }
  if (!/^[0-9a-f]{40,64}$/.test(start)) return found;
  // Every blob of the start commit by path.
  const blobAt = new Map<string, string>();
  for (const entry of await treeEntries(repo, start)) if (entry.type === "blob") blobAt.set(entry.path, entry.object);
  const repoPaths = new RepoPaths(repo.root);
  const wanted = files.flatMap((file) => {
    const path = repoPaths.of(file.abs);
    const blob = path === undefined ? undefined : blobAt.get(path);
    return blob === undefined ? [] : [{ file, blob }];
  });
  const reader = new ObjectReader(repo.root, repo.env);
  const before = new Map<string, string>();
  try {
    await reader.read(
      wanted.map((w) => w.blob),
      (object, i) => {
        if ("content" in object && object.type === "blob") before.set(wanted[i]!.file.abs, object.content.toString("utf8"));
      },
    );
  } finally {
    reader.close();
  }
  const short = start.slice(0, 10);
  for (const { file } of wanted) {
    const earlier = before.get(file.abs);
    // A file the branch did not change has nothing to report, and most of a branch's files are.
    if (earlier === undefined || earlier === file.text) continue;
    const problems = await retypedValues(file.format, file.text, earlier, short);
    const rolledBack = await rollback(file, earlier, short, strict);
    if (rolledBack !== undefined) problems.push(rolledBack);
    if (problems.length > 0) found.set(file.abs, problems);
  }
  return found;
}

async function rollback(file: BranchFile, earlier: string, short: string, strict: boolean): Promise<CheckProblem | undefined> {
  const [now, then] = [await metadataOf(file.text, file.format), await metadataOf(earlier, file.format)];
  if (now === undefined || then === undefined) return undefined;
  const [nowTime, thenTime] = [Date.parse(now.lastModified), Date.parse(then.lastModified)];
  if (!(nowTime < thenTime) || JSON.stringify(now.keyGroups) === JSON.stringify(then.keyGroups)) return undefined;
  return {
    severity: strict ? "error" : "warning",
    code: "rolled-back",
    message: `an older version of the file is back: lastmodified ${now.lastModified} is before ${then.lastModified}, which it had where this branch started (${short}), and its key entries are not those; its data key may be one a recipient removed since still holds. Make the change with hush edit or hush rotate instead of restoring an old version`,
  };
}
