import { lineEditing } from "./line-editing.ts";
import type { ScalarValue, TreeComment, TreeMap, TreeMapEntry } from "../tree/values.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import type { Leaf, ParsedDocument, Store } from "./store.ts";
import { appendMetadata, basicString, emitTree } from "./toml-emit.ts";
import { isScalarSource, parseToml } from "./toml-parser.ts";
import { METADATA_KEY, toTreeNode } from "./toml-values.ts";

/**
 * TOML, edited in place. SOPS has no TOML store, so the layout is hush's own (docs/formats.md):
 * values are encrypted where they stand, comments become `#ENC[…]`, and the metadata is a
 * `[sops]` table appended after the data, holding what the YAML `sops:` map holds.
 *
 * The parser is span-aware and validates TOML 1.0 itself (duplicate keys, table redefinition,
 * inline-table and array immutability, value syntax): it has to know where each value starts
 * and ends, and it keeps every number's exact spelling, so integers of any size survive. A value
 * is encrypted as its exact source text: integers and floats that Go reads the same way keep
 * `type:int`/`type:float`, booleans `type:bool`, RFC 3339 offset date-times `type:time`;
 * everything else (strings, with their quotes and escapes, local dates and times, hex/octal/binary
 * integers, numbers with `_`, integers beyond int64) is `type:str` holding the TOML spelling.
 * Decryption writes that text back, so the file comes back byte for byte.
 *
 * The stages live in their own files: toml-scanner.ts (tokens), toml-parser.ts (tables, leaves
 * and metadata), toml-values.ts (the node model and what a scalar means), toml-emit.ts (writing
 * metadata and converted documents). This file is the glue the store interface asks for.
 */

function parse(text: string): ParsedDocument {
  const r = parseToml(text);
  return { leaves: r.leaves, metadata: r.metadata, metadataSpans: r.metadataSpans, documentCount: 1 };
}

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  if (leaf.kind === "comment") return value.text.replace(/\r?\n/g, (nl) => `${nl}#`);
  // hush encrypts a value's TOML spelling; a plain string (from elsewhere) is quoted.
  if (value.type === "str" && (looksEncrypted(value.text) || !isScalarSource(value.text))) return basicString(value.text);
  return value.text;
}

function toTree(text: string): TreeMap {
  const { root } = parseToml(text);
  const entries: Array<TreeMapEntry | TreeComment> = [];
  for (const [key, v] of root.entries) if (key !== METADATA_KEY) entries.push({ kind: "entry", key, value: toTreeNode(v) });
  return { kind: "map", entries };
}

/** The TOML store (hush's own layout; see the module comment and docs/formats.md). */
export const tomlStore: Store = {
  format: "toml",
  parse,
  renderEncrypted: (leaf, envelope) => (leaf.kind === "comment" ? envelope : `"${envelope}"`),
  renderPlaintext,
  appendMetadata: (dataText, metadata) => appendMetadata(dataText, metadata),
  toTree,
  emitTree,
  ...lineEditing(() => tomlStore, { sections: true, bracketedValues: true, keepQuotes: false, dottedKeys: true, inlineContainers: true }),
};
