import { checkObject, invalidArgument, isArray } from "../arguments.ts";
import { appendAll } from "../arrays.ts";
import { canonicalJson } from "../canonical-json.ts";
import { HushError, printable } from "../errors.ts";
import type { MasterKeyEntry } from "../key-source.ts";
import { keyBackend, keyBackends } from "../keys/registry.ts";
import { ENCRYPTION_RULE_KINDS, type EncryptionRule, type FileMetadata, type UnreadMetadata } from "./file-metadata.ts";
import { keyGroupLimitProblem, MAX_FLAT_METADATA_DEPTH } from "./limits.ts";
import { isSopsSectionField, lookalikeFields } from "./sops-field-names.ts";
import { entryFields, invalidMetadata as invalid, isMap, list, str, timestamp, type RawMap as Raw } from "./entry-fields.ts";

/**
 * The on-disk layout of the `sops` section (spec 6). Decoding accepts any key order, `null`
 * lists and a threshold as text ("2" for 2); encoding writes SOPS 3.13's sorted order.
 * Metadata is untrusted input: every field is type-checked here, where it enters. Key lists
 * are read and written by the registered key backends (keys/registry.ts), one per kind.
 */

/**
 * A number as SOPS writes one in text: a list index of a flattened key, a threshold. SOPS reads a
 * list index with Go's strconv.Atoi and ignores its error, so `x` or `0.5` is index 0 and `+1`
 * index 1 for SOPS, where a JavaScript number reads them otherwise: a branch could add an entry
 * that SOPS reads and hush does not. SOPS 3.13 reads a threshold in the base its prefix gives.
 */
const PLAIN_DECIMAL = /^(0|[1-9][0-9]*)$/;

function decodeGroup(raw: Raw, where: string): MasterKeyEntry[] {
  const keys: MasterKeyEntry[] = [];
  for (const backend of keyBackends()) {
    const kind = backend.kind;
    list(raw[kind], `${where}.${kind}`).forEach((k, i) => keys.push(backend.decodeEntry(entryFields(k, `${where}.${kind}[${i}]`))));
  }
  return keys;
}

/** Entries of a raw group, counted without decoding them (the lists may be huge). */
function rawGroupSize(raw: Raw): number {
  return keyBackends().reduce((n, { kind }) => n + (Array.isArray(raw[kind]) ? (raw[kind] as unknown[]).length : 0), 0);
}

/** Refuses metadata with more key groups or entries than hush reads (limits.ts), before decoding any. */
function assertKeyGroupLimits(raw: Raw): void {
  const flat = rawGroupSize(raw);
  const groups = raw["key_groups"];
  const sizes = flat > 0 || !Array.isArray(groups) ? [flat] : groups.map((g: unknown) => (isMap(g) ? rawGroupSize(g) : 0));
  const problem = keyGroupLimitProblem(sizes);
  if (problem !== undefined) throw invalid(problem);
}


/** What the section holds that SOPS ignores, or undefined when nothing. */
function unreadParts(raw: Raw, flatUsed: boolean): UnreadMetadata | undefined {
  const lookalikes = lookalikeFields(raw);
  const unknownFields = Object.keys(raw)
    .filter((name) => !isSopsSectionField(name) && keyBackend(name) === undefined && !lookalikes.some((l) => l.where === `sops.${name}`))
    .map((name) => ({ name, value: canonicalJson(raw[name]) }));
  const groups = raw["key_groups"];
  // SOPS reads key_groups only when every flat list is empty; anything in it is then ignored.
  const ignoredKeyGroups = !flatUsed || groups === undefined || groups === null ? 0 : Array.isArray(groups) ? groups.length : 1;
  return unknownFields.length === 0 && ignoredKeyGroups === 0 && lookalikes.length === 0 ? undefined : { unknownFields, ignoredKeyGroups, lookalikeFields: lookalikes };
}

/**
 * The threshold as tools write it: a JSON number, or decimal digits. Other spellings are refused,
 * not read: SOPS parses integers with Go's base prefixes (go-yaml, and mapstructure's weak typing
 * in 3.13), so `010` is 8 to it and would be 10 here.
 */
function threshold(v: unknown): number {
  if (typeof v === "boolean") throw invalid("shamir_threshold is not a small integer");
  const text = typeof v === "number" ? String(v) : str(v, "shamir_threshold", false);
  if (text === "") return 0;
  if (typeof v === "string" && !PLAIN_DECIMAL.test(text)) throw invalid("shamir_threshold is not written as a decimal integer (SOPS reads 010 as 8)");
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw invalid("shamir_threshold is not a small integer");
  return n;
}

/**
 * `mac_only_encrypted` as tools write it: true or false (or nothing). Other spellings are
 * refused: SOPS takes go-yaml's YAML 1.1 words (`yes`, `on`, `True`) and, in 3.13, Go's
 * `ParseBool` spellings and non-zero numbers for true, where hush's review and MAC would read false.
 */
