import { parseTree, type Node, type ParseError } from "jsonc-parser";
import { HushError } from "../errors.ts";
import { goAtoi, goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import { renderJsonEncrypted, renderJsonPlaintext } from "./json-render.ts";
import { formatKeyPath, type KeyPath, type ScalarValue, type TreeMap, type TreeNode } from "../tree/values.ts";
import { jsonIndentUnit, jsonLayout } from "./json-layout.ts";
import { goScalarText, wrapValue } from "./value-text.ts";
import { lineIndex } from "./lines.ts";
import { assertUniqueKeys, refuseSopsLookalikeMember } from "./json-keys.ts";
import { columnAt, jsonReason } from "./parse-reasons.ts";
import { assertFlowNesting } from "./nesting.ts";
import { hasLoneSurrogate } from "./json-strings.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";

/**
 * JSON, edited in place. jsonc-parser gives every node's offset and length, so encryption
 * rewrites only string/number/bool spans and appends `"sops"` as the last member; numbers are
 * read from their source text, so integers beyond 2^53 survive exactly.
 */

const BYTE_ORDER_MARK = "\uFEFF";

/** `appending`: the text is data that `sops` is about to be appended to (see refuseSopsLookalikeMember). */
function parseJson(text: string, appending = false): Node {
  assertFlowNesting(text, "JSON");
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const line = lineIndex(text);
  const first = errors[0];
  if (first !== undefined) {
    const at = line(first.offset);
    // Windows editors save UTF-8 with a byte order mark, which JSON (and SOPS's reader) refuses.
    const reason = first.offset === 0 && text.startsWith(BYTE_ORDER_MARK) ? "the file starts with a byte order mark (U+FEFF), which JSON does not allow: save it as UTF-8 without one" : jsonReason(first.error);
    throw new HushError("PARSE_FAILED", `invalid JSON at line ${at}, column ${columnAt(text, first.offset)}: ${reason}`, { location: { line: at } });
  }
  if (root === undefined || root.type !== "object") {
    throw new HushError("PARSE_FAILED", "JSON files must have a top-level object (starting with '{')", { location: { line: 1 } });
  }
  assertUniqueKeys(root, line);
  refuseSopsLookalikeMember(root, line, appending);
  assertGoReadsScalarsAlike(root, line);
  return root;
}

/**
 * Refuses a number beyond float64 (`1e400`): Go's encoding/json, which SOPS reads JSON with,
 * refuses the whole file, and as an encrypted value SOPS could not decrypt it. Refuses a key or
 * string holding a lone surrogate, which Go and hush's MAC read as U+FFFD (json-strings.ts).
 */
function assertGoReadsScalarsAlike(root: Node, line: (offset: number) => number): void {
  const stack: Node[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.type === "number" && !Number.isFinite(node.value)) {
      const at = line(node.offset);
      throw new HushError("PARSE_FAILED", `invalid JSON: the number at line ${at} is beyond the range of a 64-bit float, which SOPS cannot read; write it as a string`, {
        location: { line: at },
      });
    }
    if (node.type === "string" && hasLoneSurrogate(node.value as string)) {
      const at = line(node.offset);
      throw new HushError(
        "PARSE_FAILED",
        `invalid JSON: the string at line ${at} holds a lone surrogate (an escape such as \\ud800 without its pair), which SOPS and hush's MAC read as U+FFFD, the replacement character; write the character it stands for, or \\ufffd`,
        { location: { line: at } },
      );
    }
    for (const child of node.children ?? []) stack.push(child);
  }
}

function scalarOf(node: Node, text: string): ScalarValue | null {
  switch (node.type) {
    case "string":
      return { type: "str", text: node.value as string };
    case "number": {
      const raw = text.slice(node.offset, node.offset + node.length);
      return { type: goAtoi(raw) === undefined ? "float" : "int", text: raw };
    }
    case "boolean":
      return { type: "bool", text: node.value ? "True" : "False" };
    default:
      return null;
  }
}

function parse(text: string): ParsedDocument {
  const root = parseJson(text);
  const line = lineIndex(text);
  const leaves: Leaf[] = [];
  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  const walk = (node: Node, path: KeyPath): void => {
    if (node.type === "object") {
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children as [Node, Node];
        walk(v, [...path, k.value as string]);
      }
    } else if (node.type === "array") {
      (node.children ?? []).forEach((child, i) => walk(child, [...path, i]));
    } else {
      leaves.push({ kind: "scalar", path, document: 0, value: scalarOf(node, text), start: node.offset, end: node.offset + node.length, line: line(node.offset) });
    }
  };
  const props = root.children ?? [];
  props.forEach((prop, i) => {
    const [k, v] = prop.children as [Node, Node];
    if (k.value === "sops") {
      metadata = JSON.parse(text.slice(v.offset, v.offset + v.length));
      const prev = props[i - 1];
      const next = props[i + 1];
      if (next !== undefined) metadataSpans.push({ start: prop.offset, end: next.offset });
      else if (prev !== undefined) metadataSpans.push({ start: prev.offset + prev.length, end: prop.offset + prop.length });
      else metadataSpans.push({ start: root.offset + 1, end: trailingSpanEnd(text, prop.offset + prop.length, root) });
      return;
    }
    walk(v, [k.value as string]);
  });
  return { leaves, metadata, metadataSpans, documentCount: 1 };
}

