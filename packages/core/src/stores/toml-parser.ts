import { appendAll } from "../arrays.ts";
import { HushError } from "../errors.ts";
import { formatKeyPath, type KeyPath, type PathSegment } from "../tree/values.ts";
import { refuseFoldedKeyShadow } from "./folded-keys.ts";
import { macCoverage, type MacCoverage } from "./mac-coverage.ts";
import { MAX_TOML_DEPTH } from "./nesting.ts";
import { separatorStart } from "./metadata-separator.ts";
import type { Leaf } from "./store.ts";
import { isControl, TomlScanner } from "./toml-scanner.ts";
import { leafValue, METADATA_KEY, plainOf, type TomlArray, type TomlNode, type TomlTable } from "./toml-values.ts";

/**
 * The TOML parser: builds the document's tables from the scanner's tokens and checks the rules a
 * token cannot (duplicate keys, a table defined twice, inline tables and arrays being closed), so
 * that a file hush accepts is one every TOML reader accepts. On the way it records each value and
 * comment as a leaf with its span, which is what encryption replaces in place, and it reads the
 * trailing `[sops]` tables as metadata rather than data.
 */

/**
 * Arrays and inline tables nested deeper than this are refused (the parser is recursive), and so
 * is a key path longer than this, dotted keys and table headers included: a path is copied at
 * each level below it, so `a.a.a…= 1` with 100,000 parts (a 200 KB file) took minutes.
 */
const MAX_DEPTH = MAX_TOML_DEPTH;

/** A parsed document: its tables, its encryptable leaves, and the SOPS metadata if present. */
export interface TomlParseResult {
  readonly root: TomlTable;
  readonly leaves: Leaf[];
  readonly metadata: unknown;
  readonly metadataSpans: Array<{ start: number; end: number }>;
}

class TomlParser extends TomlScanner {
  readonly leaves: Leaf[] = [];
  readonly root: TomlTable = { kind: "table", entries: new Map(), how: "root" };
  /** Inside the trailing `[sops]` tables: no leaves, values collected as metadata. */
  #inMeta = false;
  #depth = 0;
  /** Where each table's keys were first written (offsets), for errors about two of them. */
  readonly #keyAt = new WeakMap<TomlTable, Map<string, number>>();

