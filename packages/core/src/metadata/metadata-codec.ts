import { checkObject, invalidArgument, isArray } from "../arguments.ts";
import { HushError, printable } from "../errors.ts";
import type { MasterKeyEntry, OpaqueKeyEntry } from "../key-source.ts";
import { goCanonicalTime } from "../crypto/go-format.ts";
import { ENCRYPTION_RULE_KINDS, type EncryptionRule, type FileMetadata, type UnreadMetadata } from "./file-metadata.ts";
import { keyGroupLimitProblem, MAX_FLAT_METADATA_DEPTH } from "./limits.ts";

/**
 * The on-disk layout of the `sops` section (spec 6). Decoding accepts any key order, `null`
 * lists and SOPS's weak typing ("2" for 2); encoding writes SOPS 3.13's sorted order.
 * Metadata is untrusted input: every field is type-checked here, where it enters.
 */

type Raw = Record<string, unknown>;

function invalid(message: string): HushError {
  return new HushError("METADATA_INVALID", `invalid sops metadata: ${message}`);
}

function isMap(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown, field: string, required: boolean): string {
  if (v === undefined || v === null) {
    if (required) throw invalid(`${field} is missing`);
    return "";
  }
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  throw invalid(`${field} is not a string`);
}

function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${field} is not a list`);
  return v;
}

function timestamp(v: unknown, field: string): string {
  const s = str(v, field, true);
  const canonical = goCanonicalTime(s);
  if (canonical === undefined) throw invalid(`${field} is not an RFC 3339 time`);
  return canonical.replace(/\.\d+/, "");
}

const OPAQUE_KINDS = ["gcp_kms", "azure_kv", "hc_vault", "hckms"] as const;
const FLAT_KEY_FIELDS = ["age", "pgp", "kms", ...OPAQUE_KINDS] as const;

function decodeKey(kind: (typeof FLAT_KEY_FIELDS)[number], raw: unknown, where: string): MasterKeyEntry {
  if (!isMap(raw)) throw invalid(`${where} is not a map`);
  switch (kind) {
    case "age":
      return { kind, recipient: str(raw["recipient"], `${where}.recipient`, true).trim(), enc: str(raw["enc"], `${where}.enc`, true) };
    case "pgp":
      return {
        kind,
        fp: str(raw["fp"], `${where}.fp`, true).replace(/\s/g, ""),
        createdAt: timestamp(raw["created_at"], `${where}.created_at`),
        enc: str(raw["enc"], `${where}.enc`, true),
      };
    case "kms": {
      const ctxRaw = raw["context"];
      const context: Record<string, string> = {};
      if (ctxRaw !== undefined && ctxRaw !== null) {
        if (!isMap(ctxRaw)) throw invalid(`${where}.context is not a map`);
        for (const [k, v] of Object.entries(ctxRaw)) context[k] = str(v, `${where}.context`, true);
      }
      return {
        kind,
        arn: str(raw["arn"], `${where}.arn`, true),
        role: str(raw["role"], `${where}.role`, false),
        context,
        awsProfile: str(raw["aws_profile"], `${where}.aws_profile`, false),
        createdAt: timestamp(raw["created_at"], `${where}.created_at`),
        enc: str(raw["enc"], `${where}.enc`, true),
      };
    }
    default: {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) fields[k] = str(v, `${where}.${k}`, false);
      return { kind, fields };
    }
  }
}

function decodeGroup(raw: Raw, where: string): MasterKeyEntry[] {
  const keys: MasterKeyEntry[] = [];
  for (const kind of FLAT_KEY_FIELDS) {
    list(raw[kind], `${where}.${kind}`).forEach((k, i) => keys.push(decodeKey(kind, k, `${where}.${kind}[${i}]`)));
  }
  return keys;
}

/** Entries of a raw group, counted without decoding them (the lists may be huge). */
function rawGroupSize(raw: Raw): number {
  return FLAT_KEY_FIELDS.reduce((n, kind) => n + (Array.isArray(raw[kind]) ? (raw[kind] as unknown[]).length : 0), 0);
}

/** Refuses metadata with more key groups or entries than hush reads (limits.ts), before decoding any. */
function assertKeyGroupLimits(raw: Raw): void {
  const flat = rawGroupSize(raw);
  const groups = raw["key_groups"];
  const sizes = flat > 0 || !Array.isArray(groups) ? [flat] : groups.map((g: unknown) => (isMap(g) ? rawGroupSize(g) : 0));
  const problem = keyGroupLimitProblem(sizes);
  if (problem !== undefined) throw invalid(problem);
}

/** Every top-level field SOPS reads (spec 6.1); others are ignored on load. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([
  ...FLAT_KEY_FIELDS,
  ...ENCRYPTION_RULE_KINDS,
  "key_groups",
  "lastmodified",
  "mac",
  "mac_only_encrypted",
  "shamir_threshold",
  "version",
]);

/** JSON with sorted keys, so the same value always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isMap(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** What the section holds that SOPS ignores, or undefined when nothing. */
function unreadParts(raw: Raw, flatUsed: boolean): UnreadMetadata | undefined {
  const unknownFields = Object.keys(raw)
    .filter((name) => !KNOWN_FIELDS.has(name))
    .map((name) => ({ name, value: canonicalJson(raw[name]) }));
  const groups = raw["key_groups"];
  // SOPS reads key_groups only when every flat list is empty; anything in it is then ignored.
  const ignoredKeyGroups = !flatUsed || groups === undefined || groups === null ? 0 : Array.isArray(groups) ? groups.length : 1;
  return unknownFields.length === 0 && ignoredKeyGroups === 0 ? undefined : { unknownFields, ignoredKeyGroups };
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
  if (flat.length > 0) keyGroups = [flat];
  else {
    keyGroups = list(raw["key_groups"], "key_groups").map((g, i) => {
      if (!isMap(g)) throw invalid(`key_groups[${i}] is not a map`);
      return decodeGroup(g, `key_groups[${i}]`);
    });
  }
  if (keyGroups.length === 0 || keyGroups.every((g) => g.length === 0)) throw invalid("no keys found in file");
  const thresholdText = str(raw["shamir_threshold"], "shamir_threshold", false);
  const shamirThreshold = thresholdText === "" ? 0 : Number(thresholdText);
  if (!Number.isInteger(shamirThreshold) || shamirThreshold < 0 || shamirThreshold > 255) throw invalid("shamir_threshold is not a small integer");
  const macOnly = raw["mac_only_encrypted"];
  const unread = unreadParts(raw, flat.length > 0);
  return {
    ...(unread === undefined ? {} : { unread }),
    keyGroups,
    shamirThreshold,
    lastModified: timestamp(raw["lastmodified"], "lastmodified"),
    mac: str(raw["mac"], "mac", false),
    rule,
    macOnlyEncrypted: macOnly === true || macOnly === "true",
    version: str(raw["version"], "version", false),
  };
}

function encodeKey(key: MasterKeyEntry): Raw {
  switch (key.kind) {
    case "age":
      return { enc: key.enc, recipient: key.recipient };
    case "pgp":
      return { created_at: key.createdAt, enc: key.enc, fp: key.fp };
    case "kms": {
      const out: Raw = { arn: key.arn, aws_profile: key.awsProfile };
      const ctxKeys = Object.keys(key.context).sort();
      if (ctxKeys.length > 0) out["context"] = Object.fromEntries(ctxKeys.map((k) => [k, key.context[k]]));
      out["created_at"] = key.createdAt;
      out["enc"] = key.enc;
      if (key.role !== "") out["role"] = key.role;
      return out;
    }
    default: {
      const opaque = key as OpaqueKeyEntry;
      return Object.fromEntries(Object.keys(opaque.fields).sort().map((k) => [k, opaque.fields[k]]));
    }
  }
}

/** SOPS 3.13 writes provider lists in bytewise-sorted order. */
const SORTED_KINDS = ["age", "azure_kv", "gcp_kms", "hc_vault", "hckms", "kms", "pgp"] as const;

function encodeGroup(group: readonly MasterKeyEntry[], inKeyGroups: boolean): Raw {
  const out: Raw = {};
  for (const kind of SORTED_KINDS) {
    const keys = group.filter((k) => k.kind === kind).map(encodeKey);
    // Inside key_groups SOPS always writes `age` and `hc_vault`, even empty (spec 6.1 quirk).
    if (keys.length > 0 || (inKeyGroups && (kind === "age" || kind === "hc_vault"))) out[kind] = keys;
  }
  return out;
}

/** Encodes metadata as plain data in SOPS 3.13 key order (spec 6.3). */
export function encodeMetadata(m: FileMetadata): Record<string, unknown> {
  checkObject(m, "the metadata");
  if (!Array.isArray(m.keyGroups)) throw invalidArgument("the metadata's keyGroups must be an array");
  const entries: Array<[string, unknown]> = [];
  if (m.keyGroups.length === 1) entries.push(...Object.entries(encodeGroup(m.keyGroups[0]!, false)));
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

/** Inverse of flattenMetadata. List indices must be 0..n-1 (SOPS: "Incomplete list"). */
export function unflattenMetadata(entries: ReadonlyArray<readonly [string, string]>): Record<string, unknown> {
  if (!isArray(entries) || entries.some((e) => !isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "string")) {
    throw invalidArgument("the flattened metadata must be an array of [key, value] string pairs");
  }
  const root: Raw = {};
  for (const [flatKey, value] of entries) {
    const shown = printable(flatKey, 100);
    const steps = flatKey.split(/__(?=map_|list_\d)/);
    if (steps.length > MAX_FLAT_METADATA_DEPTH) {
      throw invalid(`a flattened key nests ${steps.length} levels deep; hush reads at most ${MAX_FLAT_METADATA_DEPTH} levels (${shown})`);
    }
    // Keys come from the file: never let one reach an object's prototype.
    if (steps.some((s) => /^(map_)?(__proto__|constructor|prototype)$/.test(s))) throw invalid(`reserved name in ${shown}`);
    let node: Raw | unknown[] = root;
    steps.forEach((step, i) => {
      const last = i === steps.length - 1;
      let key: string | number;
      if (i === 0) key = step;
      else if (step.startsWith("map_")) key = step.slice(4);
      else {
        key = Number(step.slice(5));
        // A complete list of n items needs n keys: a larger index can never be valid.
        if (!(key < entries.length)) throw invalid(`list index out of range in ${shown}`);
      }
      const nextIsList = !last && steps[i + 1]!.startsWith("list_");
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
