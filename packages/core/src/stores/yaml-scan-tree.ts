import type { KeyPath, TreeList, TreeMap, TreeNode } from "../tree/values.ts";
import type { Leaf } from "./store.ts";
import { scanYaml } from "./yaml-scan.ts";

/**
 * The value tree of a YAML document the span scanner reads (decrypted output for `--extract` and
 * exec-env), built from its leaves without the `yaml` package; undefined when the scanner
 * declines the text or it holds SOPS metadata (the caller then uses the YAML store's toTree).
 */
export function scanYamlTree(text: string): TreeMap | undefined {
  const doc = scanYaml(text);
  if (doc === undefined || doc.metadata !== undefined) return undefined;
  const root: TreeMap = { kind: "map", entries: [] };
  for (const leaf of doc.leaves) if (leaf.kind === "scalar") insert(root, leaf.path, nodeOf(text, leaf));
  return root;
}

function nodeOf(text: string, leaf: Leaf): TreeNode {
  // An empty collection's leaf has no style; its span starts at its `{` or `[`.
  if (leaf.style === undefined) return text[leaf.start] === "{" ? { kind: "map", entries: [] } : { kind: "list", items: [] };
  return leaf.value === null ? { kind: "null" } : { kind: "scalar", value: leaf.value };
}

/** Adds `node` at `path`; leaves come in document order, so a parent is always the last child added. */
function insert(root: TreeMap, path: KeyPath, node: TreeNode): void {
  let at: TreeMap | TreeList = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    const fresh = (): TreeNode => (last ? node : typeof path[i + 1] === "number" ? { kind: "list", items: [] } : { kind: "map", entries: [] });
    let child: TreeNode;
    if (at.kind === "map") {
      const tail = at.entries[at.entries.length - 1];
      if (tail !== undefined && tail.kind === "entry" && tail.key === seg && !last) child = tail.value;
      else {
        child = fresh();
        at.entries.push({ kind: "entry", key: String(seg), value: child });
      }
    } else {
      const index = seg as number;
      if (index === at.items.length - 1 && !last) child = at.items[index]!;
      else {
        child = fresh();
        at.items.push(child);
      }
    }
    if (last) return;
    at = child as TreeMap | TreeList;
  }
}
