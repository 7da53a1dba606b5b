import { checkKeyPath, checkString, checkTree } from "../arguments.ts";
import { HushError } from "../errors.ts";
import { goAtoi, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import { storeFor } from "../stores/registry.ts";
import { buildPath, entriesOf, nodeAt } from "../tree/tree-path.ts";
import type { KeyPath, PathSegment, TreeMap, TreeNode } from "../tree/values.ts";

export { buildPath, nodeAt };

/**
 * `set` and `unset` on value trees (spec 9.7): the meaning of an edit, independent of any file
 * format. The text-level editors (plain-edit.ts) must produce a document whose tree equals what
 * these functions compute; that check is what lets them edit text surgically without risk.
 */

/** `["a"]["b"][0]` for messages. */
export function pathText(path: KeyPath): string {
  checkKeyPath(path);
  return path.map((s) => (typeof s === "number" ? `[${s}]` : `["${s}"]`)).join("");
}

/**
 * Why the JSON store refused a `set` value (wrapped as `{"v": VALUE}`). Valid JSON it cannot take
 * (nested too deep, a key given twice, a lone surrogate, a number past a float's range) is said
 * as the store says it, which names lines and key paths, never text, with the wrapper's key taken
 * out: "it must be a JSON value" sent the user looking for a syntax error in valid JSON. A syntax
 * error keeps the general hint (its column counts the wrapper).
 */
function whyNotSetValue(err: unknown): string {
  const general = "it must be a JSON value (strings in double quotes, e.g. '\"secret\"')";
  if (!(err instanceof HushError) || err.code !== "PARSE_FAILED" || !err.message.startsWith("invalid JSON: ")) return general;
  return err.message.slice("invalid JSON: ".length).replace(/(^|\s)\["v"\]/g, "$1");
}

/**
 * Parses a `set` value: any JSON value. Numbers keep their spelling; integers stay `int` (SOPS
 * would store every JSON number as a float), other numbers become `float`.
 * @throws HushError INVALID_SET_VALUE for anything but one JSON value; the message never quotes it.
 */
export async function parseSetValue(text: string): Promise<TreeNode> {
  checkString(text, "the value");
  const store = await storeFor("json");
  let tree: TreeMap;
  try {
    tree = store.toTree(`{"v":${text}\n}`);
  } catch (err) {
    throw new HushError("INVALID_SET_VALUE", `invalid value: ${whyNotSetValue(err)}`);
  }
  const entries = tree.entries.filter((e) => e.kind === "entry");
  const first = entries[0];
  if (entries.length !== 1 || first === undefined || first.kind !== "entry" || first.key !== "v") {
    throw new HushError("INVALID_SET_VALUE", "invalid value: it must be a single JSON value");
  }
  return first.value;
}

/**
 * Where `path` lands after `setInTree`: an index at or past the end of a list becomes the
 * appended position, and indices inside newly created lists become 0.
 */
export function landingPath(tree: TreeNode, path: KeyPath): PathSegment[] {
  checkTree(tree, "the tree");
  checkKeyPath(path);
  const out: PathSegment[] = [];
  let node: TreeNode | undefined = tree;
  for (const seg of path) {
    if (typeof seg === "number") {
      if (node === undefined || node.kind !== "list") {
        out.push(0);
        node = undefined;
        continue;
      }
      const items: TreeNode[] = node.items.filter((i) => i.kind !== "comment");
      out.push(Math.min(seg, items.length));
      node = items[seg];
    } else {
      out.push(seg);
      node = node !== undefined && node.kind === "map" ? nodeAt(node, [seg]) : undefined;
    }
  }
  return out;
}

function mismatch(path: KeyPath, depth: number, node: TreeNode): HushError {
  const seg = path[depth]!;
  const where = depth === 0 ? "the top level" : pathText(path.slice(0, depth));
  const what = node.kind === "map" ? "a map" : node.kind === "list" ? "a list" : "a value";
  const wanted = typeof seg === "number" ? `index [${seg}] needs a list` : `key ["${seg}"] needs a map`;
  return new HushError("INVALID_SET_VALUE", `cannot set ${pathText(path)}: ${wanted}, but ${where} is ${what}`);
}

/**
 * SOPS `set`: replaces the value at `path`; missing keys are created (maps for key components,
 * lists for index components), an index at or past the end appends, a scalar or null in the way
 * is replaced. A key component on a list or an index on a map is an error (exit 7).
 */
export function setInTree(tree: TreeMap, path: KeyPath, value: TreeNode): TreeMap {
  checkTree(tree, "the tree");
  checkKeyPath(path);
  checkTree(value, "the value");
  if (path.length === 0) throw new HushError("INVALID_SET_VALUE", "cannot set the top level of a document");
  const go = (node: TreeNode, depth: number): TreeNode => {
    if (depth === path.length) return value;
    const seg = path[depth]!;
    if (node.kind === "scalar" || node.kind === "null") return buildPath(path.slice(depth), value);
    if (typeof seg === "string") {
      if (node.kind !== "map") throw mismatch(path, depth, node);
      const idx = node.entries.findIndex((e) => e.kind === "entry" && e.key === seg);
      if (idx < 0) return { kind: "map", entries: [...node.entries, { kind: "entry", key: seg, value: buildPath(path.slice(depth + 1), value) }] };
      const entries = [...node.entries];
      const old = entries[idx] as Extract<TreeMap["entries"][number], { kind: "entry" }>;
      entries[idx] = { kind: "entry", key: seg, value: go(old.value, depth + 1) };
      return { kind: "map", entries };
    }
    if (node.kind !== "list") throw mismatch(path, depth, node);
    const real = node.items.map((item, i) => [item, i] as const).filter(([item]) => item.kind !== "comment");
    const at = real[seg];
    if (at === undefined) return { kind: "list", items: [...node.items, buildPath(path.slice(depth + 1), value)] };
    const items = [...node.items];
    items[at[1]] = go(at[0], depth + 1);
    return { kind: "list", items };
  };
  return go(tree, 0) as TreeMap;
}

/** SOPS's wording for a missing component of `unset`. */
function notFound(path: KeyPath, depth: number): HushError {
  const seg = path[depth]!;
  return new HushError("KEY_NOT_FOUND", typeof seg === "number" ? `Index ${seg} out of bounds at ${pathText(path.slice(0, depth + 1))}` : `Key not found: ${pathText(path.slice(0, depth + 1))}`);
}

/** SOPS `unset`: removes the map key or list item at `path` (KEY_NOT_FOUND when missing). */
export function unsetInTree(tree: TreeMap, path: KeyPath): TreeMap {
  checkTree(tree, "the tree");
  checkKeyPath(path);
  if (path.length === 0) throw new HushError("INVALID_SET_VALUE", "cannot unset the top level of a document");
  const go = (node: TreeNode, depth: number): TreeNode => {
    const seg = path[depth]!;
    const last = depth === path.length - 1;
    if (typeof seg === "string") {
      if (node.kind !== "map") throw notFound(path, depth);
      const idx = node.entries.findIndex((e) => e.kind === "entry" && e.key === seg);
      if (idx < 0) throw notFound(path, depth);
      const entries = [...node.entries];
      if (last) entries.splice(idx, 1);
      else {
        const old = entries[idx] as Extract<TreeMap["entries"][number], { kind: "entry" }>;
        entries[idx] = { kind: "entry", key: seg, value: go(old.value, depth + 1) };
      }
      return { kind: "map", entries };
    }
    if (node.kind !== "list") throw notFound(path, depth);
    const real = node.items.map((item, i) => [item, i] as const).filter(([item]) => item.kind !== "comment");
    const at = real[seg];
    if (at === undefined) throw notFound(path, depth);
    const items = [...node.items];
    if (last) items.splice(at[1], 1);
    else items[at[1]] = go(at[0], depth + 1);
    return { kind: "list", items };
  };
  return go(tree, 0) as TreeMap;
}

function scalarKey(node: Extract<TreeNode, { kind: "scalar" }>): string {
  const v = node.value;
  switch (v.type) {
    case "bool":
      return `bool:${String(goParseBool(v.text) ?? v.text)}`;
    case "int":
      return `int:${String(goAtoi(v.text) ?? v.text)}`;
    case "float": {
      const f = goParseFloat(v.text);
      return `float:${f === undefined ? v.text : Object.is(f, -0) ? "-0" : String(f)}`;
    }
    default:
      return `${v.type}:${v.text}`;
  }
}

/**
 * Whether two trees hold the same data: same keys (in the same order unless `ordered` is
 * false), same types and values (`1.50` equals `1.5`, `True` equals `true`); comments ignored.
 */
export function sameTree(a: TreeNode, b: TreeNode, ordered = true): boolean {
  checkTree(a, "the first tree");
  checkTree(b, "the second tree");
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "null":
    case "comment":
      return true;
    case "scalar":
      return scalarKey(a) === scalarKey(b as typeof a);
    case "list": {
      const x = a.items.filter((i) => i.kind !== "comment");
      const y = (b as typeof a).items.filter((i) => i.kind !== "comment");
      return x.length === y.length && x.every((item, i) => sameTree(item, y[i]!, ordered));
    }
    case "map": {
      const x = entriesOf(a);
      const y = entriesOf(b as typeof a);
      if (x.length !== y.length) return false;
      if (ordered) return x.every((e, i) => e.key === y[i]!.key && sameTree(e.value, y[i]!.value, ordered));
      // Looked up by key: searching y for each key of x cost time quadratic in a section's keys.
      const byKey = new Map<string, TreeNode>();
      for (const f of y) if (!byKey.has(f.key)) byKey.set(f.key, f.value);
      return x.every((e) => {
        const other = byKey.get(e.key);
        return other !== undefined && sameTree(e.value, other, ordered);
      });
    }
  }
}

/** One change to a plaintext document: a value set at a path, or a path removed. */
export type PlainEdit = { readonly kind: "set"; readonly path: KeyPath; readonly value: TreeNode } | { readonly kind: "unset"; readonly path: KeyPath };
