import { HushError } from "../errors.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import type { ScalarValue } from "../tree/values.ts";
import { unflattenUntrusted } from "./dotenv-store.ts";
import { lineIndex } from "./lines.ts";
import { SectionOrder } from "./ini-order.ts";
import { refuseFoldedKeyShadow } from "./folded-keys.ts";
import { refuseForeignLineBreak } from "./foreign-line-breaks.ts";
import { goTrim, hasSurroundedQuote, isSpace } from "./ini-text.ts";
import { macCoverage, type MacCoverage } from "./mac-coverage.ts";
import { separatorStart } from "./metadata-separator.ts";
import type { Leaf, ParsedDocument } from "./store.ts";

/**
 * The INI reader of the INI store (see ini-store.ts): lines read as SOPS reads them (go-ini with
 * SOPS's options, spec 7.4). A value's leaf spans its quotes too, so that decryption can write a
 * value in another quoting where the one around its envelope (outside the MAC) cannot hold it.
 */

export const DEFAULT_SECTION = "DEFAULT";
export const METADATA_SECTION = "sops";

function parseError(message: string, line: number): HushError {
  return new HushError("PARSE_FAILED", `invalid INI: ${message} at line ${line}`, { location: { line } });
}

/** The quotes around a value, which are also its delimiters: none, `"`, `'`, a backtick, `"""`. */
export type ValueStyle = "plain" | '"' | "'" | "`" | '"""';

/** What rendering a value needs to know of its place (Leaf.style of a value). */
export interface IniValueStyle {
  readonly quote: ValueStyle;
  /** The text after the value up to the end of its line (blanks, an inline comment, a CR). */
  readonly rest: string;
  /** The inline comment after the value is encrypted: `rest` is not what decryption writes. */
  readonly tailEncrypted: boolean;
}

/**
 * Leaf.style of an inline comment after a backtick or `"""` value: the reader closes such a value
 * at the last delimiter of its line, so the comment's text must not hold one.
 */
export interface IniTailCommentStyle {
  readonly closes: "`" | '"""';
  readonly value: Pick<Leaf, "path" | "line">;
}

export interface MutableLeaf {
  kind: "scalar" | "comment";
  path: string[];
  value: ScalarValue;
  start: number;
  end: number;
  line: number;
  style?: IniValueStyle | IniTailCommentStyle;
}

export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly implicit: boolean;
  readonly keys: Map<string, number>;
}

export interface ParsedIni {
  readonly doc: ParsedDocument;
  readonly sections: readonly IniSection[];
  readonly leaves: readonly MutableLeaf[];
}

