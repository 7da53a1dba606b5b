import { lineIndex, type KeyPath, type Leaf, type PathSegment } from "@hush/core";

/**
 * Where the conflicting key paths of a merge stand in a document's text, for the conflict
 * markers. Every conflict's lines are found in one pass over the document's leaves: looking each
 * conflict up with a scan of every leaf took time quadratic in the file's keys (a 10,000-key file
 * changed everywhere on both sides took ten seconds to mark, 30,000 keys over three minutes).
 */

/** A 1-based, inclusive range of lines. */
export interface LineRange {
  readonly first: number;
  readonly last: number;
}

/** The leaves that place a path's lines: scalars with a span of their own. */
const placed = (leaf: Leaf): boolean => leaf.kind === "scalar" && leaf.aliased !== true;

/** The last line of a leaf's span. */
function lastLine(lineOf: (offset: number) => number, leaf: Leaf): number {
  return Math.max(lineOf(Math.max(leaf.start, leaf.end - 1)), leaf.line);
}

interface TrieNode {
  readonly children: Map<PathSegment, TrieNode>;
  /** Indexes of the paths that end here. */
  readonly ends: number[];
}

function trieOf(paths: readonly KeyPath[]): TrieNode {
  const root: TrieNode = { children: new Map(), ends: [] };
  paths.forEach((path, i) => {
    let node = root;
    for (const segment of path) {
      let next = node.children.get(segment);
      if (next === undefined) node.children.set(segment, (next = { children: new Map(), ends: [] }));
      node = next;
    }
    node.ends.push(i);
  });
  return root;
}

/**
 * For each path, the lines of every leaf under it (the empty path, a whole YAML stream, spans
 * every document; other paths the first one), or undefined when the document has no leaf there
 * (the key is absent, or holds an empty map or list).
 */
export function pathLineRanges(leaves: readonly Leaf[], text: string, paths: readonly KeyPath[]): Array<LineRange | undefined> {
  const lineOf = lineIndex(text);
  const root = trieOf(paths);
  const first: number[] = paths.map(() => Infinity);
  const last: number[] = paths.map(() => -Infinity);
  const widen = (ends: readonly number[], from: number, to: number): void => {
    for (const i of ends) {
      first[i] = Math.min(first[i]!, from);
      last[i] = Math.max(last[i]!, to);
    }
  };
  for (const leaf of leaves) {
    if (!placed(leaf)) continue;
    const to = lastLine(lineOf, leaf);
    widen(root.ends, leaf.line, to);
    if (leaf.document !== 0) continue;
    let node: TrieNode | undefined = root;
    for (const segment of leaf.path) {
      node = node.children.get(segment);
      if (node === undefined) break;
      widen(node.ends, leaf.line, to);
    }
  }
  return paths.map((_, i) => (first[i] === Infinity ? undefined : { first: first[i]!, last: last[i]! }));
}

/**
 * Where each path that the merged document lacks goes: after the last line of the nearest leaf
 * before the path's first leaf in theirs' order that the merged document still has, else before
 * the merged document's first leaf (or after its last line, when it has none).
 */
export function insertionLines(mergedLeaves: readonly Leaf[], merged: string, theirsLeaves: readonly Leaf[], paths: readonly KeyPath[]): number[] {
  const lineOf = lineIndex(merged);
  // The line of the end offset is one past the last when the text ends with a line break.
  const lineCount = merged === "" ? 0 : lineOf(merged.length) - (merged.endsWith("\n") ? 1 : 0);
  const inFirst = (leaf: Leaf): boolean => placed(leaf) && leaf.document === 0;
  // The line after each path's first leaf in the merged document, by path.
  const after = new Map<string, number>();
  for (const leaf of mergedLeaves) {
    const key = JSON.stringify(leaf.path);
    if (inFirst(leaf) && !after.has(key)) after.set(key, lastLine(lineOf, leaf) + 1);
  }
  const firstMine = mergedLeaves.find(placed);
  const fallback = firstMine === undefined ? lineCount + 1 : firstMine.line;
  const theirs = theirsLeaves.filter(inFirst);
  // before[i]: the insertion line for a path whose first leaf in theirs is theirs[i].
  const before: number[] = [];
  let nearest = fallback;
  for (const leaf of theirs) {
    before.push(nearest);
    nearest = after.get(JSON.stringify(leaf.path)) ?? nearest;
  }
  before.push(nearest);
  const root = trieOf(paths);
  const firstOf: number[] = paths.map(() => theirs.length);
  theirs.forEach((leaf, index) => {
    let node: TrieNode | undefined = root;
    for (const i of node.ends) firstOf[i] = Math.min(firstOf[i]!, index);
    for (const segment of leaf.path) {
      node = node.children.get(segment);
      if (node === undefined) break;
      for (const i of node.ends) firstOf[i] = Math.min(firstOf[i]!, index);
    }
  });
  return firstOf.map((index) => before[index]!);
}
