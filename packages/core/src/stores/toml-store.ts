import { HushError } from "../errors.ts";
import { goAtoi, goCanonicalTime, goFormatFloatG, goParseFloat } from "../crypto/go-format.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import { formatKeyPath, type KeyPath, type PathSegment, type ScalarValue, type TreeComment, type TreeMap, type TreeMapEntry, type TreeNode } from "../tree/values.ts";
import { lineIndex } from "./lines.ts";
import { separatorStart } from "./metadata-separator.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";

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
 */

const METADATA_KEY = "sops";
/** Arrays and inline tables nested deeper than this are refused (the parser is recursive). */
const MAX_DEPTH = 256;

type ScalarKind = "string" | "integer" | "float" | "bool" | "offset-datetime" | "local-datetime" | "local-date" | "local-time";

interface TScalar {
  readonly kind: "scalar";
  readonly sk: ScalarKind;
  readonly raw: string;
  /** Strings: the decoded value. */
  readonly decoded: string;
  readonly start: number;
  readonly end: number;
}

interface TTable {
  readonly kind: "table";
  readonly entries: Map<string, TNode>;
  /** How the table came to be: it decides whether a header or dotted key may extend it. */
  how: "root" | "header" | "implicit" | "dotted" | "inline" | "aot";
}

interface TArray {
  readonly kind: "array";
  readonly items: TNode[];
  /** Made by `[[…]]` headers (extensible), as opposed to an inline `[…]` value. */
  readonly aot: boolean;
}

type TNode = TScalar | TTable | TArray;

const BARE_KEY = /[A-Za-z0-9_-]/;

function isControl(code: number, allowTab: boolean): boolean {
  return (code < 0x20 && !(allowTab && code === 0x09)) || code === 0x7f;
}

interface ParseResult {
  readonly root: TTable;
  readonly leaves: Leaf[];
  readonly metadata: unknown;
  readonly metadataSpans: Array<{ start: number; end: number }>;
}

