import { HushError } from "../errors.ts";
import type { ScalarValue } from "../tree/values.ts";
import type { Leaf } from "./store.ts";
import { literalBlock, yamlFloat, yamlScalarText } from "./yaml-emit.ts";
import { doubleQuote, isPlainSafe } from "./yaml-resolve.ts";

/**
 * Writing a decrypted value back into a YAML leaf's span in the style it was written in. Kept
 * apart from the store (and free of the `yaml` package) so that decryption through the span
 * scanner (yaml-scan.ts) does not load a YAML composer.
 */

export type Style = "PLAIN" | "QUOTE_SINGLE" | "QUOTE_DOUBLE" | "BLOCK_LITERAL" | "BLOCK_FOLDED" | "COMMENT";

export interface YamlStyle {
  readonly style: Style;
  /** Block scalars: indentation of the body; plain scalars: column of the line's content. */
  readonly indent: number;
  /** Block scalars: whether the body's last line ends with a line break. */
  readonly bodyNewline: boolean;
  /** Inside a flow collection (`[…]`, `{…}`), where commas and brackets end a plain scalar. */
  readonly inFlow?: boolean;
  /**
   * Plain scalars: where a multi-line value may be written as a literal block in their place (a
   * SOPS-written `key: ENC[…]`), from {@link plainBlockRoom}; absent when a block would take in
   * what follows the value, which then reads as part of it.
   */
  readonly block?: BlockRoom;
  /**
   * A tag that makes go-yaml type the scalar (`!!int`, `!!float`, `!!bool`, `!!timestamp`): SOPS
   * decodes an envelope under it to nothing, so such a value cannot be written encrypted.
   */
  readonly typeTag?: string;
  /** A tag that makes the scalar a string (`!!str`, `!`, an application's own): plain stays plain. */
  readonly stringTag?: true;
}

/** Room for a literal block in place of a plain scalar; see {@link plainBlockRoom}. */
export interface BlockRoom {
  /** The column of the collection holding the value (its key's or dash's). */
  readonly parentIndent: number;
  /** The body's column, as go-yaml v3 (SOPS) lays it out. */
  readonly bodyIndent: number;
  /** Empty lines follow the value's line: a keep-chomped block (`|+`) would take them in. */
  readonly emptyLinesFollow: boolean;
}

/**
 * Whether the decrypted value of a plain scalar ending at `end` may become a literal block: only
 * when nothing follows it on its line and the next line that is not empty is indented no further
 * than the collection holding it (or the text ends), so that nothing after the value becomes
 * part of the block. `seqItem`: the value is a list item (`- value`), not a map value.
 */
export function plainBlockRoom(text: string, end: number, parentIndent: number, seqItem: boolean): BlockRoom | undefined {
  // The line break after the value ends the block's last line. The end of the text has none, and
  // where the text does not end with one, removing the metadata block takes the one before it:
  // the block would lose its final line breaks (`|+` of "x\n\n" would read "x\n").
  if (end >= text.length || text.charCodeAt(end) !== 0x0a || text.charCodeAt(text.length - 1) !== 0x0a) return undefined;
  let at = end + 1;
  let emptyLinesFollow = false;
  while (at < text.length && text.charCodeAt(at) === 0x0a) {
    emptyLinesFollow = true;
    at++;
  }
  let col = 0;
  while (at + col < text.length && text.charCodeAt(at + col) === 0x20) col++;
  if (at + col < text.length) {
    const c = text.charCodeAt(at + col);
    if (col > parentIndent || c === 0x0a || c === 0x09 || c === 0x0d) return undefined;
  } else if (col > 0) return undefined;
  // go-yaml indents a list item's block past its dash, a map value's to the next multiple of 4.
  const bodyIndent = seqItem ? parentIndent + 2 : 4 * Math.floor((parentIndent + 4) / 4);
  return { parentIndent, bodyIndent, emptyLinesFollow };
}

