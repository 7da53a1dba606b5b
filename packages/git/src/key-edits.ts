import { editPlaintext, isHushError, type FileFormat, type KeyPath, type PlainEdit, type TreeMapEntry, type TreeNode } from "@hush/core";
import { treeEquality } from "./tree-merge.ts";

/**
 * Ours with the merge's added, removed and changed keys written in by the format's own text
 * editor, the one `hush set` and `hush unset` use: a key that only theirs added lands in its
 * section (or a new section at the end), and every other line of ours stays as it is. Without
 * this, two branches that both add keys where the line merge cannot place them (both append a
 * section at the end of the file) had the merged file written afresh, its comments lost.
 */

/**
 * Each edit reads the whole text again, several times (to edit, then each candidate to check it):
 * about a microsecond a character for YAML, half that for TOML and INI. Past this many edits, or
 * this many characters edited in all, the merge writes the document afresh instead of spending
 * time quadratic in the file: at 8,000,000 characters a 1 MB YAML file took its 7 edits in 10
 * seconds and an 80 kB one its 100 in as long, for each such file of a merge.
 */
const MAX_KEY_EDITS = 100;
const MAX_CHARACTERS_READ = 1_000_000;

/**
 * Appends to `out` the edits that turn `from` into `to`, whole subtrees where a key is added or
 * its value's kind changes; false when they come to more than `limit`. Comments are no entries of
 * a value tree. `same`: one equality for the whole walk, each subtree hashed once.
 */
function editsBetween(from: TreeNode, to: TreeNode, path: KeyPath, out: PlainEdit[], limit: number, same: (a: TreeNode, b: TreeNode) => boolean): boolean {
  if (same(from, to)) return true;
  if (from.kind !== "map" || to.kind !== "map") {
    out.push({ kind: "set", path, value: to });
    return out.length <= limit;
  }
  const entries = (node: typeof from): Map<string, TreeNode> => new Map(node.entries.filter((e): e is TreeMapEntry => e.kind === "entry").map((e) => [e.key, e.value]));
  const before = entries(from);
  const after = entries(to);
  for (const key of before.keys()) {
    if (!after.has(key)) out.push({ kind: "unset", path: [...path, key] });
  }
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) out.push({ kind: "set", path: [...path, key], value });
    else if (!editsBetween(old, value, [...path, key], out, limit, same)) return false;
  }
  return out.length <= limit;
}

/**
 * `ours` (whose value tree is `oursTree`) edited key by key until it holds `merged`; undefined
 * when an edit would write the document afresh (the caller then tries its other ways), or when
 * there are too many. The caller checks the result against the merged tree like any candidate.
 */
export async function keyEdits(format: FileFormat, ours: string, oursTree: TreeNode, merged: TreeNode): Promise<string | undefined> {
  if (oursTree.kind !== "map" || merged.kind !== "map") return undefined;
  const edits: PlainEdit[] = [];
  const limit = Math.min(MAX_KEY_EDITS, Math.floor(MAX_CHARACTERS_READ / Math.max(1, ours.length)));
  if (!editsBetween(oursTree, merged, [], edits, limit, treeEquality()) || edits.length === 0) return undefined;
  let text = ours;
  for (const edit of edits) {
    try {
      const result = await editPlaintext(text, format, edit);
      if (result.reformatted) return undefined;
      text = result.text;
    } catch (err) {
      // A shape the format's editor refuses (a depth it cannot hold, a multi-document file):
      // not this candidate.
      if (isHushError(err)) return undefined;
      throw err;
    }
  }
  return text;
}
