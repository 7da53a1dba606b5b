import type { Node } from "jsonc-parser";
import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";

/**
 * Refuses a key that occurs twice in one object, at any depth (the sops section too), as every
 * other store does: readers disagree on which of the two counts, so a value appended after an
 * encrypted one could be read in its place while the MAC still verifies. Iterative: the depth is
 * the file's.
 */
export function assertUniqueKeys(root: Node, line: (offset: number) => number, rootPath: KeyPath = []): void {
  const stack: Array<{ node: Node; path: KeyPath }> = [{ node: root, path: rootPath }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, path } = top;
    if (node.type === "array") {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: [...path, i] }));
      continue;
    }
    if (node.type !== "object") continue;
    const firstAt = new Map<string, number>();
    for (const prop of node.children ?? []) {
      const [k, v] = prop.children as [Node, Node];
      const key = k.value as string;
      const first = firstAt.get(key);
      if (first !== undefined) {
        const at = line(k.offset);
        const keyPath = printable(formatKeyPath([...path, key]));
        throw new HushError("PARSE_FAILED", `invalid JSON: duplicate key ${keyPath} at line ${at} (first at line ${line(first)})`, {
          location: { keyPath, line: at },
        });
      }
      firstAt.set(key, k.offset);
      if (v.type === "object" || v.type === "array") stack.push({ node: v, path: [...path, key] });
    }
  }
}
