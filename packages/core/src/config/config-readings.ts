import { HushError, printable } from "../errors.ts";

/**
 * `.sops.yaml` values SOPS reads otherwise than hush. A pull request can change the file, and
 * every `sops updatekeys`/`encrypt`/`rotate` by a key holder follows it once merged, while
 * `hush check`, `hush access` and the review compare files with the rule as hush reads it. So
 * where SOPS (config/config.go, read with go-yaml v3) would take other keys, another threshold or
 * another MAC mode from the same text, hush refuses the text, naming its line:
 *
 * - a comma in an item of a key list: SOPS 3.13 joins a list's items with "," and splits them
 *   again (parseKeyField, then age.MasterKeysFromRecipients, pgp.MasterKeysFromFingerprintString,
 *   kms.MasterKeysFromArnString, …), and splits each item of a key group's `age` list
 *   (extractMasterKeys), so `["age1a,age1b"]` is two recipients to SOPS and one to hush;
 * - a tab, line break, no-break space, or other blank or invisible character inside a key: SOPS
 *   removes only spaces from fingerprints, ARNs and resource IDs
 *   (NewMasterKeyFromFingerprint/FromArn/FromResourceID) and trims with Go's strings.TrimSpace,
 *   which trims U+0085 where JavaScript's trim does not and keeps U+FEFF where it trims it;
 * - `key_groups: []` beside the rule's own keys: SOPS then uses the rule's own keys
 *   (getKeyGroupsFromCreationRule: `len(cRule.KeyGroups) > 0`), where hush read no group;
 * - a `shamir_threshold` not written as plain decimal: go-yaml reads `010` as 8 (ParseInt base 0);
 * - a `mac_only_encrypted` other than true or false: go-yaml decodes `yes`, `on`, `y` into a bool
 *   as true, also under `!!str`.
 *
 * Nodes are the yaml package's, reached through {@link ConfigNodes} (this module loads no YAML code).
 */

/** How the key checker lets this module see the document. */
export interface ConfigNodes {
  /** The node itself, or the node an alias names. */
  resolve(node: unknown): unknown;
  /** A sequence's items (resolved), or [] for anything else. */
  items(node: unknown): unknown[];
  /** The 1-based line a node starts on. */
  line(node: unknown): number | undefined;
}

/** Whitespace and invisible characters other than the space, at most one in a row per match. */
const ODD_CHARACTER = /(?! )[\p{Cc}\p{Cf}\p{Z}]/u;
/** The characters Go's strings.TrimSpace and JavaScript's trim both remove from a key's ends. */
const SHARED_BLANKS = " \t\n\r";

/**
 * `key` without the blanks both trims remove from its ends. A loop from each end: a regex such as
 * `[ \t]+$` searched from every position takes time quadratic in a run of blanks.
 */
function sharedTrim(key: string): string {
  let start = 0;
  let end = key.length;
  while (start < end && SHARED_BLANKS.includes(key[start]!)) start++;
  while (end > start && SHARED_BLANKS.includes(key[end - 1]!)) end--;
  return key.slice(start, end);
}
const PLAIN_DECIMAL = /^(0|[1-9][0-9]*)$/;

interface Scalar {
  readonly value: unknown;
  readonly type?: unknown;
  readonly tag?: unknown;
  readonly source?: unknown;
}

function scalarOf(n: ConfigNodes, node: unknown): Scalar | undefined {
  const s = n.resolve(node) as { value?: unknown; items?: unknown } | null | undefined;
  return s !== null && typeof s === "object" && "value" in s && !("items" in s) ? (s as Scalar) : undefined;
}

function refuse(n: ConfigNodes, node: unknown, message: string): HushError {
  const line = n.line(n.resolve(node) ?? node);
  return new HushError("CONFIG_INVALID", `invalid .sops.yaml: ${line === undefined ? "" : `line ${line}: `}${message}`);
}

function checkKeyText(n: ConfigNodes, node: unknown, text: string, where: string): void {
  for (const key of text.split(",")) {
    if (ODD_CHARACTER.test(sharedTrim(key))) {
      throw refuse(n, node, `${where} holds a tab, a line break or other blank or invisible character inside a key; SOPS keeps it or trims it otherwise than hush: write the key on one line, with spaces only`);
    }
  }
}

/** A backend's key list (`age: a,b` or `age: [a, b]`) as SOPS splits it; see the module comment. */
export function checkKeyList(n: ConfigNodes, value: unknown, where: string): void {
  const scalar = scalarOf(n, value);
  if (scalar !== undefined) {
    if (typeof scalar.value === "string") checkKeyText(n, value, scalar.value, where);
    return;
  }
  n.items(value).forEach((item, i) => {
    const s = scalarOf(n, item);
    if (s === undefined || typeof s.value !== "string") return;
    if (s.value.includes(",")) {
      throw refuse(n, item, `${where}[${i}] holds a comma: SOPS reads a list item as comma-separated keys; write one key per item`);
    }
    checkKeyText(n, item, s.value, `${where}[${i}]`);
  });
}

/**
 * A rule's `key_groups`, `shamir_threshold` and `mac_only_encrypted`; see the module comment.
 * `valueOf` gives a rule key's value node (merged maps included); `ownKeys`: the backends' rule keys.
 */
