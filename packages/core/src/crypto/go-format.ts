/**
 * Number renderings that must match Go byte for byte, because SOPS hashes and encrypts the
 * rendered text (spec sections 2.3, 3 and 14). JavaScript's shortest round-trip digits are the
 * same digits Go picks; only the layout (exponent or not) differs.
 */

/** Shortest round-trip digits and decimal exponent of a finite, non-zero |x|. */
function shortestDigits(x: number): { digits: string; exp: number } {
  // toExponential() without an argument gives the shortest round-trip representation.
  const [mantissa, e] = Math.abs(x).toExponential().split("e") as [string, string];
  return { digits: mantissa.replace(".", ""), exp: Number(e) };
}

/** Go `strconv.FormatFloat(x, 'f', -1, 64)`: never an exponent. */
export function goFormatFloatF(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const sign = x < 0 ? "-" : "";
  const { digits, exp } = shortestDigits(x);
  const point = exp + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Go `strconv.FormatFloat(x, 'g', -1, 64)` (lowercase) or 'G' (uppercase). */
export function goFormatFloatG(x: number, upper = false): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const { digits, exp } = shortestDigits(x);
  // strconv.FormatFloat with precision -1 ("shortest") fixes the %e threshold at 6:
  // %e is used when the decimal exponent is < -4 or >= 6.
  if (exp < -4 || exp >= 6) {
    const sign = x < 0 ? "-" : "";
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = upper ? "E" : "e";
    const es = exp < 0 ? "-" : "+";
    const ea = Math.abs(exp);
    return `${sign}${mant}${e}${es}${ea < 10 ? "0" : ""}${ea}`;
  }
  return goFormatFloatF(x);
}

/** Go `strconv.ParseBool`. */
export function goParseBool(text: string): boolean | undefined {
  switch (text) {
    case "1": case "t": case "T": case "TRUE": case "true": case "True":
      return true;
    case "0": case "f": case "F": case "FALSE": case "false": case "False":
      return false;
    default:
      return undefined;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go `strconv.Atoi` on 64-bit: optional sign, decimal digits, int64 range. */
export function goAtoi(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const v = BigInt(text);
  return v < INT64_MIN || v > INT64_MAX ? undefined : v;
}

export function fitsInt64(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

/**
 * Go `strconv.ParseFloat(s, 64)` for the inputs that matter here: decimal and exponent forms,
 * inf/infinity/nan in any case. Hex floats and underscores are rejected (treated as invalid).
 */
export function goParseFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  return Number(text);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Go `time.Parse(time.RFC3339, s)` then `MarshalText` (RFC 3339 with nanoseconds, trailing zeros
 * trimmed, `Z` for a zero offset). Returns undefined when Go would not parse `text`.
 */
export function goCanonicalTime(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  let fraction = frac === undefined ? "" : frac.slice(1, 10).replace(/(?<!0)0+$/, "");
  if (frac !== undefined && frac.length > 10) fraction = frac.slice(1, 10).replace(/(?<!0)0+$/, "");
  const offset = zone === "Z" || zone === "z" || zone === "+00:00" || zone === "-00:00" ? "Z" : zone;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction === "" ? "" : "." + fraction}${offset}`;
}
