import { Lexer } from "yaml";
import { lineIndex } from "./lines.ts";

/**
 * YAML that the `yaml` package reads one way and go-yaml v3, the reader inside SOPS, refuses or
 * reads another way. hush keeps a file's text around the values it encrypts, so such a construct
 * would pass into the encrypted file, which SOPS (and Flux, helm-secrets, ksops…) then could not
 * open, or would open with other keys and a failing MAC. It is found before writing, on the
 * lexer's tokens, following go-yaml's scanner (scannerc.go in gopkg.in/yaml.v3 v3.0.1):
 *
 * - tabs where go-yaml expects a token or an indentation: at the start of a line, after `-`, `?`
 *   or the `:` of a `?` key in block context (`yaml_parser_scan_to_next_token`), in the
 *   indentation of a plain scalar's continuation lines and of the blank lines after it ("found a
 *   tab character that violates indentation"), and in a block scalar's indentation;
 * - anchor and alias names outside `[0-9A-Za-z_-]`, or followed by a character go-yaml does not
 *   let end one;
 * - tags with characters go-yaml does not take in a tag, or not followed by a space or line end;
 * - directives other than `%YAML 1.1` and `%TAG`;
 * - inside `[…]` and `{…}`: a `?` in a plain scalar (go-yaml ends the scalar there and reads a key
 *   indicator), a plain scalar starting with `:`, a `:` right after a plain key and followed by
 *   neither a space nor a line end (go-yaml takes it into the key);
 * - an implicit key that does not start on the line of its `:`, in flow and in block context
 *   (`a # note`, a blank line, then `  : x`, which the `yaml` package reads as `a: x`);
 * - an implicit key, in block context or flow, that starts more than 1024 characters before its `:`;
 * - in a double-quoted scalar, the escapes go-yaml refuses (`yaml_parser_scan_flow_scalar`): `\/`,
 *   which YAML 1.2 added after it, and `\u`/`\U` of a UTF-16 surrogate, half a pair or either
 *   half of a whole one (the `yaml` package joins `\ud83d\ude00` into one character).
 *
 * Quoted scalars are not looked into otherwise. A problem inside a value's own text (a block scalar's body,
 * a plain scalar in a flow collection) goes away when that value is encrypted: the caller forgives
 * those (see `offset`).
 */

/** Where and what: a message that names the line and the fix, never a value. */
export interface GoYamlProblem {
  /** Where it is: inside a value's text when encrypting that value would take it away. */
  readonly offset: number;
  readonly line: number;
  readonly message: string;
}

