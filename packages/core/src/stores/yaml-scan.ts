import { checkString } from "../arguments.ts";
import type { KeyPath, ScalarValue } from "../tree/values.ts";
import { goFoldKey } from "./folded-keys.ts";
import { hasYamlForeignLineBreak } from "./foreign-line-breaks.ts";
import { MAX_NESTING } from "./nesting.ts";
import type { Leaf, ParsedDocument } from "./store.ts";
import { plainBlockRoom, type YamlStyle } from "./yaml-render.ts";
import { yaml11KeyReadings } from "./yaml11-keys.ts";
import { Decline, decline, inlineScalar, mapKey, setAt, type Inline, type Plain } from "./yaml-scan-line.ts";
import { isSopsTypedField, sops313Text } from "./yaml-resolve.ts";

/**
 * A span scanner for reading encrypted YAML files, line by line, without a YAML composer. It
 * reads the shape SOPS and hush write — block mappings and sequences of one-line plain or quoted
 * scalars, `{}`/`[]`, plain comments, and a `sops:` block whose only multi-line values are
 * `|`/`|-` literals — and gives the same leaves, metadata and spans as the YAML store's parse.
 * Anything else (anchors, aliases, tags, flow collections with content, block scalars in the
 * data, multi-line or escaped scalars, several documents, tabs, encrypted comments, comments
 * under a comment-regex rule, duplicate keys…) makes it decline with `undefined`, and the caller
 * uses the general parser, which also gives the errors. It never guesses.
 *
 * Encrypted comments (SOPS encrypts YAML comments by default) are read only when the caller asks
 * for them ({@link ScanOptions.comments}, for reading a file's plaintext), as comment leaves with
 * the path the YAML store gives them: the collection around them (spec 2.2), which is their AAD.
 * Where that collection depends on how far the general parser extends one (a comment indented
 * into a collection that has ended), the scanner declines.
 */

/** What {@link scanYaml} reads besides the values. */
export interface ScanOptions {
  /**
   * Hand the data's comments to `onLeaf` as comment leaves, in text order, instead of declining
   * encrypted ones. For reading only: the YAML store orders a line comment before its value, and
   * the IV stash of a rewrite counts on the store's order.
   */
  readonly comments?: boolean;
}

/** Characters the scanner accepts anywhere: printable ASCII, line feeds and most of Unicode. */
const UNSAFE_CHAR = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;

interface Frame {
  readonly kind: "map" | "seq";
  readonly indent: number;
  readonly path: KeyPath;
  readonly keys: Set<string>;
  /** The YAML 1.1 readings of its plain keys that are not strings (yaml11-keys.ts), once there is one. */
  readings?: Set<string>;
  /** Its keys case-folded (folded-keys.ts), once one is not its own fold (lower-case ASCII is). */
  folds?: Set<string>;
  items: number;
}

/** A `key:` or `-` whose value is on the following lines (or is null). */
interface Pending {
  readonly path: KeyPath;
  /** The column of the key or dash; its value's lines are indented further. */
  readonly col: number;
  readonly fromKey: boolean;
  /** Where the value would start if it is null (after the indicator and any spaces). */
  readonly nullAt: number;
  readonly lineNo: number;
  readonly lineIndent: number;
  readonly inMetadata: boolean;
}

const COMMENT_STYLE: YamlStyle = { style: "COMMENT", indent: 0, bodyNewline: false };

/**
 * Scans an encrypted (or plain) YAML file's text; undefined when the text is outside the subset
 * the scanner reads exactly (the caller then parses it with the YAML store).
 */
