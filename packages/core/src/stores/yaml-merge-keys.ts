import { isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";
import { HushError } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";
import type { AliasTargets } from "./yaml-alias-budget.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";
import { resolvesUntagged } from "./yaml-tags.ts";
import type { MacCoverage } from "./mac-coverage.ts";

/**
 * YAML merge keys (`<<`). SOPS and hush read `<<` as an ordinary key (its values are encrypted
 * under it), while the programs that read hush's output merge: go-yaml v2 (Helm, kubectl and Flux
 * through sigs.k8s.io/yaml) and Ruby's Psych merge a `<<` where it stands, over the keys written
 * before it, while go-yaml v3, PyYAML and the `yaml` package keep the keys written. A null or an
 * empty collection adds nothing to the MAC, so a branch without the key could add
 * `<<: {password: }` after a password's envelope and null it for Helm. A mapping is refused where
 * a merge brings in a key written before it: there readers disagree whatever the values.
 */

/** Whether a mapping key merges: `<<`, plain or quoted (Psych merges a quoted one too). */
export function isMergeKey(keyText: string): boolean {
  return keyText === "<<";
}

/** A key a merge brings in: its text, whether it is plain and untagged (see yaml11-keys.ts), its value. */
export interface MergedKey {
  readonly text: string;
  readonly plain: boolean;
  readonly value: YamlNode | null;
}

/**
 * The keys a merge's value brings into its mapping: a mapping's keys, each mapping's of a list,
 * the node an alias names, and what the merged mappings' own merges bring. Each node is visited
 * once, so a file's aliases cost no more here than its size.
 */
export function mergedKeys(value: YamlNode | null, targets: AliasTargets): MergedKey[] {
  const keys: MergedKey[] = [];
  const visited = new Set<YamlNode>();
  const pending: Array<YamlNode | null | undefined> = [value];
  for (let n = pending.pop(); pending.length > 0 || n !== undefined; n = pending.pop()) {
    if (n === null || n === undefined || visited.has(n)) continue;
    visited.add(n);
    if (isAlias(n)) pending.push(targets.get(n));
    else if (isSeq(n)) for (const item of n.items) pending.push(item as YamlNode | null);
    else if (isMap(n)) {
      for (const pair of n.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value ?? "");
        if (isMergeKey(key)) pending.push(pair.value as YamlNode | null);
        else keys.push({ text: key, plain: resolvesUntagged(pair.key), value: pair.value as YamlNode | null });
      }
    }
  }
  return keys;
}

/**
 * Whether `value` holds nothing the MAC covers: no scalar but nulls and values `covered` leaves
 * out (empty strings, which add no bytes to it; values in clear too where the MAC covers only the
 * encrypted ones), through aliases. What a branch without the key can add; a merged value the
 * MAC covers was written by the file's owner, as SOPS writes it.
 */
export function holdsNothingMacCovered(value: YamlNode | null, targets: AliasTargets, covered: MacCoverage): boolean {
  const visited = new Set<YamlNode>();
  const pending: Array<YamlNode | null | undefined> = [value];
  for (let n = pending.pop(); pending.length > 0 || n !== undefined; n = pending.pop()) {
    if (n === null || n === undefined || visited.has(n)) continue;
    visited.add(n);
    if (isAlias(n)) pending.push(targets.get(n));
    else if (isSeq(n)) for (const item of n.items) pending.push(item as YamlNode | null);
    else if (isMap(n)) for (const pair of n.items) pending.push(pair.value as YamlNode | null);
    else if (isScalar(n)) {
      const text = n.value === null || n.value === undefined ? "" : String(n.value);
      if (covered(text) && !(resolvesUntagged(n) && resolvePlainScalar(text) === null)) return false;
    }
  }
  return true;
}

/** A merge that brings in a key its mapping writes before it (or one YAML 1.1 readers read as it). */
export interface ShadowingMerge {
  /** The path of the key written before the merge. */
  readonly path: KeyPath;
  /** The line of the `<<` key. */
  readonly mergeLine: number;
  /** The line of the key written before it. */
  readonly keyLine: number;
}

/**
 * The error for a {@link ShadowingMerge}: VALUE_TAMPERED in an encrypted file (`encrypted`), where
 * the merged value holds nothing the MAC covers and only the text around the values changed,
 * PARSE_FAILED in a plaintext, which SOPS would encrypt as written and readers would then read apart.
 */
export function shadowingMergeError(merge: ShadowingMerge, encrypted: boolean): HushError {
  const keyPath = formatKeyPath(merge.path);
  const reading = `the merge key << at line ${merge.mergeLine} merges ${keyPath}, which the mapping sets before it (line ${merge.keyLine}): go-yaml v2 (Helm, kubectl) and Ruby read the merged value there, PyYAML, go-yaml v3 and SOPS the one written`;
  const location = { location: { keyPath, line: merge.mergeLine } };
  if (!encrypted) return new HushError("PARSE_FAILED", `${reading}; put the << line first in its mapping`, location);
  return new HushError("VALUE_TAMPERED", `${reading}, and no MAC covers merge keys`, {
    ...location,
    hint: "take the file from a revision you trust (git log -p shows who changed it), or put the << line first in its mapping",
  });
}

/**
 * The offset of the first merge key `<<` under `node` (the `sops` metadata block), or undefined.
 * SOPS reads its metadata with go-yaml v3, which merges a `<<` there into the metadata, while hush
 * reads `<<` as a field no tool reads: a key group's entry under it (an `hc_vault` address SOPS
 * sends its token to) would reach SOPS and be seen by no check or review. SOPS never writes one.
 * Iterative; aliases are not followed (the metadata allows none).
 */
export function metadataMergeKeyOffset(node: YamlNode | null): number | undefined {
  const pending: unknown[] = [node];
  for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
    if (isMap(n)) {
      for (const pair of n.items) {
        if (isScalar(pair.key) && isMergeKey(String(pair.key.value ?? ""))) return pair.key.range?.[0] ?? 0;
        pending.push(pair.value);
      }
    } else if (isSeq(n)) for (const item of n.items) pending.push(item);
  }
  return undefined;
}
