import type { Node } from "jsonc-parser";
import { appendAll } from "../arrays.ts";
import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";
import { goFoldKey, refuseFoldedKeyShadow, type MapMember } from "./folded-keys.ts";
import { macCoverage, type MacCoverage } from "./mac-coverage.ts";

/**
 * Refuses a key that occurs twice in one object, at any depth (the sops section too), as every
 * other store does: readers disagree on which of the two counts, so a value appended after an
 * encrypted one could be read in its place while the MAC still verifies. So are two keys Go's
 * readers take for one where one holds an empty value (folded-keys.ts). Iterative: the depth is
 * the file's.
 */
export function assertUniqueKeys(root: Node, line: (offset: number) => number, rootPath: KeyPath = []): void {
  // In the data: what the file's MAC covers (mac-coverage.ts); in the sops member, every value counts.
  const dataCoverage = macCoverage(rootPath.length === 0 ? macOnlyField(root) : undefined);
  const metadataCoverage = macCoverage(undefined);
  const stack: Array<{ node: Node; path: KeyPath; covered: MacCoverage }> = [{ node: root, path: rootPath, covered: dataCoverage }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, path, covered } = top;
    if (node.type === "array") {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: [...path, i], covered }));
      continue;
    }
    if (node.type !== "object") continue;
    const firstAt = new Map<string, number>();
    const folds = new Set<string>();
    let folded = false;
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
      const fold = goFoldKey(key);
      folded ||= folds.has(fold);
      folds.add(fold);
      if (v.type === "object" || v.type === "array") stack.push({ node: v, path: [...path, key], covered: node === root && key === "sops" ? metadataCoverage : covered });
    }
    if (folded) refuseFoldedKeyShadow("JSON", path, membersOf(node, line, covered));
  }
}

/** The `mac_only_encrypted` member of a document's top-level `sops` object, as written. */
function macOnlyField(root: Node): unknown {
  const sops = (root.children ?? []).find((prop) => (prop.children as [Node, Node])[0].value === "sops")?.children?.[1];
  const field = sops?.type === "object" ? sops.children?.find((prop) => (prop.children as [Node, Node])[0].value === "mac_only_encrypted")?.children?.[1] : undefined;
  return field?.value as unknown;
}

/** The members of an object, as refuseFoldedKeyShadow takes them (asked only when two keys fold alike). */
function membersOf(object: Node, line: (offset: number) => number, covered: MacCoverage): MapMember[] {
  return (object.children ?? []).map((prop) => {
    const [k, v] = prop.children as [Node, Node];
    return { key: k.value as string, line: line(k.offset), empty: () => addsNothingToMac(v, covered) };
  });
}

/** True when `node` holds no value the MAC covers (`covered`): null, "", or objects and arrays of only these. */
function addsNothingToMac(node: Node, covered: MacCoverage): boolean {
  const stack: Node[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.type === "object") for (const prop of n.children ?? []) stack.push((prop.children as [Node, Node])[1]);
    else if (n.type === "array") appendAll(stack, n.children ?? []);
    else if (n.type !== "null" && covered(String(n.value))) return false;
  }
  return true;
}

/**
 * Refuses a top-level key that Go's encoding/json takes for `sops` without being it (`SOPS`,
 * `Sops`, `ſops`) in a document with a `sops` member, or one `sops` is about to be appended to
 * (`appending`): SOPS before 3.13 reads a JSON file's metadata with encoding/json, which matches
 * members regardless of case and decodes each into the one metadata struct in file order. One
 * after the real `sops` replaces its fields; one before it adds the fields `sops` lacks (hush
 * writes only the key lists it uses, so a `pgp` or `kms` list of its own), while hush reads it as
 * data. A plaintext without `sops` may hold one: it is data to every reader until `sops` joins it.
 */
export function refuseSopsLookalikeMember(root: Node, line: (offset: number) => number, appending = false): void {
  const props = root.children ?? [];
  const keyOf = (prop: Node): string => (prop.children as [Node, Node])[0].value as string;
  if (!appending && !props.some((prop) => keyOf(prop) === "sops")) return;
  for (const prop of props) {
    const key = keyOf(prop);
    if (!isSopsLookalike(key)) continue;
    const at = line(prop.offset);
    const keyPath = printable(formatKeyPath([key]));
    throw new HushError("PARSE_FAILED", `invalid JSON: the top-level key ${keyPath} at line ${at} is read by SOPS (before 3.13) as part of the file's sops metadata; remove it`, { location: { keyPath, line: at } });
  }
}

/** Whether a top-level JSON key is read as `sops` by encoding/json although it is not `sops`. */
function isSopsLookalike(key: string): boolean {
  return key.length === 4 && key !== "sops" && goFoldKey(key) === "sops";
}
