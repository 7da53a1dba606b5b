import { appendAll } from "../arrays.ts";
import { HushError } from "../errors.ts";
import { goCanonicalTime, goFormatFloatG, goParseFloat } from "../crypto/go-format.ts";
import { formatKeyPath, type KeyPath, type ScalarValue, type TreeMap, type TreeMapEntry, type TreeNode } from "../tree/values.ts";
import type { EmitOptions } from "./store.ts";
import { isControl } from "./toml-scanner.ts";
import { METADATA_KEY } from "./toml-values.ts";

/**
 * Writing TOML from scratch: the `[sops]` metadata tables appended after the data, and whole
 * documents converted from another format (`hush decrypt --output-type toml` and the like). Files
 * that already are TOML are never re-emitted: they are edited in place (toml-store.ts), so this
 * only has to produce valid, readable TOML, not reproduce anyone's layout.
 */

/** A TOML basic string. */
export function basicString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (isControl(code, false)) out += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A multi-line basic string (used for armored keys in the metadata). */
function multilineString(s: string, eol: string): string {
  let body = "";
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === "\n") body += eol;
    else if (ch === '"') body += '\\"';
    else if (ch === "\\") body += "\\\\";
    else if (ch === "\t") body += ch;
    else if (isControl(code, false)) body += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else body += ch;
  }
  return `"""${eol}${body}"""`;
}

