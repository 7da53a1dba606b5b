import { HushError } from "../errors.ts";
import { goCanonicalTime } from "../crypto/go-format.ts";

/**
 * Typed reading of the untrusted fields of the `sops` section: one place that checks types and
 * names the field (never its value) when one is wrong. Used by the metadata codec and, through
 * `EntryFields`, by every key backend's entry decoder.
 */

export type RawMap = Record<string, unknown>;

/** METADATA_INVALID with SOPS's "invalid sops metadata" prefix. */
export function invalidMetadata(message: string): HushError {
  return new HushError("METADATA_INVALID", `invalid sops metadata: ${message}`);
}

export function isMap(v: unknown): v is RawMap {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A string field. A number or boolean (JSON's) is refused: no tool writes one there, and every
 * SOPS version reads it otherwise than its JavaScript text. 3.9–3.12 refuse it (encoding/json into
 * a string field); 3.13 prints it into the field (stores/metadata.go:87, mapstructure's weak
 * typing: a boolean as 1 or 0, a float with FormatFloat 'f'), and 3.13.2 keeps an int64 exactly
 * (stores/json/store.go `normalizeJSONNumber`) where JavaScript has rounded it.
 */
export function str(v: unknown, field: string, required: boolean): string {
  if (v === undefined || v === null) {
    if (required) throw invalidMetadata(`${field} is missing`);
    return "";
  }
  if (typeof v === "string") return v;
  throw invalidMetadata(`${field} is not a string`);
}

export function list(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidMetadata(`${field} is not a list`);
  return v;
}

/** An RFC 3339 time, in Go's canonical form with seconds precision (as SOPS writes it). */
export function timestamp(v: unknown, field: string): string {
  const s = str(v, field, true);
  const canonical = goCanonicalTime(s);
  if (canonical === undefined) throw invalidMetadata(`${field} is not an RFC 3339 time`);
  return canonical.replace(/\.\d+/, "");
}

/**
 * The fields of one master-key entry, as a backend's decoder reads them. Every accessor checks
 * the type and throws METADATA_INVALID naming `where` and the field.
 */
export interface EntryFields {
  /** Where the entry is, e.g. `key_groups[1].age[0]`, for the backend's own messages. */
  readonly where: string;
  /** A required string field. */
  text(name: string): string;
  /** A string field, "" when absent or null. */
  optionalText(name: string): string;
  /** A required RFC 3339 time, normalized to seconds as SOPS writes it. */
  time(name: string): string;
  /** A map of strings, empty when absent or null. */
  textMap(name: string): Record<string, string>;
  /** Every field as a string (for kinds kept verbatim). */
  all(): Record<string, string>;
}

/** Reads `raw` (one item of a key list) as an entry's fields. */
export function entryFields(raw: unknown, where: string): EntryFields {
  if (!isMap(raw)) throw invalidMetadata(`${where} is not a map`);
  return {
    where,
    text: (name) => str(raw[name], `${where}.${name}`, true),
    optionalText: (name) => str(raw[name], `${where}.${name}`, false),
    time: (name) => timestamp(raw[name], `${where}.${name}`),
    textMap: (name) => {
      const v = raw[name];
      const out: Record<string, string> = {};
      if (v === undefined || v === null) return out;
      if (!isMap(v)) throw invalidMetadata(`${where}.${name} is not a map`);
      for (const [k, x] of Object.entries(v)) out[k] = str(x, `${where}.${name}`, true);
      return out;
    },
    all: () => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) out[k] = str(v, `${where}.${k}`, false);
      return out;
    },
  };
}
