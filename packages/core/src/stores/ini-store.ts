import { HushError } from "../errors.ts";
import { flattenMetadata } from "../metadata/metadata-codec.ts";
import { formatKeyPath, type ScalarValue, type TreeComment, type TreeMap, type TreeMapEntry } from "../tree/values.ts";
import { goValToString, unflattenUntrusted } from "./dotenv-store.ts";
import { lineIndex } from "./lines.ts";
import { SectionOrder } from "./ini-order.ts";
import { goTrim, hasSurroundedQuote, isSpace } from "./ini-text.ts";
import { separatorStart } from "./metadata-separator.ts";
import { lineEditing } from "./line-editing.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";

/**
 * INI, edited in place. Lines are read as SOPS reads them (gopkg.in/ini.v1 with SOPS's options,
 * spec 7.4), so the values hush encrypts are the values SOPS sees and both tools open each
 * other's files: keys before the first header belong to `DEFAULT`; `=` or `:` separates key and
 * value; surrounding `"…"`/`'…'` are not part of the value, backtick and `"""` values may span
 * lines; in an unquoted value any `#` or `;` starts an inline comment. The quotes stay in the
 * file and only the text between them is replaced, so decryption gives the file back byte for
 * byte. Comments are encrypted as SOPS does (`; ENC[…]`, AAD = the section go-ini attaches the
 * comment to), one leaf per comment line.
 */

const DEFAULT_SECTION = "DEFAULT";
const METADATA_SECTION = "sops";

function parseError(message: string, line: number): HushError {
  return new HushError("PARSE_FAILED", `invalid INI: ${message} at line ${line}`, { location: { line } });
}

type ValueStyle = "plain" | '"' | "'" | "`" | '"""';

interface MutableLeaf {
  kind: "scalar" | "comment";
  path: string[];
  value: ScalarValue;
  start: number;
  end: number;
  line: number;
  style?: ValueStyle;
}

interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly implicit: boolean;
  readonly keys: Map<string, number>;
}

interface ParsedIni {
  readonly doc: ParsedDocument;
  readonly sections: readonly IniSection[];
  readonly leaves: readonly MutableLeaf[];
}

