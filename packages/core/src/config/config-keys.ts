import type { Alias, Document, LineCounter, Node as YamlNode } from "yaml";
import type { AliasTargets } from "../stores/yaml-alias-budget.ts";
import { appendAll } from "../arrays.ts";
import { HushError, printable } from "../errors.ts";
import { ENCRYPTION_RULE_KINDS } from "../metadata/file-metadata.ts";
import { keyBackends } from "../keys/registry.ts";
import { closestName } from "../suggest.ts";
import { checkKeyEntry, checkKeyList, checkRuleSettings, checkStoreIndent, type ConfigNodes } from "./config-readings.ts";
import { RECIPIENT_NAMES_KEY } from "./recipient-names.ts";

/**
 * Strict key checking for `.sops.yaml`. SOPS ignores keys it does not know, so a typo such as
 * `path-regex:` silently makes a rule match every file, and `agee:` leaves a rule without keys.
 * hush refuses unknown keys, naming the line and the closest known key, while accepting every
 * key SOPS 3.13 reads (config/config.go: creationRule, keyGroup, kmsKey, StoresConfig).
 */

/** SOPS's top-level keys, and hush's names for recipients (which SOPS ignores, see recipient-names.ts). */
const TOP = ["creation_rules", "destination_rules", "stores", RECIPIENT_NAMES_KEY];
/** Rule keys other than key backends' (those come from the registered backends). */
const RULE_BASE = ["path_regex", "key_groups", "shamir_threshold", ...ENCRYPTION_RULE_KINDS, "mac_only_encrypted"];
const GROUP_BASE = ["merge"];

function ruleKeys(): string[] {
  const [first, ...rest] = RULE_BASE;
  return [first!, ...keyBackends().flatMap((b) => [...b.config.ruleKeys, ...(b.config.ruleOptions ?? [])]), ...rest];
}

function groupKeys(): string[] {
  return [...keyBackends().flatMap((b) => b.config.groupKeys), ...GROUP_BASE];
}

const STORES = ["yaml", "json", "json_binary", "dotenv", "ini", "toml"];
/** The stores with an indent, and the lowest indent each writes (SOPS: YAML none below 0, JSON -1 for a tab). */
const STORE_INDENT_LOWEST: Readonly<Record<string, 0 | -1>> = { yaml: 0, json: -1, json_binary: -1 };
/** YAML's merge key (`<<: *defaults`), which go-yaml applies and SOPS therefore accepts. */
const MERGE_KEY = "<<";

interface Checker {
  /** The node each alias names, found once: resolving an alias alone scans the whole document. */
  readonly targets: AliasTargets;
  readonly lines: LineCounter;
  /** A map's pairs with its merged maps' (see checkKeys), by the known keys it was checked against. */
  readonly merged: Map<readonly string[], Map<object, Pairs>>;
  /** The keys of a rule and of a key group, listed once so that `merged` finds them again. */
  readonly ruleKeys: readonly string[];
  readonly groupKeys: readonly string[];
}

type Pairs = Array<{ key: unknown; value: unknown }>;

/** How deep merged maps may merge maps in turn (real configs merge one level). */
const MAX_MERGE_DEPTH = 20;

function resolved(c: Checker, node: unknown): unknown {
  const n = node as { constructor?: unknown; resolve?: (doc: Document) => unknown; source?: unknown };
  // An alias (`*name`) stands for the node it names: check that node.
  if (n !== null && typeof n === "object" && typeof n.resolve === "function" && typeof n.source === "string") return c.targets.get(node as Alias);
  return node;
}

function pairsOf(c: Checker, node: unknown): Pairs | undefined {
  const n = resolved(c, node) as { items?: unknown } | null | undefined;
  if (n === null || n === undefined || !Array.isArray(n.items)) return undefined;
  const items = n.items as unknown[];
  if (items.length > 0 && !(typeof items[0] === "object" && items[0] !== null && "key" in items[0])) return undefined;
  return items as Pairs;
}

function itemsOf(c: Checker, node: unknown): unknown[] {
  const n = resolved(c, node) as { items?: unknown } | null | undefined;
  if (n === null || n === undefined || !Array.isArray(n.items)) return [];
  const items = n.items as unknown[];
  return items.length > 0 && typeof items[0] === "object" && items[0] !== null && "key" in items[0] ? [] : items;
}

function lineOf(c: Checker, node: unknown): number | undefined {
  const range = (node as YamlNode | null)?.range;
  return range === undefined || range === null ? undefined : c.lines.linePos(range[0]).line;
}

