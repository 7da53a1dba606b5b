/**
 * The value model shared by every store: the SOPS scalar types and the plaintext renderings
 * that the MAC and the ENC envelope use (spec sections 2.3 and 3).
 */

import { HushError } from "../errors.ts";

/** The `type:` field of an ENC envelope. */
export type ValueType = "str" | "int" | "float" | "bool" | "time" | "comment";

/**
 * A scalar as hush carries it. `text` is the plaintext that goes into the envelope: for values
 * read from a file it is the file's own spelling when SOPS parses that spelling to the same
 * value (so `1.50` stays `1.50` and decrypts byte for byte), else the SOPS rendering.
 */
export interface ScalarValue {
  readonly type: Exclude<ValueType, "comment">;
  readonly text: string;
}

/** A path segment: map key (string) or list index (number). */
export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

// Only the shape: the full check (arguments.ts) imports this module's types.
function checkPathArray(path: KeyPath): void {
  if (!Array.isArray(path)) throw new HushError("INVALID_TREE_PATH", "the key path must be an array of keys and indices");
}

/** `["a"]["b"][0]`, the SOPS tree-path syntax, for messages. Never includes values. */
export function formatKeyPath(path: KeyPath): string {
  checkPathArray(path);
  if (path.length === 0) return "(top level)";
  return path.map((s) => (typeof s === "number" ? `[${s}]` : `[${JSON.stringify(s)}]`)).join("");
}

/** The SOPS AAD path: map keys only, list indices dropped (spec 2.2). */
export function aadPath(path: KeyPath): string[] {
  checkPathArray(path);
  return path.filter((s): s is string => typeof s === "string");
}

/**
 * A value tree, used for format conversion, `--extract`, `set`, exec-env and merges.
 * Maps are ordered lists of entries; comments are entries too (as in SOPS).
 */
export type TreeNode = TreeMap | TreeList | TreeScalar | TreeNull | TreeComment;
export interface TreeMap {
  readonly kind: "map";
  readonly entries: Array<TreeMapEntry | TreeComment>;
}
export interface TreeMapEntry {
  readonly kind: "entry";
  readonly key: string;
  value: TreeNode;
}
export interface TreeList {
  readonly kind: "list";
  readonly items: TreeNode[];
}
export interface TreeScalar {
  readonly kind: "scalar";
  readonly value: ScalarValue;
}
export interface TreeNull {
  readonly kind: "null";
}
export interface TreeComment {
  readonly kind: "comment";
  readonly text: string;
}
