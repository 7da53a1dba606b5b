import { goAtoi, goCanonicalTime, goParseFloat } from "../crypto/go-format.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import type { ScalarValue, TreeNode } from "../tree/values.ts";

/**
 * The TOML value model: the nodes the parser builds, and what a scalar means. A scalar keeps its
 * exact source text (`raw`) because hush encrypts a value as its TOML spelling and writes that
 * spelling back on decryption; its meaning (decoded string, decimal integer, normalized time) is
 * only worked out here, for the SOPS type of a leaf, conversions to other formats, and metadata.
 */

/** The key of the trailing table that holds the SOPS metadata (what `sops:` is in YAML). */
export const METADATA_KEY = "sops";

/** What kind of scalar the scanner read; the SOPS type follows from it and the spelling. */
export type ScalarKind = "string" | "integer" | "float" | "bool" | "offset-datetime" | "local-datetime" | "local-date" | "local-time";

/** A scalar value with its exact source text and where it stands in the file. */
export interface TomlScalar {
  readonly kind: "scalar";
  readonly scalarKind: ScalarKind;
  readonly raw: string;
  /** Strings: the decoded value. */
  readonly decoded: string;
  readonly start: number;
  readonly end: number;
}

/** A table; `how` records its origin because TOML lets only some tables be extended later. */
export interface TomlTable {
  readonly kind: "table";
  readonly entries: Map<string, TomlNode>;
  /** How the table came to be: it decides whether a header or dotted key may extend it. */
  how: "root" | "header" | "implicit" | "dotted" | "inline" | "aot";
}

/** An inline array, or an array of tables made by `[[…]]` headers. */
export interface TomlArray {
  readonly kind: "array";
  readonly items: TomlNode[];
  /** Made by `[[…]]` headers (extensible), as opposed to an inline `[…]` value. */
  readonly aot: boolean;
}

export type TomlNode = TomlScalar | TomlTable | TomlArray;

/** The spelling of a scalar that goes into the ENC envelope, and its SOPS type. */
export function leafValue(s: TomlScalar): ScalarValue {
  const raw = s.raw;
  switch (s.scalarKind) {
    case "string":
      if (s.decoded === "") return { type: "str", text: "" };
      // An ENC string reads as the envelope itself, so that encrypted files decrypt.
      if (raw === `"${s.decoded}"` && looksEncrypted(s.decoded)) return { type: "str", text: s.decoded };
      return { type: "str", text: raw };
    case "integer":
      return /^[+-]?\d+$/.test(raw) && goAtoi(raw) !== undefined ? { type: "int", text: raw } : { type: "str", text: raw };
    case "float": {
      // Go's ParseFloat rejects out-of-range spellings such as 1e400 (JavaScript gives Infinity).
      const v = raw.includes("_") ? undefined : goParseFloat(raw);
      return v !== undefined && (Number.isFinite(v) || /(inf|nan)$/.test(raw)) ? { type: "float", text: raw } : { type: "str", text: raw };
    }
    case "bool":
      return { type: "bool", text: raw };
    case "offset-datetime":
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(raw) && goCanonicalTime(raw) !== undefined ? { type: "time", text: raw } : { type: "str", text: raw };
    default:
      return { type: "str", text: raw };
  }
}

/** The value of a scalar for conversions: strings decoded, integers in decimal, times normalized. */
export function treeValue(s: TomlScalar): ScalarValue {
  const raw = s.raw;
  switch (s.scalarKind) {
    case "string":
      return { type: "str", text: s.decoded };
    case "integer":
      return { type: "int", text: BigInt(raw.replace(/_/g, "")).toString() };
    case "float": {
      // No leading +: JSON has none, and its writer would respell +1.0 as 1, an integer to readers.
      const text = raw.replace(/_/g, "").replace(/^\+/, "");
      return { type: "float", text: /nan$/.test(text) ? "nan" : text };
    }
    case "bool":
      return { type: "bool", text: raw };
    case "offset-datetime": {
      const text = raw.replace(/^(\d{4}-\d{2}-\d{2})[tT ]/, "$1T").replace(/z$/, "Z");
      return goCanonicalTime(text) !== undefined ? { type: "time", text } : { type: "str", text: raw };
    }
    default:
      return { type: "str", text: raw };
  }
}

/** Metadata tables as plain data (strings, numbers, booleans, lists, maps). */
export function plainOf(node: TomlNode): Record<string, unknown> | undefined {
  const conv = (n: TomlNode): unknown => {
    if (n.kind === "table") return Object.fromEntries([...n.entries].map(([k, v]) => [k, conv(v)]));
    if (n.kind === "array") return n.items.map(conv);
    switch (n.scalarKind) {
      case "string":
        return n.decoded;
      case "integer": {
        const v = BigInt(n.raw.replace(/_/g, ""));
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      }
      case "float":
        return Number(n.raw.replace(/_/g, ""));
      case "bool":
        return n.raw === "true";
      default:
        return n.raw;
    }
  };
  const v = conv(node);
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A parsed node as the format-neutral tree that conversions between formats use. */
export function toTreeNode(node: TomlNode): TreeNode {
  if (node.kind === "table") return { kind: "map", entries: [...node.entries].map(([key, v]) => ({ kind: "entry" as const, key, value: toTreeNode(v) })) };
  if (node.kind === "array") return { kind: "list", items: node.items.map(toTreeNode) };
  return { kind: "scalar", value: treeValue(node) };
}
