import { parseTree, type Node as JsonNode } from "jsonc-parser";
import { goParseBool } from "../crypto/go-format.ts";
import { nodeAt } from "../tree/tree-path.ts";
import type { KeyPath, TreeNode } from "../tree/values.ts";
import { jsonIndentUnit } from "./json-layout.ts";
import type { TextEditRequest } from "./store.ts";

/**
 * `set`/`unset` as edits of JSON source text: the changed member is written at the indentation
 * the file already uses (tabs for files SOPS wrote), commas are adjusted, and every other byte
 * stays. Returns a candidate for the caller to verify, or undefined.
 */

interface Layout {
  readonly unit: string;
  readonly eol: string;
}

/** The file's own indentation unit (tabs, as SOPS writes, for a file on one line) and line ends. */
function layoutOf(text: string): Layout {
  return { unit: jsonIndentUnit(text) || "\t", eol: text.includes("\r\n") ? "\r\n" : "\n" };
}

function lineIndent(text: string, off: number): string {
  const start = text.lastIndexOf("\n", off - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** A value as pretty JSON whose continuation lines start with `base`. */
export function jsonText(node: TreeNode, base: string, layout: Layout): string {
  const inner = base + layout.unit;
  switch (node.kind) {
    case "map": {
      const entries = node.entries.filter((e) => e.kind === "entry");
      if (entries.length === 0) return "{}";
      const parts = entries.map((e) => (e.kind === "entry" ? `${inner}${JSON.stringify(e.key)}: ${jsonText(e.value, inner, layout)}` : ""));
      return `{${layout.eol}${parts.join(`,${layout.eol}`)}${layout.eol}${base}}`;
    }
    case "list": {
      const items = node.items.filter((i) => i.kind !== "comment");
      if (items.length === 0) return "[]";
      return `[${layout.eol}${items.map((i) => inner + jsonText(i, inner, layout)).join(`,${layout.eol}`)}${layout.eol}${base}]`;
    }
    case "null":
    case "comment":
      return "null";
    case "scalar": {
      const v = node.value;
      switch (v.type) {
        case "str":
        case "time":
          return JSON.stringify(v.text);
        case "bool":
          return goParseBool(v.text) === true ? "true" : "false";
        default:
          return v.text;
      }
    }
  }
}

/** A value on one line: `{"a": 1, "b": [true]}`. */
function compactJson(node: TreeNode): string {
  if (node.kind === "map") {
    return `{${node.entries
      .filter((e) => e.kind === "entry")
      .map((e) => (e.kind === "entry" ? `${JSON.stringify(e.key)}: ${compactJson(e.value)}` : ""))
      .join(", ")}}`;
  }
  if (node.kind === "list") return `[${node.items.filter((i) => i.kind !== "comment").map(compactJson).join(", ")}]`;
  return jsonText(node, "", { unit: "", eol: "" });
}

function walk(root: JsonNode, path: KeyPath): JsonNode[] {
  const chain: JsonNode[] = [root];
  for (const seg of path) {
    const node = chain[chain.length - 1]!;
    if (node.type === "object" && typeof seg === "string") {
      const prop = (node.children ?? []).find((p) => p.children?.[0]?.value === seg);
      const value = prop?.children?.[1];
      if (value === undefined) break;
      chain.push(value);
    } else if (node.type === "array" && typeof seg === "number") {
      const item = node.children?.[seg];
      if (item === undefined) break;
      chain.push(item);
    } else break;
  }
  return chain;
}

function sameLine(text: string, a: number, b: number): boolean {
  return !text.slice(Math.min(a, b), Math.max(a, b)).includes("\n");
}

/** Adds a member (object) or item (array) at the end of `container`. */
function append(text: string, container: JsonNode, memberText: (base: string | undefined) => string, layout: Layout): string {
  const children = container.children ?? [];
  const last = children[children.length - 1];
  const open = container.offset;
  const close = container.offset + container.length - 1;
  if (last === undefined) {
    const base = lineIndent(text, open);
    const inner = base + layout.unit;
    return `${text.slice(0, open + 1)}${layout.eol}${inner}${memberText(inner)}${layout.eol}${base}${text.slice(close)}`;
  }
  const lastEnd = last.offset + last.length;
  if (sameLine(text, open, last.offset)) {
    // A one-line container stays on one line.
    return `${text.slice(0, lastEnd)}, ${memberText(undefined)}${text.slice(lastEnd)}`;
  }
  const base = lineIndent(text, last.offset);
  return `${text.slice(0, lastEnd)},${layout.eol}${base}${memberText(base)}${text.slice(lastEnd)}`;
}

/** Removes the i-th child of `container` with its comma. */
function removeChild(text: string, container: JsonNode, i: number): string {
  const children = container.children ?? [];
  const child = children[i]!;
  if (children.length === 1) return text.slice(0, container.offset) + (container.type === "object" ? "{}" : "[]") + text.slice(container.offset + container.length);
  const next = children[i + 1];
  if (next !== undefined) return text.slice(0, child.offset) + text.slice(next.offset);
  const prev = children[i - 1]!;
  return text.slice(0, prev.offset + prev.length) + text.slice(child.offset + child.length);
}

/** The candidate text for `edit`, or undefined when the edit needs a full re-emit. */
export function jsonEditCandidate(text: string, edit: TextEditRequest): string | undefined {
  const { expected } = edit;
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  if (root === undefined || root.type !== "object") return undefined;
  const layout = layoutOf(text);
  const path = edit.landingPath;
  const chain = walk(root, path);
  const sub = (depth: number): TreeNode | undefined => nodeAt(expected, path.slice(0, depth));
  const render = (node: JsonNode, value: TreeNode): string => {
    const start = node.offset;
    return text.slice(0, start) + jsonText(value, lineIndent(text, start), layout) + text.slice(start + node.length);
  };

  if (edit.kind === "set") {
    if (chain.length - 1 === path.length) {
      const value = sub(path.length);
      return value === undefined ? undefined : render(chain[chain.length - 1]!, value);
    }
    const depth = chain.length - 1;
    const node = chain[depth]!;
    const child = sub(depth + 1);
    const seg = path[depth];
    if (child === undefined || seg === undefined) return undefined;
    if (node.type === "object" && typeof seg === "string") {
      return append(text, node, (base) => `${JSON.stringify(seg)}: ${base === undefined ? compactJson(child) : jsonText(child, base, layout)}`, layout);
    }
    if (node.type === "array" && typeof seg === "number") {
      return append(text, node, (base) => (base === undefined ? compactJson(child) : jsonText(child, base, layout)), layout);
    }
    const v = sub(depth);
    return v === undefined ? undefined : render(node, v);
  }

  if (chain.length - 1 !== path.length) return undefined;
  const parent = chain[path.length - 1]!;
  const seg = path[path.length - 1]!;
  if (parent.type === "object") {
    const i = (parent.children ?? []).findIndex((p) => p.children?.[0]?.value === seg);
    return i < 0 ? undefined : removeChild(text, parent, i);
  }
  if (parent.type === "array" && typeof seg === "number") return removeChild(text, parent, seg);
  return undefined;
}
