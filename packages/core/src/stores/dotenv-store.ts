import { HushError, printable } from "../errors.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import { flattenMetadata, unflattenMetadata } from "../metadata/metadata-codec.ts";
import { formatKeyPath, type ScalarValue, type TreeComment, type TreeMap, type TreeMapEntry } from "../tree/values.ts";
import { refuseForeignLineBreak } from "./foreign-line-breaks.ts";
import { lineIndex } from "./lines.ts";
import { lineEditing } from "./line-editing.ts";
import { styleTampered } from "./style-tampered.ts";
import { emitDotenv, QUOTES, SOPS_PREFIX } from "./dotenv-emit.ts";
import type { Leaf, ParsedDocument, Store } from "./store.ts";

/**
 * dotenv, edited in place, in two layers (see docs/formats.md):
 *
 * - The encryption layer reads each line as SOPS 3.x does, so that SOPS opens hush's files and
 *   the reverse: the key is the text before the first `=` exactly as written (spaces and an
 *   `export ` prefix included, which makes it the AAD), and the value is the raw text after `=`
 *   up to the end of the line (quotes and an inline comment included), with `\n` read as a
 *   newline, as SOPS reads it. Decryption writes newlines back as `\n`, as SOPS writes them.
 * - The dialect layer (toTree/emitTree, for conversions and exec-env) understands what people
 *   write in .env files: `export `, single/double/back quotes with escapes, multi-line quoted
 *   values, inline comments, indented comments, blank lines and CRLF.
 *
 * A quoted value spanning lines (which SOPS cannot read in a plaintext file) is one leaf; its raw
 * text, real newlines included, is encrypted, and the encrypted line is `KEY=ENC[…] # hush:multiline`:
 * SOPS reads the envelope (its envelope pattern is not anchored at the end) and hush knows to
 * give the newlines back as they were. A trailing CR stays outside values, so CRLF files keep
 * their line endings.
 */

/** After the envelope of a value that spanned lines (see the module comment). */
const MULTILINE_MARKER = " # hush:multiline";
/**
 * After a comment that was indented in the plaintext: SOPS reads only a `#` in column 0 as a
 * comment, so the encrypted file has it there, and this marker keeps the indentation (`s` for a
 * space, `t` for a tab) for decryption. SOPS reads the envelope before it as usual.
 */
const INDENT_MARKER = / # hush:indent=([st]+)$/;

/**
 * A line of blanks, or a blank line ending with CR (a CRLF file's), is a line without `=` for
 * SOPS. It is a comment leaf whose text is this marker with the line's blanks (`s` space, `t` tab,
 * `r` the final CR), so that SOPS reads a comment there, with the text hush's comment rules see:
 * encrypted as `#ENC[…] # hush:blank` (BLANK_SUFFIX), or in clear as `# hush:blank=r` where a
 * rule keeps comments. Decryption writes the blanks back.
 */
const BLANK_MARKER = /^ hush:blank=([st]*r?)$/;
const BLANK_SUFFIX = " # hush:blank";

type LeafStyle = "line" | "multiline" | { readonly indent: string } | { readonly blank: true };

/** The comment text standing for the blank line `blanks` (BLANK_MARKER). */
function blankMarker(blanks: string): string {
  return ` hush:blank=${[...blanks].map((c) => (c === "\t" ? "t" : c === "\r" ? "r" : "s")).join("")}`;
}

/** The blank line a comment's text stands for, or undefined when it is no blank-line marker. */
function blanksOf(comment: string): string | undefined {
  const code = BLANK_MARKER.exec(comment)?.[1];
  return code === undefined || code === "" ? undefined : code.replace(/s/g, " ").replace(/t/g, "\t").replace(/r/g, "\r");
}

function indentMarker(indent: string): string {
  return ` # hush:indent=${[...indent].map((c) => (c === "\t" ? "t" : "s")).join("")}`;
}