/** Characters only a double-quoted scalar writes so that every YAML reader reads them as they are. */
const NEEDS_ESCAPE = /[\u0000-\u0008\n-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/;

/** Source text that replaces a YAML leaf's span to hold a decrypted value (or comment text). */
export function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  const st = leaf.style as YamlStyle;
  if (st.style === "COMMENT") return value.text;
  if (value.type !== "str") {
    if (st.style === "PLAIN") return value.type === "float" ? yamlFloat(value.text) : value.type === "bool" ? yamlScalarText(value) : value.type === "int" ? (/^[-+]?(0|[1-9][0-9]*)$/.test(value.text) ? value.text : yamlScalarText(value)) : value.text;
    // A typed value in a quoted or block scalar cannot come from a YAML file; render it plainly.
    return yamlScalarText(value);
  }
  const text = value.text;
  switch (st.style) {
    case "QUOTE_SINGLE":
      // A single-quoted scalar has no escapes: a line break or a character YAML cannot hold raw
      // (or that go-yaml reads as a break) goes in double quotes, which read the same everywhere.
      return NEEDS_ESCAPE.test(text) ? doubleQuote(text) : `'${text.replace(/'/g, "''")}'`;
    case "QUOTE_DOUBLE":
      return doubleQuote(text);
    case "BLOCK_LITERAL":
    case "BLOCK_FOLDED":
      return renderBlockBody(text, st);
    default: {
      // A YAML 1.1 word (y, no, on…) is the string SOPS and hush read, but the boolean Helm,
      // kubectl and PyYAML read: quoted, as SOPS writes it, every reader gets the string.
      if (isPlainSafe(text, { tagged: st.stringTag === true })) return text;
      const room = st.inFlow === true ? undefined : st.block;
      if (room !== undefined && text.includes("\n")) {
        const block = literalBlock(text, room.bodyIndent, room.parentIndent);
        const takesInFollowing = room.emptyLinesFollow && block?.header.endsWith("+") === true;
        if (block !== undefined && !takesInFollowing) return `${block.header}\n${block.body.replace(/\n$/, "")}`;
      }
      return doubleQuote(text);
    }
  }
}

function renderBlockBody(text: string, st: YamlStyle): string {
  const pad = " ".repeat(st.indent);
  const lines = st.style === "BLOCK_FOLDED" ? foldedLines(text) : text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return lines.map((l) => (l === "" ? "" : pad + l)).join("\n");
}

/**
 * A folded scalar's lines for `text`: between two lines of text, n line breaks read back as n - 1
 * (one alone as a space), so one more is written; next to a more-indented line (led by a space or
 * tab) breaks are not folded and stay as they are.
 */
function foldedLines(text: string): string[] {
  const out: string[] = [];
  let lastText: string | undefined;
  for (const line of text.split("\n")) {
    if (line !== "" && lastText !== undefined && !/^[ \t]/.test(lastText) && !/^[ \t]/.test(line)) out.push("");
    out.push(line);
    if (line !== "") lastText = line;
  }
  return out;
}

/** Source text that replaces a YAML leaf's span to hold an ENC[...] envelope (or a review marker). */
export function renderEncrypted(leaf: Leaf, envelope: string): string {
  const st = leaf.style as YamlStyle;
  if (st.typeTag !== undefined) {
    throw new HushError("PARSE_FAILED", `the ${st.typeTag} tag on the value at line ${leaf.line}: SOPS cannot read an encrypted value under it; remove the tag (the value keeps its type)`, { location: { line: leaf.line } });
  }
  switch (st.style) {
    case "QUOTE_SINGLE":
      return `'${envelope}'`;
    case "QUOTE_DOUBLE":
      return `"${envelope}"`;
    case "BLOCK_LITERAL":
    case "BLOCK_FOLDED":
      return " ".repeat(st.indent) + envelope;
    default:
      // An envelope holds commas and brackets: inside a flow collection it must be quoted.
      return st.inFlow === true ? `"${envelope}"` : envelope;
  }
}

/**
 * See Store.completePlaintext: a YAML data part with no node (blank and comment lines only, and
 * a document start `---`, as an empty mapping is written with its metadata, by SOPS and by hush)
 * is the empty mapping `{}`.
 */
export function completePlaintext(dataText: string): string {
  const lines = dataText.split("\n");
  if (!lines.every((line) => isBlankOrComment(line) || isDocumentEnd(line))) return dataText;
  // Several documents: each was empty (a document marker alone), and stays so.
  if (lines.filter((line) => /^---(?:[ \t]|$)/.test(line)).length > 1) return dataText;
  // `{}` goes inside the document: before its end `...`, if it has one.
  const end = lines.findIndex(isDocumentEnd);
  if (end !== -1) return [...lines.slice(0, end), "{}", ...lines.slice(end)].join("\n");
  return `${dataText}${dataText === "" || dataText.endsWith("\n") ? "" : "\n"}{}\n`;
}

/** Whether a YAML line is a document end `...` (and a comment). */
export function isDocumentEnd(line: string): boolean {
  return /^\.\.\.(?:[ \t]+(?:#.*)?)?$/.test(line);
}

/** Whether a YAML line holds no node: blank, a comment alone, or a document start `---` (and a comment). */
export function isBlankOrComment(line: string): boolean {
  const content = line.startsWith("---") && (line.length === 3 || line[3] === " " || line[3] === "\t") ? line.slice(3).trimStart() : line.trimStart();
  return content === "" || content.startsWith("#");
}
