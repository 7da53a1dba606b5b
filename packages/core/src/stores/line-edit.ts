import { isHushError } from "../errors.ts";
import { buildPath, pathStartsWith, samePath } from "../tree/tree-path.ts";
import type { KeyPath, ScalarValue, TreeMap, TreeNode } from "../tree/values.ts";
import { lineEndAfter, lineStart } from "./lines.ts";
import type { Leaf, Store, TextEditRequest } from "./store.ts";

/**
 * Text editors for the formats edited line by line (dotenv, INI, TOML), and the in-place scalar
 * replacement that every store with leaves supports. What differs between those formats is
 * described by a `LineLayout`; candidates are verified by the caller before use.
 */

/** How a line-oriented format lays out its entries. */
export interface LineLayout {
  /** Keys live in `[section]`s: a new key goes after the last value of its section. Else at the end. */
  readonly sections: boolean;
  /** A value may span bracketed lines (`key = [` … `]`): removing it takes them in. */
  readonly bracketedValues: boolean;
  /** A replaced value keeps the quotes of the one it replaces (`A="x y"` set to `new` gives `A="new"`). */
  readonly keepQuotes: boolean;
  /** Keys may be dotted (`server.host = "h"` makes the table `server`, TOML): a new key of such a table is written dotted too. */
  readonly dottedKeys?: boolean;
  /** Values may be inline tables and arrays (`{ a = 1 }`, `[1, 2]`, TOML): a new key or last element goes inside them. */
  readonly inlineContainers?: boolean;
  /**
   * What a new entry's line starts with, given the text's leaves as the store names them: dotenv's
   * `export ` when every entry of the file has it (a shell that sources the file exports them all).
   */
  readonly newEntryPrefix?: (leaves: readonly Leaf[]) => string;
  /**
   * The value-tree path of a leaf, where the store's leaves are named otherwise (dotenv leaves
   * carry SOPS's raw key, `export A` or `A `, and the tree the dialect's name `A`).
   */
  readonly treePath?: (leafPath: KeyPath) => KeyPath;
}

/** In-place replacement options: see `LineLayout`. */
export type InPlaceOptions = Pick<LineLayout, "keepQuotes" | "treePath">;

function scalarLeaf(leaf: Leaf): boolean {
  return leaf.kind === "scalar" && leaf.document === 0 && leaf.aliased !== true;
}

/** The scalar leaf holding a value at `path` (a tree path; `treePath` names leaves so), if any. */
function valueLeafAt(leaves: readonly Leaf[], path: KeyPath, treePath: LineLayout["treePath"]): Leaf | undefined {
  return leaves.find((l) => scalarLeaf(l) && l.value !== null && samePath(treePath === undefined ? l.path : treePath(l.path), path));
}

/**
 * `lines` (whole lines, each ending with a line break) put into `text` at `at`, the start of a
 * line or the end of the text; at the end of a text without a final line break they start a new
 * line, and the text keeps ending without one.
 */
function insertLines(text: string, at: number, lines: string): string {
  if (at >= text.length && text !== "" && !text.endsWith("\n")) return `${text}\n${lines.replace(/\n$/, "")}`;
  return text.slice(0, at) + lines + text.slice(at);
}

/**
 * A changed scalar written over the old one's span; undefined when the edit is not that.
 * `leaves`: the text's leaves when already read (by a scanner that reads exactly the store's).
 */
