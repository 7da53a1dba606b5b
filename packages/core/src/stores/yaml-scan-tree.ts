import type { KeyPath, ScalarValue, TreeList, TreeMap, TreeNode } from "../tree/values.ts";
import type { Leaf, ValueTreeBuilder } from "./store.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";
import { scanYaml } from "./yaml-scan.ts";

/**
 * The value tree of a YAML document the span scanner reads (decrypted output for `--extract` and
 * exec-env), built from its leaves without the `yaml` package; undefined when the scanner
 * declines the text or it holds SOPS metadata (the caller then uses the YAML store's toTree).
 */
export function scanYamlTree(text: string): TreeMap | undefined {
  const doc = scanYaml(text);
  if (doc === undefined || doc.metadata !== undefined) return undefined;
  const builder = yamlTreeBuilder(text);
  for (const leaf of doc.leaves) if (leaf.kind === "scalar") builder.add(leaf, leaf.value);
  return builder.tree();
}

/**
 * The tree of `text`'s scalar leaves, added in document order: what {@link scanYamlTree} builds
 * from a text's own values, and what a decryption builds while it scans the encrypted text from
 * the values it decrypts, which are the plaintext's as long as each reads back as itself where
 * it was written (the check below; the caller reads the plaintext when one does not).
 */
export function yamlTreeBuilder(text: string): ValueTreeBuilder {
  const root: TreeMap = { kind: "map", entries: [] };
  let exact = true;
  return {
    add(leaf, value, rendered) {
      if (rendered !== undefined && value !== null && !readsBackAs(rendered, value)) exact = false;
      if (exact) insert(root, leaf.path, nodeOf(text, leaf, value));
    },
    tree: () => (exact ? root : undefined),
  };
}

/**
 * Whether `rendered`, the plaintext's text for `value`, reads back as `value`. A string is
 * quoted wherever a plain scalar would read otherwise (renderPlaintext's contract), so only its
 * plain spelling is looked at; a typed value is written plain, and read as the scanner types it
 * (an int `0x1F` reads back as `31`, a bool `True` as `True`).
 */
function readsBackAs(rendered: string, value: ScalarValue): boolean {
  if (value.type === "str" && rendered !== value.text) return true;
  const back = resolvePlainScalar(rendered);
  return back !== null && back !== "uint64" && back.type === value.type && back.text === value.text;
}

function nodeOf(text: string, leaf: Leaf, value: ScalarValue | null): TreeNode {
  // An empty collection's leaf has no style; its span starts at its `{` or `[`.
  if (leaf.style === undefined) return text[leaf.start] === "{" ? { kind: "map", entries: [] } : { kind: "list", items: [] };
  return value === null ? { kind: "null" } : { kind: "scalar", value };
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
