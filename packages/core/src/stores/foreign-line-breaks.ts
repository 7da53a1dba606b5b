import { HushError } from "../errors.ts";
import { lineIndex } from "./lines.ts";
import { spanCover, type OffsetSpan } from "./span-cover.ts";

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
const FOREIGN_LINE_BREAK = /[\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/**
 * Throws the parse error of the line reader `format` ("dotenv", "INI") when `text`, the key,
 * section header or comment `what` at `line`, holds a {@link FOREIGN_LINE_BREAK}; `next` says
 * what to do about it. The error names the character, never the text.
 */
export function refuseForeignLineBreak(format: string, text: string, what: string, next: string, line: number): void {
  const found = FOREIGN_LINE_BREAK.exec(text);
  if (found === null) return;
  throw new HushError("PARSE_FAILED", `invalid ${format}: the ${what} holds ${nameOf(found[0])}, which other readers take for a line break (${next}) at line ${line}`, { location: { line } });
}

/**
 * A line break to some reader of hush's output in any format: LF, a CR that does not end the text
 * (one there is a CRLF line's, which SOPS reads into a comment as into a value), and each
 * {@link FOREIGN_LINE_BREAK}. A decrypted comment holds none: hush writes it into the output as
 * one comment line, and a file's comments are written by whoever made its data key, an outsider
 * too (anyone can encrypt a new file to a public recipient), so `#x<U+2028>DATABASE_URL: …` would
 * be a comment to hush (its check, review and conversions) and a key to PyYAML and npm's dotenv.
 */
const ANY_LINE_BREAK = /\n|\r(?!$)|[\v\f\x1c-\x1e\x85\u2028\u2029]/;
/** TOML's readers end lines at LF alone, and a TOML comment may hold U+2028 (TOML 1.0). */
const TOML_LINE_BREAK = /\n|\r(?!$)/;

/** True when `text`, a decrypted comment of a `format` file, holds a line break (see {@link ANY_LINE_BREAK}). */
export function breaksLineForSomeReader(text: string, format: string): boolean {
  return (format === "toml" ? TOML_LINE_BREAK : ANY_LINE_BREAK).test(text);
}

/** A line break character as an error message names it. */
function nameOf(ch: string): string {
  return ch === "\r" ? "a carriage return (CR)" : `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * YAML's counterpart of {@link FOREIGN_LINE_BREAK}: a CR that does not end its line (before LF),
 * NEL, U+2028 and U+2029. go-yaml (so SOPS) and PyYAML, YAML 1.1 readers, break lines at each;
 * the `yaml` package, which hush reads with, takes them for text inside a comment (and NEL,
 * U+2028, U+2029 inside plain scalars and keys too). A comment in clear is outside the MAC, so a
 * branch without the key could add `# note<CR>db: {password: …}`, which hush read as a comment and
 * printed as it was, and PyYAML (Ansible, Python programs) read from `hush decrypt`'s output as the
 * file's `db`; inside the `sops` block, go-yaml would read a key entry hush does not show.
 */
const YAML_FOREIGN_LINE_BREAK = /\r(?!\n)|[\x85\u2028\u2029]/;

/** True when `text` holds a {@link YAML_FOREIGN_LINE_BREAK}: the span scanner leaves it to the general reader, which checks where. */
export function hasYamlForeignLineBreak(text: string): boolean {
  return YAML_FOREIGN_LINE_BREAK.test(text);
}

/** Each {@link YAML_FOREIGN_LINE_BREAK} of `text`: its offset and the character. */
function* yamlForeignLineBreaks(text: string): Generator<{ readonly offset: number; readonly ch: string }> {
  if (!hasYamlForeignLineBreak(text)) return;
  const each = new RegExp(YAML_FOREIGN_LINE_BREAK.source, "g");
  for (let found = each.exec(text); found !== null; found = each.exec(text)) yield { offset: found.index, ch: found[0] };
}

/**
 * Throws YAML's parse error, naming the line, for a {@link YAML_FOREIGN_LINE_BREAK} outside the
 * scalar values `valueSpans`: in a comment, a key, the structure or the metadata. A value may
 * hold one: an encrypted value is authenticated, a value in clear is in the MAC, and decryption
 * writes such a value in double quotes with escapes (`\L`) wherever it was not a block scalar.
 */
export function refuseYamlForeignLineBreak(text: string, valueSpans: readonly OffsetSpan[], lineOf: (offset: number) => number): void {
  let inValue: ((offset: number) => boolean) | undefined;
  for (const { offset, ch } of yamlForeignLineBreaks(text)) {
    inValue ??= spanCover(valueSpans);
    if (inValue(offset)) continue;
    const line = lineOf(offset);
    throw new HushError(
      "PARSE_FAILED",
      `invalid YAML at line ${line}: ${nameOf(ch)} outside a value, which other readers (go-yaml in SOPS, PyYAML) take for a line break; remove it (in a value, write it escaped in double quotes: \\r, \\N, \\L, \\P)`,
      { location: { line } },
    );
  }
}

/**
 * Every {@link YAML_FOREIGN_LINE_BREAK} of a plaintext, as a problem SOPS's reading has with it
 * (Store.sopsReadingProblems): one inside a value that gets encrypted goes away with it, and one
 * outside values the reader refuses already, so what encryption refuses with these is a value
 * left in clear: go-yaml folds the line break, and SOPS's MAC over that value is not hush's.
 */
export function yamlForeignLineBreakProblems(text: string): Array<{ offset: number; line: number; message: string }> {
  let lineOf: ((offset: number) => number) | undefined;
  return [...yamlForeignLineBreaks(text)].map(({ offset, ch }) => {
    lineOf ??= lineIndex(text);
    const line = lineOf(offset);
    return {
      offset,
      line,
      message: `invalid YAML at line ${line}: a value left in clear holds ${nameOf(ch)}, which go-yaml (SOPS) reads as a line break and hush does not; write it escaped in double quotes (\\r, \\N, \\L, \\P) or let the rule encrypt the value`,
    };
  });
}
