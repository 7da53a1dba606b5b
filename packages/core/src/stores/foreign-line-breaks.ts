import { HushError } from "../errors.ts";

/**
 * Line breaks that hush's and SOPS's line readers (dotenv, INI: lines end at LF) do not see, but
 * other readers of the same text do: a CR alone (Python's universal newlines, so python-dotenv and
 * configparser; npm's dotenv; Node's readline), VT, FF, FS, GS, RS and NEL (Python's
 * `str.splitlines`), U+2028 and U+2029 (`^` and `$` of JavaScript's multiline regular
 * expressions, which npm's dotenv matches lines with).
 *
 * A key, a section name or a comment in clear holding one would show other readers a line that
 * hush reads as part of something else. In an encrypted file that text is outside the MAC
 * wherever the value beside it is empty (an empty value adds nothing to it) or it is a comment,
 * so a branch without the key could write `# note\rDATABASE_URL=…` into a file, and every reader
 * of `hush decrypt`'s output that breaks lines at a CR would take the variable as the file's.
 * The line readers therefore refuse such text in keys and comments, in plaintext (a comment
 * holding one would be encrypted and then refused as tampered on decryption) and encrypted
 * files alike. Values are left alone: an encrypted value is authenticated, and a value in clear
 * is in the MAC unless it is empty.
 */
export const FOREIGN_LINE_BREAK = /[\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/**
 * Throws the parse error of the line reader `format` ("dotenv", "INI") when `text`, the key,
 * section header or comment `what` at `line`, holds a {@link FOREIGN_LINE_BREAK}; `next` says
 * what to do about it. The error names the character, never the text.
 */
export function refuseForeignLineBreak(format: string, text: string, what: string, next: string, line: number): void {
  const found = FOREIGN_LINE_BREAK.exec(text);
  if (found === null) return;
  const ch = found[0];
  const name = ch === "\r" ? "a carriage return (CR)" : `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  throw new HushError("PARSE_FAILED", `invalid ${format}: the ${what} holds ${name}, which other readers take for a line break (${next}) at line ${line}`, { location: { line } });
}
