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

/**
 * Whether go-yaml v3 may write `text` as a block scalar, and hush's YAML 1.2 reader reads the
 * block back as the same string: every character printable to go-yaml (or a tab), no line break
 * but LF (U+2028/U+2029 are breaks to go-yaml's YAML 1.1 reader and text to YAML 1.2, so no
 * block holds them for both), no space before a break and no trailing space.
 */
function blockAllowed(text: string): boolean {
  if (text.endsWith(" ") || text.includes(" \n")) return false;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const printable = c === 0x09 || c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
    if (!printable) return false;
  }
  return true;
}

/**
 * Literal block header and body for a multi-line string, or undefined when no block holds it
 * exactly. `bodyIndent` is the body's column; `parentIndent` is the column of the collection
 * holding the value (its key's or dash's column), from which an indentation indicator counts.
 *
 * The header follows go-yaml v3's block scalar hints (SOPS's writer): an indentation indicator
 * when the text starts with a space or a break, and chomping `-` when it does not end with a
 * break, `+` (keep) when it is one break or ends with two, clip otherwise. go-yaml writes the
 * indicator as its indent whatever the nesting; hush writes the distance the body really has,
 * which is the same for SOPS's layouts and reads back right in the others.
 */
export function literalBlock(text: string, bodyIndent: number, parentIndent: number): { header: string; body: string } | undefined {
  if (!text.includes("\n") || !blockAllowed(text)) return undefined;
  const relative = bodyIndent - parentIndent;
  const needsIndicator = text.startsWith(" ") || text.startsWith("\n");
  if (needsIndicator && (relative < 1 || relative > 9)) return undefined;
  const indicator = needsIndicator ? String(relative) : "";
  const chomp = !text.endsWith("\n") ? "-" : text === "\n" || text.endsWith("\n\n") ? "+" : "";
  const content = chomp === "-" ? text : text.slice(0, -1);
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
        const block = literalBlock(node.value.text, nextIndent(col, indent), col);
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
