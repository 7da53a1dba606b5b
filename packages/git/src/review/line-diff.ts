import { diffHunks } from "../sequence-merge.ts";

/**
 * A line diff for the one-process review commands: the merge driver's Myers diff, then each run
 * of changed lines slid down as far as equal lines allow (what git's diff does before its indentation heuristic), so that hunks fall where git
 * puts them.
 */

/** For each line of each side: true when it is not matched on the other side. */
export interface LineChanges {
  readonly removed: boolean[];
  readonly added: boolean[];
}

/** Which lines of `a` and `b` a diff shows as removed and added. */
export function diffLines(a: readonly string[], b: readonly string[]): LineChanges {
  const removed = new Array<boolean>(a.length).fill(false);
  const added = new Array<boolean>(b.length).fill(false);
  for (const h of diffHunks(a, b)) {
    for (let i = h.baseStart; i < h.baseEnd; i++) removed[i] = true;
    for (let j = h.sideStart; j < h.sideEnd; j++) added[j] = true;
  }
  slide(a, removed);
  slide(b, added);
  return { removed, added };
}

/** Slides each run of changed lines down while the line after it equals its first line. */
function slide(lines: readonly string[], changed: boolean[]): void {
  let i = 0;
  while (i < lines.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    let start = i;
    let end = i;
    while (end < lines.length && changed[end]) end++;
    while (end < lines.length && !changed[end] && lines[start] === lines[end]) {
      changed[start] = false;
      changed[end] = true;
      start++;
      end++;
      while (end < lines.length && changed[end]) end++;
    }
    i = end;
  }
}