export function checkRuleSettings(n: ConfigNodes, valueOf: (name: string) => unknown, where: string, ownKeys: readonly string[]): void {
  const groups = n.resolve(valueOf("key_groups"));
  if (groups !== undefined && Array.isArray((groups as { items?: unknown }).items) && n.items(groups).length === 0) {
    const flat = ownKeys.filter((k) => valueOf(k) !== undefined);
    if (flat.length > 0) {
      throw refuse(n, groups, `${where}.key_groups is empty, so SOPS uses the rule's own ${flat.join(", ")} instead; remove key_groups or those keys`);
    }
  }
  const threshold = valueOf("shamir_threshold");
  const t = scalarOf(n, threshold);
  if (t !== undefined && t.value !== null && (t.tag !== undefined || t.type !== "PLAIN" || typeof t.source !== "string" || !PLAIN_DECIMAL.test(t.source))) {
    if (t.type === "PLAIN" && typeof t.source === "string" && /^-[0-9]+$/.test(t.source)) {
      throw refuse(n, threshold, `${where}.shamir_threshold is negative: write 0 (all groups) or a number of groups from 2`);
    }
    throw refuse(n, threshold, `${where}.shamir_threshold is not written as a plain decimal integer (SOPS reads 010 as 8)`);
  }
  const macOnly = valueOf("mac_only_encrypted");
  const m = scalarOf(n, macOnly);
  if (m !== undefined && m.value !== null && typeof m.value !== "boolean") {
    throw refuse(n, macOnly, `${where}.mac_only_encrypted must be true or false (SOPS reads yes, on and y as true)`);
  }
}

/**
 * The widest indentation a `stores` entry or `--indent` may ask for. SOPS writes any JSON indent
 * (a hundred million spaces a line ran hush out of string length, SOPS out of memory), and
 * go-yaml writes YAML with 2 spaces for any indent past 9 (see yamlIndentAsWritten); no one
 * reads a file indented further than this.
 */
export const MAX_INDENT = 100;

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

/**
 * A store's `indent` (`stores.yaml.indent`, `stores.json.indent`, `stores.json_binary.indent`).
 * go-yaml decodes it into an int: a string is an error to SOPS, `4.5` is 4 and `010` is 8, so
 * only a plain decimal integer is read. SOPS refuses a negative YAML indent and a JSON one below
 * -1 (a tab) when it writes; hush says so when it reads the config, with the line.
 */
export function checkStoreIndent(n: ConfigNodes, node: unknown, where: string, lowest: 0 | -1): void {
  const s = scalarOf(n, node);
  if (s === undefined || s.value === null) {
    if (node !== undefined && s === undefined) throw refuse(n, node, `${where} must be a whole number written in decimal`);
    return;
  }
  if (s.tag !== undefined || s.type !== "PLAIN" || typeof s.source !== "string" || !DECIMAL.test(s.source)) {
    throw refuse(n, node, `${where} must be a whole number written in decimal (SOPS reads 010 as 8 and 4.5 as 4, and refuses "4")`);
  }
  const value = Number(s.source);
  if (value < lowest || value > MAX_INDENT) {
    throw refuse(n, node, `${where} must be from ${lowest === 0 ? "0" : "-1 (a tab)"} to ${MAX_INDENT}`);
  }
}

/** Whether hush's text for a scalar is the text go-yaml gives a string field: the node's own. */
function readAsText(s: Scalar, numbersToo: boolean): boolean {
  if (s.value === null || typeof s.value === "string") return true;
  return numbersToo && s.tag === undefined && s.type === "PLAIN" && (typeof s.value === "number" || typeof s.value === "boolean") && String(s.value) === s.source;
}

/**
 * The fields of a map in a key list (KMS's `{arn, role, context, aws_profile}`, say), which SOPS
 * decodes into string fields: go-yaml gives such a field the scalar's text (`role: 123` is "123",
 * `!!binary` is decoded), where hush takes strings only and would read no role. A context's values
 * may be plain numbers and booleans written as hush prints them (`2`, `true`, not `2.0` or `True`).
 */
export function checkKeyEntry(n: ConfigNodes, pairs: ReadonlyArray<{ key: unknown; value: unknown }>, where: string): void {
  for (const pair of pairs) {
    const name = String((pair.key as { value?: unknown } | null)?.value);
    const s = scalarOf(n, pair.value);
    if (s !== undefined && !readAsText(s, false)) throw refuse(n, pair.value, `${where}.${name} must be a string`);
    if (s !== undefined) continue;
    const inner = n.resolve(pair.value) as { items?: unknown } | null | undefined;
    if (inner === null || inner === undefined || !Array.isArray(inner.items)) continue;
    for (const it of inner.items as Array<{ key?: unknown; value?: unknown }>) {
      const v = it !== null && typeof it === "object" && "key" in it ? scalarOf(n, it.value) : undefined;
      if (v !== undefined && !readAsText(v, true)) {
        // A context's keys are the file's own: escaped, as every name from a file is in a message.
        throw refuse(n, it.value, `${where}.${name}.${printable(String((it.key as { value?: unknown } | null)?.value), 100)} must be a string (SOPS reads the text as written)`);
      }
    }
  }
}
