/**
 * The spellings of a secret that `--redact` masks. Programs rarely print a configuration value
 * exactly as it was given: a logger writes the configuration as JSON (a PEM key becomes one line
 * with `\n` escapes), a client puts a token in a URL or an `Authorization: Basic` header, a
 * multi-line value is logged line by line with a prefix on each line, `base64` wraps its output
 * at 76 columns. Each of those is the secret, so each is masked. Only the spellings of encoders
 * that are everywhere in build and service logs are listed, each for a named reason: every form
 * is more work for the matcher on every byte of output. A program that transforms a value
 * otherwise (hex, upper case, hashed, encrypted, reversed) is not recognised.
 */

/**
 * The shortest derived spelling (an encoding, or one line of a multi-line value) that is masked.
 * A short fragment such as `}` or the base64 of two bytes would mask ordinary output; the value
 * itself is masked whatever its length.
 */
export const MIN_DERIVED_LENGTH = 8;

/** The spellings of one secret, as the matcher needs them. */
export interface MaskedForms {
  /** Spellings masked where they appear byte for byte. */
  readonly exact: readonly string[];
  /**
   * base64 spellings, masked also when a line break (`\n` or `\r\n`) falls between any two of
   * their characters: GNU `base64` wraps at 76 columns, PEM and MIME at 64, and where the breaks
   * fall depends on everything printed before, so the matcher skips them (see `Redactor`).
   */
  readonly acrossLineBreaks: readonly string[];
}