/**
 * unflattenMetadata behind a guard (shared with the INI store): metadata is untrusted input, and
 * a `__proto__` step would reach Object.prototype through a plain object.
 */
export function unflattenUntrusted(entries: ReadonlyArray<readonly [string, string]>): Record<string, unknown> {
  for (const [key] of entries) {
    if (key.split(/__(?=map_|list_\d)/).some((step) => step.replace(/^map_/, "") === "__proto__")) {
      throw new HushError("METADATA_INVALID", "invalid sops metadata: the key name __proto__ is not allowed");
    }
  }
  return unflattenMetadata(entries);
}

function parseError(message: string, line: number): HushError {
  return new HushError("PARSE_FAILED", `invalid dotenv: ${message} at line ${line}`, { location: { line } });
}

/** Index of the closing `quote` from `from`, skipping backslash-escaped characters; -1 if none. */
function scanQuoted(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\") i++;
    else if (ch === quote) return i;
  }
  return -1;
}

/** End of the line holding `at`, without its line break (a CR before the LF is excluded). */
function contentEndOf(text: string, at: number): { contentEnd: number; next: number } {
  const nl = text.indexOf("\n", at);
  const lineEnd = nl === -1 ? text.length : nl;
  const contentEnd = lineEnd > at && text[lineEnd - 1] === "\r" ? lineEnd - 1 : lineEnd;
  return { contentEnd, next: nl === -1 ? text.length : nl + 1 };
}

/**
 * The end of an unquoted value that starts at `start` and whose line's content ends at
 * `contentEnd`: there, unless it is empty and a CR follows. SOPS reads a line up to its LF, so
 * its value is then that CR: a value with no envelope for SOPS to read past the CR (as it reads
 * past it after any other value) is taken with its CR, encrypted as SOPS encrypts it, and given
 * back. (An empty comment keeps its CR outside: SOPS keeps a comment it cannot decrypt as it is.)
 */
function crOfEmpty(text: string, start: number, contentEnd: number): number {
  return start === contentEnd && text[contentEnd] === "\r" ? contentEnd + 1 : contentEnd;
}

/** Decodes a quoted value's body (dialect semantics; see docs/formats.md). */
function unescapeQuoted(body: string, quote: string): string {
  const normalized = body.replace(/\r\n/g, "\n");
  return normalized.replace(/\\([\s\S])/g, (whole, ch: string) => {
    if (ch === "\\" || ch === quote) return ch;
    if (quote === '"') {
      switch (ch) {
        case "n":
          return "\n";
        case "r":
          return "\r";
        case "t":
          return "\t";
        case "'":
        case "`":
          return ch;
      }
    }
    return whole;
  });
}

/**
 * `export ` when every entry of the file (its leaves, by SOPS key) is written with it: a new key
 * written without it is not exported by a shell that sources the file, where every other is.
 */
function exportPrefix(leaves: readonly Leaf[]): string {
  const entries = leaves.filter((l) => l.kind === "scalar");
  return entries.length > 0 && entries.every((l) => /^export[ \t]/.test(String(l.path[0]))) ? "export " : "";
}

/** Dialect name of a SOPS key: trimmed, without an `export` prefix. */
function dialectName(rawKey: string): string {
  return rawKey.trim().replace(/^export[ \t]+/, "").trim();
}

interface DotenvLine {
  readonly kind: "entry";
  readonly rawKey: string;
  readonly name: string;
  /** The value as a dotenv loader sees it. */
  readonly value: string;
  readonly line: number;
}

interface DotenvComment {
  readonly kind: "comment";
  readonly text: string;
}

interface ParsedDotenv {
  readonly doc: ParsedDocument;
  readonly items: ReadonlyArray<DotenvLine | DotenvComment>;
}

function isBlank(s: string): boolean {
  return /^[ \t]*$/.test(s);
}