  /** Sets `key` in `table`, recording `at`, where the key is written. */
  #set(table: TomlTable, key: string, node: TomlNode, at: number): void {
    table.entries.set(key, node);
    let offsets = this.#keyAt.get(table);
    if (offsets === undefined) this.#keyAt.set(table, (offsets = new Map()));
    offsets.set(key, at);
  }

  /** A `#` comment up to the end of the line, as a leaf of the collection at `path`. */
  #comment(path: KeyPath): void {
    const start = this.pos + 1;
    let i = start;
    const t = this.text;
    while (i < t.length && t[i] !== "\n") {
      const code = t.charCodeAt(i);
      if (code === 0x0d && t[i + 1] === "\n") break;
      if (isControl(code, true)) throw this.parseError("control character in a comment", i);
      i++;
    }
    if (!this.#inMeta) {
      this.leaves.push({ kind: "comment", path, document: 0, value: { type: "str", text: t.slice(start, i) }, start, end: i, line: this.line(start) });
    }
    this.pos = i;
  }

  /** Spaces, an optional comment, then the end of the line (after `what`: a value or a table header). */
  #lineEnd(path: KeyPath, what: "a value" | "a table header"): void {
    this.skipSpaces();
    if (this.peek() === "#") this.#comment(path);
    if (!this.atLineEnd()) throw this.parseError(`expected the end of the line after ${what}`);
    this.newline();
  }

  parse(): TomlParseResult {
    const t = this.text;
    if (t.startsWith("\uFEFF")) this.pos = 1;
    let table = this.root;
    let tablePath: PathSegment[] = [];
    let metaStart: { start: number; line: number } | undefined;
    while (this.pos < t.length) {
      this.skipSpaces();
      const c = this.peek();
      if (c === undefined) break;
      if (c === "\n" || c === "\r") {
        this.newline();
        continue;
      }
      if (c === "#") {
        this.#comment(tablePath);
        this.newline();
        continue;
      }
      if (c === "[") {
        const headerStart = this.lineStartOf(this.pos);
        const aot = this.peek(1) === "[";
        this.pos += aot ? 2 : 1;
        this.skipSpaces();
        const keyAt = this.pos;
        const parts = this.key();
        this.skipSpaces();
        if (aot ? !t.startsWith("]]", this.pos) : this.peek() !== "]") throw this.parseError(aot ? "expected ]] to close the table header" : "expected ] to close the table header");
        this.pos += aot ? 2 : 1;
        if (parts[0] === METADATA_KEY) {
          if (metaStart === undefined) metaStart = { start: headerStart, line: this.line(keyAt) };
          this.#inMeta = true;
        } else if (this.#inMeta) {
          throw this.parseError(`the table "${METADATA_KEY}" is reserved for SOPS metadata, which must come last`, metaStart!.start);
        }
        this.#boundPath(parts, keyAt);
        const opened = this.#openHeader(parts, aot, keyAt);
        this.#boundPath(opened.path, keyAt);
        table = opened.table;
        tablePath = opened.path;
        this.#lineEnd(tablePath, "a table header");
        continue;
      }
      const keyAt = this.pos;
      const parts = this.key();
      if (table === this.root && parts[0] === METADATA_KEY) throw this.parseError(`the key "${METADATA_KEY}" is reserved for SOPS metadata`, keyAt);
      this.skipSpaces();
      if (this.peek() !== "=") throw this.parseError("expected = after a key");
      this.pos++;
      this.skipSpaces();
      const path = [...tablePath, ...parts];
      const value = this.#value(path);
      this.#insert(table, tablePath, parts, value, keyAt);
      this.#lineEnd(tablePath, "a value");
    }
    this.#refuseFoldedKeys();
    let metadata: unknown;
    const metadataSpans: Array<{ start: number; end: number }> = [];
    if (metaStart !== undefined) {
      const node = this.root.entries.get(METADATA_KEY)!;
      const plain = node.kind === "table" ? plainOf(node) : undefined;
      if (plain === undefined || !("lastmodified" in plain || "mac" in plain || "version" in plain)) {
        throw new HushError("PARSE_FAILED", `invalid TOML: the table "${METADATA_KEY}" is reserved for SOPS metadata at line ${metaStart.line}`, { location: { line: metaStart.line } });
      }
      metadata = plain;
      metadataSpans.push({ start: separatorStart(t, metaStart.start), end: t.length });
    }
    return { root: this.root, leaves: this.leaves, metadata, metadataSpans };
  }


  #openHeader(parts: readonly string[], aot: boolean, at: number): { table: TomlTable; path: PathSegment[] } {
    let t = this.root;
    const path: PathSegment[] = [];
    for (const p of parts.slice(0, -1)) {
      path.push(p);
      const node = t.entries.get(p);
      if (node === undefined) {
        const created: TomlTable = { kind: "table", entries: new Map(), how: "implicit" };
        this.#set(t, p, created, at);
        t = created;
      } else if (node.kind === "table") {
        if (node.how === "inline") throw this.parseError(`cannot extend the inline table ${formatKeyPath(path)}`, at);
        t = node;
      } else if (node.kind === "array" && node.aot) {
        path.push(node.items.length - 1);
        t = node.items[node.items.length - 1] as TomlTable;
      } else {
        throw this.parseError(`${formatKeyPath(path)} is already defined as a value`, at);
      }
    }
    const last = parts[parts.length - 1]!;
    path.push(last);
    const node = t.entries.get(last);
    if (aot) {
      let arr: TomlArray;
      if (node === undefined) {
        arr = { kind: "array", items: [], aot: true };
        this.#set(t, last, arr, at);
      } else if (node.kind === "array" && node.aot) {
        arr = node;
      } else {
        throw this.parseError(`${formatKeyPath(path)} is already defined, not as an array of tables`, at);
      }
      const item: TomlTable = { kind: "table", entries: new Map(), how: "aot" };
      path.push(arr.items.length);
      arr.items.push(item);
      return { table: item, path };
    }
    if (node === undefined) {
      const created: TomlTable = { kind: "table", entries: new Map(), how: "header" };
      this.#set(t, last, created, at);
      return { table: created, path };
    }
    if (node.kind === "table" && node.how === "implicit") {
      node.how = "header";
      return { table: node, path };
    }
    if (node.kind === "scalar" || (node.kind === "array" && !node.aot)) throw this.parseError(`${formatKeyPath(path)} is already defined as a value`, at);
    if (node.kind === "table" && node.how === "inline") throw this.parseError(`cannot extend the inline table ${formatKeyPath(path)}`, at);
    throw this.parseError(`the table ${formatKeyPath(path)} is defined more than once`, at);
  }

  /** Refuses a key path deeper than MAX_DEPTH (see there), naming the line of `at`. */
  #boundPath(path: readonly PathSegment[], at = this.pos): void {
    if (path.length > MAX_DEPTH) throw this.parseError(`keys nested deeper than ${MAX_DEPTH} levels (tables, dotted keys, arrays and inline tables)`, at);
  }

  /** Sets the dotted key `parts` in `table`, which stands at `tablePath` (errors name the whole path). */
  #insert(table: TomlTable, tablePath: KeyPath, parts: readonly string[], value: TomlNode, at: number): void {
    let t = table;
    const seen: PathSegment[] = [...tablePath];
    for (const p of parts.slice(0, -1)) {
      seen.push(p);
      const node = t.entries.get(p);
      if (node === undefined) {
        const created: TomlTable = { kind: "table", entries: new Map(), how: "dotted" };
        this.#set(t, p, created, at);
        t = created;
      } else if (node.kind === "table" && node.how === "dotted") {
        t = node;
      } else {
        throw this.parseError(`cannot add keys with a dotted key to ${formatKeyPath(seen)}, which is already defined`, at);
      }
    }
    const last = parts[parts.length - 1]!;
    if (t.entries.has(last)) throw this.parseError(`duplicate key ${formatKeyPath([...seen, last])}`, at);
    this.#set(t, last, value, at);
  }

  #value(path: PathSegment[]): TomlNode {
    this.#boundPath(path);
    const c = this.peek();
    if (c === "[" || c === "{") {
      if (++this.#depth > MAX_DEPTH) throw this.parseError(`arrays and inline tables nested deeper than ${MAX_DEPTH} levels`);
      const node = c === "[" ? this.#array(path) : this.#inlineTable(path);
      this.#depth--;
      return node;
    }
    const s = this.scalar();
    if (!this.#inMeta) this.leaves.push({ kind: "scalar", path, document: 0, value: leafValue(s), start: s.start, end: s.end, line: this.line(s.start) });
    return s;
  }

  #array(path: PathSegment[]): TomlArray {
    const open = this.pos;
    this.pos++;
    const items: TomlNode[] = [];
    for (;;) {
      this.#skipArrayFiller(path);
      if (this.peek() === "]") {
        this.pos++;
        return { kind: "array", items, aot: false };
      }
      if (this.peek() === undefined) throw this.parseError("unterminated array", open);
      items.push(this.#value([...path, items.length]));
      this.#skipArrayFiller(path);
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      if (this.peek() === "]") continue;
      // At the end of the file the array was never closed: name where it opened, not the line past the end.
      if (this.peek() === undefined) throw this.parseError("unterminated array", open);
      throw this.parseError("expected , or ] in an array");
    }
  }

  /** Whitespace, newlines and comments between array elements. */
  #skipArrayFiller(path: KeyPath): void {
    for (;;) {
      this.skipSpaces();
      const c = this.peek();
      if (c === "\n" || (c === "\r" && this.peek(1) === "\n")) this.newline();
      else if (c === "#") this.#comment(path);
      else return;
    }
  }

  #inlineTable(path: PathSegment[]): TomlTable {
    this.pos++;
    const table: TomlTable = { kind: "table", entries: new Map(), how: "inline" };
    this.skipSpaces();
    if (this.peek() === "}") {
      this.pos++;
      return table;
    }
    for (;;) {
      this.skipSpaces();
      const at = this.pos;
      const parts = this.key();
      this.skipSpaces();
      if (this.peek() !== "=") throw this.parseError("expected = after a key");
      this.pos++;
      this.skipSpaces();
      const value = this.#value([...path, ...parts]);
      this.#insert(table, path, parts, value, at);
      this.skipSpaces();
      if (this.peek() === ",") {
        this.pos++;
        continue;
      }
      if (this.peek() === "}") {
        this.pos++;
        freeze(table);
        return table;
      }
      throw this.parseError("expected , or } in an inline table (inline tables are on one line)");
    }
  }


  /**
   * Refuses two keys of one table that Go's readers take for one where one holds an empty value
   * (folded-keys.ts), in the data: the metadata is for hush alone.
   */
  #refuseFoldedKeys(): void {
    const covered = macCoverage(macOnlyField(this.root));
    const stack: Array<{ node: TomlNode; path: KeyPath }> = [{ node: this.root, path: [] }];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const { node, path } = top;
      if (node.kind === "array") node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
      if (node.kind !== "table") continue;
      const keyAt = this.#keyAt.get(node);
      const members = [...node.entries]
        .filter(([key]) => !(node === this.root && key === METADATA_KEY))
        .map(([key, value]) => {
          stack.push({ node: value, path: [...path, key] });
          return { key, line: this.line(keyAt?.get(key) ?? 0), empty: () => addsNothingToMac(value, covered) };
        });
      refuseFoldedKeyShadow("TOML", path, members);
    }
  }
}