export function scanYaml(text: string, onLeaf?: (leaf: Leaf) => void, options: ScanOptions = {}): ParsedDocument | undefined {
  checkString(text, "the text");
  if (hasYamlForeignLineBreak(text)) return undefined;
  try {
    return scan(text, onLeaf, options.comments === true && onLeaf !== undefined);
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}

/** A comment on a line of its own, whose collection is known once the next content line is read. */
interface HeldComment {
  /** Offset of its `#`. */
  readonly at: number;
  readonly col: number;
  readonly lineNo: number;
  readonly text: string;
}

/**
 * `onLeaf`: each leaf is handed to it as it is read, instead of kept in the document's `leaves`;
 * `withComments`: comments are handed to it too (see {@link ScanOptions.comments}).
 */
function scan(text: string, onLeaf: ((leaf: Leaf) => void) | undefined, withComments: boolean): ParsedDocument {
  if (UNSAFE_CHAR.test(text)) decline();
  const leaves: Leaf[] = [];
  const frames: Frame[] = [{ kind: "map", indent: 0, path: [], keys: new Set(), items: 0 }];
  const metadata: { [key: string]: Plain } = {};
  let sawMetadata = false;
  let metaStart = -1;
  let metaEnd = -1;
  /** A comment line at column 0 inside the metadata block: right above a key after it, it is that key's (see the YAML store). */
  let metaTopComment = false;
  let dataComments = false;
  let pending: Pending | undefined;
  /** Lines of a `|` literal being read: its path, chomping and the lines so far. */
  let literal: { path: KeyPath; strip: boolean; parentIndent: number; indent: number; lines: string[] } | undefined;
  let content = false;

  /** Own-line comments since the last content line, and the collections open at that line. */
  let held: HeldComment[] = [];
  let framesAtHold: Frame[] = [];
  /** The column of a `{}` or `[]` that ends the last content line (a collection in the store's reading), else -1. */
  let emptyFlowCol = -1;
  let emptyFlowAtHold = -1;
  const emitComment = (at: number, commentText: string, path: KeyPath, lineNo: number): void => {
    // The store's comment token ends at the line's end; trailing blanks are left to it.
    if (/\s$/.test(commentText)) decline();
    onLeaf!({ kind: "comment", path, document: 0, value: { type: "str", text: commentText }, start: at + 1, end: at + 1 + commentText.length, line: lineNo, style: COMMENT_STYLE });
  };
  /** A comment after content on its line: the YAML store's line comment of that line's item, in the collection `path`. */
  const lineComment = (at: number, path: KeyPath, lineNo: number): void => {
    const nl = text.indexOf("\n", at);
    const commentText = text.slice(at + 1, nl < 0 ? text.length : nl);
    if (!withComments) {
      if (commentText.includes("ENC[")) decline();
      return;
    }
    emitComment(at, commentText, path, lineNo);
  };
  /**
   * Gives the held comments their collection, now that the content line at column `indent` is
   * read: the innermost collection open both before and after them with a column not beyond
   * theirs, or a collection that starts on this line at their column (the head comment of its
   * first item, as go-yaml attaches it).
   */
  const placeHeld = (indent: number): void => {
    if (held.length === 0) return;
    let kept = 0;
    while (kept < framesAtHold.length && kept < frames.length && framesAtHold[kept] === frames[kept]) kept++;
    for (const c of held) {
      // A collection that ended before this line but is indented as far as the comment may or
      // may not extend over it in the store's reading: not guessed.
      for (let i = kept; i < framesAtHold.length; i++) if (c.col >= framesAtHold[i]!.indent) decline();
      if (emptyFlowAtHold >= 0 && c.col >= emptyFlowAtHold) decline();
      let path: KeyPath = [];
      for (let i = 0; i < kept; i++) if (c.col >= frames[i]!.indent) path = frames[i]!.path;
      for (let i = kept; i < frames.length; i++) if (frames[i]!.indent === indent && c.col === indent) path = frames[i]!.path;
      emitComment(c.at, c.text, path, c.lineNo);
    }
    held = [];
  };
  const emit = (path: KeyPath, value: ScalarValue | null, start: number, end: number, lineNo: number, style: YamlStyle | undefined): void => {
    const leaf: Leaf = { kind: "scalar", path, document: 0, value, start, end, line: lineNo, ...(style === undefined ? {} : { style }) };
    if (onLeaf === undefined) leaves.push(leaf);
    else onLeaf(leaf);
  };
  const finishLiteral = (): void => {
    if (literal === undefined) return;
    const lines = literal.lines;
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    if (lines.length === 0) decline();
    setAt(metadata, literal.path.slice(1), lines.join("\n") + (literal.strip ? "" : "\n"));
    literal = undefined;
  };
  const resolvePending = (): void => {
    if (pending === undefined) return;
    const p = pending;
    pending = undefined;
    if (p.inMetadata) {
      // An empty map value reads as "" in the metadata (failsafe schema); an empty list item is left to the parser.
      if (!p.fromKey || p.path.length < 2) decline();
      setAt(metadata, p.path.slice(1), "");
      return;
    }
    emit(p.path, null, p.nullAt, p.nullAt, p.lineNo, { style: "PLAIN", indent: p.lineIndent, bodyNewline: false, inFlow: false });
  };

  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf("\n", offset);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(offset, lineEnd);
    const base = offset;
    lineNo++;
    offset = lineEnd + 1;
    const indent = /^ */.exec(line)![0].length;
    if (literal !== undefined) {
      if (indent === line.length) {
        // A blank line inside the body (PGP armor has one); trailing ones are chomped at the end.
        if (literal.indent < 0 || indent > literal.indent) decline();
        literal.lines.push("");
        continue;
      }
      if (literal.indent < 0 && indent > literal.parentIndent) literal.indent = indent;
      if (literal.indent >= 0 && indent >= literal.indent) {
        literal.lines.push(line.slice(literal.indent));
        continue;
      }
      finishLiteral();
    }
    if (indent === line.length) continue;
    const inMetadata = metaStart >= 0 && metaEnd < 0;
    if (line[indent] === "#") {
      if (!inMetadata) {
        dataComments = true;
        if (withComments) {
          if (held.length === 0) {
            framesAtHold = [...frames];
            emptyFlowAtHold = emptyFlowCol;
          }
          held.push({ at: base + indent, col: indent, lineNo, text: line.slice(indent + 1) });
        } else if (line.includes("ENC[")) decline();
      } else if (indent === 0) metaTopComment = true;
      continue;
    }
    if (indent === 0 && (/^(---|\.\.\.)( |$)/.test(line) || line[0] === "%")) decline();
    if (inMetadata && indent === 0) {
      if (pending !== undefined && pending.path.length === 1) decline(); // `sops:` without a block map
      if (metaTopComment) decline();
      metaEnd = base;
    }
    content = true;

    if (pending !== undefined) {
      const isItem = /^-( |$)/.test(line.slice(indent));
      if (indent > pending.col || (pending.fromKey && indent === pending.col && isItem)) {
        if (frames.length > MAX_NESTING) decline();
        frames.push({ kind: isItem ? "seq" : "map", indent, path: pending.path, keys: new Set(), items: 0 });
        pending = undefined;
      } else resolvePending();
    }
    while (frames.length > 0 && frames[frames.length - 1]!.indent > indent) frames.pop();
    let top = frames[frames.length - 1];
    const isItem = /^-( |$)/.test(line.slice(indent));
    if (top !== undefined && top.kind === "seq" && top.indent === indent && !isItem) {
      frames.pop();
      top = frames[frames.length - 1];
    }
    if (top === undefined || top.indent !== indent) decline();
    placeHeld(indent);
    emptyFlowCol = -1;
    const nowInMetadata = metaStart >= 0 && metaEnd < 0;

    let at = indent;
    let frame = top;
    if (frame.kind === "seq") {
      if (!isItem) decline();
      const path = [...frame.path, frame.items++];
      let next = at + 1;
      while (line[next] === " ") next++;
      if (next >= line.length || line[next] === "#") {
        // `- # …`: the store places such a comment by the item's content on later lines.
        if (line[next] === "#" && !nowInMetadata && (withComments || line.includes("ENC[", next))) decline();
        pending = { path, col: at, fromKey: false, nullAt: base + next, lineNo, lineIndent: indent, inMetadata: nowInMetadata };
        continue;
      }
      if (line[next] === "-") decline();
      const keyLike = /^("[^"]*"|'[^']*'|[A-Za-z0-9_][A-Za-z0-9_.\/-]*):( |$)/.test(line.slice(next));
      if (!keyLike) {
        handleInline(inlineScalar(line, next, base), path, at, indent, nowInMetadata, lineNo);
        continue;
      }
      if (frames.length > MAX_NESTING) decline();
      frame = { kind: "map", indent: next, path, keys: new Set(), items: 0 };
      frames.push(frame);
      at = next;
    } else if (isItem) decline();

    const { key, after } = mapKey(line, at);
    // A merge key `<<`, and two plain keys YAML 1.1 readers read as one, are the general
    // parser's to judge (yaml-merge-keys.ts, yaml11-keys.ts).
    if (frame.keys.has(key) || key === "<<") decline();
    // Two keys that differ only in case too (folded-keys.ts): until one is not its own fold, the
    // keys themselves are the folds.
    const fold = goFoldKey(key);
    if (frame.folds === undefined && fold !== key) frame.folds = new Set(frame.keys);
    if (frame.folds !== undefined) {
      if (frame.folds.has(fold)) decline();
      frame.folds.add(fold);
    }
    frame.keys.add(key);
    if (frame.readings?.has(`json:${key}`) === true) decline();
    const readings = line[at] === '"' || line[at] === "'" ? [] : yaml11KeyReadings(key);
    for (const reading of readings) {
      if (frame.readings?.has(reading) === true || (reading.startsWith("json:") && frame.keys.has(reading.slice(5)))) decline();
      (frame.readings ??= new Set()).add(reading);
    }
    const path = [...frame.path, key];
    if (frames.length === 1 && key === "sops") {
      if (sawMetadata) decline();
      sawMetadata = true;
      metaStart = base;
      if (after !== line.length) decline();
      pending = { path, col: 0, fromKey: true, nullAt: base + after, lineNo, lineIndent: 0, inMetadata: true };
      continue;
    }
    let next = after;
    while (line[next] === " ") next++;
    const s = inlineScalar(line, next, base);
    if (s.kind === "empty") {
      pending = { path, col: at, fromKey: true, nullAt: base + next, lineNo, lineIndent: indent, inMetadata: nowInMetadata };
      if (next < line.length && !nowInMetadata) {
        // `key: # …`: the line comment of the key, in the key's map.
        dataComments = true;
        lineComment(base + next, frame.path, lineNo);
      }
      continue;
    }
    handleInline(s, path, at, indent, nowInMetadata, lineNo);
  }
  finishLiteral();
  resolvePending();
  if (!content) decline();
  // Comments after the last content line: in the data only when the file has no metadata (a
  // plaintext file, which has nothing to decrypt in them).
  if (held.length > 0) {
    if (withComments) decline();
    held = [];
  }

  function handleInline(s: Inline, path: KeyPath, col: number, indent: number, inMeta: boolean, at: number): void {
    switch (s.kind) {
      case "empty":
        return decline();
      case "literal":
      case "literal-strip":
        if (!inMeta) decline();
        literal = { path, strip: s.kind === "literal-strip", parentIndent: col, indent: -1, lines: [] };
        return;
      case "{}":
      case "[]":
        if (inMeta) setAt(metadata, path.slice(1), s.kind === "{}" ? {} : []);
        else {
          emptyFlowCol = s.start - (text.lastIndexOf("\n", s.start - 1) + 1);
          emit(path, null, s.start, s.start, at, undefined);
        }
        return;
      case "scalar":
        if (inMeta) {
          // A null word is no value to SOPS and text to hush: the YAML store refuses it.
          if (s.style === "PLAIN" && s.value === null) return decline();
          // Typed otherwise by SOPS 3.13 (see yaml-metadata-nodes.ts): the YAML store refuses it.
          if (s.style === "PLAIN" && !(path.length === 2 && isSopsTypedField(String(path[1])))) {
            const sops = sops313Text(s.raw);
            if (sops !== undefined && sops !== s.raw) return decline();
          }
          setAt(metadata, path.slice(1), s.raw);
          return;
        }
        if (s.comment >= 0) {
          dataComments = true;
          lineComment(s.comment, path.slice(0, -1), at);
        }
        const block = s.style === "PLAIN" ? plainBlockRoom(text, s.end, col, typeof path[path.length - 1] === "number") : undefined;
        emit(path, s.value, s.start, s.end, at, { style: s.style, indent, bodyNewline: false, inFlow: false, ...(block === undefined ? {} : { block }) });
    }
  }

  if (dataComments && (metadata["encrypted_comment_regex"] !== undefined || metadata["unencrypted_comment_regex"] !== undefined)) decline();
  const spans: Array<{ start: number; end: number }> = [];
  if (sawMetadata) {
    let start = metaStart;
    const end = metaEnd < 0 ? text.length : metaEnd;
    if (end === text.length && !text.endsWith("\n") && start > 0 && text[start - 1] === "\n") start -= 1;
    spans.push({ start, end });
  }
  return { leaves, metadata: sawMetadata ? metadata : undefined, metadataSpans: spans, documentCount: 1 };
}