export function scalarInPlace(text: string, store: Store, edit: Pick<TextEditRequest, "kind" | "path" | "value">, options: Partial<InPlaceOptions> & { leaves?: readonly Leaf[] } = {}): string | undefined {
  if (edit.kind !== "set" || edit.value?.kind !== "scalar") return undefined;
  const value: ScalarValue = edit.value.value;
  const leaf = valueLeafAt(options.leaves ?? store.parse(text).leaves, edit.path, options.treePath);
  if (leaf === undefined) return undefined;
  let rendered: string;
  try {
    rendered = store.renderPlaintext(leaf, value);
  } catch (err) {
    // A value with no form that reads back in this place: no in-place candidate (the caller
    // writes the document again instead).
    if (isHushError(err) && err.code === "VALUE_TAMPERED") return undefined;
    throw err;
  }
  if (options.keepQuotes === true) rendered = keepQuoteStyle(text.slice(leaf.start, leaf.end), rendered);
  return text.slice(0, leaf.start) + rendered + text.slice(leaf.end);
}

/**
 * A changed scalar written in its place as the store writes a new key's value (`" lead"` quoted
 * where the old value had no quotes, which the in-place form, written as it is, cannot give):
 * the text after the `=` of the emitted entry's line. Undefined when the edit is not that.
 */
function scalarAsEmitted(text: string, store: Store, edit: TextEditRequest, layout: LineLayout, leaves: readonly Leaf[]): string | undefined {
  if (edit.kind !== "set" || edit.value?.kind !== "scalar") return undefined;
  const leaf = valueLeafAt(leaves, edit.path, layout.treePath);
  if (leaf === undefined) return undefined;
  const lines = store.emitTree(buildPath(edit.path, edit.value) as TreeMap, {}).split("\n").filter((l) => l.trim() !== "");
  const entry = lines[lines.length - 1];
  const eq = entry?.indexOf("=") ?? -1;
  if (entry === undefined || eq < 0) return undefined;
  return text.slice(0, leaf.start) + entry.slice(eq + 1).trimStart() + text.slice(leaf.end);
}

/**
 * The new value keeps the quoting style (`"…"` or `'…'`) of the one it replaces. The candidate
 * is parsed back like any other, so a value the quotes would change is written another way.
 */
