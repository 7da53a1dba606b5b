import { HushError } from "../errors.ts";
import { lineIndex } from "./lines.ts";
import type { ScalarKind, TomlScalar } from "./toml-values.ts";

/**
 * The TOML lexer: a cursor over the text that reads the tokens of one line at a time — keys,
 * strings (all four kinds, with escapes), numbers, booleans, dates and times — and reports errors
 * with their line. It validates each token (TOML 1.0), and keeps each scalar's start and end
 * offsets and exact spelling, because hush encrypts values where they stand. The structure of the
 * document (tables, arrays, duplicate keys) is the parser's job (toml-parser.ts).
 */

/** True for characters TOML forbids in strings and comments (tab is allowed where `allowTab`). */
export function isControl(code: number, allowTab: boolean): boolean {
  return (code < 0x20 && !(allowTab && code === 0x09)) || code === 0x7f;
}

const BARE_KEY = /[A-Za-z0-9_-]/;

/** Reads tokens from `text`; the parser extends it and moves `pos` along the document. */
export class TomlScanner {
  protected readonly text: string;
  protected readonly line: (offset: number) => number;
  protected pos = 0;

  constructor(text: string) {
    this.text = text;
    this.line = lineIndex(text);
  }

  /** A PARSE_FAILED error naming the line of `at`. */
  protected parseError(message: string, at = this.pos): HushError {
    const line = this.line(Math.min(at, this.text.length));
    return new HushError("PARSE_FAILED", `invalid TOML: ${message} at line ${line}`, { location: { line } });
  }