function parseDotenv(text: string): ParsedDotenv {
  const lineOf = lineIndex(text);
  const leaves: Leaf[] = [];
  /** Indices in `leaves` of empty values taken with their CR (crOfEmpty). */
  const crValues: number[] = [];
  const items: Array<DotenvLine | DotenvComment> = [];
  const seen = new Map<string, number>();
  // A file SOPS wrote (its MAC is there, an envelope) is read as SOPS reads it, so that hush
  // decrypts it: a line may start with `=`. A `sops_…` line inside a quoted value of a plaintext
  // file is no MAC. A name given twice stays refused there too: an empty value needs no key to add
  // (the MAC does not see it), so a second `TOKEN=` on a branch would blank the secret for every
  // reader where the last one wins.
  const sopsFile = /^sops_mac=ENC\[AES256_GCM,/m.test(text);
  const metaEntries: Array<[string, string]> = [];
  const metaRanges: Array<{ start: number; end: number; line: number }> = [];
  let firstReservedLine: number | undefined;
  let pos = 0;
  while (pos < text.length) {
    const lineStart = pos;
    const line = lineOf(lineStart);
    const { contentEnd, next } = contentEndOf(text, lineStart);
    const content = text.slice(lineStart, contentEnd);
    if (isBlank(content)) {
      // A line with nothing on it SOPS skips; blanks, or a CR, stand as a comment (BLANK_MARKER).
      const blanks = text[contentEnd] === "\r" ? `${content}\r` : content;
      if (blanks !== "") leaves.push({ kind: "comment", path: [], document: 0, value: { type: "str", text: blankMarker(blanks) }, start: lineStart, end: lineStart + blanks.length, line, style: { blank: true } });
      pos = next;
      continue;
    }
    const hash = /^[ \t]*#/.exec(content);
    if (hash !== null) {
      // SOPS reads `#` at column 0 as a comment; indented comments are a dialect extension that
      // the encrypted file writes in column 0 with an indentation marker (INDENT_MARKER).
      const start = lineStart + hash[0].length;
      let comment = text.slice(start, contentEnd);
      if (hash[0] === "#" && (comment.endsWith(BLANK_SUFFIX) || blanksOf(comment) !== undefined)) {
        // A blank line, encrypted or in clear: the whole line is written back.
        if (comment.endsWith(BLANK_SUFFIX)) comment = comment.slice(0, -BLANK_SUFFIX.length);
        leaves.push({ kind: "comment", path: [], document: 0, value: { type: "str", text: comment }, start: lineStart, end: contentEnd, line, style: { blank: true } });
        pos = next;
        continue;
      }
      const marked = hash[0] === "#" ? INDENT_MARKER.exec(comment) : null;
      const indent = marked !== null ? marked[1]!.replace(/s/g, " ").replace(/t/g, "\t") : hash[0].slice(0, -1);
      if (marked !== null) comment = comment.slice(0, marked.index);
      refuseForeignLineBreak("dotenv", comment, "comment", "remove it", line);
      const style = indent === "" ? undefined : { indent };
      leaves.push({ kind: "comment", path: [], document: 0, value: { type: "str", text: comment }, start: style ? lineStart : start, end: contentEnd, line, ...(style ? { style } : {}) });
      items.push({ kind: "comment", text: comment });
      pos = next;
      continue;
    }
    const eq = content.indexOf("=");
    if (eq === -1) throw parseError("expected KEY=VALUE or a # comment", line);
    const rawKey = content.slice(0, eq);
    refuseForeignLineBreak("dotenv", rawKey, "key", "rename the key", line);
    const valueStart = lineStart + eq + 1;
    if (rawKey.startsWith(SOPS_PREFIX)) {
      // Metadata lines are read raw, as SOPS writes them (no quote handling).
      metaEntries.push([rawKey.slice(SOPS_PREFIX.length), text.slice(valueStart, contentEnd).replace(/\\n/g, "\n")]);
      metaRanges.push({ start: lineStart, end: next, line });
      pos = next;
      continue;
    }
    // Other dotenv readers name some keys otherwise: npm's and Ruby's dotenv and godotenv also read
    // `KEY: value`, and python-dotenv reads `'KEY'=` as KEY. A line like `DATABASE_URL: elsewhere #=`
    // or `'DATABASE_URL'=` is, to them, that variable, and to hush and SOPS another key with an
    // empty value, which a branch can add without the key (the MAC does not see it).
    if (rawKey.includes(":")) throw parseError('the key holds ":", which other dotenv readers (npm\'s and Ruby\'s dotenv, godotenv) take for the end of a key, as in KEY: value (rename the key)', line);
    if (/['"`]/.test(rawKey)) throw parseError("the key holds a quote, which other dotenv readers (python-dotenv) read a quoted key with, 'KEY'= as KEY (rename the key)", line);
    const name = dialectName(rawKey);
    if (name === "" && !sopsFile) throw parseError("empty key", line);
    if (name.startsWith(SOPS_PREFIX)) firstReservedLine ??= line;
    const first = seen.get(name);
    if (first !== undefined) throw parseError(`duplicate key "${name}" (first defined at line ${first})`, line);
    seen.set(name, line);
    let i = valueStart;
    while (i < contentEnd && (text[i] === " " || text[i] === "\t")) i++;
    const q = text[i];
    let valueEnd: number;
    let dialectValue: string;
    // Quotes are read by the dialect's rules in an encrypted file too, although SOPS takes every
    // value as the rest of its line: exec-env and the loader read the decrypted text by these
    // rules, and the MAC joins values without a separator, so a quote a branch moves from the end
    // of one clear value to the start of the next (with an empty-valued line, which needs no key,
    // to close it) would turn the lines between, secrets included, into one variable. Read by
    // these rules, such a file fails its MAC; a file SOPS wrote with a quote left open in a clear
    // value is refused (docs/formats.md).
    if (q !== undefined && i < contentEnd && QUOTES.includes(q)) {
      const close = scanQuoted(text, i + 1, q);
      if (close === -1) throw parseError(`unterminated ${q === '"' ? "double" : q === "'" ? "single" : "back"}-quoted value`, line);
      const end = contentEndOf(text, close);
      const after = text.slice(close + 1, end.contentEnd);
      if (!/^[ \t]*(#.*)?$/.test(after)) throw parseError("unexpected text after the closing quote", lineOf(close));
      valueEnd = end.contentEnd;
      dialectValue = unescapeQuoted(text.slice(i + 1, close), q);
      pos = end.next;
    } else {
      valueEnd = crOfEmpty(text, valueStart, contentEnd);
      const rest = text.slice(valueStart, contentEnd);
      const comment = /[ \t]#/.exec(rest);
      dialectValue = (comment === null ? rest : rest.slice(0, comment.index)).trim();
      pos = next;
    }
    const raw = text.slice(valueStart, valueEnd);
    let style: LeafStyle = raw.includes("\n") ? "multiline" : "line";
    let value = style === "multiline" ? raw : raw.replace(/\\n/g, "\n");
    if (style === "line" && raw.endsWith(MULTILINE_MARKER) && looksEncrypted(raw)) {
      style = "multiline";
      value = raw.slice(0, -MULTILINE_MARKER.length);
    }
    if (valueEnd > contentEnd) crValues.push(leaves.length);
    leaves.push({ kind: "scalar", path: [rawKey], document: 0, value: { type: "str", text: value }, start: valueStart, end: valueEnd, line, style });
    items.push({ kind: "entry", rawKey, name, value: dialectValue, line });
  }
  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  if (metaEntries.length > 0) {
    const keys = new Set(metaEntries.map(([k]) => k));
    if (!keys.has("lastmodified") && !keys.has("mac") && !keys.has("version")) {
      throw parseError(`the key prefix "${SOPS_PREFIX}" is reserved for SOPS metadata`, metaRanges[0]!.line);
    }
    metadata = unflattenUntrusted(metaEntries);
    // hush wrote an empty value's CR outside the value before it encrypted that CR as SOPS does
    // (and never leaves it in clear now: renderKept): in an encrypted file the CR is the line's.
    for (const i of crValues) leaves[i] = { ...leaves[i]!, value: { type: "str", text: "" }, end: leaves[i]!.end - 1 };
    for (const r of metaRanges) {
      const last = metadataSpans[metadataSpans.length - 1];
      if (last !== undefined && last.end === r.start) last.end = r.end;
      else metadataSpans.push({ start: r.start, end: r.end });
    }
    // appendMetadata put a line break before the metadata when the data did not end with one.
    const tail = metadataSpans[metadataSpans.length - 1]!;
    if (tail.end === text.length && !text.endsWith("\n") && tail.start > 0 && text[tail.start - 1] === "\n") tail.start -= 1;
  }
  if (firstReservedLine !== undefined) throw parseError(`the key prefix "${SOPS_PREFIX}" is reserved for SOPS metadata`, firstReservedLine);
  return { doc: { leaves, metadata, metadataSpans, documentCount: 1 }, items };
}

function commentStyle(leaf: Leaf): { indent: string } | undefined {
  return typeof leaf.style === "object" && leaf.style !== null && "indent" in leaf.style ? (leaf.style as { indent: string }) : undefined;
}

function isBlankLine(leaf: Leaf): boolean {
  return typeof leaf.style === "object" && leaf.style !== null && "blank" in leaf.style;
}

/**
 * True when `raw`, written after `KEY=`, reads back (parseDotenv) as one quoted value that spans
 * lines and holds exactly `raw`: a quote first (after blanks), its closing quote on a later line,
 * then only blanks and a comment up to the end of that line.
 */
function readsBackAsMultiline(raw: string): boolean {
  let i = 0;
  while (raw[i] === " " || raw[i] === "\t") i++;
  const q = raw[i];
  if (q === undefined || !QUOTES.includes(q)) return false;
  const close = scanQuoted(raw, i + 1, q);
  if (close === -1 || !raw.slice(0, close).includes("\n")) return false;
  // The reader ends the value at its line's end, and takes a CR there for the line break's.
  return /^[ \t]*(#.*)?$/.test(raw.slice(close + 1)) && !raw.endsWith("\r");
}

/**
 * True when `line`, SOPS's one-line form of `value`, reads back as `value`: SOPS reads every `\n`
 * as a line break, so a value holding the two characters `\n` (only a quoted value that spanned
 * lines can) has no one-line form; nor has one ending in hush's multi-line marker.
 */
function readsBackAsLine(value: string, line: string): boolean {
  return !value.includes("\\n") && !(line.endsWith(MULTILINE_MARKER) && looksEncrypted(line));
}

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  const text = value.text;
  // A blank line's marker gives back blanks only; any other text there is written as a comment.
  if (leaf.kind === "comment" && isBlankLine(leaf)) return blanksOf(text) ?? `#${text}`;
  if (leaf.kind === "comment") return (commentStyle(leaf) === undefined ? "" : `${commentStyle(leaf)!.indent}#`) + text.replace(/\r?\n/g, (nl) => `${nl}#`);
  // The marker that says a value spanned lines is outside the MAC: a value goes back over lines
  // only where it reads back as itself, else (and for every other value) newlines are written
  // `\n`, as SOPS writes them and reads them back.
  if (leaf.style === "multiline" && readsBackAsMultiline(text)) return text;
  const line = text.replace(/\n/g, "\\n");
  if (readsBackAsLine(text, line)) return line;
  if (readsBackAsMultiline(text)) return text;
  throw styleTampered(leaf);
}

function renderEncrypted(leaf: Leaf, envelope: string): string {
  if (isBlankLine(leaf)) return `#${envelope}${BLANK_SUFFIX}`;
  const indented = commentStyle(leaf);
  if (indented !== undefined) return `#${envelope}${indentMarker(indented.indent)}`;
  return leaf.kind === "scalar" && leaf.style === "multiline" ? envelope + MULTILINE_MARKER : envelope;
}

/**
 * The renderer of in-place edit candidates: the value in its leaf's style as it is. The caller
 * keeps a candidate only when its dialect reading holds the edit, and a dialect value may hold the
 * two characters `\n` that SOPS's one-line form would read as a line break, which renderPlaintext
 * refuses; written as it is, unquoted, the dialect reads it back unchanged.
 */
function renderForEdit(leaf: Leaf, value: ScalarValue): string {
  if (leaf.kind === "scalar" && leaf.style === "multiline") return value.text;
  return leaf.kind === "scalar" ? value.text.replace(/\n/g, "\\n") : renderPlaintext(leaf, value);
}

/**
 * What encryption writes for a value or comment left in plaintext. An indented comment still moves
 * to column 0 (with its marker) for SOPS. A value quoted over several lines cannot stay as it is:
 * SOPS reads the file line by line and would refuse its second line (no `=`), and no one-line form
 * keeps both SOPS's reading and the bytes; it is refused, naming its key and line. So is an empty
 * value taken with its CR (crOfEmpty): an encrypted file's reading leaves that CR to the line.
 */
function renderKept(leaf: Leaf): string | undefined {
  if (leaf.kind === "scalar" && leaf.style === "multiline" && leaf.value !== null && leaf.value.text.includes("\n")) {
    const keyPath = printable(formatKeyPath(leaf.path));
    throw new HushError("ENCRYPT_FAILED", `the value of ${keyPath} at line ${leaf.line} spans lines and stays unencrypted, which SOPS cannot read; nothing was written`, {
      location: { keyPath, line: leaf.line },
      hint: "encrypt it too (change the rule), or write it on one line with \\n for each line break",
    });
  }
  if (leaf.kind === "scalar" && leaf.value?.text === "\r") {
    const keyPath = printable(formatKeyPath(leaf.path));
    throw new HushError("ENCRYPT_FAILED", `the empty value of ${keyPath} at line ${leaf.line} ends with a CR, which SOPS reads as the value and hush as the line's; nothing was written`, {
      location: { keyPath, line: leaf.line },
      hint: "encrypt it too (change the rule), or end that line with LF",
    });
  }
  if (isBlankLine(leaf) && leaf.value !== null) return `#${leaf.value.text}`;
  const indented = commentStyle(leaf);
  return indented === undefined || leaf.value === null ? undefined : `#${leaf.value.text}${indentMarker(indented.indent)}`;
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>): string {
  // LF only, even in CRLF files: SOPS would read a CR into every metadata value.
  const lines = flattenMetadata(metadata).map(([k, v]) => `${SOPS_PREFIX}${k}=${v.replace(/\n/g, "\\n")}`);
  if (lines.length === 0) return dataText;
  const block = lines.join("\n");
  if (dataText === "") return block;
  return dataText.endsWith("\n") ? `${dataText}${block}\n` : `${dataText}\n${block}`;
}

function toTree(text: string): TreeMap {
  const { items } = parseDotenv(text);
  const entries: Array<TreeMapEntry | TreeComment> = items.map((it) =>
    it.kind === "comment" ? { kind: "comment", text: it.text } : { kind: "entry", key: it.name, value: { kind: "scalar", value: { type: "str", text: it.value } } },
  );
  return { kind: "map", entries };
}

/** The dotenv store (SOPS layout plus a real dotenv dialect; see the module comment). */
export const dotenvStore: Store = {
  format: "dotenv",
  stringValues: true,
  parse: (text) => parseDotenv(text).doc,
  renderEncrypted,
  renderPlaintext,
  renderKept,
  appendMetadata: (dataText, metadata) => appendMetadata(dataText, metadata),
  toTree,
  emitTree: emitDotenv,
  ...lineEditing(() => ({ ...dotenvStore, renderPlaintext: renderForEdit }), { sections: false, bracketedValues: false, keepQuotes: true, treePath: (path) => path.map((s) => dialectName(String(s))), newEntryPrefix: exportPrefix }),
};