class TomlParser {
  readonly #text: string;
  readonly #line: (offset: number) => number;
  #pos = 0;
  readonly leaves: Leaf[] = [];
  readonly root: TTable = { kind: "table", entries: new Map(), how: "root" };
  /** Inside the trailing `[sops]` tables: no leaves, values collected as metadata. */
  #inMeta = false;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
    this.#line = lineIndex(text);
  }

  #err(message: string, at = this.#pos): HushError {
    const line = this.#line(Math.min(at, this.#text.length));
    return new HushError("PARSE_FAILED", `invalid TOML: ${message} at line ${line}`, { location: { line } });
  }

  #peek(offset = 0): string | undefined {
    return this.#text[this.#pos + offset];
  }

  #ws(): void {
    while (this.#peek() === " " || this.#peek() === "\t") this.#pos++;
  }

  #atLineEnd(): boolean {
    const c = this.#peek();
    return c === undefined || c === "\n" || (c === "\r" && this.#peek(1) === "\n");
  }

  #newline(): void {
    const c = this.#peek();
    if (c === undefined) return;
    if (c === "\n") this.#pos++;
    else if (c === "\r" && this.#peek(1) === "\n") this.#pos += 2;
    else throw this.#err("expected the end of the line");
  }

  /** A `#` comment up to the end of the line, as a leaf of the collection at `path`. */
  #comment(path: KeyPath): void {
    const start = this.#pos + 1;
    let i = start;
    const t = this.#text;
    while (i < t.length && t[i] !== "\n") {
      const code = t.charCodeAt(i);
      if (code === 0x0d && t[i + 1] === "\n") break;
      if (isControl(code, true)) throw this.#err("control character in a comment", i);
      i++;
    }
    if (!this.#inMeta) {
      this.leaves.push({ kind: "comment", path, document: 0, value: { type: "str", text: t.slice(start, i) }, start, end: i, line: this.#line(start) });
    }
    this.#pos = i;
  }

  /** Spaces, an optional comment, then the end of the line. */
  #lineEnd(path: KeyPath): void {
    this.#ws();
    if (this.#peek() === "#") this.#comment(path);
    if (!this.#atLineEnd()) throw this.#err("expected the end of the line after a value");
    this.#newline();
  }

  parse(): ParseResult {
    const t = this.#text;
    if (t.startsWith("\uFEFF")) this.#pos = 1;
    let table = this.root;
    let tablePath: PathSegment[] = [];
    let metaStart: { start: number; line: number } | undefined;
    while (this.#pos < t.length) {
      this.#ws();
      const c = this.#peek();
      if (c === undefined) break;
      if (c === "\n" || c === "\r") {
        this.#newline();
        continue;
      }
      if (c === "#") {
        this.#comment(tablePath);
        this.#newline();
        continue;
      }
      if (c === "[") {
        const headerStart = this.#lineStartOf(this.#pos);
        const aot = this.#peek(1) === "[";
        this.#pos += aot ? 2 : 1;
        this.#ws();
        const keyAt = this.#pos;
        const parts = this.#key();
        this.#ws();
        if (aot ? !t.startsWith("]]", this.#pos) : this.#peek() !== "]") throw this.#err(aot ? "expected ]] to close the table header" : "expected ] to close the table header");
        this.#pos += aot ? 2 : 1;
        if (parts[0] === METADATA_KEY) {
          if (metaStart === undefined) metaStart = { start: headerStart, line: this.#line(keyAt) };
          this.#inMeta = true;
        } else if (this.#inMeta) {
          throw this.#err(`the table "${METADATA_KEY}" is reserved for SOPS metadata, which must come last`, metaStart!.start);
        }
        const opened = this.#openHeader(parts, aot, keyAt);
        table = opened.table;
        tablePath = opened.path;
        this.#lineEnd(tablePath);
        continue;
      }
      const keyAt = this.#pos;
      const parts = this.#key();
      if (table === this.root && parts[0] === METADATA_KEY) throw this.#err(`the key "${METADATA_KEY}" is reserved for SOPS metadata`, keyAt);
      this.#ws();
      if (this.#peek() !== "=") throw this.#err("expected = after a key");
      this.#pos++;
      this.#ws();
      const path = [...tablePath, ...parts];
      const value = this.#value(path);
      this.#insert(table, parts, value, keyAt);
      this.#lineEnd(tablePath);
    }
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

  #lineStartOf(at: number): number {
    return this.#text.lastIndexOf("\n", at - 1) + 1;
  }

  /** A dotted key: its parts, decoded. */
  #key(): string[] {
    const parts: string[] = [this.#simpleKey()];
    for (;;) {
      const save = this.#pos;
      this.#ws();
      if (this.#peek() !== ".") {
        this.#pos = save;
        return parts;
      }
      this.#pos++;
      this.#ws();
      parts.push(this.#simpleKey());
    }
  }

  #simpleKey(): string {
    const c = this.#peek();
    if (c === '"') {
      if (this.#text.startsWith('"""', this.#pos)) throw this.#err("a key cannot be a multi-line string");
      return this.#basicString().decoded;
    }
    if (c === "'") {
      if (this.#text.startsWith("'''", this.#pos)) throw this.#err("a key cannot be a multi-line string");
      return this.#literalString().decoded;
    }
    const start = this.#pos;
    while (this.#peek() !== undefined && BARE_KEY.test(this.#peek()!)) this.#pos++;
    if (this.#pos === start) throw this.#err("expected a key");
    return this.#text.slice(start, this.#pos);
  }

  #openHeader(parts: readonly string[], aot: boolean, at: number): { table: TTable; path: PathSegment[] } {
    let t = this.root;
    const path: PathSegment[] = [];
    for (const p of parts.slice(0, -1)) {
      path.push(p);
      const node = t.entries.get(p);
      if (node === undefined) {
        const created: TTable = { kind: "table", entries: new Map(), how: "implicit" };
        t.entries.set(p, created);
        t = created;
      } else if (node.kind === "table") {
        if (node.how === "inline") throw this.#err(`cannot extend the inline table ${formatKeyPath(path)}`, at);
        t = node;
      } else if (node.kind === "array" && node.aot) {
        path.push(node.items.length - 1);
        t = node.items[node.items.length - 1] as TTable;
      } else {
        throw this.#err(`${formatKeyPath(path)} is already defined as a value`, at);
      }
    }
    const last = parts[parts.length - 1]!;
    path.push(last);
    const node = t.entries.get(last);
    if (aot) {
      let arr: TArray;
      if (node === undefined) {
        arr = { kind: "array", items: [], aot: true };
        t.entries.set(last, arr);
      } else if (node.kind === "array" && node.aot) {
        arr = node;
      } else {
        throw this.#err(`${formatKeyPath(path)} is already defined, not as an array of tables`, at);
      }
      const item: TTable = { kind: "table", entries: new Map(), how: "aot" };
      path.push(arr.items.length);
      arr.items.push(item);
      return { table: item, path };
    }
    if (node === undefined) {
      const created: TTable = { kind: "table", entries: new Map(), how: "header" };
      t.entries.set(last, created);
      return { table: created, path };
    }
    if (node.kind === "table" && node.how === "implicit") {
      node.how = "header";
      return { table: node, path };
    }
    if (node.kind === "scalar" || (node.kind === "array" && !node.aot)) throw this.#err(`${formatKeyPath(path)} is already defined as a value`, at);
    if (node.kind === "table" && node.how === "inline") throw this.#err(`cannot extend the inline table ${formatKeyPath(path)}`, at);
    throw this.#err(`the table ${formatKeyPath(path)} is defined more than once`, at);
  }

  #insert(table: TTable, parts: readonly string[], value: TNode, at: number): void {
    let t = table;
    const seen: string[] = [];
    for (const p of parts.slice(0, -1)) {
      seen.push(p);
      const node = t.entries.get(p);
      if (node === undefined) {
        const created: TTable = { kind: "table", entries: new Map(), how: "dotted" };
        t.entries.set(p, created);
        t = created;
      } else if (node.kind === "table" && node.how === "dotted") {
        t = node;
      } else {
        throw this.#err(`cannot add keys with a dotted key to ${formatKeyPath(seen)}, which is already defined`, at);
      }
    }
    const last = parts[parts.length - 1]!;
    if (t.entries.has(last)) throw this.#err(`duplicate key ${formatKeyPath([...seen, last])}`, at);
    t.entries.set(last, value);
  }

  #value(path: PathSegment[]): TNode {
    const c = this.#peek();
    if (c === "[" || c === "{") {
      if (++this.#depth > MAX_DEPTH) throw this.#err(`arrays and inline tables nested deeper than ${MAX_DEPTH} levels`);
      const node = c === "[" ? this.#array(path) : this.#inlineTable(path);
      this.#depth--;
      return node;
    }
    const s = this.#scalar();
    if (!this.#inMeta) this.leaves.push({ kind: "scalar", path, document: 0, value: leafValue(s), start: s.start, end: s.end, line: this.#line(s.start) });
    return s;
  }

  #array(path: PathSegment[]): TArray {
    const open = this.#pos;
    this.#pos++;
    const items: TNode[] = [];
    for (;;) {
      this.#skipArrayFiller(path);
      if (this.#peek() === "]") {
        this.#pos++;
        return { kind: "array", items, aot: false };
      }
      if (this.#peek() === undefined) throw this.#err("unterminated array", open);
      items.push(this.#value([...path, items.length]));
      this.#skipArrayFiller(path);
      if (this.#peek() === ",") {
        this.#pos++;
        continue;
      }
      if (this.#peek() === "]") continue;
      throw this.#err("expected , or ] in an array");
    }
  }

  /** Whitespace, newlines and comments between array elements. */
  #skipArrayFiller(path: KeyPath): void {
    for (;;) {
      this.#ws();
      const c = this.#peek();
      if (c === "\n" || (c === "\r" && this.#peek(1) === "\n")) this.#newline();
      else if (c === "#") this.#comment(path);
      else return;
    }
  }

  #inlineTable(path: PathSegment[]): TTable {
    this.#pos++;
    const table: TTable = { kind: "table", entries: new Map(), how: "inline" };
    this.#ws();
    if (this.#peek() === "}") {
      this.#pos++;
      return table;
    }
    for (;;) {
      this.#ws();
      const at = this.#pos;
      const parts = this.#key();
      this.#ws();
      if (this.#peek() !== "=") throw this.#err("expected = after a key");
      this.#pos++;
      this.#ws();
      const value = this.#value([...path, ...parts]);
      this.#insert(table, parts, value, at);
      this.#ws();
      if (this.#peek() === ",") {
        this.#pos++;
        continue;
      }
      if (this.#peek() === "}") {
        this.#pos++;
        freeze(table);
        return table;
      }
      throw this.#err("expected , or } in an inline table (inline tables are on one line)");
    }
  }

  #scalar(): TScalar {
    const t = this.#text;
    const start = this.#pos;
    const c = t[start];
    if (c === '"') {
      const s = t.startsWith('"""', start) ? this.#mlBasicString() : this.#basicString();
      return { kind: "scalar", sk: "string", raw: t.slice(start, this.#pos), decoded: s.decoded, start, end: this.#pos };
    }
    if (c === "'") {
      const s = t.startsWith("'''", start) ? this.#mlLiteralString() : this.#literalString();
      return { kind: "scalar", sk: "string", raw: t.slice(start, this.#pos), decoded: s.decoded, start, end: this.#pos };
    }
    const token = matchScalarToken(t, start);
    if (token === undefined) throw this.#err("invalid value");
    const end = start + token.length;
    const after = t[end];
    if (after !== undefined && !/[ \t\r\n#,\]}]/.test(after)) throw this.#err("invalid value");
    const problem = checkScalarToken(token.kind, t.slice(start, end));
    if (problem !== undefined) throw this.#err(problem);
    this.#pos = end;
    return { kind: "scalar", sk: token.kind, raw: t.slice(start, end), decoded: "", start, end };
  }

  #escape(): string {
    const t = this.#text;
    const e = t[this.#pos + 1];
    const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
    if (e !== undefined && e in simple) {
      this.#pos += 2;
      return simple[e]!;
    }
    if (e === "u" || e === "U") {
      const len = e === "u" ? 4 : 8;
      const hex = t.slice(this.#pos + 2, this.#pos + 2 + len);
      if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) throw this.#err("invalid unicode escape");
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw this.#err("unicode escape is not a scalar value");
      this.#pos += 2 + len;
      return String.fromCodePoint(cp);
    }
    throw this.#err("invalid escape sequence");
  }

  #basicString(): { decoded: string } {
    const t = this.#text;
    this.#pos++;
    let out = "";
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined || c === "\n") throw this.#err("unterminated string");
      if (c === '"') {
        this.#pos++;
        return { decoded: out };
      }
      if (c === "\\") {
        out += this.#escape();
        continue;
      }
      if (isControl(t.charCodeAt(this.#pos), true)) throw this.#err("control character in a string");
      out += c;
      this.#pos++;
    }
  }

  #literalString(): { decoded: string } {
    const t = this.#text;
    const start = ++this.#pos;
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined || c === "\n") throw this.#err("unterminated string");
      if (c === "'") {
        this.#pos++;
        return { decoded: t.slice(start, this.#pos - 1) };
      }
      if (isControl(t.charCodeAt(this.#pos), true)) throw this.#err("control character in a string");
      this.#pos++;
    }
  }

  /** The newline right after an opening `"""`/`'''` is not part of the value. */
  #skipFirstNewline(): void {
    if (this.#peek() === "\n") this.#pos++;
    else if (this.#peek() === "\r" && this.#peek(1) === "\n") this.#pos += 2;
  }

  /**
   * At a run of quotes inside a multi-line string: fewer than three belong to the content; three
   * to five close the string, the extra one or two belonging to the content.
   */
  #quoteRun(q: string): { closed: boolean; content: string } {
    let n = 0;
    while (this.#text[this.#pos + n] === q) n++;
    this.#pos += n;
    if (n < 3) return { closed: false, content: q.repeat(n) };
    if (n > 5) throw this.#err("too many quotes at the end of a multi-line string");
    return { closed: true, content: q.repeat(n - 3) };
  }

  #mlBasicString(): { decoded: string } {
    const t = this.#text;
    const open = this.#pos;
    this.#pos += 3;
    this.#skipFirstNewline();
    let out = "";
    const lineEndingBackslash = /\\[ \t]*\r?\n/y;
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined) throw this.#err("unterminated multi-line string", open);
      if (c === '"') {
        const run = this.#quoteRun('"');
        out += run.content;
        if (run.closed) return { decoded: out };
        continue;
      }
      if (c === "\\") {
        // A backslash at the end of a line trims the line break and the whitespace after it.
        lineEndingBackslash.lastIndex = this.#pos;
        if (lineEndingBackslash.test(t)) {
          this.#pos = lineEndingBackslash.lastIndex;
          while (t[this.#pos] === " " || t[this.#pos] === "\t" || t[this.#pos] === "\n" || (t[this.#pos] === "\r" && t[this.#pos + 1] === "\n")) this.#pos++;
          continue;
        }
        out += this.#escape();
        continue;
      }
      if (c === "\r" && t[this.#pos + 1] === "\n") {
        out += "\n";
        this.#pos += 2;
        continue;
      }
      if (c !== "\n" && isControl(t.charCodeAt(this.#pos), true)) throw this.#err("control character in a string");
      out += c;
      this.#pos++;
    }
  }

  #mlLiteralString(): { decoded: string } {
    const t = this.#text;
    const open = this.#pos;
    this.#pos += 3;
    this.#skipFirstNewline();
    let out = "";
    for (;;) {
      const c = t[this.#pos];
      if (c === undefined) throw this.#err("unterminated multi-line string", open);
      if (c === "'") {
        const run = this.#quoteRun("'");
        out += run.content;
        if (run.closed) return { decoded: out };
        continue;
      }
      if (c === "\r" && t[this.#pos + 1] === "\n") {
        out += "\n";
        this.#pos += 2;
        continue;
      }
      if (c !== "\n" && isControl(t.charCodeAt(this.#pos), true)) throw this.#err("control character in a string");
      out += c;
      this.#pos++;
    }
  }
}

/** Marks an inline table and the tables made by dotted keys inside it as closed. */
function freeze(table: TTable): void {
  table.how = "inline";
  for (const v of table.entries.values()) if (v.kind === "table" && v.how === "dotted") freeze(v);
}

const TOKEN_PATTERNS: ReadonlyArray<[ScalarKind | "number", RegExp]> = [
  ["offset-datetime", /\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})/y],
  ["local-datetime", /\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?/y],
  ["local-date", /\d{4}-\d{2}-\d{2}/y],
  ["local-time", /\d{2}:\d{2}:\d{2}(?:\.\d+)?/y],
  ["bool", /(?:true|false)/y],
  ["integer", /0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|0o[0-7](?:_?[0-7])*|0b[01](?:_?[01])*/y],
  ["float", /[+-]?(?:inf|nan)/y],
  ["number", /[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?/y],
];

function matchScalarToken(text: string, at: number): { kind: ScalarKind; length: number } | undefined {
  for (const [kind, re] of TOKEN_PATTERNS) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) continue;
    if (kind === "number") return { kind: /[.eE]/.test(m[0]) ? "float" : "integer", length: m[0].length };
    return { kind, length: m[0].length };
  }
  return undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Range checks for dates and times; undefined when fine. */
function checkScalarToken(kind: ScalarKind, raw: string): string | undefined {
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(raw);
  if (date !== null) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return "invalid date";
  }
  const time = /(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))?$/.exec(raw);
  if (time !== null && kind !== "local-date") {
    if (Number(time[1]) > 23 || Number(time[2]) > 59 || Number(time[3]) > 60) return "invalid time";
    if (time[5] !== undefined && (Number(time[5]) > 23 || Number(time[6]) > 59)) return "invalid time offset";
  }
  return undefined;
}

/** The spelling of a scalar that goes into the ENC envelope, and its SOPS type. */
function leafValue(s: TScalar): ScalarValue {
  const raw = s.raw;
  switch (s.sk) {
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
function treeValue(s: TScalar): ScalarValue {
  const raw = s.raw;
  switch (s.sk) {
    case "string":
      return { type: "str", text: s.decoded };
    case "integer":
      return { type: "int", text: BigInt(raw.replace(/_/g, "")).toString() };
    case "float": {
      const text = raw.replace(/_/g, "");
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
function plainOf(node: TNode): Record<string, unknown> | undefined {
  const conv = (n: TNode): unknown => {
    if (n.kind === "table") return Object.fromEntries([...n.entries].map(([k, v]) => [k, conv(v)]));
    if (n.kind === "array") return n.items.map(conv);
    switch (n.sk) {
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


function parseToml(text: string): ParseResult {
  return new TomlParser(text).parse();
}

function parse(text: string): ParsedDocument {
  const r = parseToml(text);
  return { leaves: r.leaves, metadata: r.metadata, metadataSpans: r.metadataSpans, documentCount: 1 };
}

/** True when `text` is exactly one TOML scalar value (how hush's envelopes hold TOML values). */
function isScalarSource(text: string): boolean {
  try {
    const r = parseToml(`v = ${text}\n`);
    const v = r.root.entries.get("v");
    return r.root.entries.size === 1 && v !== undefined && v.kind === "scalar";
  } catch {
    return false;
  }
}

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  if (leaf.kind === "comment") return value.text.replace(/\r?\n/g, (nl) => `${nl}#`);
  // hush encrypts a value's TOML spelling; a plain string (from elsewhere) is quoted.
  if (value.type === "str" && (looksEncrypted(value.text) || !isScalarSource(value.text))) return basicString(value.text);
  return value.text;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A TOML basic string. */
function basicString(s: string): string {
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

function appendMetadata(dataText: string, metadata: Record<string, unknown>): string {
  const eol = dataText.includes("\r\n") ? "\r\n" : "\n";
  const tables: string[][] = [];
  metaTable(metadata, METADATA_KEY, `[${METADATA_KEY}]`, eol, tables);
  const block = tables.map((t) => t.join(eol)).join(eol + eol);
  if (dataText === "") return block;
  return dataText.endsWith("\n") ? `${dataText}${eol}${block}${eol}` : `${dataText}${eol}${eol}${block}`;
}

function toTreeNode(node: TNode): TreeNode {
  if (node.kind === "table") return { kind: "map", entries: [...node.entries].map(([key, v]) => ({ kind: "entry" as const, key, value: toTreeNode(v) })) };
  if (node.kind === "array") return { kind: "list", items: node.items.map(toTreeNode) };
  return { kind: "scalar", value: treeValue(node) };
}

function toTree(text: string): TreeMap {
  const { root } = parseToml(text);
  const entries: Array<TreeMapEntry | TreeComment> = [];
  for (const [key, v] of root.entries) if (key !== METADATA_KEY) entries.push({ kind: "entry", key, value: toTreeNode(v) });
  return { kind: "map", entries };
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

/** Writes a map as a table: plain values first, then sub-tables (TOML puts those last). */
function emitTable(map: TreeMap, path: string[], header: string | undefined, out: string[][], lead: readonly string[] = []): void {
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
    const subHeader = sub.map(keySource).join(".");
    const value = e.value;
    if (value.kind === "map") {
      const before = comments();
      later.push(() => {
        const hasOwn = value.entries.some((x) => x.kind === "comment" || (x.kind === "entry" && x.value.kind !== "map" && !isTableList(x.value)));
        emitTable(value, sub, hasOwn || value.entries.length === 0 ? `[${subHeader}]` : undefined, out, before);
      });
    } else if (value.kind === "list" && isTableList(value)) {
      const before = comments();
      later.push(() => value.items.forEach((item, i) => emitTable(item as TreeMap, sub, `[[${subHeader}]]`, out, i === 0 ? before : [])));
    } else {
      lines.push(...comments(), `${keySource(e.key)} = ${inlineSource(value, sub)}`);
    }
  }
  lines.push(...comments());
  const block = [...lead, ...(header === undefined ? [] : [header]), ...lines];
  if (block.length > 0) out.push(block);
  for (const f of later) f();
}

function emitTree(tree: TreeMap, _options: EmitOptions): string {
  const entry = tree.entries.find((e): e is TreeMapEntry => e.kind === "entry" && e.key === METADATA_KEY);
  if (entry !== undefined) throw emitFailed(`the key "${METADATA_KEY}" is reserved for SOPS metadata`, [METADATA_KEY]);
  const out: string[][] = [];
  emitTable(tree, [], undefined, out);
  return out.length === 0 ? "" : out.map((b) => b.join("\n")).join("\n\n") + "\n";
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
};