const SCALAR = "\x1f";
/** Zero-width markers the lexer adds (document, flow error end, scalar). */
const MARKERS = new Set(["\x02", "\x18", SCALAR]);
const GO_NAME = /^[0-9A-Za-z_-]+$/;
/** go-yaml's tag characters (`yaml_parser_scan_tag_uri`), or a verbatim `!<…>` tag. */
const GO_TAG = /^!(?:<[^>]*>|[0-9A-Za-z_\-;/?:@&=+$,.!~*'()[\]%]*)$/;
/** What go-yaml lets follow an anchor or alias name (`yaml_parser_scan_anchor`). */
const AFTER_NAME = /[ \t\r\n?:,\]}%@`]/;
const BLANK_OR_BREAK = /[ \t\r\n]/;
const BYTE_ORDER_MARK = "\uFEFF";
/** go-yaml gives up on an implicit key that starts further than this before its `:`. */
const MAX_IMPLICIT_KEY = 1024;

function hasLineLongerThan(text: string, length: number): boolean {
  let lineStart = 0;
  for (let lineBreak = text.indexOf("\n"); lineBreak !== -1; lineBreak = text.indexOf("\n", lineStart)) {
    if (lineBreak - lineStart > length) return true;
    lineStart = lineBreak + 1;
  }
  return text.length - lineStart > length;
}

/**
 * The constructs of `text` that SOPS's YAML reader would refuse or read otherwise, in text order
 * (at most one per scalar). One inside the text of a value that gets encrypted goes away with it.
 */
export function goYamlProblems(text: string): GoYamlProblem[] {
  // go-yaml drops a byte order mark before it reads the first line, whose columns then count
  // from the character after it: read the text as go-yaml does, and give offsets in `text`.
  if (!text.startsWith(BYTE_ORDER_MARK)) return problemsIn(text);
  return problemsIn(text.slice(BYTE_ORDER_MARK.length)).map((p) => ({ ...p, offset: p.offset + BYTE_ORDER_MARK.length }));
}

function problemsIn(text: string): GoYamlProblem[] {
  const problems: GoYamlProblem[] = [];
  // Nothing below can happen without one of these characters, or a line that can hold a key too long.
  if (!/[\t&*!%[{]|^[ \t]*:|\\[/uU]/m.test(text) && !hasLineLongerThan(text, MAX_IMPLICIT_KEY)) return problems;
  const line = lineIndex(text);
  const at = (offset: number, message: string): void => {
    problems.push({ offset, line: line(offset), message: message.replace("{line}", String(line(offset))) });
  };
  const endsWell = (offset: number, allowed: RegExp): boolean => offset >= text.length || allowed.test(text[offset]!);
  const columnOf = (offset: number): number => offset - text.lastIndexOf("\n", offset - 1) - 1;
  const lineStartsAt = (offset: number): boolean => /^[ \t]*$/.test(text.slice(text.lastIndexOf("\n", offset - 1) + 1, offset));

  let offset = 0;
  let flow = 0;
  /** go-yaml's `simple_key_allowed` in block context: where it does not skip a tab. */
  let keyAllowed = true;
  /**
   * After a plain scalar in block context, go-yaml's plain-scalar scanner takes the blanks and
   * line breaks that follow: a tab there is refused only before column `plainIndent`.
   */
  let plainIndent = -1;
  /** Column of the block collection a plain scalar would be in: its key's, or its `-`'s. */
  let blockColumn = 0;
  /** Where the last node in block context started on its line (a key, if a `:` follows). */
  let blockNodeStart = -1;
  /**
   * The first node of the last line in block context that had one and no `:` after it: a `:` that
   * starts a later line would make it an implicit key that spans lines. `-1` after a `?` (then the
   * `:` is the explicit key's) or when no such node is open.
   */
  let keyOnEarlierLine = -1;
  /** A block `?` came with no `:` yet: the node after it is that explicit key, not an implicit one. */
  let explicitBlockKey = false;
  let scalarNext = false;
  let blockBodyNext = false;
  let blockHeader = "";
  /** In a flow collection: where the current node began (a possible implicit key), and whether it follows `?`. */
  let nodeStart = -1;
  let explicitKey = false;
  /** The end of the last plain scalar in a flow collection, for a `:` right after it. */
  let plainEnd = -1;
  /** The last token was a block sequence's `-` (after which go-yaml takes no comment with the token). */
  let afterEntry = false;

  for (const source of new Lexer().lex(text)) {
    if (MARKERS.has(source)) {
      if (source === SCALAR) scalarNext = true;
      continue;
    }
    const start = offset;
    offset += source.length;
    const first = source[0];
    if (first === " " || first === "\t") {
      if (scalarNext) {
        // A plain scalar or block body that starts with a blank (the lexer gives it as text).
      } else {
        const tab = source.indexOf("\t");
        if (tab < 0 || flow > 0) continue;
        if (plainIndent >= 0 ? lineStartsAt(start) && columnOf(start + tab) < plainIndent : keyAllowed && !commentGoesWithToken(start)) tabProblem(start + tab);
        continue;
      }
    }
    if (first === "\n" || first === "\r") {
      if (!scalarNext) {
        keyAllowed = true;
        blockNodeStart = -1;
        continue;
      }
    }
    afterEntry = source === "-";
    if (scalarNext) {
      // A plain scalar's text, or a block scalar's body.
      scalarNext = false;
      if (blockBodyNext) {
        blockBodyNext = false;
        blockBodyTab(source, start);
        keyAllowed = true;
        plainIndent = -1;
        continue;
      }
      if (flow > 0) {
        if (source.includes("?") || source.startsWith(":")) {
          at(start, 'a plain scalar inside [...] or {...} at line {line} starts with ":" or holds a "?", which SOPS\'s YAML reader reads as an indicator: quote it');
        }
        if (nodeStart < 0) nodeStart = start;
        plainEnd = offset;
        continue;
      }
      if (blockNodeStart < 0) blockNodeStart = keyOnEarlierLine = explicitBlockKey ? -1 : start;
      plainIndent = blockColumn + 1;
      continuationTab(source, start, plainIndent);
      keyAllowed = false;
      continue;
    }
    plainIndent = -1;
    if (first === "#") continue;
    if (source.startsWith("%")) {
      // go-yaml reads the rest of a directive's line as blanks and a comment, tabs included.
      keyAllowed = false;
      if (/^%TAG[ \t]/.test(source)) continue;
      if (/^%YAML[ \t]+1\.1(?:[ \t]|$)/.test(source)) continue;
      at(start, "the directive at line {line} is not one SOPS's YAML reader takes (only %YAML 1.1 and %TAG); remove it");
      continue;
    }
    if (first === "&" || first === "*") {
      if (!GO_NAME.test(source.slice(1)) || !endsWell(offset, AFTER_NAME)) {
        at(start, `the ${first === "&" ? "anchor" : "alias"} at line {line} has a name SOPS's YAML reader reads otherwise: use only letters, digits, "_" and "-" in it`);
      }
      startNode(start);
      continue;
    }
    if (first === "!") {
      if (!GO_TAG.test(source) || !endsWell(offset, BLANK_OR_BREAK)) {
        at(start, "the tag at line {line} is read otherwise by SOPS's YAML reader: follow it with a space, and use only letters, digits and URI punctuation in it");
      }
      startNode(start);
      continue;
    }
    if (first === "'" || first === '"') {
      if (first === '"') escapesGoRefuses(source, start);
      startNode(start);
      plainEnd = -1;
      continue;
    }
    switch (source) {
      case "{":
      case "[":
        startNode(start);
        flow++;
        resetNode();
        continue;
      case "}":
      case "]":
        flow = Math.max(0, flow - 1);
        keyAllowed = false;
        plainEnd = -1;
        continue;
      case ",":
        resetNode();
        keyAllowed = false;
        continue;
      case "?":
        if (flow > 0) explicitKey = true;
        else {
          blockColumn = columnOf(start);
          explicitBlockKey = true;
        }
        keyAllowed = true;
        blockNodeStart = keyOnEarlierLine = -1;
        continue;
      case "-":
        blockColumn = columnOf(start);
        keyAllowed = true;
        blockNodeStart = keyOnEarlierLine = -1;
        explicitBlockKey = false;
        continue;
      case ":":
        if (flow > 0) {
          if (plainEnd === start && !endsWell(offset, BLANK_OR_BREAK)) {
            at(start, 'the ":" right after a key at line {line} is read by SOPS\'s YAML reader as part of the key: put a space after it, or quote the key');
          }
          if (!explicitKey && nodeStart >= 0) {
            if (line(nodeStart) !== line(start)) {
              at(start, 'the key before the ":" at line {line} does not start on that line: SOPS\'s YAML reader cannot read it; put the key and its ":" on one line (or mark the key with "? ")');
            } else if (tooLongForKey(nodeStart, start)) keyTooLong(start);
          }
          resetNode();
          continue;
        }
        // go-yaml reads no implicit key over lines: its key ends at the line's end ("could not
        // find expected ':'"), where the `yaml` package reads on to a `:` on a later line.
        if (keyOnEarlierLine >= 0 && lineStartsAt(start)) {
          at(start, 'the key before the ":" at line {line} does not start on that line: SOPS\'s YAML reader cannot read it; put the key and its ":" on one line (or mark the key with "? ")');
        }
        keyOnEarlierLine = -1;
        explicitBlockKey = false;
        // After a key on the line, go-yaml allows no simple key (so it skips tabs); after the
        // `:` of a `?` key, at the start of a line, it does.
        if (blockNodeStart >= 0 && !lineStartsAt(start)) {
          if (tooLongForKey(blockNodeStart, start)) keyTooLong(start);
          blockColumn = columnOf(blockNodeStart);
          keyAllowed = false;
        } else {
          blockColumn = columnOf(start);
          keyAllowed = true;
        }
        blockNodeStart = -1;
        continue;
      default:
        // ---, ..., a block scalar header (its body comes next), a byte order mark.
        if (first === "|" || first === ">") {
          blockBodyNext = true;
          blockHeader = source;
        } else keyOnEarlierLine = -1;
        keyAllowed = false;
        plainEnd = -1;
    }
  }
  return problems;

  function startNode(start: number): void {
    if (flow > 0) {
      if (nodeStart < 0) nodeStart = start;
    } else if (blockNodeStart < 0) blockNodeStart = keyOnEarlierLine = explicitBlockKey ? -1 : start;
    keyAllowed = false;
  }

  /**
   * Blanks before a `#` on the line of a token: go-yaml takes them and the comment with the token
   * (`yaml_parser_scan_line_comment`, tabs included), except after a block sequence's `-`.
   */
  function commentGoesWithToken(blanksStart: number): boolean {
    return text[offset] === "#" && !lineStartsAt(blanksStart) && !afterEntry;
  }

  /**
   * go-yaml reads no implicit key that starts more than 1024 characters (code points) before its
   * `:` (`yaml_simple_key_is_valid`), in block context as in flow.
   */
  function tooLongForKey(keyStart: number, colon: number): boolean {
    return colon - keyStart > MAX_IMPLICIT_KEY && [...text.slice(keyStart, colon)].length > MAX_IMPLICIT_KEY;
  }

  function keyTooLong(colon: number): void {
    at(colon, `the key before the ":" at line {line} is longer than ${MAX_IMPLICIT_KEY} characters, which SOPS's YAML reader cannot read: shorten it (or mark it with "? ")`);
  }

  function escapesGoRefuses(quoted: string, start: number): void {
    for (const escape of quoted.matchAll(/\\(?:\/|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|[^])/g)) {
      const code = escape[1] ?? escape[2];
      const surrogate = code !== undefined && parseInt(code, 16) >= 0xd800 && parseInt(code, 16) <= 0xdfff;
      if (escape[0] !== "\\/" && !surrogate) continue;
      // The message does not quote the escape: it is part of a value, which may be a secret.
      at(start + escape.index, 'a double-quoted string at line {line} holds an escape SOPS\'s YAML reader refuses ("\\/", or "\\u" or "\\U" of a UTF-16 surrogate): write the character itself');
      return;
    }
  }

  function resetNode(): void {
    nodeStart = -1;
    explicitKey = false;
    plainEnd = -1;
  }

  function tabProblem(tab: number): void {
    at(tab, `a tab at line {line}, column ${columnOf(tab) + 1}, where SOPS's YAML reader allows only spaces: replace it with spaces`);
  }

  /**
   * A tab in a block scalar's indentation (`yaml_parser_scan_block_scalar_breaks`): before the
   * indentation is known (the first line with content sets it), any; after, one before it.
   */
  function blockBodyTab(body: string, start: number): void {
    if (!body.includes("\t")) return;
    const explicit = /[1-9]/.exec(blockHeader);
    let indent = explicit === null ? 0 : blockColumn + Number(explicit[0]);
    let lineStart = start;
    for (const bodyLine of body.split("\n")) {
      const spaces = /^ */.exec(bodyLine)![0].length;
      if (bodyLine[spaces] === "\t" && (indent === 0 || spaces < indent)) return tabProblem(lineStart + spaces);
      if (indent === 0 && spaces < bodyLine.length) indent = Math.max(spaces, blockColumn + 1);
      lineStart += bodyLine.length + 1;
    }
  }

  /** A tab in the indentation of a plain scalar's continuation line, before column `indent`. */
  function continuationTab(source: string, start: number, indent: number): void {
    const breakAt = source.indexOf("\n");
    if (breakAt < 0 || !source.includes("\t")) return;
    let lineStart = start + breakAt + 1;
    for (const continuation of source.slice(breakAt + 1).split("\n")) {
      const tab = /^[ \t]*/.exec(continuation)![0].indexOf("\t");
      if (tab >= 0 && tab < indent) return tabProblem(lineStart + tab);
      lineStart += continuation.length + 1;
    }
  }
}