/** True when `node` holds no value the MAC covers (`covered`): empty strings, or tables and arrays of only these. */
function addsNothingToMac(node: TomlNode, covered: MacCoverage): boolean {
  const stack: TomlNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (n.kind === "table") appendAll(stack, n.entries.values());
    else if (n.kind === "array") appendAll(stack, n.items);
    else if (covered(n.scalarKind === "string" ? n.decoded : n.raw)) return false;
  }
  return true;
}

/** The `mac_only_encrypted` of the document's `[sops]` table, as its value reads (undefined without one). */
function macOnlyField(root: TomlTable): unknown {
  const sops = root.entries.get(METADATA_KEY);
  const field = sops?.kind === "table" ? sops.entries.get("mac_only_encrypted") : undefined;
  return field?.kind === "scalar" ? (field.scalarKind === "string" ? field.decoded : field.raw) : undefined;
}

/** Marks an inline table and the tables made by dotted keys inside it as closed. */
function freeze(table: TomlTable): void {
  table.how = "inline";
  for (const v of table.entries.values()) if (v.kind === "table" && v.how === "dotted") freeze(v);
}

/** Parses a TOML document; throws PARSE_FAILED naming the line. */
export function parseToml(text: string): TomlParseResult {
  return new TomlParser(text).parse();
}

/** True when `text` is exactly one TOML scalar value (how hush's envelopes hold TOML values). */
export function isScalarSource(text: string): boolean {
  try {
    const r = parseToml(`v = ${text}\n`);
    const v = r.root.entries.get("v");
    return r.root.entries.size === 1 && v !== undefined && v.kind === "scalar";
  } catch {
    return false;
  }
}