function macOnly(v: unknown): boolean {
  if (v === true || v === "true") return true;
  if (v === false || v === "false" || v === undefined || v === null || v === "") return false;
  throw invalid("mac_only_encrypted is neither true nor false (SOPS reads yes, on, True, 1 and t as true)");
}

/** Decodes a `sops` section. Throws METADATA_INVALID naming the field (never a value). */
export function decodeMetadata(raw: unknown): FileMetadata {
  if (!isMap(raw)) throw invalid("the sops section is not a map");
  let rule: EncryptionRule | undefined;
  for (const kind of ENCRYPTION_RULE_KINDS) {
    const v = str(raw[kind], kind, false);
    if (v === "") continue;
    if (rule !== undefined) throw invalid(`cannot use more than one of ${rule.kind} and ${kind}`);
    rule = { kind, value: v };
  }
  assertKeyGroupLimits(raw);
  const flat = decodeGroup(raw, "sops");
  let keyGroups: MasterKeyEntry[][];
  if (flat.length > 0) {
    keyGroups = [flat];
    // Ignored beside the flat lists, but SOPS decodes it first (into a list of groups) and
    // refuses the file when it is not one: hush opening it would be a file only hush opens.
    list(raw["key_groups"], "key_groups").forEach((g, i) => {
      if (g !== null && !isMap(g)) throw invalid(`key_groups[${i}] is not a map`);
    });
  } else {
    keyGroups = list(raw["key_groups"], "key_groups").map((g, i) => {
      if (!isMap(g)) throw invalid(`key_groups[${i}] is not a map`);
      return decodeGroup(g, `key_groups[${i}]`);
    });
  }
  if (keyGroups.length === 0 || keyGroups.every((g) => g.length === 0)) {
    // A program using @hush/core alone may not have registered any key backend yet.
    if (keyBackends().length === 0) throw new HushError("METADATA_INVALID", "invalid sops metadata: no keys found in file", { hint: "no key backend is registered: call registerKeyBackends (or defaultKeySources() of @hush/cli) first" });
    const lookalike = lookalikeFields(raw).find((l) => l.where === `sops.${l.name}` || l.where.startsWith("sops.key_groups["));
    throw invalid(lookalike === undefined ? "no keys found in file" : `no keys found in file: ${printable(lookalike.where, 200)} is not spelled ${lookalike.reads} (SOPS reads it as that field, hush does not; no tool writes it)`);
  }
  const shamirThreshold = threshold(raw["shamir_threshold"]);
  const macOnlyEncrypted = macOnly(raw["mac_only_encrypted"]);
  const unread = unreadParts(raw, flat.length > 0);
  return {
    ...(unread === undefined ? {} : { unread }),
    keyGroups,
    shamirThreshold,
    lastModified: timestamp(raw["lastmodified"], "lastmodified"),
    mac: str(raw["mac"], "mac", false),
    rule,
    macOnlyEncrypted,
    version: str(raw["version"], "version", false),
  };
}

function encodeGroup(group: readonly MasterKeyEntry[], inKeyGroups: boolean): Raw {
  const out: Raw = {};
  for (const entry of group) {
    if (keyBackend(entry.kind) === undefined) throw invalid(`no key backend is registered for ${printable(entry.kind, 40)} keys`);
  }
  // SOPS 3.13 writes provider lists in bytewise-sorted order.
  const kinds = keyBackends().slice().sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
  for (const backend of kinds) {
    const keys = group.filter((k) => k.kind === backend.kind).map((k) => backend.encodeEntry(k));
    // Inside key_groups SOPS always writes `age` and `hc_vault`, even empty (spec 6.1 quirk).
    if (keys.length > 0 || (inKeyGroups && backend.listedWhenEmpty === true)) out[backend.kind] = keys;
  }
  return out;
}

