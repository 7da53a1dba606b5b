/**
 * The spellings of a secret that `--redact` masks. Programs rarely print a configuration value
 * exactly as it was given: a logger writes the configuration as JSON (a PEM key becomes one line
 * with `\n` escapes), a client puts a token in a URL or an `Authorization: Basic` header, a
 * multi-line value is logged line by line with a prefix on each line. Each of those is the
 * secret, so each is masked. These are the encodings CI runners mask as well; a program that
 * transforms a value otherwise (hex, upper case, encrypted, reversed) is not recognised.
 */

/**
 * The shortest derived spelling (an encoding, or one line of a multi-line value) that is masked.
 * A short fragment such as `}` or the base64 of two bytes would mask ordinary output; the value
 * itself is masked whatever its length.
 */
export const MIN_DERIVED_LENGTH = 8;

/** JSON's string escape, as `JSON.stringify` writes it (without the quotes). */
function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** JSON's string escape with every non-ASCII character as `\uXXXX` (Python's `json.dumps`, Go's `QuoteToASCII`-like output). */
function jsonAsciiEscaped(s: string): string {
  return jsonEscaped(s).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
 * Every spelling of `secret` to mask: the value itself (any length), its other Unicode
 * normalisations, and, when at least {@link MIN_DERIVED_LENGTH} bytes long, its JSON and URL
 * escapes, its base64 (standard and URL-safe alphabets) and each line of a multi-line value.
 */
export function maskedForms(secret: string): string[] {
  if (secret === "") return [];
  const whole = new Set([secret, secret.normalize("NFC"), secret.normalize("NFD")]);
  const derived = new Set<string>();
  for (const s of whole) {
    derived.add(jsonEscaped(s));
    derived.add(jsonAsciiEscaped(s));
    derived.add(encodeURIComponent(s));
    // HTML forms and query strings: spaces as `+`.
    derived.add(new URLSearchParams({ v: s }).toString().slice(2));
    for (const b of base64Forms(s)) derived.add(b);
    for (const line of lines(s)) {
      derived.add(line);
      derived.add(line.trim());
    }
  }
  const out = [...whole];
  for (const d of derived) if (!whole.has(d) && Buffer.byteLength(d, "utf8") >= MIN_DERIVED_LENGTH) out.push(d);
  return out;
}
