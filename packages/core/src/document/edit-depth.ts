import { HushError } from "../errors.ts";
import { flatShapeError } from "../stores/flat-shape.ts";
import { MAX_NESTING, MAX_TOML_DEPTH } from "../stores/nesting.ts";
import type { FileFormat } from "../stores/registry.ts";
import type { KeyPath, TreeNode } from "../tree/values.ts";

/**
 * How deep `set` may nest a value: as deep as the format's reader reads a file back (TOML's key
 * paths, every other format's collections). Checked before the edit, whose emitters and parsers
 * are recursive: a key path of 3,000 parts overflowed the stack ("Maximum call stack size
 * exceeded", exit 1, no file named), and one of 250 wrote a file that did not read back, which
 * was refused as "invalid YAML" in the user's file.
 */
export function deepestEdit(format: FileFormat): number {
  return format === "toml" ? MAX_TOML_DEPTH : MAX_NESTING;
}

/** The nesting of maps and lists in `node` (0 for a scalar), counted without recursion: an API caller's tree can be of any depth. */
export function treeDepth(node: TreeNode): number {
  let deepest = 0;
  const pending: Array<{ node: TreeNode; depth: number }> = [{ node, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const children = next.node.kind === "map" ? next.node.entries.map((e) => (e.kind === "entry" ? e.value : undefined)) : next.node.kind === "list" ? next.node.items : undefined;
    if (children === undefined) continue;
    deepest = Math.max(deepest, next.depth + 1);
    for (const child of children) if (child !== undefined) pending.push({ node: child, depth: next.depth + 1 });
  }
  return deepest;
}

const FORMAT_NAMES: Partial<Record<FileFormat, string>> = { yaml: "YAML", json: "JSON", toml: "TOML" };

/**
 * Refuses a `set` of `value` at `path` that would nest the document deeper than `format` is read
 * (see {@link deepestEdit}): each part of the path is one level, and so is each map or list of
 * the value. The message counts the levels and does not repeat the path, which can be long.
 * @throws HushError INVALID_SET_PATH; EMIT_FAILED for a dotenv or INI value nested deeper
 *   than the format holds, as its writer says
 */
export function checkEditDepth(format: FileFormat, path: KeyPath, value: TreeNode): void {
  // A flat format's levels are one or two, not hundreds: its writer's own words, said before the edit.
  if (format === "dotenv" || format === "ini") {
    const flat = flatShapeError(format, path, value);
    if (flat !== undefined) throw flat;
    return;
  }
  const limit = deepestEdit(format);
  // Past the limit already: the value's depth would not change the answer.
  const depth = path.length > limit ? path.length : path.length + treeDepth(value);
  if (depth <= limit) return;
  throw new HushError(
    "INVALID_SET_PATH",
    `cannot set a value ${depth} levels deep (a key path of ${path.length} part${path.length === 1 ? "" : "s"}${depth > path.length ? ` and a value nested ${depth - path.length} deep` : ""}): hush reads ${FORMAT_NAMES[format] ?? "such files"} nested at most ${limit} levels`,
  );
}