/** Encodes metadata as plain data in SOPS 3.13 key order (spec 6.3). */
export function encodeMetadata(m: FileMetadata): Record<string, unknown> {
  checkObject(m, "the metadata");
  if (!Array.isArray(m.keyGroups)) throw invalidArgument("the metadata's keyGroups must be an array");
  const entries: Array<[string, unknown]> = [];
  if (m.keyGroups.length === 1) appendAll(entries, Object.entries(encodeGroup(m.keyGroups[0]!, false)));
  else entries.push(["key_groups", m.keyGroups.map((g) => encodeGroup(g, true))]);
  if (m.rule !== undefined) entries.push([m.rule.kind, m.rule.value]);
  entries.push(["lastmodified", m.lastModified], ["mac", m.mac]);
  if (m.macOnlyEncrypted) entries.push(["mac_only_encrypted", true]);
  if (m.shamirThreshold !== 0) entries.push(["shamir_threshold", m.shamirThreshold]);
  entries.push(["version", m.version]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * Flattens metadata for dotenv and INI (spec 6.2, `stores/flatten.go`): `__map_<key>` and
 * `__list_<i>` steps, leaves only; empty lists vanish.
 */
export function flattenMetadata(data: Record<string, unknown>): Array<[string, string]> {
  checkObject(data, "the metadata");
  const out: Array<[string, string]> = [];
  const walk = (value: unknown, prefix: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${prefix}__list_${i}`));
    else if (isMap(value)) for (const [k, v] of Object.entries(value)) walk(v, prefix === "" ? k : `${prefix}__map_${k}`);
    else out.push([prefix, typeof value === "string" ? value : String(value)]);
  };
  walk(data, "");
  return out;
}

const MAP_SEPARATOR = "__map_";
const LIST_SEPARATOR = "__list_";

/** One step of a flattened key: a map key, or a list index as written. */
type FlatStep = { readonly list: false; readonly key: string } | { readonly list: true; readonly index: string };

/**
 * The steps of a flattened key, split where SOPS splits it (stores/flatten.go `tokenize`): at
 * every `__map_` and `__list_`, scanning from the left, the next separator searched from the end
 * of the last one. So `a__map__map_b` is `a` then the key `_map_b`, and `__list_` followed by no
 * number is still a list step.
 */
function flatKeySteps(flatKey: string): FlatStep[] {
  const steps: FlatStep[] = [];
  let list = false;
  let start = 0;
  const finish = (end: number): void => {
    const text = flatKey.slice(start, end);
    steps.push(list ? { list, index: text } : { list, key: text });
  };
  for (let i = flatKey.indexOf("__"); i !== -1; i = flatKey.indexOf("__", i)) {
    const separator = flatKey.startsWith(MAP_SEPARATOR, i) ? MAP_SEPARATOR : flatKey.startsWith(LIST_SEPARATOR, i) ? LIST_SEPARATOR : undefined;
    if (separator === undefined) {
      i++;
      continue;
    }
    finish(i);
    list = separator === LIST_SEPARATOR;
    i += separator.length;
    start = i;
  }
  finish(flatKey.length);
  return steps;
}

const RESERVED_KEY = /^(__proto__|constructor|prototype)$/;

/**
 * Inverse of flattenMetadata, splitting keys as SOPS does (flatKeySteps). List indices must be
 * plain decimal (PLAIN_DECIMAL: no tool writes another) and 0..n-1 (SOPS: "Incomplete list").
 */
export function unflattenMetadata(entries: ReadonlyArray<readonly [string, string]>): Record<string, unknown> {
  if (!isArray(entries) || entries.some((e) => !isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string")) {
    throw invalidArgument("the flattened metadata must be an array of [key, value] string pairs");
  }
  const root: Raw = {};
  for (const [flatKey, value] of entries) {
    const shown = printable(flatKey, 100);
    const steps = flatKeySteps(flatKey);
    if (steps.length > MAX_FLAT_METADATA_DEPTH) {
      throw invalid(`a flattened key nests ${steps.length} levels deep; hush reads at most ${MAX_FLAT_METADATA_DEPTH} levels (${shown})`);
    }
    // Keys come from the file: never let one reach an object's prototype.
    if (steps.some((s) => !s.list && RESERVED_KEY.test(s.key))) throw invalid(`reserved name in ${shown}`);
    if (steps.some((s) => s.list && !PLAIN_DECIMAL.test(s.index))) {
      throw invalid(`the list index in ${shown} is not plain decimal (SOPS reads it as another index, or as 0 when it is no number; no tool writes it)`);
    }
    let node: Raw | unknown[] = root;
    steps.forEach((step, i) => {
      const last = i === steps.length - 1;
      const key = step.list ? Number(step.index) : step.key;
      // A complete list of n items needs n keys: a larger index can never be valid.
      if (typeof key === "number" && !(key < entries.length)) throw invalid(`list index out of range in ${shown}`);
      const nextIsList = !last && steps[i + 1]!.list;
      const container = node as Record<string | number, unknown>;
      if (Array.isArray(node) !== (typeof key === "number")) throw invalid(`type mismatch at ${shown}`);
      if (last) {
        if (container[key] !== undefined) throw invalid(`type mismatch at ${shown}`);
        container[key] = value;
        return;
      }
      let child = container[key];
      if (child === undefined) {
        child = nextIsList ? [] : {};
        container[key] = child;
      }
      if (typeof child !== "object" || child === null) throw invalid(`type mismatch at ${shown}`);
      node = child as Raw | unknown[];
    });
  }
  // Iterative (the depth is bounded above, but this must not depend on it).
  const pending: unknown[] = [root];
  for (let v = pending.pop(); v !== undefined; v = pending.pop()) {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) throw invalid("incomplete list in flattened metadata");
        pending.push(v[i]);
      }
    } else if (isMap(v)) for (const child of Object.values(v)) pending.push(child);
  }
  return root;
}
