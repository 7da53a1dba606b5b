import { checkKeyPath, checkTree } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { KeyPath, PathSegment, TreeMap, TreeNode } from "./values.ts";

/**
 * SOPS's tree-path syntax (`["a"]["b"][0]`, spec 9.7): quoted components are map keys (no escape
 * processing, as in SOPS), bare ones are list indices.
 */
export function parseTreePath(text: string): PathSegment[] {
  if (typeof text !== "string") throw new HushError("INVALID_TREE_PATH", "the tree path must be a string");
  const parts = text.split("[").filter((p) => p !== "");
  if (parts.length === 0) throw new HushError("INVALID_TREE_PATH", "empty tree path (e.g. '[\"key\"][\"sub\"][0]')");
  // Messages never quote the text: a user who swaps arguments must not see a secret echoed. They
  // show the form instead, for the newcomer who types `db.password`.
  const invalid = (i: number): HushError => new HushError("INVALID_TREE_PATH", `invalid tree path: component ${i + 1} is not ["key"] or [index] (e.g. '["key"]["sub"][0]')`);
  return parts.map((part, i) => {
    if (!part.endsWith("]")) throw invalid(i);
    const inner = part.slice(0, -1);
    if (inner.length >= 2 && (inner[0] === '"' || inner[0] === "'") && inner.at(-1) === inner[0]) return inner.slice(1, -1);
    if (/^[0-9]+$/.test(inner)) return Number(inner);
    throw invalid(i);
  });
}

/** The node at `path`, or a KEY_NOT_FOUND error naming the first missing component. */
export function getAtPath(tree: TreeMap, path: KeyPath): TreeNode {
  checkTree(tree, "the tree");
  checkKeyPath(path);
  let node: TreeNode = tree;
  for (const seg of path) {
    if (typeof seg === "string") {
      if (node.kind !== "map") throw new HushError("KEY_NOT_FOUND", `component ["${seg}"] not found`);
      const entry: TreeMap["entries"][number] | undefined = node.entries.find((e) => e.kind === "entry" && e.key === seg);
      if (entry === undefined || entry.kind !== "entry") throw new HushError("KEY_NOT_FOUND", `component ["${seg}"] not found`);
      node = entry.value;
    } else {
      if (node.kind !== "list") throw new HushError("KEY_NOT_FOUND", `component [${seg}] is integer, but tree part is not a list`);
      const items: TreeNode[] = node.items.filter((i) => i.kind !== "comment");
      const item: TreeNode | undefined = items[seg];
      if (item === undefined) throw new HushError("KEY_NOT_FOUND", `component [${seg}] accesses out of bounds`);
      node = item;
    }
  }
  return node;
}

/** The entries of a map, without its comments. */
export function entriesOf(map: TreeMap): Array<Extract<TreeMap["entries"][number], { kind: "entry" }>> {
  return map.entries.filter((e): e is Extract<TreeMap["entries"][number], { kind: "entry" }> => e.kind === "entry");
}

/** The node at `path`, or undefined when some component is missing. */
export function nodeAt(tree: TreeNode, path: KeyPath): TreeNode | undefined {
  checkTree(tree, "the tree");
  checkKeyPath(path);
  let node: TreeNode = tree;
  for (const seg of path) {
    if (typeof seg === "string") {
      if (node.kind !== "map") return undefined;
      const e = entriesOf(node).find((x) => x.key === seg);
      if (e === undefined) return undefined;
      node = e.value;
    } else {
      if (node.kind !== "list") return undefined;
      const items = node.items.filter((i) => i.kind !== "comment");
      const item = items[seg];
      if (item === undefined) return undefined;
      node = item;
    }
  }
  return node;
}

/** A subtree holding `value` at `rest`: maps for keys, one-item lists for indices. */
export function buildPath(rest: readonly PathSegment[], value: TreeNode): TreeNode {
  checkKeyPath(rest);
  checkTree(value, "the value");
  let node = value;
  for (let i = rest.length - 1; i >= 0; i--) {
    const seg = rest[i]!;
    node = typeof seg === "string" ? { kind: "map", entries: [{ kind: "entry", key: seg, value: node }] } : { kind: "list", items: [node] };
  }
  return node;
}

/** True when both paths name the same place. */
export function samePath(a: KeyPath, b: KeyPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** True when `path` is `prefix` or lies under it. */
export function pathStartsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}
