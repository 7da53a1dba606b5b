import { HushError } from "../errors.ts";
import { formatKeyPath, type KeyPath, type TreeNode } from "../tree/values.ts";

/**
 * The shapes of the flat formats, said once for their writers and for `set`'s depth check
 * (document/edit-depth.ts): dotenv holds one level (`KEY=value`), INI two (`[section]` and
 * `key = value`).
 */

/** SOPS's words for a map or list where dotenv holds a plain value; `keyPath` is the entry's. */
export function dotenvComplexValue(keyPath: KeyPath): HushError {
  const where = formatKeyPath(keyPath);
  return new HushError("EMIT_FAILED", `cannot use complex value in dotenv file; offending key ${where}`, { location: { keyPath: where } });
}

/** A top-level INI entry that is not a map of keys. */
export function iniNotASection(section: string): HushError {
  const where = formatKeyPath([section]);
  return new HushError("EMIT_FAILED", `INI files hold sections of keys: the top-level key ${where} is not a section`, { location: { keyPath: where } });
}

/** A map or list inside an INI section, whose keys hold plain values; `keyPath` is section and key. */
export function iniNestedTooDeep(keyPath: KeyPath): HushError {
  const at = formatKeyPath(keyPath);
  return new HushError("EMIT_FAILED", `INI sections hold only plain values: ${at} is nested deeper`, { location: { keyPath: at } });
}

/**
 * The error a flat format's writer gives a `set` of `value` at `path` that nests deeper than the
 * format holds, or undefined when it does not. Found before the edit: the value can be nested
 * thousands deep, and the edit's tree comparisons recurse.
 */
export function flatShapeError(format: "dotenv" | "ini", path: KeyPath, value: TreeNode): HushError | undefined {
  const plain = (node: TreeNode): boolean => node.kind !== "map" && node.kind !== "list";
  if (format === "dotenv") return path.length > 1 || !plain(value) ? dotenvComplexValue(path.slice(0, 1)) : undefined;
  if (path.length > 2) return iniNestedTooDeep(path.slice(0, 2));
  if (path.length === 2) return plain(value) ? undefined : iniNestedTooDeep(path);
  if (value.kind !== "map") return plain(value) ? undefined : iniNotASection(String(path[0]));
  const nested = value.entries.find((e) => e.kind === "entry" && !plain(e.value));
  return nested?.kind === "entry" ? iniNestedTooDeep([String(path[0]), nested.key]) : undefined;
}