/** Whether a value defines a YAML anchor somewhere (a top-level key that only holds anchors). */
function definesAnchor(c: Checker, node: unknown, depth = 0): boolean {
  if (node === null || typeof node !== "object" || depth > 50) return false;
  if (typeof (node as { anchor?: unknown }).anchor === "string") return true;
  const items = (node as { items?: unknown }).items;
  if (!Array.isArray(items)) return false;
  return items.some((it: unknown) =>
    typeof it === "object" && it !== null && "key" in it
      ? definesAnchor(c, (it as unknown as { value: unknown }).value, depth + 1)
      : definesAnchor(c, it, depth + 1),
  );
}

/**
 * Whether a key merges maps in: the merge key plain (the parser gives it as a symbol) or with the
 * non-specific tag `!`, as go-yaml's isMerge and the yaml package both take it. Quoted, it is an
 * ordinary key to both.
 */
function isMergeKey(key: unknown): boolean {
  const k = key as { value?: unknown; type?: unknown } | null;
  if (k === null || typeof k !== "object") return false;
  return typeof k.value === "symbol" || (k.value === MERGE_KEY && k.type === "PLAIN");
}

function nameOf(pair: { key: unknown }): unknown {
  const keyNode = pair.key as { value?: unknown } | null;
  return keyNode !== null && typeof keyNode === "object" ? keyNode.value : keyNode;
}

/**
 * Checks a map's keys and those of the maps it merges in (a merge key, `<<: *defaults`), which SOPS reads as
 * the map's own: go-yaml decodes them into the same struct, the yaml package into the same object.
 * Returns the pairs as both read them: the map's own first, then each merged map's in order, the
 * first pair of each name only (an own key wins over a merged one, an earlier merged map over a
 * later). Each map is checked once per list of known keys, so merging a merge of merges costs no more.
 */
