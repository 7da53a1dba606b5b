import { goCanonicalTime, goFormatFloatF } from "../crypto/go-format.ts";
import type { ScalarValue } from "../tree/values.ts";
import { goFoldKey } from "./folded-keys.ts";

/**
 * Plain-scalar typing exactly as go-yaml v3 (the parser inside SOPS) does it (spec 7.1), so that
 * a value hush encrypts decrypts to the same value and type under SOPS. This is neither YAML 1.2
 * core nor YAML 1.1: `yes`/`no` are strings, `0755` is octal, `08` is the float 8.
 *
 * The returned `text` is what gets encrypted: the file's own spelling when Go parses it back to
 * the same value (so decrypting restores the exact bytes), else Go's rendering of the value.
 */

const BOOLS: Record<string, boolean> = { true: true, True: true, TRUE: true, false: false, False: false, FALSE: false };
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const FLOAT_SPECIAL: Record<string, string> = {
  ".nan": "NaN", ".NaN": "NaN", ".NAN": "NaN",
  ".inf": "+Inf", ".Inf": "+Inf", ".INF": "+Inf", "+.inf": "+Inf", "+.Inf": "+Inf", "+.INF": "+Inf",
  "-.inf": "-Inf", "-.Inf": "-Inf", "-.INF": "-Inf",
};
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT_BASE0 = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const DECIMAL_INT = /^[-+]?(0|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go `strconv.ParseInt(s, 0, 64)`-style value, or undefined. */
function parseIntBase0(s: string): bigint | undefined {
  const m = INT_BASE0.exec(s);
  if (m === null) return undefined;
  const [, sign, body] = m as unknown as [string, string, string];
  let v: bigint;
  const lower = body.toLowerCase();
  if (lower.startsWith("0x") || lower.startsWith("0o") || lower.startsWith("0b")) v = BigInt(lower);
  else if (body.length > 1 && body.startsWith("0")) v = BigInt("0o" + body.slice(1));
  else v = BigInt(body);
  return sign === "-" ? -v : v;
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d*)?(?:[ \t]*(Z|[+-]\d{1,2}(?::\d{2})?))?)?$/;

/** go-yaml's timestamp formats, normalised to Go's RFC 3339 rendering. */
export function yamlTimestamp(s: string): string | undefined {
  if (!/^\d{4}-/.test(s)) return undefined;
  const m = TIMESTAMP.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m as unknown as Array<string | undefined>;
  const p2 = (v: string | undefined): string => (v ?? "0").padStart(2, "0");
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  // Go's layouts: a date-time without a zone only with a space separator; with 'T' a zone is required.
  if (h !== undefined && zone === undefined && /[Tt]/.test(s.slice(10, 11))) return undefined;
  let offset = "Z";
  if (zone !== undefined && zone !== "Z") {
    const zm = /^([+-])(\d{1,2})(?::(\d{2}))?$/.exec(zone);
    if (zm === null) return undefined;
    const hh = zm[2]!.padStart(2, "0");
    const mm = zm[3] ?? "00";
    offset = hh === "00" && mm === "00" ? "Z" : `${zm[1]}${hh}:${mm}`;
  }
  const fraction = (frac ?? "").slice(1, 10).replace(/(?<!0)0+$/, "");
  return goCanonicalTime(`${y}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(sec)}${fraction === "" ? "" : "." + fraction}${offset}`);
}

/**
 * Types a plain scalar. Returns null for YAML null, or throws "unsupported" for integers that
 * only fit in uint64 (SOPS cannot carry them either).
 */
export function resolvePlainScalar(source: string): ScalarValue | null | "uint64" {
  // The words are at most five characters: a longer scalar (an ENC[…] envelope) skips looking
  // them up, which for a string used as a property name costs more than the rest.
  if (source.length <= 5) {
    if (NULLS.has(source)) return null;
    const b = BOOLS[source];
    // SOPS encrypts booleans as "True"/"False" (spec 2.3); the file's own case is not kept.
    if (b !== undefined) return { type: "bool", text: b ? "True" : "False" };
    const special = FLOAT_SPECIAL[source];
    if (special !== undefined) return { type: "float", text: special };
  }
  const first = source.charCodeAt(0);
  const numeric = (first >= 48 && first <= 57) || source[0] === "-" || source[0] === "+" || source[0] === ".";
  if (!numeric) return { type: "str", text: source };
  const ts = yamlTimestamp(source);
  if (ts !== undefined) {
    // Keep the file's spelling when it is already what Go's RFC 3339 parser accepts.
    return { type: "time", text: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(source) ? source : ts };
  }
  const plain = source.replace(/_/g, "");
  const i = parseIntBase0(plain);
  if (i !== undefined) {
    if (i >= INT64_MIN && i <= INT64_MAX) return { type: "int", text: DECIMAL_INT.test(source) ? source : i.toString() };
    if (i >= 0n && i <= UINT64_MAX) return "uint64";
  }
  // Go's ParseFloat refuses a value beyond float64 (1e400), and go-yaml then reads a string.
  if (YAML_FLOAT.test(plain) && Number.isFinite(Number(plain))) {
    return { type: "float", text: plain === source ? source : String(Number(plain)) };
  }
  return { type: "str", text: source };
}

