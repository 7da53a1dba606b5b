import { parseTree, type Node, type ParseError } from "jsonc-parser";
import { HushError } from "../errors.ts";
import type { ScalarValue, TreeMap } from "../tree/values.ts";
import { assertUniqueKeys } from "./json-keys.ts";
import { lineIndex } from "./lines.ts";
import { tooDeepAt } from "./nesting.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";

/**
 * SOPS's binary layout (spec 7.5): the whole file is one string value `data` (AAD `data:`),
 * stored as `{"data": "ENC[…]", "sops": {…}}` in JSON with tab indentation and a final newline.
 *
 * Text in and out of this store is the file's bytes one character per byte (latin1), which is
 * what the orchestration encrypts for the binary format, so any byte sequence round-trips.
 * Only used when asked for (`--input-type binary`): unknown extensions are not binary by default.
 */

const DATA_KEY = "data";

interface Envelope {
  readonly data: Node;
  readonly sops: Node;
}

/** The `{"data": "…", "sops": {…}}` envelope of an encrypted file, or undefined for plain bytes. */
function envelopeOf(text: string): Envelope | undefined {
  // The parser recurses: text nested too deep for it is not an envelope hush wrote (plain bytes).
  if (!/^\s*\{/.test(text) || tooDeepAt(text) !== undefined) return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || root === undefined || root.type !== "object") return undefined;
  const props = root.children ?? [];
  if (props.length !== 2) return undefined;
  const byKey = new Map(props.map((p) => [(p.children![0]!.value as string), p.children![1]!]));
  const data = byKey.get(DATA_KEY);
  const sops = byKey.get("sops");
  if (data === undefined || sops === undefined || data.type !== "string" || sops.type !== "object") return undefined;
  return { data, sops };
}

function parse(text: string): ParsedDocument {
  const env = envelopeOf(text);
  if (env === undefined) {
    return { leaves: [{ kind: "scalar", path: [DATA_KEY], document: 0, value: { type: "str", text }, start: 0, end: text.length, line: 1 }], metadata: undefined, metadataSpans: [], documentCount: 1 };
  }
  // The data leaf and the metadata together cover the whole file: decryption leaves only the bytes.
  const d = env.data;
  const s = env.sops;
  assertUniqueKeys(s, lineIndex(text), ["sops"]);
  const metadata = JSON.parse(text.slice(s.offset, s.offset + s.length)) as unknown;
  if (d.value === "") {
    // An empty file: nothing was encrypted, so the whole envelope is what encryption added.
    return { leaves: [{ kind: "scalar", path: [DATA_KEY], document: 0, value: { type: "str", text: "" }, start: 0, end: 0, line: 1 }], metadata, metadataSpans: [{ start: 0, end: text.length }], documentCount: 1 };
  }
  const dataFirst = d.offset < s.offset;
  const leafSpan = dataFirst ? { start: 0, end: d.offset + d.length } : { start: d.offset, end: text.length };
  const metaSpan = dataFirst ? { start: d.offset + d.length, end: text.length } : { start: 0, end: d.offset };
  const line = text.slice(0, d.offset).split("\n").length;
  return {
    leaves: [{ kind: "scalar", path: [DATA_KEY], document: 0, value: { type: "str", text: d.value as string }, ...leafSpan, line }],
    metadata,
    metadataSpans: [metaSpan],
    documentCount: 1,
  };
}

/** Go's JSON string escaping (as SOPS writes): `<`, `>`, `&` and U+2028/9 escaped. */
function goJson(value: unknown, unit: string): string {
  const text = unit === "" ? JSON.stringify(value) : JSON.stringify(value, null, unit);
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function indentUnit(options: EmitOptions): string {
  return options.indent === undefined || options.indent < 0 ? "\t" : " ".repeat(options.indent);
}

/** The envelope string held by a data part (whatever the member order it was read with). */
function envelopeText(dataText: string): string {
  if (dataText === "") return ""; // an empty file: SOPS leaves "" unencrypted
  const m = /"(ENC\[[^"]*\])"/.exec(dataText);
  if (m === null) throw new HushError("INTERNAL", "binary data part without an encrypted value");
  return m[1]!;
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>, _documentCount: number, options: EmitOptions): string {
  const unit = indentUnit(options);
  const body = goJson({ [DATA_KEY]: envelopeText(dataText), sops: metadata }, unit);
  return body + "\n";
}

function toTree(text: string): TreeMap {
  // Conversions see the bytes as UTF-8 text (invalid sequences become U+FFFD, as in Go's JSON).
  const value: ScalarValue = { type: "str", text: Buffer.from(text, "latin1").toString("utf8") };
  return { kind: "map", entries: [{ kind: "entry", key: DATA_KEY, value: { kind: "scalar", value } }] };
}

function emitTree(tree: TreeMap, _options: EmitOptions): string {
  const entry = tree.entries.find((e) => e.kind === "entry" && e.key === DATA_KEY);
  if (entry === undefined || entry.kind !== "entry" || entry.value.kind !== "scalar" || entry.value.value.type !== "str") {
    throw new HushError("EMIT_FAILED", `the binary format needs a top-level string "${DATA_KEY}" to write`, { location: { keyPath: `["${DATA_KEY}"]` } });
  }
  return Buffer.from(entry.value.value.text, "utf8").toString("latin1");
}

/** The binary store (SOPS's `{"data", "sops"}` JSON envelope; see the module comment). */
export const binaryStore: Store = {
  format: "binary",
  parse,
  // The data part is the envelope without its `sops` member; appendMetadata writes the whole JSON.
  renderEncrypted: (_leaf: Leaf, envelope: string) => `{\n\t"${DATA_KEY}": "${envelope}"`,
  renderPlaintext: (_leaf: Leaf, value: ScalarValue) => value.text,
  appendMetadata,
  toTree,
  emitTree,
  orderedMaps: true,
  layout: () => ({}),
  editCandidates: async (text, edit) => [(await import("./line-edit.ts")).scalarInPlace(text, binaryStore, edit)],
};