function keySource(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : basicString(key);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function metaScalar(v: unknown, eol: string): string {
  if (typeof v === "string") return v.includes("\n") ? multilineString(v, eol) : basicString(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (typeof v === "bigint") return v.toString();
  return basicString(String(v));
}

function metaTable(obj: Record<string, unknown>, path: string, header: string, eol: string, out: string[][]): void {
  const lines = [header];
  const later: Array<() => void> = [];
  for (const [k, v] of Object.entries(obj)) {
    const sub = `${path}.${keySource(k)}`;
    if (isMap(v)) later.push(() => metaTable(v, sub, `[${sub}]`, eol, out));
    else if (Array.isArray(v) && v.length > 0 && v.every(isMap)) later.push(() => v.forEach((item) => metaTable(item as Record<string, unknown>, sub, `[[${sub}]]`, eol, out)));
    else if (Array.isArray(v)) lines.push(`${keySource(k)} = [${v.map((x) => metaScalar(x, eol)).join(", ")}]`);
    else lines.push(`${keySource(k)} = ${metaScalar(v, eol)}`);
  }
  out.push(lines);
  for (const f of later) f();
}

/** `dataText` followed by the metadata as `[sops]` tables, in the line endings of the data. */
export function appendMetadata(dataText: string, metadata: Record<string, unknown>): string {
  const eol = dataText.includes("\r\n") ? "\r\n" : "\n";
  const tables: string[][] = [];
  metaTable(metadata, METADATA_KEY, `[${METADATA_KEY}]`, eol, tables);
  const block = tables.map((t) => t.join(eol)).join(eol + eol);
  if (dataText === "") return block;
  return dataText.endsWith("\n") ? `${dataText}${eol}${block}${eol}` : `${dataText}${eol}${eol}${block}`;
}

function emitFailed(message: string, path: KeyPath): HushError {
  const where = formatKeyPath(path);
  return new HushError("EMIT_FAILED", `${message} at ${where}`, { location: { keyPath: where } });
}

/** A TOML float spelling for a float value. */
function floatSource(text: string, path: KeyPath): string {
  const t = text.trim();
  if (/^[+-]?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t) && /[.eE]/.test(t)) return t;
  const v = goParseFloat(t.replace(/^\./, "0.").replace(/^([+-])\./, "$10."));
  if (v === undefined) {
    if (/^[+-]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith("-") ? "-inf" : "inf";
    if (/^\.(nan|NaN|NAN)$/.test(t)) return "nan";
    throw emitFailed("not a float", path);
  }
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v < 0 ? "-inf" : "inf";
  if (/^[+-]?\d+$/.test(t)) return `${t}.0`;
  const g = goFormatFloatG(v);
  return /^-?\d+$/.test(g) ? `${g}.0` : g.replace(/e([+-])0(\d)$/, "e$1$2");
}

function scalarSource(value: ScalarValue, path: KeyPath): string {
  switch (value.type) {
    case "str":
      return basicString(value.text);
    case "int":
      return /^[+-]?\d+$/.test(value.text) ? BigInt(value.text).toString() : /^0[xob]/.test(value.text) ? value.text : basicString(value.text);
    case "float":
      return floatSource(value.text, path);
    case "bool":
      return /^(true|True|TRUE|1|t|T)$/.test(value.text) ? "true" : "false";
    case "time": {
      const c = goCanonicalTime(value.text);
      return c ?? basicString(value.text);
    }
  }
}

function inlineSource(node: TreeNode, path: KeyPath): string {
  switch (node.kind) {
    case "scalar":
      return scalarSource(node.value, path);
    case "null":
      throw emitFailed("TOML has no null value", path);
    case "list":
      return `[${node.items.filter((i) => i.kind !== "comment").map((i, n) => inlineSource(i, [...path, n])).join(", ")}]`;
    case "map": {
      const items = node.entries.filter((e): e is TreeMapEntry => e.kind === "entry");
      return items.length === 0 ? "{}" : `{ ${items.map((e) => `${keySource(e.key)} = ${inlineSource(e.value, [...path, e.key])}`).join(", ")} }`;
    }
    case "comment":
      return "";
  }
}

function isTableList(node: TreeNode): boolean {
  return node.kind === "list" && node.items.length > 0 && node.items.every((i) => i.kind === "map");
}

/**
 * Writes a map as a table: plain values first, then sub-tables (TOML puts those last). `path`
 * names the table in headers (an array of tables has no index there); `keyPath` is where it is
 * in the tree, indices included, for errors.
 */
function emitTable(map: TreeMap, path: string[], header: string | undefined, out: string[][], lead: readonly string[] = [], keyPath: KeyPath = path): void {
  const lines: string[] = [];
  const later: Array<() => void> = [];
  let pending: string[] = [];
  const comments = (): string[] => {
    const c = pending.flatMap((t) => t.split(/\r?\n/).map((l) => `#${l}`));
    pending = [];
    return c;
  };
  for (const e of map.entries) {
    if (e.kind === "comment") {
      pending.push(e.text);
      continue;
    }
    const sub = [...path, e.key];
    const subKeyPath = [...keyPath, e.key];
    const subHeader = sub.map(keySource).join(".");
    const value = e.value;
    if (value.kind === "map") {
      const before = comments();
      later.push(() => {
        const hasOwn = value.entries.some((x) => x.kind === "comment" || (x.kind === "entry" && x.value.kind !== "map" && !isTableList(x.value)));
        emitTable(value, sub, hasOwn || value.entries.length === 0 ? `[${subHeader}]` : undefined, out, before, subKeyPath);
      });
    } else if (value.kind === "list" && isTableList(value)) {
      const before = comments();
      later.push(() => value.items.forEach((item, i) => emitTable(item as TreeMap, sub, `[[${subHeader}]]`, out, i === 0 ? before : [], [...subKeyPath, i])));
    } else {
      appendAll(lines, comments()).push(`${keySource(e.key)} = ${inlineSource(value, subKeyPath)}`);
    }
  }
  appendAll(lines, comments());
  const block = [...lead, ...(header === undefined ? [] : [header]), ...lines];
  if (block.length > 0) out.push(block);
  for (const f of later) f();
}

/** A whole document from a tree (a conversion from another format). */
export function emitTree(tree: TreeMap, _options: EmitOptions): string {
  const entry = tree.entries.find((e): e is TreeMapEntry => e.kind === "entry" && e.key === METADATA_KEY);
  if (entry !== undefined) throw emitFailed(`the key "${METADATA_KEY}" is reserved for SOPS metadata`, [METADATA_KEY]);
  const out: string[][] = [];
  emitTable(tree, [], undefined, out);
  return out.length === 0 ? "" : out.map((b) => b.join("\n")).join("\n\n") + "\n";
}