/** JSON's string escape, as `JSON.stringify` writes it (without the quotes). */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** `\uXXXX` for one UTF-16 code unit, lower-case hex as JSON encoders write it. */
function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** The escape .NET's System.Text.Json writes by default (JavaScriptEncoder.Default), without the quotes. */
function dotnetEscaped(s: string): string {
  const named: Record<string, string> = { "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  // Everything outside printable ASCII, and the HTML-sensitive quotes, & + < > and backtick, as
  // `\uXXXX` with upper-case hex (`\u002B` for the `+` of every other base64 secret).
  return s.replace(/[^\x20-\x7e]|["&'+<>`\\]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/**
 * The JSON string escapes of the encoders that log configuration, without the quotes:
 * - `JSON.stringify`, Python `json.dumps(ensure_ascii=False)`, Jackson, serde: the plain escape;
 * - Python `json.dumps` (default `ensure_ascii`): every non-ASCII character as `\uXXXX`
 *   (a character beyond U+FFFF as its surrogate pair, as the regex without `u` sees it);
 * - Go `encoding/json` and Rails `to_json` (HTML-safe by default): `&`, `<`, `>`, U+2028 and
 *   U+2029 as `\u0026`, `\u003c`, `\u003e`, `\u2028`, `\u2029`;
 * - Gson (HTML-safe by default): the same and `=`, `'` as `\u003d`, `\u0027`;
 * - PHP `json_encode`: `/` as `\/`, with non-ASCII escaped (its default) or not
 *   (`JSON_UNESCAPED_UNICODE`);
 * - .NET System.Text.Json (its default encoder): non-ASCII, control characters and the
 *   HTML-sensitive ones (quotes, `&`, `+`, `<`, `>`, the backtick) as `\uXXXX` with upper-case
 *   hex (see {@link dotnetEscaped}).
 * Other combinations are not the default of any common encoder. For a secret without those
 * characters every variant is the plain escape, and the set keeps one.
 */
function jsonForms(s: string): string[] {
  const plain = jsonEscaped(s);
  const ascii = plain.replace(/[^\x00-\x7f]/g, unicodeEscape);
  const htmlSafe = plain.replace(/[&<>\u2028\u2029]/g, unicodeEscape);
  const gson = htmlSafe.replace(/[=']/g, unicodeEscape);
  const slashEscaped = (t: string): string => t.replaceAll("/", "\\/");
  return [plain, ascii, htmlSafe, gson, slashEscaped(plain), slashEscaped(ascii), dotnetEscaped(s)];
}

/**
 * Python's `repr` of a string, without the quotes: how `print(config)` shows a dict's values.
 * It differs from JSON where the secret has a `"` (not escaped), or a control character
 * (`\x1b`, not `\u001b`). Python quotes with `'` unless the string has a `'` and no `"`.
 */
function pythonRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const named: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", [quote]: `\\${quote}` };
  return s.replace(/[\\\n\r\t'"\x00-\x1f\x7f]/g, (c) => named[c] ?? (c === '"' || c === "'" ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
}

/**
 * A secret inside single quotes in a shell trace: `bash -x` (CI scripts run with `set -x`)
 * writes a `'` as `'\''`, Python's `shlex.quote` as `'"'"'`. Without a `'` the value is in the
 * trace as it is, already masked. (`printf %q` backslash-escapes instead; it is rare in logs.)
 */
function shellQuoted(s: string): string[] {
  return s.includes("'") ? [s.replaceAll("'", "'\\''"), s.replaceAll("'", `'"'"'`)] : [];
}

/**
 * A secret in a YAML single-quoted scalar, as YAML dumpers write a string that would read as
 * another type or holds a `: ` (PyYAML, js-yaml, go-yaml, `kubectl get -o yaml`): a `'` is
 * written `''`. Without a `'` it is the value itself.
 */
function yamlSingleQuoted(s: string): string[] {
  return s.includes("'") ? [s.replaceAll("'", "''")] : [];
}

/**
 * The percent-encoders in common use, by the ASCII characters they leave as they are and
 * whether a space becomes `+` (form encoding):
 */
const PERCENT_ENCODERS: ReadonlyArray<{ keep: RegExp; spaceAsPlus: boolean }> = [
  // JavaScript encodeURIComponent.
  { keep: /[A-Za-z0-9\-_.!~*'()]/, spaceAsPlus: false },
  // RFC 3986's unreserved set: curl, PHP rawurlencode, Go url.PathEscape, Python quote(s, safe="").
  { keep: /[A-Za-z0-9\-_.~]/, spaceAsPlus: false },
  // Python urllib.parse.quote with its default safe="/".
  { keep: /[A-Za-z0-9\-_.~/]/, spaceAsPlus: false },
  // Python quote_plus, Go url.QueryEscape.
  { keep: /[A-Za-z0-9\-_.~]/, spaceAsPlus: true },
  // HTML forms and URLSearchParams, Java URLEncoder.
  { keep: /[A-Za-z0-9\-_.*]/, spaceAsPlus: true },
];

/**
 * The secret as each of {@link PERCENT_ENCODERS} writes it, with upper-case hex (RFC 3986's
 * recommendation, what they all write) and lower-case hex (`%2b`: URLs normalised or built by
 * hand, which RFC 3986 reads as the same URL).
 */
function percentForms(s: string): string[] {
  const bytes = Buffer.from(s, "utf8");
  const out: string[] = [];
  for (const { keep, spaceAsPlus } of PERCENT_ENCODERS) {
    let encoded = "";
    for (const b of bytes) {
      const c = String.fromCharCode(b);
      if (b < 0x80 && keep.test(c)) encoded += c;
      else if (b === 0x20 && spaceAsPlus) encoded += "+";
      else encoded += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    }
    out.push(encoded, encoded.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  }
  return out;
}

/**
 * The base64 of the secret wherever it lies in an encoded stream. base64 turns each 3-byte group
 * into 4 characters, so the text that shows depends on where the secret starts within a group:
 * for each of the three offsets, the groups that lie wholly inside the secret encode the same way
 * whatever surrounds them (at most 2 bytes at either end are not covered).
 */
function base64Forms(s: string): string[] {
  const bytes = Buffer.from(s, "utf8");
  const out: string[] = [];
  for (let skip = 0; skip < 3; skip++) {
    const whole = bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3);
    if (whole.length === 0) continue;
    out.push(whole.toString("base64"), whole.toString("base64url"));
  }
  return out;
}

/** The lines of a multi-line value, whatever its line breaks (a terminal or a Windows program writes `\r\n`). */
function lines(s: string): string[] {
  return /[\r\n]/.test(s) ? s.split(/\r\n|\r|\n/) : [];
}

/**
 * Every spelling of `secret` to mask: the value itself (any length) and its other Unicode
 * normalisations; and, when at least {@link MIN_DERIVED_LENGTH} bytes long, its JSON escapes
 * ({@link jsonForms}), Python `repr`, shell single-quoting, percent-encodings
 * ({@link percentForms}), each line of a multi-line value, and its base64 (standard and
 * URL-safe alphabets, also wrapped over lines).
 */
export function maskedForms(secret: string): MaskedForms {
  if (secret === "") return { exact: [], acrossLineBreaks: [] };
  const whole = new Set([secret, secret.normalize("NFC"), secret.normalize("NFD")]);
  const derived = new Set<string>();
  const base64 = new Set<string>();
  for (const s of whole) {
    for (const f of [...jsonForms(s), pythonRepr(s), ...shellQuoted(s), ...yamlSingleQuoted(s), ...percentForms(s)]) derived.add(f);
    for (const line of lines(s)) {
      derived.add(line);
      derived.add(line.trim());
    }
    for (const b of base64Forms(s)) base64.add(b);
  }
  const longEnough = (d: string): boolean => !whole.has(d) && Buffer.byteLength(d, "utf8") >= MIN_DERIVED_LENGTH;
  return { exact: [...whole, ...[...derived].filter(longEnough)], acrossLineBreaks: [...base64].filter(longEnough) };
}
