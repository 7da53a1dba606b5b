/**
 * Escaping for untrusted text (names read from files, the environment or another program) shown
 * in a message or a review line: it must not be able to forge lines, drive the terminal, or look
 * different from what it is.
 */

/**
 * What is escaped: control characters (C0, DEL, C1), format characters (bidirectional embeddings,
 * overrides, isolates and marks such as U+202E and U+061C, zero-width characters U+200B–U+200F,
 * the byte order mark U+FEFF, tag characters), the line and paragraph separators U+2028/U+2029
 * and lone surrogates. A zero-width joiner between two pictographs is kept: emoji sequences such
 * as 👩‍💻 are written with it. Ordinary text (accents, CJK, emoji) stays as it is.
 */
let unsafe: RegExp | undefined;
/**
 * The pattern of what is escaped, built on first use: its Unicode sets cost a hush start-up
 * that prints no message (a decrypt) more than the rest of this module.
 */
function unsafePattern(): RegExp {
  return (unsafe ??= /(?!(?<=\p{Extended_Pictographic}[\u{FE0F}\u{1F3FB}-\u{1F3FF}]?)\u200D(?=\p{Extended_Pictographic}))[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu);
}

/** `\u202e` for a BMP code point, `\u{e0041}` beyond it. */
function unicodeEscape(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
}

/** At most `max` UTF-16 units and an ellipsis, never ending in half a surrogate pair. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/**
 * Makes untrusted text (a recipient, ARN, file name or key path) safe to put in a one-line
 * message: control characters become `\x1b`, other invisible or reordering characters `\u202e`
 * (see unsafePattern), so a file cannot forge extra lines, terminal sequences or text that reads
 * differently from what it is. The result is cut at `max` characters.
 */
export function printable(text: string, max = 200): string {
  return shorten(text.replace(unsafePattern(), escapeOne), max);
}

/** `\x1b` for a control character, `\u202e` for the others `printable` escapes. */
function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0xa0 ? `\\x${code.toString(16).padStart(2, "0")}` : unicodeEscape(c);
}

/**
 * Untrusted text shown whole and line by line (a decrypted file in the review view): the
 * characters `printable` escapes are escaped the same way, except the tabs and line breaks (`\n`,
 * `\r\n`) that lay it out, so a carriage return inside a line cannot hide what precedes it and
 * no value can drive the terminal. Not shortened.
 * @returns the text, and whether anything in it was escaped
 */
export function showInvisible(text: string): { readonly text: string; readonly escaped: boolean } {
  // Printable ASCII and line ends, the common case, skip the Unicode pattern: 40 times faster on
  // the largest file the review view decrypts.
  if (!/[^\t\n\r\x20-\x7e]|\r(?!\n)/.test(text)) return { text, escaped: false };
  let escaped = false;
  const shown = text.replace(unsafePattern(), (c: string, at: number) => {
    if (c === "\n" || c === "\t" || (c === "\r" && text.charCodeAt(at + 1) === 0x0a)) return c;
    escaped = true;
    return escapeOne(c);
  });
  return { text: shown, escaped };
}

/**
 * Quotes untrusted text in double quotes for a message (`invalid age recipient "…"`): shortened to
 * `max` characters first, then quoted as JSON does, with the characters `printable` escapes
 * written as `\u` escapes. Only for public values (recipients, program names), never secrets.
 */
export function quoted(text: string, max = 72): string {
  return JSON.stringify(shorten(text, max)).replace(unsafePattern(), unicodeEscape);
}

/**
 * JSON text (from `JSON.stringify`) with the characters `printable` escapes written as `\u`
 * escapes (surrogate pairs beyond the BMP), so JSON printed to a terminal cannot reorder or hide
 * text either; it parses to the same value.
 */
export function safeJson(json: string): string {
  // Line breaks outside strings are layout (JSON.stringify escapes those inside). Each UTF-16 unit
  // on its own: a character beyond the BMP becomes its surrogate pair, as JSON writes it.
  return json.replace(unsafePattern(), (c) => c === "\n" ? c : Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join(""));
}

/** The characters sh reads as themselves in a word outside quotes. */
const PLAIN_SHELL_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `text` as one word for sh: as it is when every character is plain, else in single quotes (a `'` as `'\''`). */
export function shellQuote(text: string): string {
  return PLAIN_SHELL_WORD.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * An untrusted path (a file name a branch or a commit in history chose) as one word of a command
 * a message tells the user to run (run `hush rotate -i FILE`): escaped as {@link printable}
 * does, quoted for sh, and after `./` when it would be read as an option. Pasted as it is shown,
 * a name's `$(…)`, `;` or backquote stays part of the name instead of running.
 */
export function shellPath(path: string, max = 1000): string {
  const shown = printable(path, max);
  return shellQuote(shown.startsWith("-") ? `./${shown}` : shown);
}
