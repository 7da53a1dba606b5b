import type { KeyPath, ScalarValue } from "../tree/values.ts";
import type { YamlStyle } from "./yaml-render.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";

/**
 * The span scanner's reading of one line (see yaml-scan.ts): a map key, a one-line scalar and
 * what follows it, and the metadata block's plain data. Anything outside the subset it reads
 * throws {@link Decline}.
 */

const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*/;
/** First characters of a plain scalar the scanner leaves to the general parser (YAML indicators). */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;

/** Thrown to give the text to the general parser (see scanYaml): never a user-visible error. */
export class Decline extends Error {}

export function decline(): never {
  throw new Decline();
}

/** A scalar written on one line, the span it occupies and what follows it (a comment or nothing). */
export interface InlineScalar {
  readonly kind: "scalar";
  readonly value: ScalarValue | null;
  /** The scalar as written (quotes removed): what the failsafe schema of the metadata reads. */
  readonly raw: string;
  readonly style: YamlStyle["style"];
  readonly start: number;
  readonly end: number;
  /** Offset of a `#` comment after the value, else -1. */
  readonly comment: number;
}

/** Reads the rest of a line, from `at`, as a one-line scalar; declines anything it does not know. */
export type Inline = InlineScalar | { readonly kind: "empty" | "literal" | "literal-strip" } | { readonly kind: "{}" | "[]"; readonly start: number };

export function inlineScalar(line: string, at: number, base: number): Inline {
  const rest = line.slice(at);
  if (/^ *$/.test(rest) || rest.startsWith("#")) return { kind: "empty" };
  const trailer = (from: number): number => {
    const tail = line.slice(from);
    if (/^ *$/.test(tail)) return -1;
    const m = /^ +#/.exec(tail);
    if (m === null) decline();
    return base + from + m[0].length - 1;
  };
  if (rest.startsWith("{}") || rest.startsWith("[]")) {
    if (trailer(at + 2) >= 0) decline(); // a comment there: left to the parser
    return { kind: rest.startsWith("{}") ? "{}" : "[]", start: base + at };
  }
  if (rest === "|") return { kind: "literal" };
  if (rest === "|-") return { kind: "literal-strip" };
  const q = rest[0];
  if (q === '"' || q === "'") {
    const close = line.indexOf(q, at + 1);
    if (close < 0) decline();
    const inner = line.slice(at + 1, close);
    if (q === '"' && inner.includes("\\")) decline();
    if (q === "'" && line[close + 1] === "'") decline();
    return { kind: "scalar", value: { type: "str", text: inner }, raw: inner, style: q === '"' ? "QUOTE_DOUBLE" : "QUOTE_SINGLE", start: base + at, end: base + close + 1, comment: trailer(close + 1) };
  }
  if (INDICATOR.test(rest)) decline();
  let end = line.length;
  const hash = line.indexOf(" #", at);
  if (hash >= 0) end = hash;
  // (?<! ): a run of spaces is tried from its first space only (from each, a long run inside a
  // value was quadratic).
  const text = line.slice(at, end).replace(/(?<! ) +$/, "");
  if (text.includes(": ") || text.endsWith(":") || text.includes("\t")) decline();
  const resolved = resolvePlainScalar(text);
  if (resolved === "uint64") decline();
  return { kind: "scalar", value: resolved, raw: text, style: "PLAIN", start: base + at, end: base + at + text.length, comment: hash >= 0 ? base + hash + 1 : -1 };
}

/** A map key at `at` and the offset after its `:`. */
/** The `yaml` package's bound on an implicit key, in UTF-16 units from its start to its ":". */
const MAX_IMPLICIT_KEY = 1024;

export function mapKey(line: string, at: number): { key: string; after: number } {
  const c = line[at];
  let key: string;
  let after: number;
  if (c === '"' || c === "'") {
    const close = line.indexOf(c, at + 1);
    if (close < 0) decline();
    key = line.slice(at + 1, close);
    if (key.includes("\\") || key.includes('"') || key.includes("'")) decline();
    after = close + 1;
  } else {
    const m = PLAIN_KEY.exec(line.slice(at));
    if (m === null) decline();
    key = m[0];
    after = at + key.length;
  }
  if (line[after] !== ":" || (after + 1 < line.length && line[after + 1] !== " ")) decline();
  // The YAML store refuses a key whose ":" is more than 1024 characters after its start.
  if (after - at > MAX_IMPLICIT_KEY) decline();
  return { key, after: after + 1 };
}

/** The metadata block as plain data, every scalar a string (the YAML store's failsafe schema). */
export type Plain = string | Plain[] | { [key: string]: Plain };

export function setAt(root: { [key: string]: Plain }, path: KeyPath, value: Plain): void {
  let node: Plain = root;
  // `__proto__` would set an object's prototype, not a key: left to the parser, which refuses it.
  if (path.includes("__proto__")) decline();
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (Array.isArray(node) !== (typeof seg === "number")) decline();
    const next = path[i + 1]!;
    const container = node as Record<string | number, Plain>;
    if (!Object.hasOwn(container, seg)) container[seg] = typeof next === "number" ? [] : {};
    node = container[seg]!;
  }
  const last = path[path.length - 1]!;
  if (Array.isArray(node) !== (typeof last === "number")) decline();
  (node as Record<string | number, Plain>)[last] = value;
}
