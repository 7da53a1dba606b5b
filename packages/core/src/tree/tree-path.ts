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
  if (parts.length === 0) throw new HushError("INVALID_TREE_PATH", "empty tree path");
  // Messages never quote the text: a user who swaps arguments must not see a secret echoed.
  return parts.map((part, i) => {
    if (!part.endsWith("]")) throw new HushError("INVALID_TREE_PATH", `invalid tree path: component ${i + 1} is not ["key"] or [index]`);
    const inner = part.slice(0, -1);
    if (inner.length >= 2 && (inner[0] === '"' || inner[0] === "'") && inner.at(-1) === inner[0]) return inner.slice(1, -1);
    if (/^[0-9]+$/.test(inner)) return Number(inner);
    throw new HushError("INVALID_TREE_PATH", `invalid tree path: component ${i + 1} is not ["key"] or [index]`);
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