function checkKeys(c: Checker, node: unknown, known: readonly string[], where: string, allow?: (pair: { key: unknown; value: unknown }) => boolean, depth = 0): Pairs {
  const map = resolved(c, node);
  if (map === null || typeof map !== "object") return [];
  let byNode = c.merged.get(known);
  if (byNode === undefined) c.merged.set(known, (byNode = new Map()));
  const done = byNode.get(map);
  if (done !== undefined) return done;
  const own = ownPairs(c, map, known, where, allow);
  const all: Pairs = own.filter((p) => !isMergeKey(p.key));
  for (const pair of own) {
    if (!isMergeKey(pair.key) || depth >= MAX_MERGE_DEPTH) continue;
    const source = resolved(c, pair.value);
    const sources = pairsOf(c, source) !== undefined ? [source] : itemsOf(c, source);
    for (const s of sources) appendAll(all, checkKeys(c, s, known, where, allow, depth + 1));
  }
  const seen = new Set<unknown>();
  const pairs = all.filter((p) => {
    const name = nameOf(p);
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
  byNode.set(map, pairs);
  return pairs;
}

function ownPairs(c: Checker, node: unknown, known: readonly string[], where: string, allow?: (pair: { key: unknown; value: unknown }) => boolean): Pairs {
  const pairs = pairsOf(c, node) ?? [];
  for (const pair of pairs) {
    const name = nameOf(pair);
    // With merge keys on, the parser gives `<<` as a symbol.
    if (typeof name === "symbol" || (typeof name === "string" && (known.includes(name) || name === MERGE_KEY))) continue;
    if (allow?.(pair) === true) continue;
    const shown = printable(String(name), 60);
    const near = typeof name === "string" ? closestName(name, known) : undefined;
    const line = lineOf(c, pair.key);
    const at = line === undefined ? "" : `line ${line}: `;
    throw new HushError(
      "CONFIG_INVALID",
      `invalid .sops.yaml: ${at}unknown key "${shown}" in ${where}${near === undefined ? "" : `; did you mean "${near}"?`}`,
      near === undefined ? { details: [`known keys here: ${known.join(", ")}`] } : undefined,
    );
  }
  return pairs;
}

function valueAt(pairs: Pairs, name: string): unknown {
  return pairs.find((p) => (p.key as { value?: unknown } | null)?.value === name)?.value;
}

/** Checks the map items of backends' key lists (KMS's `arn`/`role`/… entries, say), and how SOPS splits the lists. */
function checkListItems(c: Checker, pairs: Pairs, where: string, level: "ruleKeys" | "groupKeys"): void {
  for (const backend of keyBackends()) {
    const itemKeys = backend.config.itemKeys;
    for (const key of backend.config[level]) {
      const list = valueAt(pairs, key);
      checkKeyList(nodesOf(c), list, `${where}.${key}`);
      if (itemKeys === undefined) continue;
      itemsOf(c, list).forEach((entry, i) => {
        if (pairsOf(c, entry) !== undefined) checkKeyEntry(nodesOf(c), checkKeys(c, entry, itemKeys, `${where}.${key}[${i}]`), `${where}.${key}[${i}]`);
      });
    }
  }
}

function checkGroup(c: Checker, node: unknown, where: string, depth: number): void {
  if (depth > 20) return;
  const pairs = checkKeys(c, node, c.groupKeys, where);
  checkListItems(c, pairs, where, "groupKeys");
  itemsOf(c, valueAt(pairs, "merge")).forEach((g, i) => checkGroup(c, g, `${where}.merge[${i}]`, depth + 1));
}

/** A rule's settings that are text: a list or a map there is no text to SOPS either (go-yaml cannot decode it). */
const RULE_TEXT = ["path_regex", ...ENCRYPTION_RULE_KINDS];

function checkRule(c: Checker, node: unknown, where: string): void {
  const rule = resolved(c, node);
  if (!isNothing(rule) && !isNodeOf(rule, "map")) throw notA(c, rule, where, "map");
  const pairs = checkKeys(c, node, c.ruleKeys, where);
  for (const name of RULE_TEXT) {
    const value = resolved(c, valueAt(pairs, name));
    if (isNodeOf(value, "map") || isNodeOf(value, "seq")) throw notA(c, value, `${where}.${name}`, "string");
  }
  checkListItems(c, pairs, where, "ruleKeys");
  checkRuleSettings(nodesOf(c), (name) => valueAt(pairs, name), where, keyBackends().flatMap((b) => b.config.ruleKeys));
  itemsOf(c, valueAt(pairs, "key_groups")).forEach((g, i) => checkGroup(c, g, `${where}.key_groups[${i}]`, 0));
}

function nodesOf(c: Checker): ConfigNodes {
  return { resolve: (node) => resolved(c, node), items: (node) => itemsOf(c, node).map((item) => resolved(c, item)), line: (node) => lineOf(c, node) };
}

/**
 * Throws CONFIG_INVALID naming the line of the first key SOPS would not read, with the closest
 * known key. An unknown top-level key is accepted only when it holds YAML anchors (the common
 * `keys: [&admin age1…]` idiom), since that is all such a key can be for. `targets`: the
 * document's aliases (see aliasTargets).
 */
export function checkConfigKeys(doc: Document, lines: LineCounter, targets: AliasTargets): void {
  const c: Checker = { targets, lines, merged: new Map(), ruleKeys: ruleKeys(), groupKeys: groupKeys() };
  const top = checkKeys(c, doc.contents, TOP, "the top level", (pair) => {
    const name = (pair.key as { value?: unknown } | null)?.value;
    return typeof name === "string" && closestName(name, TOP) === undefined && definesAnchor(c, pair.value);
  });
  const rules = resolved(c, valueAt(top, "creation_rules"));
  if (!isNothing(rules) && !isNodeOf(rules, "seq")) throw notA(c, rules, "creation_rules", "list");
  itemsOf(c, rules).forEach((r, i) => checkRule(c, r, `creation_rules[${i}]`));
  // destination_rules are for `sops publish`, which hush does not have: hush never reads them,
  // so a typo there changes nothing here (SOPS's own functional-test config has one).
  checkStores(c, valueAt(top, "stores"));
}

/** Each store's settings: an indent for YAML and JSON (config.go StoresConfig), none for the others. */
function checkStores(c: Checker, node: unknown): void {
  const stores = resolved(c, node);
  if (isNothing(stores)) return;
  if (!isNodeOf(stores, "map")) throw notA(c, stores, "stores", "map of store names (yaml, json, …) to their settings");
  for (const pair of checkKeys(c, stores, STORES, "stores")) {
    const name = String(nameOf(pair));
    const settings = resolved(c, pair.value);
    if (isNothing(settings)) continue;
    if (!isNodeOf(settings, "map")) throw notA(c, settings, `stores.${name}`, "map");
    const lowest = STORE_INDENT_LOWEST[name];
    const pairs = checkKeys(c, settings, lowest === undefined ? [] : ["indent"], `stores.${name}`);
    if (lowest !== undefined) checkStoreIndent(nodesOf(c), valueAt(pairs, "indent"), `stores.${name}.indent`, lowest);
  }
}

/** Absent, or written empty (`stores:`), which go-yaml and SOPS read as no settings. */
function isNothing(node: unknown): boolean {
  return node === undefined || node === null || (typeof node === "object" && "value" in node && !("items" in node) && (node as { value: unknown }).value === null);
}

/**
 * Whether a node is a YAML map or sequence, by the type the yaml package marks its nodes with
 * (a registered symbol: this module loads no YAML code, and an empty `[]` has no items to tell by).
 */
function isNodeOf(node: unknown, kind: "map" | "seq"): boolean {
  return typeof node === "object" && node !== null && (node as Record<symbol, unknown>)[Symbol.for("yaml.node.type")] === Symbol.for(`yaml.${kind}`);
}

function notA(c: Checker, node: unknown, where: string, what: string): HushError {
  const line = lineOf(c, node);
  return new HushError("CONFIG_INVALID", `invalid .sops.yaml: ${line === undefined ? "" : `line ${line}: `}${where} must be a ${what}`);
}