function parseIni(text: string): ParsedIni {
  const lineOf = lineIndex(text);
  const leaves: MutableLeaf[] = [];
  const sections: IniSection[] = [{ name: DEFAULT_SECTION, line: 1, implicit: true, keys: new Map() }];
  let current = sections[0]!;
  let autoCount = 1;
  let sops: { start: number; line: number; end?: number } | undefined;
  const inSops = (): boolean => current.name === METADATA_SECTION && !current.implicit;
  const metaEntries: Array<[string, string]> = [];

  let pending: MutableLeaf[] = [];
  const order = new SectionOrder<MutableLeaf>(DEFAULT_SECTION);
  const resolvePending = (section: string): MutableLeaf[] => {
    for (const l of pending) l.path = [section];
    const resolved = pending;
    pending = [];
    return resolved;
  };
  /**
   * A comment starting at its marker `at` and ending (trimmed) at `end`. A comment on its own line
   * is pending: go-ini attaches it to the next key or section header, whose section is its AAD.
   */
  const addComment = (at: number, end: number, isPending: boolean): MutableLeaf | undefined => {
    if (inSops()) return undefined;
    const cut = `${text[at]!} `;
    let k = at;
    while (k < end && cut.includes(text[k]!)) k++;
    if (k >= end) return undefined;
    const leaf: MutableLeaf = { kind: "comment", path: [current.name], value: { type: "str", text: text.slice(k, end) }, start: k, end, line: lineOf(k) };
    leaves.push(leaf);
    if (isPending) pending.push(leaf);
    return leaf;
  };
  let pos = text.startsWith("\uFEFF") ? 1 : 0;
  while (pos < text.length) {
    const lineStart = pos;
    const nl = text.indexOf("\n", pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const next = nl === -1 ? text.length : nl + 1;
    const line = lineOf(lineStart);
    let s = lineStart;
    while (s < lineEnd && isSpace(text[s])) s++;
    if (s >= lineEnd) {
      pos = next;
      continue;
    }
    let e = lineEnd;
    while (e > s && isSpace(text[e - 1])) e--;
    const first = text[s];
    if (first === "#" || first === ";") {
      addComment(s, e, true);
      pos = next;
      continue;
    }
    if (first === "[") {
      const close = text.lastIndexOf("]", lineEnd - 1);
      if (close < s) throw parseError("unclosed section header", line);
      const name = text.slice(s + 1, close);
      if (name === "") throw parseError("empty section name", line);
      let k = close + 1;
      while (k < e && isSpace(text[k])) k++;
      // A comment after a header stays plaintext: go-ini takes the name up to the last `]`, and
      // an encrypted comment ends with `]`.
      if (k < e && text[k] !== "#" && text[k] !== ";") throw parseError("unexpected text after the section header", line);
      if (name === METADATA_SECTION && sops !== undefined) throw parseError(`section [${name}] is defined twice (first at line ${sops.line})`, line);
      if (sops !== undefined && sops.end === undefined) sops.end = lineStart;
      // Comments just before the metadata belong to the data part, like trailing comments.
      if (name === METADATA_SECTION) order.trailing(current.name, resolvePending(current.name));
      else order.header(name, resolvePending(name));
      // A repeated header continues its section, as go-ini (SOPS 3.10+) merges them.
      current = { name, line, implicit: false, keys: sections.find((sec) => sec.name === name)?.keys ?? new Map() };
      sections.push(current);
      if (name === METADATA_SECTION) sops = { start: lineStart, line };
      autoCount = 1;
      pos = next;
      continue;
    }

    // key
    let keyName: string;
    let delim: number;
    const keyQuote = text.startsWith('"""', s) && next - s > 6 ? '"""' : first === '"' ? '"' : first === "`" ? "`" : "";
    if (keyQuote !== "") {
      const closeQ = text.indexOf(keyQuote, s + keyQuote.length);
      if (closeQ === -1 || closeQ + keyQuote.length > lineEnd) throw parseError("missing closing quote of the key", line);
      keyName = goTrim(text.slice(s + keyQuote.length, closeQ));
      let k = closeQ + keyQuote.length;
      while (k < lineEnd && isSpace(text[k])) k++;
      if (text[k] !== "=" && text[k] !== ":") throw parseError(k >= lineEnd ? "expected = or : after the key" : "unexpected text after the quoted key", line);
      delim = k;
    } else {
      const m = /[=:]/.exec(text.slice(s, lineEnd));
      if (m === null) throw parseError("expected key = value, a [section] header or a comment", line);
      delim = s + m.index;
      keyName = goTrim(text.slice(s, delim));
    }
    if (keyName === "") throw parseError("empty key name", line);
    if (keyName === "-") keyName = `#${autoCount++}`;
    const firstLine = current.keys.get(keyName);
    if (firstLine !== undefined) throw parseError(`duplicate key "${keyName}" in section [${current.name}] (first at line ${firstLine})`, line);
    current.keys.set(keyName, line);
    const keyComments = resolvePending(current.name);

    let v = delim + 1;
    while (v < next && isSpace(text[v])) v++;
    let start: number;
    let end: number;
    let style: ValueStyle = "plain";
    /** An inline comment after the value: [marker, trimmed end). */
    let comment: [number, number] | undefined;
    if (v >= lineEnd) {
      start = end = e;
      pos = next;
    } else if ((text.startsWith('"""', v) && next - v > 3) || text[v] === "`") {
      const dq = text[v] === "`" ? "`" : '"""';
      style = dq;
      start = v + dq.length;
      let closeAt = text.lastIndexOf(dq, next - dq.length);
      let closeLineEnd = lineEnd;
      pos = next;
      if (closeAt < start || closeAt + dq.length > lineEnd) {
        // Multi-line: up to the last delimiter of the first following line that has one.
        let k = next;
        for (;;) {
          if (k >= text.length) throw parseError(`unterminated ${dq} value`, line);
          const nl2 = text.indexOf("\n", k);
          const le2 = nl2 === -1 ? text.length : nl2;
          const nx2 = nl2 === -1 ? text.length : nl2 + 1;
          const c2 = text.lastIndexOf(dq, nx2 - dq.length);
          if (c2 >= k && c2 + dq.length <= le2) {
            closeAt = c2;
            closeLineEnd = le2;
            pos = nx2;
            break;
          }
          k = nx2;
        }
      }
      end = closeAt;
      let k = closeAt + dq.length;
      let ce = closeLineEnd;
      while (ce > k && isSpace(text[ce - 1])) ce--;
      while (k < ce && isSpace(text[k])) k++;
      if (k < ce) {
        if (text[k] !== "#" && text[k] !== ";") throw parseError("unexpected text after the closing quote", lineOf(k));
        comment = [k, ce];
      }
    } else {
      if (text[e - 1] === "\\") {
        throw parseError("a value ending with a backslash continues on the next line for SOPS; wrap the value in backticks", line);
      }
      const m = /[#;]/.exec(text.slice(v, e));
      let valEnd = m === null ? e : v + m.index;
      while (valEnd > v && isSpace(text[valEnd - 1])) valEnd--;
      const raw = text.slice(v, valEnd);
      if (hasSurroundedQuote(raw, '"') || hasSurroundedQuote(raw, "'")) {
        style = raw[0] as ValueStyle;
        start = v + 1;
        end = valEnd - 1;
      } else {
        start = v;
        end = valEnd;
      }
      if (m !== null) comment = [v + m.index, e];
      pos = next;
    }
    if (inSops()) {
      metaEntries.push([keyName, text.slice(start, end).replace(/\\n/g, "\n")]);
      continue;
    }
    const valueLeaf: MutableLeaf = { kind: "scalar", path: [current.name, keyName], value: { type: "str", text: text.slice(start, end) }, start, end, line, style };
    leaves.push(valueLeaf);
    const inline = comment === undefined ? undefined : addComment(comment[0], comment[1], false);
    order.key(current.name, valueLeaf, inline === undefined ? keyComments : [...keyComments, inline]);
  }
  const lastData = current.name === METADATA_SECTION && sops !== undefined ? (sections[sections.length - 2]?.name ?? DEFAULT_SECTION) : current.name;
  order.trailing(lastData, resolvePending(lastData));

  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  if (sops !== undefined) {
    const keys = metaEntries.map(([k]) => k);
    if (!keys.some((k) => k === "lastmodified" || k === "mac" || k === "version" || k.includes("__list_"))) {
      throw parseError(`the section [${METADATA_SECTION}] is reserved for SOPS metadata`, sops.line);
    }
    metadata = unflattenUntrusted(metaEntries);
    let start = sops.start;
    const end = sops.end ?? text.length;
    // Remove the separator appendMetadata wrote: a blank line, plus the data's missing final
    // line break when it had none.
    if (sops.end === undefined) start = separatorStart(text, start);
    metadataSpans.push({ start, end });
  }
  const out: Leaf[] = order.leaves().map((l) => ({ kind: l.kind, path: l.path, document: 0, value: l.value, start: l.start, end: l.end, line: l.line, ...(l.style === undefined ? {} : { style: l.style }) }));
  return { doc: { leaves: out, metadata, metadataSpans, documentCount: 1 }, sections, leaves };
}

/** The value SOPS's INI reader gets from `k = <source>`; undefined when it does not parse. */
function readBack(source: string): string | undefined {
  try {
    const { leaves } = parseIni(`k = ${source}\n`);
    const leaf = leaves.find((l) => l.kind === "scalar");
    return leaves.some((l) => l.kind === "comment") ? undefined : leaf?.value.text;
  } catch {
    return undefined;
  }
}

/**
 * How go-ini writes a value (`"""` for newlines and backticks, backticks for `#`/`;`, double
 * quotes for surrounding spaces), falling back to another form when go-ini's choice would not
 * read back as the same value. Undefined when no form does.
 */
function iniValueSource(value: string): string | undefined {
  const preferred = /[\n`]/.test(value) ? `"""${value}"""` : /[#;]/.test(value) ? `\`${value}\`` : goTrim(value) !== value ? `"${value}"` : value;
  for (const candidate of [preferred, value, `"${value}"`, `\`${value}\``, `"""${value}"""`]) {
    if (readBack(candidate) === value) return candidate;
  }
  return undefined;
}

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  if (leaf.kind === "comment" || leaf.style !== "plain") return value.text;
  // An unquoted place gets quotes when the value needs them (values from SOPS files, where
  // every ENC value is unquoted); hush's own values always read back as they are.
  if (readBack(value.text) === value.text) return value.text;
  return iniValueSource(value.text) ?? value.text;
}

/** A key as go-ini writes it (quoted when it holds a quote or a delimiter). */
function keySource(key: string, where: string): string {
  if (key === "" || key === "-" || goTrim(key) !== key || /[\n\r]/.test(key) || /^[#;[]/.test(key)) {
    throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI key`, { location: { keyPath: where } });
  }
  if (key.includes('"') || /[=:]/.test(key)) {
    if (key.includes("`")) throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI key`, { location: { keyPath: where } });
    return `\`${key}\``;
  }
  if (key.includes("`")) return `"""${key}"""`;
  return key;
}

/** `key = value` lines aligned like go-ini's PrettyFormat (keys padded to the longest). */
function keyLines(pairs: ReadonlyArray<{ key: string; value: string; comments: readonly string[] }>): string[] {
  const width = Math.max(0, ...pairs.map((p) => Buffer.byteLength(p.key)));
  const lines: string[] = [];
  for (const p of pairs) {
    for (const c of p.comments) lines.push(...c.split(/\r?\n/).map((l) => `; ${l}`));
    lines.push(`${p.key}${" ".repeat(width - Buffer.byteLength(p.key))} = ${p.value}`);
  }
  return lines;
}

function valueSourceOrThrow(value: string, where: string): string {
  const source = iniValueSource(value);
  if (source === undefined) throw new HushError("EMIT_FAILED", `the value at ${where} cannot be written in an INI file`, { location: { keyPath: where } });
  return source;
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>): string {
  const eol = dataText.includes("\r\n") ? "\r\n" : "\n";
  const pairs = flattenMetadata(metadata).map(([k, v]) => {
    const where = formatKeyPath([METADATA_SECTION, k]);
    return { key: keySource(k, where), value: valueSourceOrThrow(v.replace(/\n/g, "\\n"), where), comments: [] };
  });
  const block = [`[${METADATA_SECTION}]`, ...keyLines(pairs)].join(eol);
  if (dataText === "") return block;
  return dataText.endsWith("\n") ? `${dataText}${eol}${block}${eol}` : `${dataText}${eol}${eol}${block}`;
}

function toTree(text: string): TreeMap {
  const { sections, leaves } = parseIni(text);
  const entries: Array<TreeMapEntry | TreeComment> = [];
  const seen = new Set<string>();
  for (const sec of sections) {
    // A repeated header continues its section; DEFAULT may be implicit and explicit too.
    if (seen.has(sec.name) || (sec.implicit && sec.keys.size === 0) || (sec.name === METADATA_SECTION && !sec.implicit)) continue;
    seen.add(sec.name);
    const inner: Array<TreeMapEntry | TreeComment> = leaves
      .filter((l) => l.path[0] === sec.name)
      .map((l) => (l.kind === "comment" ? { kind: "comment", text: l.value.text } : { kind: "entry", key: l.path[1]!, value: { kind: "scalar", value: { type: "str", text: l.value.text } } }));
    entries.push({ kind: "entry", key: sec.name, value: { kind: "map", entries: inner } });
  }
  return { kind: "map", entries };
}

function emitTree(tree: TreeMap, _options: EmitOptions): string {
  const blocks: string[] = [];
  let pendingComments: string[] = [];
  tree.entries.forEach((e, index) => {
    if (e.kind === "comment") {
      pendingComments.push(e.text);
      return;
    }
    const where = formatKeyPath([e.key]);
    if (e.value.kind !== "map") {
      throw new HushError("EMIT_FAILED", `INI files hold sections of keys: the top-level key ${where} is not a section`, { location: { keyPath: where } });
    }
    if (e.key === "" || /[\n\r]/.test(e.key) || e.key === METADATA_SECTION) {
      throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI section name`, { location: { keyPath: where } });
    }
    const lines = pendingComments.flatMap((c) => c.split(/\r?\n/).map((l) => `; ${l}`));
    pendingComments = [];
    const withoutHeader = e.key === DEFAULT_SECTION && index === tree.entries.findIndex((x) => x.kind === "entry");
    if (!withoutHeader) lines.push(`[${e.key}]`);
    const pairs: Array<{ key: string; value: string; comments: string[] }> = [];
    let comments: string[] = [];
    for (const item of e.value.entries) {
      if (item.kind === "comment") {
        comments.push(item.text);
        continue;
      }
      const at = formatKeyPath([e.key, item.key]);
      const node = item.value;
      let s: string;
      if (node.kind === "scalar") s = goValToString(node.value);
      else if (node.kind === "null") s = "";
      else if (node.kind === "comment") continue;
      else throw new HushError("EMIT_FAILED", `INI sections hold only plain values: ${at} is nested deeper`, { location: { keyPath: at } });
      pairs.push({ key: keySource(item.key, at), value: valueSourceOrThrow(s, at), comments });
      comments = [];
    }
    lines.push(...keyLines(pairs), ...comments.flatMap((c) => c.split(/\r?\n/).map((l) => `; ${l}`)));
    if (withoutHeader && pairs.length === 0 && lines.length === 0) return;
    blocks.push(lines.join("\n"));
  });
  if (pendingComments.length > 0) blocks.push(pendingComments.flatMap((c) => c.split(/\r?\n/).map((l) => `; ${l}`)).join("\n"));
  return blocks.length === 0 ? "" : blocks.join("\n\n") + "\n";
}

/** The INI store (SOPS's layout, read with go-ini's rules; see the module comment). */
export const iniStore: Store = {
  format: "ini",
  parse: (text) => parseIni(text).doc,
  renderEncrypted: (_leaf, envelope) => envelope,
  renderPlaintext,
  appendMetadata: (dataText, metadata) => appendMetadata(dataText, metadata),
  toTree,
  emitTree,
  ...lineEditing(() => iniStore, { sections: true, bracketedValues: false, keepQuotes: false }),
};