function keepQuoteStyle(old: string, rendered: string): string {
  const quote = /^(["'])[^]*\1$/.exec(old)?.[1];
  if (quote === undefined || old.length < 2 || /^["']/.test(rendered) || rendered.includes(quote) || rendered.includes("\n")) return rendered;
  return `${quote}${rendered}${quote}`;
}

/** A line that starts with a TOML key, bare, quoted or dotted (`a."b".c =`). */
const KEY_LINE = /^[ \t]*(?:[A-Za-z0-9_-]+|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*')(?:[ \t]*\.[ \t]*(?:[A-Za-z0-9_-]+|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'))*[ \t]*=/;

/**
 * Lines [start, end) of the entry at `path`, widened to a bracketed value's key and closing lines.
 * Back to the nearest line that starts with a key, whichever: the entry's own first line when its
 * key is dotted (`dotted.k = 1` for the path ending in `dotted`), where a search for the last
 * part of the path alone went back to the start of the text.
 */
function bracketedSpan(text: string, start: number, end: number): [number, number] {
  while (start > 0 && !KEY_LINE.test(lineFrom(text, start))) start = lineStart(text, start - 1);
  while (end < text.length && /^[ \t]*[\]}][ \t,\]}]*(#.*)?\r?\n?$/.test(text.slice(end, lineEndAfter(text, end)))) end = lineEndAfter(text, end);
  return [start, end];
}

/** Where a new key of the section at `parent` goes: the end of that section, less its trailing blank lines. */
function sectionEnd(text: string, leaves: readonly Leaf[], parent: TextEditRequest["path"]): number | undefined {
  const children = leaves.filter((l) => pathStartsWith(l.path, parent) && l.path.length > parent.length);
  const anchor = parent.length === 0 ? 0 : children.length > 0 ? earliestStart(children) : undefined;
  if (anchor === undefined) return undefined;
  const header = /^[ \t]*\[/gm;
  header.lastIndex = parent.length === 0 ? 0 : lineEndAfter(text, anchor);
  const m = header.exec(text);
  return m === null ? text.length : beforeBlankLines(text, m.index);
}

/**
 * The start of the run of blank lines (spaces and tabs only, then CRLF or LF) that ends just
 * before the line starting at `at`; the text's first line is never taken. Each line is looked at
 * once: testing the whole text before `at` again for each blank line cost time quadratic in the
 * run. A CRLF blank line counts: taken for a line of text, a new key went below the blank line
 * that parts its section from the next, and a removed last section left that line behind.
 */
function beforeBlankLines(text: string, at: number): number {
  while (at >= 2) {
    const previousBreak = text.lastIndexOf("\n", at - 2);
    if (previousBreak < 0 || !/^[ \t]*\r?$/.test(text.slice(previousBreak + 1, at - 1))) break;
    at = previousBreak + 1;
  }
  return at;
}

/**
 * The least `start` of `leaves` (not empty). A loop, not `Math.min(...)`: spreading one argument
 * per leaf overflows the stack at about 100,000 leaves.
 */
function earliestStart(leaves: readonly Leaf[]): number {
  let least = leaves[0]!.start;
  for (const leaf of leaves) least = Math.min(least, leaf.start);
  return least;
}

/** The greatest offset of `leaves` (not empty) that is still inside a leaf's text. */
function latestInside(leaves: readonly Leaf[]): number {
  let most = 0;
  for (const leaf of leaves) most = Math.max(most, leaf.end - 1, leaf.start);
  return most;
}

const HEADER_START = /^[ \t]*\[/;
const HEADER_END = /\][ \t]*(?:[#;]|\r?\n?$)/;

/**
 * A `[section]`, `[table]` or `[[array.of.tables]]` header line, perhaps with a comment after it.
 * Two patterns, each linear in the line: as one (`[…]` then `]`), a line of many `]#` could be
 * split in quadratically many ways.
 */
function isHeaderLine(line: string): boolean {
  return HEADER_START.test(line) && HEADER_END.test(line);
}

const COMMENT_LINE = /^[ \t]*[#;][^\r\n]*\r?\n?$/;
const BLANK_LINE = /^[ \t]*\r?\n?$/;

/** The text of the line that starts at `at`, its line break included. */
function lineFrom(text: string, at: number): string {
  return text.slice(at, lineEndAfter(text, at));
}

/** The start of the run of comment lines that ends just before the line starting at `at`. */
function afterCommentsAbove(text: string, at: number): number {
  while (at > 0 && COMMENT_LINE.test(lineFrom(text, lineStart(text, at - 1)))) at = lineStart(text, at - 1);
  return at;
}

/**
 * The lines of a whole section or table whose values span the lines [first, last): from the
 * comments above its header (go-ini and TOML readers give them to what follows) to the comments
 * above the next header, or to the end of the text with the blank lines before it. Undefined when
 * only blank lines and comments do not lead back from its first value to a header.
 */
function sectionSpan(text: string, first: number, last: number): [number, number] | undefined {
  let header = first;
  do {
    if (header === 0) return undefined;
    header = lineStart(text, header - 1);
  } while (COMMENT_LINE.test(lineFrom(text, header)) || BLANK_LINE.test(lineFrom(text, header)));
  if (!isHeaderLine(lineFrom(text, header))) return undefined;
  let next = last;
  while (next < text.length && !isHeaderLine(lineFrom(text, next))) next = lineEndAfter(text, next);
  const start = afterCommentsAbove(text, header);
  return next < text.length ? [start, afterCommentsAbove(text, next)] : [beforeBlankLines(text, start), text.length];
}

/**
 * Candidates for a line-oriented format: a changed scalar in place; a removed entry's lines
 * deleted (a whole section's or table's with its header); a new key written (as the store emits
 * it) at the end of its section or of the file.
 */
export function lineCandidates(text: string, store: Store, edit: TextEditRequest, layout: LineLayout): string[] {
  const out: string[] = [];
  const parsed = store.parse(text).leaves;
  const inPlace = scalarInPlace(text, store, edit, { ...layout, leaves: parsed });
  if (inPlace !== undefined) out.push(inPlace);
  const asNew = scalarAsEmitted(text, store, edit, layout, parsed);
  if (asNew !== undefined) out.push(asNew);
  const indexed = edit.path.some((s) => typeof s === "number");
  // An element of a TOML array of tables is a table of its own lines, under its own header.
  if (indexed && !layout.sections) return out;
  const treePath = layout.treePath;
  const leaves = parsed.filter(scalarLeaf).map((l) => (treePath === undefined ? l : { ...l, path: treePath(l.path) }));
  const under = leaves.filter((l) => pathStartsWith(l.path, edit.path));
  if (edit.kind === "unset" && under.length > 0) {
    const [start, end] = valueLines(text, under, layout);
    out.push(text.slice(0, start) + text.slice(end));
    // The values' lines alone leave the header of a whole section or table behind.
    const whole = layout.sections ? sectionSpan(text, lineStart(text, earliestStart(under)), lineEndAfter(text, latestInside(under))) : undefined;
    if (whole !== undefined) out.push(text.slice(0, whole[0]) + text.slice(whole[1]));
    if (layout.dottedKeys === true) {
      const emptied = emptiedDottedTable(text, start, end);
      if (emptied !== undefined) out.push(emptied);
    }
  }
  if (edit.kind === "set" && edit.value !== undefined && layout.sections && edit.value.kind === "map" && under.length > 0) {
    // A whole section or table replaced: its values' lines give way to the new ones, under its header.
    const [start, end] = valueLines(text, under, layout);
    out.push(text.slice(0, start) + belowHeaders(store.emitTree(buildPath(edit.path, edit.value) as TreeMap, {})) + text.slice(end));
  }
  if (edit.kind === "set" && edit.value !== undefined && under.length === 0) {
    const emitted = store.emitTree(buildPath(edit.path, edit.value) as TreeMap, {});
    const body = (layout.newEntryPrefix?.(parsed) ?? "") + belowHeaders(emitted);
    const at = layout.sections ? sectionEnd(text, leaves, edit.path.slice(0, -1)) : text.length;
    if (at !== undefined) out.push(insertLines(text, at, body));
    // A new section, table or element of an array of tables: its header and lines after the file's.
    if (layout.sections && emitted.startsWith("[")) out.push(newSection(text, emitted));
    if (layout.dottedKeys === true && edit.value.kind !== "map") {
      const dotted = dottedSibling(text, leaves, edit.path, body);
      if (dotted !== undefined) out.push(dotted);
    }
  }
  if (layout.inlineContainers === true && edit.kind === "set" && edit.value !== undefined && under.length === 0) {
    const inline = inlineInsertion(text, store, leaves, edit.path, edit.value);
    if (inline !== undefined) out.push(inline);
  }
  if (layout.inlineContainers === true && edit.kind === "unset" && under.length > 0) {
    const inline = inlineRemoval(text, under, edit.path);
    if (inline !== undefined) out.push(inline);
    const emptied = under.length === 1 && samePath(under[0]!.path, edit.path) ? emptiedInlineDottedTable(text, under[0]!) : undefined;
    if (emptied !== undefined) out.push(emptied);
  }
  return out;
}

/** From `at`, past blanks, line breaks and comments: the offset of the first other character. */
function pastBlanks(text: string, at: number): number {
  while (at < text.length) {
    const ch = text[at]!;
    if (ch === "#") at = lineEndAfter(text, at);
    else if (" \t\r\n".includes(ch)) at++;
    else break;
  }
  return at;
}

/**
 * The offsets of `,`, `{` and `[` in `text` from `from` to `to` (one line) outside quoted keys and
 * strings: a quoted key's comma or brace is not where its entry starts.
 */
function unquotedMarks(text: string, from: number, to: number): number[] {
  const marks: number[] = [];
  for (let i = from; i < to; i++) {
    const ch = text[i]!;
    if (ch === "#") break;
    if (ch === '"' || ch === "'") {
      const close = text.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      let j = i + close.length;
      while (j < to && !text.startsWith(close, j)) j += ch === '"' && text[j] === "\\" ? 2 : 1;
      i = j + close.length - 1;
    } else if (ch === "," || ch === "{" || ch === "[") marks.push(i);
  }
  return marks;
}

/** From `at`, past blanks and a comment on the same line: the offset of its line break, or of the first other character. */
function pastLineBlanks(text: string, at: number): number {
  while (at < text.length && " \t".includes(text[at]!)) at++;
  if (text[at] === "#") at = lineEndAfter(text, at);
  // The line break itself stays (`\r\n` too): the next entry keeps its own line.
  if (text[at - 1] === "\n") at -= text[at - 2] === "\r" ? 2 : 1;
  return at;
}

/**
 * A removed key of a TOML inline table (`{ host = "h", port = 80 }`) or element of an inline
 * array, taken out with one comma beside it; on a line of its own in a multi-line array, that
 * line. Undefined when the entry is not in such a container or a nested one of its own spans
 * lines. Written from the values, the whole file lost its comments and layout.
 */
function inlineRemoval(text: string, under: readonly Leaf[], path: KeyPath): string | undefined {
  const first = under.reduce((a, b) => (b.start < a.start ? b : a));
  const last = under.reduce((a, b) => (b.end > a.end ? b : a));
  // The entry's end: past the closers of containers inside it (`d = [1, 2]`, `{ a = 1 }`).
  let end = last.end;
  for (let nested = last.path.length - path.length; nested > 0; nested--) {
    const closer = pastBlanks(text, end);
    if (!"]}".includes(text[closer] ?? "")) return undefined;
    end = closer + 1;
  }
  // Its start: back from its first value past the openers of the containers it is in (and their
  // keys), to an element's own opener, or to the `{` or `,` before a key, on its line; those in
  // quoted keys and strings (`"a,b" = 1`) are not counted.
  const element = typeof path.at(-1) === "number";
  const depth = first.path.length - path.length;
  let start = first.start;
  if (!element || depth > 0) {
    let openers = element ? depth - 1 : depth;
    let back = -1;
    const marks = unquotedMarks(text, lineStart(text, start), start);
    for (let i = marks.length - 1; i >= 0; i--) {
      const at = marks[i]!;
      if (text[at] === "," && openers > 0) return undefined;
      if (text[at] === "," || openers-- === 0) {
        back = at;
        break;
      }
    }
    if (back < 0) return undefined;
    start = element ? back : back + 1;
    while (" \t".includes(text[start]!)) start++;
  }
  const next = pastBlanks(text, end);
  if (!",]}".includes(text[next] ?? "")) return undefined;
  const lineAt = lineStart(text, start);
  const lineEnd = lineEndAfter(text, end);
  // On a line of its own (a multi-line array): that line goes, its comment with it.
  if (text.slice(lineAt, start).trim() === "" && /^[ \t]*(?:,[ \t]*)?(?:#[^\r\n]*)?\r?\n$/.test(text.slice(end, lineEnd))) return text.slice(0, lineAt) + text.slice(lineEnd);
  if (text.slice(start, end).includes("\n")) return undefined;
  let before = start;
  while (before > 0 && " \t".includes(text[before - 1]!)) before--;
  // With the comma before it (`, 2`), or, for the first entry, the one after it, its blanks and
  // a comment on its line: the lines after that are the next entries', their comments kept.
  if (text[before - 1] === ",") return text.slice(0, before - 1) + text.slice(end);
  if (text[next] === ",") return text.slice(0, start) + text.slice(pastLineBlanks(text, next + 1));
  // The only entry: `{ a = 1 }` becomes `{}`.
  return text.slice(0, before) + text.slice(next);
}

/**
 * A new key of an inline table (`server = { host = "h" }`) or a new last element of an inline
 * array (`ports = [1, 2]`), written inside its braces or brackets after the last value there:
 * `, key = value` or `, value`, or on a line of its own after a multi-line array's trailing
 * comma. Undefined when the parent is not such a container (a table under a header, say), holds
 * no value yet, or the value is not one line. Written from the values, the whole file lost its
 * comments and layout for one new key.
 */
function inlineInsertion(text: string, store: Store, leaves: readonly Leaf[], path: KeyPath, value: TreeNode): string | undefined {
  const parent = path.slice(0, -1);
  const key = path.at(-1);
  const children = leaves.filter((l) => pathStartsWith(l.path, parent) && l.path.length > parent.length);
  if (parent.length === 0 || children.length === 0) return undefined;
  const last = children.reduce((a, b) => (b.end > a.end ? b : a));
  const dotted = typeof key === "number" ? undefined : dottedInlinePrefix(text, last, parent);
  // Past the closers of the containers between the last value and the parent (each inline too),
  // and the commas and comments after them; `after`: the end of the last of those but comments.
  let nested = dotted !== undefined ? 0 : last.path.length - parent.length - 1;
  let at = last.end;
  let after = last.end;
  while (at < text.length) {
    const ch = text[at]!;
    if (ch === "#") at = lineEndAfter(text, at);
    else if (" \t\r\n".includes(ch)) at++;
    else if (ch === "," || ((ch === "]" || ch === "}") && nested > 0)) {
      if (ch !== ",") nested--;
      after = ++at;
    } else break;
  }
  if (text[at] !== (typeof key === "number" ? "]" : "}")) return undefined;
  // The store's own line for `key = value` (a one-entry tree): its key as the store quotes it.
  const line = store.emitTree(buildPath([typeof key === "number" ? "v" : key!], value) as TreeMap, {}).trim();
  // The `=` after the key as the store wrote it, quoted when it holds one (`"a=b" = 1`).
  const keyed = KEY_LINE.exec(line);
  if (keyed === null || line.includes("\n") || line.startsWith("[")) return undefined;
  const eq = keyed[0].length - 1;
  const item = typeof key === "number" ? line.slice(eq + 1).trim() : `${dotted === undefined || dotted === "" ? "" : `${dotted}.`}${line.slice(0, eq).trim()} = ${line.slice(eq + 1).trim()}`;
  const trailingComma = text[after - 1] === ",";
  // Where the last value has a line of its own, so has the new one, under it (after any comment
  // on that line), with a comma after it as after the last one; else on the same line.
  const lastLine = lineStart(text, last.start);
  if (!text.slice(after, at).includes("\n") || text.slice(lastLine, last.start).trim() !== "") {
    return trailingComma ? `${text.slice(0, after)} ${item},${text.slice(after)}` : `${text.slice(0, after)}, ${item}${text.slice(after)}`;
  }
  const indent = /^[ \t]*/.exec(text.slice(lastLine))![0];
  const withComma = trailingComma ? text : `${text.slice(0, after)},${text.slice(after)}`;
  return insertLines(withComma, lineEndAfter(withComma, after), `${indent}${item}${trailingComma ? "," : ""}\n`);
}

/**
 * Where the last value of an inline table is written under a dotted key (`b.c = 2` in
 * `x = { a = 1, b.c = 2 }`) and `parent` is that table or one its dotted key makes (`x.b`): the
 * key's parts naming `parent` below the table, as the file spells them (`b`; "" for `x` itself),
 * for a new key of `parent` to be written under. A new key written bare landed in `x`, and the
 * closers counted from the path's depth were looked for where dotted keys have none: the file was
 * written again from its values. Undefined when the key is not dotted or the value is deeper.
 */
function dottedInlinePrefix(text: string, last: Leaf, parent: KeyPath): string | undefined {
  const parts = inlineDottedKey(text, last)?.parts;
  if (parts === undefined) return undefined;
  const table = last.path.slice(0, last.path.length - parts.length);
  if (!pathStartsWith(parent, table)) return undefined;
  return parts.slice(0, parent.length - table.length).join(".");
}

/**
 * The last key of a table a dotted key makes inside an inline table (`b.c = 2` in
 * `x = { a = 1, b.c = 2 }`), removed: the table stays, empty (`b = {}`), as SOPS's unset leaves
 * it. Undefined when the value's key is not dotted.
 */
function emptiedInlineDottedTable(text: string, leaf: Leaf): string | undefined {
  const key = inlineDottedKey(text, leaf);
  return key === undefined ? undefined : `${text.slice(0, key.start)}${key.parts.slice(0, -1).join(".")} = {}${text.slice(leaf.end)}`;
}

/**
 * The dotted key (two parts or more, as the file spells them, and where it starts) that a value
 * of an inline table is written under, on the value's line; undefined for a bare key or an
 * array's element.
 */
function inlineDottedKey(text: string, leaf: Leaf): { parts: string[]; start: number } | undefined {
  const mark = unquotedMarks(text, lineStart(text, leaf.start), leaf.start).at(-1);
  if (mark === undefined || text[mark] === "[") return undefined;
  const keyed = text.slice(mark + 1, leaf.start);
  const parts = keyParts(keyed.replace(/=[ \t]*$/, "").trim());
  return parts.length < 2 ? undefined : { parts, start: mark + 1 + (keyed.length - keyed.trimStart().length) };
}

/** The lines [start, end) of the values `under` (not empty), a bracketed value's key and closing lines included. */
function valueLines(text: string, under: readonly Leaf[], layout: LineLayout): [number, number] {
  const span: [number, number] = [lineStart(text, earliestStart(under)), lineEndAfter(text, latestInside(under))];
  return layout.bracketedValues ? bracketedSpan(text, span[0], span[1]) : span;
}

/** `emitted` (what the store writes for a value at its path) less the section or table headers it writes first for the parents: the text has them already. */
function belowHeaders(emitted: string): string {
  const lines = emitted.split("\n");
  while (lines.length > 0 && (lines[0]!.startsWith("[") || lines[0]!.trim() === "")) lines.shift();
  return lines.join("\n");
}

const BARE_KEY_CHARACTER = /[A-Za-z0-9_-]/;
/**
 * A key line's indentation and key text, up to its `=`. The key starts with what is not a blank,
 * so the blanks before it are the indentation alone (two runs that may both take a blank made a
 * line of blanks cost time cubic in its length).
 */
const KEY_TEXT = /^([ \t]*)([^=\r\n \t][^=\r\n]*)=/;

/**
 * The parts of a TOML key as it stands in a key line (`a."b.c".'d'`), bare or quoted; a quote
 * that does not close ends them. A scan, not one pattern of the three forms: an unclosed quote
 * made such a pattern search the rest of the line again from each character, quadratic in it.
 */
function keyParts(key: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < key.length) {
    const ch = key[i]!;
    let end = i + 1;
    if (BARE_KEY_CHARACTER.test(ch)) {
      while (end < key.length && BARE_KEY_CHARACTER.test(key[end]!)) end++;
    } else if (ch === '"' || ch === "'") {
      while (end < key.length && key[end] !== ch) end += ch === '"' && key[end] === "\\" ? 2 : 1;
      if (end >= key.length) break;
      end++;
    } else {
      i = end;
      continue;
    }
    parts.push(key.slice(i, end));
    i = end;
  }
  return parts;
}

/**
 * A new key (`entry`, one `key = value` line as the store writes it) of a TOML table that the
 * file makes with dotted keys (`server.host = "h"` and no `[server]` header), written the same
 * way (`server.user = …`) after the table's last line. Written under the enclosing header, the
 * key landed in that table instead, and a `[server]` header is refused after dotted keys made
 * the table: the file was written again from its values. Undefined when the table's last line
 * does not start with its dotted name.
 */
function dottedSibling(text: string, leaves: readonly Leaf[], path: KeyPath, entry: string): string | undefined {
  const parent = path.slice(0, -1);
  const children = leaves.filter((l) => pathStartsWith(l.path, parent) && l.path.length > parent.length);
  const eq = entry.indexOf("=");
  if (parent.length === 0 || children.length === 0 || eq < 0 || entry.trimEnd().includes("\n")) return undefined;
  const last = children.reduce((a, b) => (b.start > a.start ? b : a));
  // From the line of its key: a value inside brackets may start lines of its own.
  const [lineAt, end] = bracketedSpan(text, lineStart(text, last.start), lineEndAfter(text, latestInside(children)));
  const keyText = KEY_TEXT.exec(lineFrom(text, lineAt));
  if (keyText === null) return undefined;
  // The parts of the line's key below the table: the leaf's path up to its first index (an array's element).
  const index = last.path.findIndex((s, i) => i >= parent.length && typeof s === "number");
  const below = (index < 0 ? last.path.length : index) - parent.length;
  const parts = keyParts(keyText[2]!.trimEnd());
  if (parts.length <= below) return undefined;
  const line = `${keyText[1]}${parts.slice(0, parts.length - below).join(".")}.${entry.slice(0, eq).trim()} = ${entry.slice(eq + 1).trim()}\n`;
  return insertLines(text, end, line);
}

/**
 * The last key of a table the file makes with dotted keys (`db.pass = "p"`, the table `db`),
 * removed: SOPS's unset leaves the table, empty, which no line of dotted keys can say, so the
 * entry's lines [start, end) become `db = {}`. Without this the file was written again from its
 * values, its comments lost. Undefined when the entry's key is not dotted.
 */
function emptiedDottedTable(text: string, start: number, end: number): string | undefined {
  const keyText = KEY_TEXT.exec(lineFrom(text, start));
  if (keyText === null) return undefined;
  const parts = keyParts(keyText[2]!.trimEnd());
  if (parts.length < 2) return undefined;
  // The line break the entry's last line had (`\r\n` in a CRLF file; none at the end of a file without one).
  const lineBreak = /\r?\n$/.exec(text.slice(start, end))?.[0] ?? "";
  return `${text.slice(0, start)}${keyText[1]}${parts.slice(0, -1).join(".")} = {}${lineBreak}${text.slice(end)}`;
}

/**
 * A new section's text (`emitted`, its header first): under the file's own header of that name
 * when it has one (an empty section), else after the file's last line. INI must not get a header
 * twice: go-ini reads a repeated header as the same section, so the caller's check would pass a
 * second one, which Python's configparser refuses. `[[name]]` (TOML) adds an element to an array
 * of tables wherever it stands: a new one always goes at the end.
 */
function newSection(text: string, emitted: string): string {
  const headerEnd = emitted.indexOf("\n");
  const header = emitted.slice(0, headerEnd);
  const escaped = header.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const existing = headerEnd < 0 || header.startsWith("[[") ? null : new RegExp(`^[ \\t]*${escaped}[ \\t]*(?:[#;].*)?$`, "m").exec(text);
  if (existing === null) return afterLastLine(text, emitted);
  return insertLines(text, lineEndAfter(text, existing.index), emitted.slice(headerEnd + 1));
}

/** `block` after the text's last line, one blank line between them. */
function afterLastLine(text: string, block: string): string {
  if (text === "") return block;
  // A text without a final line break keeps ending without one.
  if (!text.endsWith("\n")) return `${text}\n\n${block.replace(/\n$/, "")}`;
  return BLANK_LINE.test(lineFrom(text, lineStart(text, text.length - 1))) ? text + block : `${text}\n${block}`;
}