  protected peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  /** Spaces and tabs (not newlines, which end a key-value pair). */
  protected skipSpaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.pos++;
  }

  protected atLineEnd(): boolean {
    const c = this.peek();
    return c === undefined || c === "\n" || (c === "\r" && this.peek(1) === "\n");
  }

  /** Consumes one line break (LF or CRLF); a lone CR is an error, as TOML says. */
  protected newline(): void {
    const c = this.peek();
    if (c === undefined) return;
    if (c === "\n") this.pos++;
    else if (c === "\r" && this.peek(1) === "\n") this.pos += 2;
    else throw this.parseError("expected the end of the line");
  }

  /** Where the line holding `at` starts (metadata spans start at a line). */
  protected lineStartOf(at: number): number {
    return this.text.lastIndexOf("\n", at - 1) + 1;
  }

  /** A dotted key: its parts, decoded. */
  protected key(): string[] {
    const parts: string[] = [this.#simpleKey()];
    for (;;) {
      const save = this.pos;
      this.skipSpaces();
      if (this.peek() !== ".") {
        this.pos = save;
        return parts;
      }
      this.pos++;
      this.skipSpaces();
      parts.push(this.#simpleKey());
    }
  }

  #simpleKey(): string {
    const c = this.peek();
    if (c === '"') {
      if (this.text.startsWith('"""', this.pos)) throw this.parseError("a key cannot be a multi-line string");
      return this.#basicString().decoded;
    }
    if (c === "'") {
      if (this.text.startsWith("'''", this.pos)) throw this.parseError("a key cannot be a multi-line string");
      return this.#literalString().decoded;
    }
    const start = this.pos;
    while (this.peek() !== undefined && BARE_KEY.test(this.peek()!)) this.pos++;
    if (this.pos === start) throw this.parseError("expected a key");
    return this.text.slice(start, this.pos);
  }

  /** One scalar value at the cursor, checked (dates exist, strings are closed, escapes valid). */
  protected scalar(): TomlScalar {
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (c === '"') {
      const s = t.startsWith('"""', start) ? this.#mlBasicString() : this.#basicString();
      return { kind: "scalar", scalarKind: "string", raw: t.slice(start, this.pos), decoded: s.decoded, start, end: this.pos };
    }
    if (c === "'") {
      const s = t.startsWith("'''", start) ? this.#mlLiteralString() : this.#literalString();
      return { kind: "scalar", scalarKind: "string", raw: t.slice(start, this.pos), decoded: s.decoded, start, end: this.pos };
    }
    const token = matchScalarToken(t, start);
    if (token === undefined) throw this.parseError("invalid value");
    const end = start + token.length;
    const after = t[end];
    if (after !== undefined && !/[ \t\r\n#,\]}]/.test(after)) throw this.parseError("invalid value");
    const problem = checkScalarToken(token.kind, t.slice(start, end));
    if (problem !== undefined) throw this.parseError(problem);
    this.pos = end;
    return { kind: "scalar", scalarKind: token.kind, raw: t.slice(start, end), decoded: "", start, end };
  }

  #escape(): string {
    const t = this.text;
    const e = t[this.pos + 1];
    const simple: Record<string, string> = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };
    if (e !== undefined && e in simple) {
      this.pos += 2;
      return simple[e]!;
    }
    if (e === "u" || e === "U") {
      const len = e === "u" ? 4 : 8;
      const hex = t.slice(this.pos + 2, this.pos + 2 + len);
      if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) throw this.parseError("invalid unicode escape");
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw this.parseError("unicode escape is not a scalar value");
      this.pos += 2 + len;
      return String.fromCodePoint(cp);
    }
    throw this.parseError("invalid escape sequence");
  }

  #basicString(): { decoded: string } {
    const t = this.text;
    this.pos++;
    let out = "";
    for (;;) {
      const c = t[this.pos];
      if (c === undefined || c === "\n") throw this.parseError("unterminated string");
      if (c === '"') {
        this.pos++;
        return { decoded: out };
      }
      if (c === "\\") {
        out += this.#escape();
        continue;
      }
      if (isControl(t.charCodeAt(this.pos), true)) throw this.parseError("control character in a string");
      out += c;
      this.pos++;
    }
  }

  #literalString(): { decoded: string } {
    const t = this.text;
    const start = ++this.pos;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined || c === "\n") throw this.parseError("unterminated string");
      if (c === "'") {
        this.pos++;
        return { decoded: t.slice(start, this.pos - 1) };
      }
      if (isControl(t.charCodeAt(this.pos), true)) throw this.parseError("control character in a string");
      this.pos++;
    }
  }

  /** The newline right after an opening `"""`/`'''` is not part of the value. */
  #skipFirstNewline(): void {
    if (this.peek() === "\n") this.pos++;
    else if (this.peek() === "\r" && this.peek(1) === "\n") this.pos += 2;
  }

  /**
   * At a run of quotes inside a multi-line string: fewer than three belong to the content; three
   * to five close the string, the extra one or two belonging to the content.
   */
  #quoteRun(q: string): { closed: boolean; content: string } {
    let n = 0;
    while (this.text[this.pos + n] === q) n++;
    this.pos += n;
    if (n < 3) return { closed: false, content: q.repeat(n) };
    if (n > 5) throw this.parseError("too many quotes at the end of a multi-line string");
    return { closed: true, content: q.repeat(n - 3) };
  }

  /** One content character of a multi-line string: CRLF reads as a line break; other controls are errors. */
  #multiLineChar(): string {
    const t = this.text;
    const c = t[this.pos]!;
    if (c === "\r" && t[this.pos + 1] === "\n") {
      this.pos += 2;
      return "\n";
    }
    if (c !== "\n" && isControl(t.charCodeAt(this.pos), true)) throw this.parseError("control character in a string");
    this.pos++;
    return c;
  }

    #mlBasicString(): { decoded: string } {
    const t = this.text;
    const open = this.pos;
    this.pos += 3;
    this.#skipFirstNewline();
    let out = "";
    const lineEndingBackslash = /\\[ \t]*\r?\n/y;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) throw this.parseError("unterminated multi-line string", open);
      if (c === '"') {
        const run = this.#quoteRun('"');
        out += run.content;
        if (run.closed) return { decoded: out };
        continue;
      }
      if (c === "\\") {
        // A backslash at the end of a line trims the line break and the whitespace after it.
        lineEndingBackslash.lastIndex = this.pos;
        if (lineEndingBackslash.test(t)) {
          this.pos = lineEndingBackslash.lastIndex;
          while (t[this.pos] === " " || t[this.pos] === "\t" || t[this.pos] === "\n" || (t[this.pos] === "\r" && t[this.pos + 1] === "\n")) this.pos++;
          continue;
        }
        out += this.#escape();
        continue;
      }
      out += this.#multiLineChar();
    }
  }

  #mlLiteralString(): { decoded: string } {
    const t = this.text;
    const open = this.pos;
    this.pos += 3;
    this.#skipFirstNewline();
    let out = "";
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) throw this.parseError("unterminated multi-line string", open);
      if (c === "'") {
        const run = this.#quoteRun("'");
        out += run.content;
        if (run.closed) return { decoded: out };
        continue;
      }
      out += this.#multiLineChar();
    }
  }
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