export function parseIni(text: string): ParsedIni {
  const lineOf = lineIndex(text);
  const leaves: MutableLeaf[] = [];
  const sections: IniSection[] = [{ name: DEFAULT_SECTION, line: 1, implicit: true, keys: new Map() }];
  let current = sections[0]!;
  /** Each section's keys by name: a repeated header continues its section. */
  const keysOf = new Map<string, Map<string, number>>([[current.name, current.keys]]);
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
    refuseForeignLineBreak("INI", text.slice(at, end), "comment", "remove it", lineOf(at));
    const leaf: MutableLeaf = { kind: "comment", path: [current.name], value: { type: "str", text: text.slice(k, end) }, start: k, end, line: lineOf(k) };
    leaves.push(leaf);
    if (isPending) pending.push(leaf);
    return leaf;
  };
  /**
   * Python's configparser reads a line indented deeper than the key line before it (in the same
   * section) as part of that key's value, where go-ini (SOPS) and hush read a key or a header.
   * Indentation, headers, the keys of values in clear and empty values are outside the MAC, so a
   * branch could indent, rename or add such a line to append text of its choice to a secret for
   * configparser, without the key. Such a line is refused as a header, with an empty value, and in
   * an encrypted file with a value in clear; one whose value is encrypted was written with the key
   * (setup.cfg's `console_scripts =` and the lines under it). `keyIndent`: the last key line's
   * indent, undefined after a header, whose next key starts afresh.
   */
  let keyIndent: number | undefined;
  const continues = (s: number, lineStart: number): boolean => keyIndent !== undefined && s - lineStart > keyIndent;
  const continuationError = (line: number): HushError =>
    parseError("the line is indented deeper than the key line before it, and Python's configparser reads it as part of that key's value (indent it as that key)", line);
  /** Values on such lines, for the check once the file is known to be encrypted. */
  const continuedValues: MutableLeaf[] = [];
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
      if (continues(s, lineStart)) throw continuationError(line);
      keyIndent = undefined;
      const close = text.lastIndexOf("]", lineEnd - 1);
      if (close < s) throw parseError("unclosed section header", line);
      const name = text.slice(s + 1, close);
      if (name === "") throw parseError("empty section name", line);
      // The comment a header may carry stays in clear too.
      refuseForeignLineBreak("INI", text.slice(s, e), "section header", "remove it", line);
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
      let keys = keysOf.get(name);
      if (keys === undefined) keysOf.set(name, (keys = new Map()));
      current = { name, line, implicit: false, keys };
      sections.push(current);
      if (name === METADATA_SECTION) sops = { start: lineStart, line };
      autoCount = 1;
      pos = next;
      continue;
    }

    // key
    // configparser keeps the indent of the key a continuation belongs to.
    const continuation = continues(s, lineStart);
    if (!continuation) keyIndent = s - lineStart;
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
    refuseForeignLineBreak("INI", text.slice(s, delim), "key", "rename the key", line);
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
    /** The end of the line the value closes on. */
    let restEnd = lineEnd;
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
          // Searched within the line: a search back from its end ran to the opening delimiter
          // on every line without one, quadratic in an unterminated value's lines.
          const inLine = text.slice(k, le2).lastIndexOf(dq);
          const c2 = inLine === -1 ? -1 : k + inLine;
          if (c2 >= k) {
            closeAt = c2;
            closeLineEnd = le2;
            pos = nx2;
            break;
          }
          k = nx2;
        }
      }
      end = closeAt;
      restEnd = closeLineEnd;
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
    if (continuation && start === end) throw continuationError(line);
    if (inSops()) {
      metaEntries.push([keyName, text.slice(start, end).replace(/\\n/g, "\n")]);
      continue;
    }
    const delimiter = style === "plain" ? 0 : style.length;
    const spanEnd = end + delimiter;
    const valueLeaf: MutableLeaf = { kind: "scalar", path: [current.name, keyName], value: { type: "str", text: text.slice(start, end) }, start: start - delimiter, end: spanEnd, line };
    leaves.push(valueLeaf);
    if (continuation) continuedValues.push(valueLeaf);
    const inline = comment === undefined ? undefined : addComment(comment[0], comment[1], false);
    valueLeaf.style = { quote: style, rest: text.slice(spanEnd, restEnd), tailEncrypted: inline !== undefined && looksEncrypted(inline.value.text) };
    if (inline !== undefined && (style === "`" || style === '"""')) inline.style = { closes: style, value: { path: valueLeaf.path, line } };
    order.key(current.name, valueLeaf, inline === undefined ? keyComments : [...keyComments, inline]);
  }
  refuseFoldedIniKeys(sections, keysOf, leaves, macCoverage(sops === undefined ? undefined : metaEntries.find(([k]) => k === "mac_only_encrypted")?.[1]));
  const lastData = current.name === METADATA_SECTION && sops !== undefined ? (sections[sections.length - 2]?.name ?? DEFAULT_SECTION) : current.name;
  order.trailing(lastData, resolvePending(lastData));

  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  if (sops !== undefined) {
    const inClear = continuedValues.find((leaf) => !looksEncrypted(leaf.value!.text));
    if (inClear !== undefined) throw continuationError(inClear.line);
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


/**
 * Refuses two keys of one section that configparser and go-ini's Insensitive mode take for one
 * where one adds nothing to the MAC (`covered`: empty, or in clear where the MAC covers encrypted
 * values alone), and two sections that go-ini's Insensitive mode and viper take for one where one
 * holds only such values (folded-keys.ts); `sections` and `keysOf` give the sections with
 * their lines and each one's keys with theirs, `leaves` the values. The metadata section is for
 * hush alone.
 */
function refuseFoldedIniKeys(sections: readonly IniSection[], keysOf: ReadonlyMap<string, ReadonlyMap<string, number>>, leaves: readonly MutableLeaf[], covered: MacCoverage): void {
  let emptyValues: Set<string> | undefined;
  const id = (section: string, key: string): string => `${section}\u0000${key}`;
  const isEmpty = (section: string, key: string): boolean => {
    emptyValues ??= new Set(leaves.filter((l) => l.kind === "scalar" && !covered(l.value.text)).map((l) => id(l.path[0]!, l.path[1]!)));
    return emptyValues.has(id(section, key));
  };
  for (const [section, keys] of keysOf) {
    if (section === METADATA_SECTION || keys.size < 2) continue;
    refuseFoldedKeyShadow("INI", [section], [...keys].map(([key, line]) => ({ key, line, empty: () => isEmpty(section, key) })));
  }
  if (keysOf.size < 3) return;
  const firstOf = new Map<string, IniSection>();
  // Keys before any header are DEFAULT's, which go-ini keeps apart: an AWS file's [default] stays fine.
  for (const s of sections) if (s.name !== METADATA_SECTION && s.name !== DEFAULT_SECTION && !firstOf.has(s.name)) firstOf.set(s.name, s);
  const members = [...firstOf.values()].map((s) => ({ key: s.name, line: s.line, empty: () => [...(keysOf.get(s.name)?.keys() ?? [])].every((key) => isEmpty(s.name, key)) }));
  refuseFoldedKeyShadow("INI", [], members, "go-ini (Insensitive) and viper");
}
