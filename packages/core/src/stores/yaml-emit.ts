import { goAtoi, goCanonicalTime, goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import type { ScalarValue, TreeMap, TreeNode } from "../tree/values.ts";
import { doubleQuote, isPlainSafe, yamlTimestamp } from "./yaml-resolve.ts";

/**
 * A YAML writer that lays out documents as go-yaml v3 does inside SOPS (spec 7.1): indentation
 * rounded up to multiples of the indent, sequences indented under their key, literal blocks for
 * multi-line strings. Used for the `sops` metadata block and for converted documents.
 */

function nextIndent(current: number, indent: number): number {
  return indent * Math.floor((current + indent) / indent);
}

/** Plain data (metadata) as a tree: strings stay strings, numbers are ints, booleans bools. */
export function dataToTree(value: unknown): TreeNode {
  if (Array.isArray(value)) return { kind: "list", items: value.map(dataToTree) };
  if (value === null || value === undefined) return { kind: "null" };
  if (typeof value === "object") {
    return { kind: "map", entries: Object.entries(value).map(([key, v]) => ({ kind: "entry" as const, key, value: dataToTree(v) })) };
  }
  if (typeof value === "number" || typeof value === "bigint") return { kind: "scalar", value: { type: "int", text: String(value) } };
  if (typeof value === "boolean") return { kind: "scalar", value: { type: "bool", text: value ? "true" : "false" } };
  return { kind: "scalar", value: { type: "str", text: String(value) } };
}

/** A scalar rendered for YAML, or a block scalar (header + body lines) for multi-line strings. */
export function yamlScalarText(value: ScalarValue): string {
  switch (value.type) {
    case "str":
      return isPlainSafe(value.text) ? value.text : doubleQuote(value.text);
    case "int": {
      const v = goAtoi(value.text);
      return v === undefined ? value.text : v.toString();
    }
    case "float":
      return yamlFloat(value.text);
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
    case "time":
      return goCanonicalTime(value.text) ?? yamlTimestamp(value.text) ?? doubleQuote(value.text);
  }
}

/** A float as YAML: keeps a spelling YAML reads as the same float, never one that reads as int. */
export function yamlFloat(text: string): string {
  const v = goParseFloat(text);
  if (v === undefined) return text;
  if (Number.isNaN(v)) return ".nan";
  if (v === Infinity) return ".inf";
  if (v === -Infinity) return "-.inf";
  if (/^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+)$/.test(text)) return text;
  const g = goFormatFloatG(v);
  // go-yaml writes 1.0 as "1", which reads back as an int; keep the type instead.
  return /^[-+]?[0-9]+$/.test(g) ? `${g}.0` : g;
}

/** Literal block header and body for a multi-line string, or undefined when it cannot be one. */
export function literalBlock(text: string, bodyIndent: number): { header: string; body: string } | undefined {
  if (!text.includes("\n") || /[\r\t\u0000-\u0008\u000b-\u001f]/.test(text) || / \n/.test(text)) return undefined;
  const trailing = /\n*$/.exec(text)![0].length;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const indicator = text.startsWith(" ") || text.startsWith("\n") ? String(bodyIndent) : "";
  const content = trailing === 0 ? text : text.slice(0, text.length - 1);
  const pad = " ".repeat(bodyIndent);
  const body = content
    .split("\n")
    .map((line) => (line === "" ? "" : pad + line))
    .join("\n");
  return { header: `|${indicator}${chomp}`, body: body + "\n" };
}

function keyText(key: string): string {
  return isPlainSafe(key) ? key : doubleQuote(key);
}

function emitValueAfter(prefix: string, node: TreeNode, col: number, indent: number): string {
  switch (node.kind) {
    case "map": {
      const entries = node.entries.filter((e) => e.kind === "entry");
      if (entries.length === 0) return `${prefix} {}\n`;
      return `${prefix}\n${emitMap(node, nextIndent(col, indent), indent)}`;
    }
    case "list":
      if (node.items.length === 0) return `${prefix} []\n`;
      return `${prefix}\n${emitSeq(node.items, nextIndent(col, indent), indent)}`;
    case "null":
      return `${prefix} null\n`;
    case "comment":
      return "";
    case "scalar": {
      if (node.value.type === "str" && node.value.text.includes("\n")) {
        const block = literalBlock(node.value.text, nextIndent(col, indent));
        if (block !== undefined) return `${prefix} ${block.header}\n${block.body}`;
      }
      return `${prefix} ${yamlScalarText(node.value)}\n`;
    }
  }
}

function emitMap(map: TreeMap, col: number, indent: number, firstLinePad = true): string {
  let out = "";
  let first = true;
  for (const e of map.entries) {
    const pad = first && !firstLinePad ? "" : " ".repeat(col);
    first = false;
    if (e.kind === "comment") {
      out += `${pad}#${e.text}\n`;
      continue;
    }
    out += emitValueAfter(`${pad}${keyText(e.key)}:`, e.value, col, indent);
  }
  return out;
}

function emitSeq(items: readonly TreeNode[], col: number, indent: number): string {
  let out = "";
  for (const item of items) {
    const pad = " ".repeat(col);
    if (item.kind === "comment") {
      out += `${pad}#${item.text}\n`;
    } else if (item.kind === "map" && item.entries.some((e) => e.kind === "entry")) {
      out += `${pad}- ${emitMap(item, col + 2, indent, false)}`;
    } else if (item.kind === "list" && item.items.length > 0) {
      out += `${pad}- ${emitSeq(item.items, col + 2, indent).trimStart()}`;
    } else {
      out += emitValueAfter(`${pad}-`, item, col, indent);
    }
  }
  return out;
}

/** A whole YAML document for a map, at the given indent (go-yaml default 4). */
export function emitYamlDocument(tree: TreeMap, indent: number): string {
  const entries = tree.entries.filter((e) => e.kind === "entry");
  if (entries.length === 0 && tree.entries.length === 0) return "{}\n";
  return emitMap(tree, 0, indent);
}

/** The `sops:` block for metadata (plain data), ending with a newline. */
export function emitMetadataBlock(metadata: Record<string, unknown>, indent: number): string {
  return emitMap({ kind: "map", entries: [{ kind: "entry", key: "sops", value: dataToTree(metadata) }] }, 0, indent);
}

/**
 * A non-empty map or list as block lines whose items start at column `col`, ending with a
 * newline. `firstLinePad` false leaves the first line unindented (after `- `).
 */
export function emitBlockAt(node: TreeNode, col: number, indent: number, firstLinePad: boolean): string {
  if (node.kind === "map") return emitMap(node, col, indent, firstLinePad);
  if (node.kind === "list") {
    const out = emitSeq(node.items, col, indent);
    return firstLinePad ? out : out.trimStart();
  }
  return "";
}