/** For an object whose only member is `sops`, remove up to the closing brace's own line break. */
function trailingSpanEnd(text: string, end: number, root: Node): number {
  const close = root.offset + root.length - 1;
  return text.slice(end, close).trim() === "" ? close : end;
}

function indentUnit(text: string, options: EmitOptions): string {
  if (options.indent !== undefined) return options.indent < 0 ? "\t" : " ".repeat(options.indent);
  return jsonIndentUnit(text);
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>, _documentCount: number, options: EmitOptions): string {
  const root = parseJson(dataText, true);
  const unit = indentUnit(dataText, options);
  const eol = dataText.includes("\r\n") ? "\r\n" : "\n";
  const body = unit === "" ? JSON.stringify(metadata) : JSON.stringify(metadata, null, unit).split("\n").join(eol + unit);
  const member = unit === "" ? `"sops":${body}` : `"sops": ${body}`;
  const props = root.children ?? [];
  const last = props[props.length - 1];
  if (last !== undefined) {
    const at = last.offset + last.length;
    const sep = unit === "" ? "," : `,${eol}${unit}`;
    return dataText.slice(0, at) + sep + member + dataText.slice(at);
  }
  const at = root.offset + 1;
  const close = root.offset + root.length - 1;
  return dataText.slice(0, at) + (unit === "" ? member : `${eol}${unit}${member}${eol}`) + dataText.slice(close);
}

function toNode(node: Node, text: string): TreeNode {
  if (node.type === "object") {
    return {
      kind: "map",
      entries: (node.children ?? []).map((p) => {
        const [k, v] = p.children as [Node, Node];
        return { kind: "entry" as const, key: k.value as string, value: toNode(v, text) };
      }),
    };
  }
  if (node.type === "array") return { kind: "list", items: (node.children ?? []).map((c) => toNode(c, text)) };
  const s = scalarOf(node, text);
  return s === null ? { kind: "null" } : { kind: "scalar", value: s };
}

function toTree(text: string): TreeMap {
  const root = toNode(parseJson(text), text);
  if (root.kind !== "map") throw new HushError("INTERNAL", "JSON root is not an object");
  const entries = root.entries.filter((e) => !(e.kind === "entry" && e.key === "sops"));
  return { kind: "map", entries };
}

/** Go's JSON string escaping (`<`, `>`, `&`, U+2028/9 escaped), as SOPS writes. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function emitScalar(value: ScalarValue, path: KeyPath): string {
  switch (value.type) {
    case "str":
    case "time":
      return goJsonString(value.text);
    case "int":
      return value.text.replace(/^\+/, "");
    case "float": {
      const v = goParseFloat(value.text);
      if (v === undefined || !Number.isFinite(v)) {
        throw new HushError("EMIT_FAILED", `the value at ${formatKeyPath(path)} is ${Number.isNaN(v) ? "NaN" : "infinite"}, which JSON cannot hold: write it as a string, or choose another --output-type`);
      }
      return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value.text) ? value.text : goFormatFloatG(v);
    }
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
  }
}

/** Writes a tree as Go's `json.Indent` would (tab by default), with a final newline. */
export function emitJsonValue(node: TreeNode, unit: string, depth = 0, path: KeyPath = []): string {
  const pad = (d: number): string => (unit === "" ? "" : "\n" + unit.repeat(d));
  const sep = unit === "" ? ":" : ": ";
  switch (node.kind) {
    case "map": {
      const entries = node.entries.filter((e) => e.kind === "entry");
      if (entries.length === 0) return "{}";
      return `{${entries.map((e) => `${pad(depth + 1)}${goJsonString(e.key)}${sep}${emitJsonValue(e.value, unit, depth + 1, [...path, e.key])}`).join(",")}${pad(depth)}}`;
    }
    case "list": {
      const items = node.items.filter((i) => i.kind !== "comment");
      if (items.length === 0) return "[]";
      return `[${items.map((item, i) => `${pad(depth + 1)}${emitJsonValue(item, unit, depth + 1, [...path, i])}`).join(",")}${pad(depth)}]`;
    }
    case "scalar":
      return emitScalar(node.value, path);
    case "null":
      return "null";
    case "comment":
      return "";
  }
}

function emitTree(tree: TreeMap, options: EmitOptions): string {
  const unit = options.indent === undefined || options.indent < 0 ? "\t" : " ".repeat(options.indent);
  return emitJsonValue(tree, unit) + "\n";
}

/** A value alone: the bare scalar, or the one member's value moved one level out (Go's json.Indent). */
function emitValue(node: TreeNode, options: EmitOptions): string {
  if (node.kind === "scalar") return goScalarText(node.value);
  const wrapped = emitTree(wrapValue(node), options);
  const inner = wrapped.slice(wrapped.indexOf(":") + 1).trim();
  const body = inner.slice(0, inner.lastIndexOf("}")).trim();
  const unit = /\n([ \t]+)/.exec(wrapped)?.[1] ?? "";
  return body
    .split("\n")
    .map((line, i) => (i > 0 && line.startsWith(unit) ? line.slice(unit.length) : line))
    .join("\n");
}

export const jsonStore: Store = {
  format: "json",
  parse,
  renderEncrypted: renderJsonEncrypted,
  renderPlaintext: renderJsonPlaintext,
  appendMetadata,
  toTree,
  emitTree,
  orderedMaps: true,
  layout: jsonLayout,
  editCandidates: async (text, edit) => [(await import("./json-edit.ts")).jsonEditCandidate(text, edit)],
  emitValue,
};
