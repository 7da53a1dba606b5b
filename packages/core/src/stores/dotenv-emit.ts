import { appendAll } from "../arrays.ts";
import { HushError } from "../errors.ts";
import { goCanonicalTime, goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import { formatKeyPath, type ScalarValue, type TreeMap, type TreeNode } from "../tree/values.ts";
import type { EmitOptions } from "./store.ts";
import { dotenvComplexValue } from "./flat-shape.ts";

/** Writing dotenv (conversions), and SOPS's ValToString, which the INI writer shares. */

/** Keys with this prefix hold SOPS's metadata. */
export const SOPS_PREFIX = "sops_";
/** The quotes the dialect reads (docs/formats.md, dotenv). */
export const QUOTES = "\"'`";

/** Decimal digits of a decimal number's spelling, without sign, point, exponent and padding zeros. */
function significantDigits(text: string): string {
  const mantissa = text.replace(/^[+-]/, "").split(/[eE]/)[0]!.replace(".", "");
  // (?<!0): a run of zeros is tried from its first zero only, not from each (quadratic in a long one).
  return mantissa.replace(/^0+/, "").replace(/(?<!0)0+$/, "");
}

/**
 * SOPS's `stores.ValToString` (spec 7.3; shared with the INI store): how a typed value is written into a flat file. Floats use
 * Go's `'G'` shortest form with `.0` added to integral values; a float spelled with more digits
 * than a float64 holds keeps its spelling (hush never loses digits to a float conversion).
 */
export function goValToString(value: ScalarValue): string {
  switch (value.type) {
    case "str":
      return value.text;
    case "int":
      return /^[+-]?\d+$/.test(value.text) ? BigInt(value.text).toString() : value.text;
    case "float": {
      const v = goParseFloat(value.text);
      if (v === undefined) return value.text;
      if (Number.isFinite(v) && v !== 0 && /^[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.text)) {
        const [mant] = Math.abs(v).toExponential().split("e") as [string];
        if (significantDigits(value.text) !== significantDigits(mant)) return value.text;
      }
      const s = goFormatFloatG(v, true);
      return /^-?\d+$/.test(s) ? `${s}.0` : s;
    }
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
    case "time":
      return goCanonicalTime(value.text) ?? value.text;
  }
}

/** A dotenv value that reads back unchanged both without quotes (dialect) and for SOPS. */
function isPlainSafe(s: string): boolean {
  if (s === "") return true;
  if (/[\n\r]/.test(s) || /^[ \t]/.test(s) || /[ \t]$/.test(s) || /[ \t]#/.test(s)) return false;
  // The dialect trims an unquoted value as JavaScript's trim() does: every Unicode blank (U+00A0,
  // U+2028, U+FEFF, U+3000, …), not only spaces and tabs. Written bare, the value lost them.
  if (s.trim() !== s) return false;
  return !QUOTES.includes(s[0]!);
}

function quoteDouble(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/**
 * `--output-type dotenv`: a tree as `KEY=value` lines, SOPS's way (ValToString), quoting with
 * double quotes only what the dialect would not read back unchanged (docs/formats.md).
 */
export function emitDotenv(tree: TreeMap, _options: EmitOptions): string {
  const out: string[] = [];
  for (const e of tree.entries) {
    if (e.kind === "comment") {
      appendAll(out, e.text.split(/\r?\n/).map((l) => `#${l}`));
      continue;
    }
    const where = formatKeyPath([e.key]);
    // A key with a Unicode blank at either end is another name to the dialect, which trims it (see isPlainSafe).
    if (e.key === "" || /[=\n\r]/.test(e.key) || /^[ \t#]/.test(e.key) || /[ \t]$/.test(e.key) || e.key.trim() !== e.key || /^export[ \t]/.test(e.key)) {
      throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as a dotenv key`, { location: { keyPath: where } });
    }
    if (e.key.startsWith(SOPS_PREFIX)) {
      throw new HushError("EMIT_FAILED", `the key ${where} uses the prefix "${SOPS_PREFIX}", reserved for SOPS metadata`, { location: { keyPath: where } });
    }
    const node: TreeNode = e.value;
    let s: string;
    if (node.kind === "scalar") s = goValToString(node.value);
    else if (node.kind === "null") s = "";
    else if (node.kind === "comment") continue;
    else throw dotenvComplexValue([e.key]);
    out.push(`${e.key}=${isPlainSafe(s) ? s : quoteDouble(s)}`);
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}