/**
 * The text SOPS 3.13 reads for the plain scalar `source` in a text field, when go-yaml v3 types it
 * as a number or boolean (mapstructure's weak typing: strconv.FormatInt/FormatUint, FormatFloat
 * 'f' -1, and 1 or 0 for a boolean); undefined for a string, a timestamp (go-yaml gives its text)
 * or null.
 */
export function sops313Text(source: string): string | undefined {
  const resolved = resolvePlainScalar(source);
  if (resolved === null) return undefined;
  if (resolved === "uint64") {
    const digits = source.replace(/_/g, "").replace(/^\+/, "");
    return (/^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits.toLowerCase())).toString();
  }
  switch (resolved.type) {
    case "bool":
      return resolved.text === "True" ? "1" : "0";
    case "int":
      return BigInt(resolved.text).toString();
    case "float":
      return resolved.text === "NaN" || resolved.text === "+Inf" || resolved.text === "-Inf" ? resolved.text : goFormatFloatF(Number(resolved.text));
    default:
      return undefined;
  }
}

/**
 * Whether the `sops` section's field `name` is one SOPS reads as a boolean or an integer
 * (`mac_only_encrypted`, `shamir_threshold`, or a name that folds to one: mapstructure matches
 * names with strings.EqualFold). Their spellings are the metadata codec's to judge, not
 * {@link sops313Text}'s.
 */
export function isSopsTypedField(name: string): boolean {
  const fold = goFoldKey(name);
  return fold === "mac_only_encrypted" || fold === "shamir_threshold";
}

/** YAML 1.1 words that go-yaml quotes when writing strings (they were booleans in 1.1). */
const YAML11_BOOLS: ReadonlySet<string> = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off", "OFF"]);

/** Whether a plain scalar `s` is a string to YAML 1.2 readers (SOPS, hush) and a boolean to YAML 1.1 ones. */
export function isYaml11BooleanWord(s: string): boolean {
  return YAML11_BOOLS.has(s);
}

/**
 * True when a string can be written as a plain scalar and still read back as the same string, by
 * YAML 1.2 readers and by the YAML 1.1 readers that go-yaml writes for (Helm's and kubectl's
 * go-yaml v2, PyYAML), which take `no` and `on` for booleans. `tagged`: the scalar has a tag that
 * makes it a string (`!!str`, an application's own), so only its syntax matters, not how an
 * untagged scalar would resolve.
 */
export function isPlainSafe(s: string, options: { tagged?: boolean } = {}): boolean {
  if (s === "" || s !== s.trim()) return false;
  if (options.tagged !== true && YAML11_BOOLS.has(s)) return false;
  if (/[\n\r\t\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^[-?:][^\s,[\]{}]/.test(s)) return false;
  if (/^(---|\.\.\.)/.test(s)) return false;
  if (/: |:$| #/.test(s)) return false;
  if (options.tagged === true) return true;
  if (/^\d+:\d+/.test(s)) return false; // base-60 floats of YAML 1.1
  const resolved = resolvePlainScalar(s);
  return resolved !== null && resolved !== "uint64" && resolved.type === "str";
}

/** go-yaml's short escapes (yaml_emitter_write_double_quoted_scalar). */
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, "\\0"], [0x07, "\\a"], [0x08, "\\b"], [0x09, "\\t"], [0x0a, "\\n"], [0x0b, "\\v"], [0x0c, "\\f"], [0x0d, "\\r"],
  [0x1b, "\\e"], [0x22, '\\"'], [0x5c, "\\\\"], [0x85, "\\N"], [0x2028, "\\L"], [0x2029, "\\P"],
]);

/**
 * A YAML double-quoted string written as go-yaml (SOPS) writes it: line breaks (U+0085, U+2028
 * and U+2029 are breaks to go-yaml, text to YAML 1.2 readers) and what YAML cannot hold raw are
 * escaped, so every reader gets the same string.
 */
export function doubleQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const short = SHORT_ESCAPES.get(c);
    if (short !== undefined) out += short;
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfeff || c === 0xfffe || c === 0xffff) {
      out += c <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
    } else out += ch;
  }
  return out + '"';
}

function hex(c: number, width: number): string {
  return c.toString(16).toUpperCase().padStart(width, "0");
}
