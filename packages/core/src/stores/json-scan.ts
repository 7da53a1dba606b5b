import { checkString } from "../arguments.ts";
import { goAtoi } from "../crypto/go-format.ts";
import type { KeyPath, ScalarValue } from "../tree/values.ts";
import { goFoldKey } from "./folded-keys.ts";
import { hasLoneSurrogate } from "./json-strings.ts";
import { MAX_NESTING } from "./nesting.ts";
import type { Leaf, ParsedDocument } from "./store.ts";

/**
 * A span scanner for reading JSON files for decryption without jsonc-parser: one pass over the
 * text that gives the same leaves, metadata and spans as the JSON store's parse. It reads strict
 * JSON (RFC 8259) with a top-level object; anything else (comments, trailing commas, a byte
 * order mark, duplicate keys or keys that differ only in case, nesting deeper than the stores
 * allow, invalid strings or numbers, a lone surrogate) makes it decline with `undefined`, and the
 * caller uses the store, which also gives the errors.
 */

class Decline extends Error {}

function decline(): never {
  throw new Decline();
}

/** A strict JSON number, from the sticky position. */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A member of the top-level object: where its key starts and its value starts and ends. */
interface Member {
  readonly key: string;
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/**
 * Scans a JSON file's text; undefined when the text is outside what the scanner reads exactly
 * (the caller then parses it with the JSON store).
 */
export function scanJson(text: string): ParsedDocument | undefined {
  checkString(text, "the text");
  try {
    return scan(text);
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}

function scan(text: string): ParsedDocument {
  if (hasLoneSurrogate(text)) decline();
  let pos = 0;
  let line = 1;
  let depth = 0;
  const leaves: Leaf[] = [];

  const space = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0d) pos++;
      else if (c === 0x0a) {
        pos++;
        line++;
      } else return;
    }
  };
  const expect = (c: string): void => {
    if (text[pos] !== c) decline();
    pos++;
  };
  /** A string literal at `pos` (its opening quote), decoded. */
  const string = (): string => {
    const start = pos++;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (Number.isNaN(c) || c < 0x20) decline();
      if (c === 0x5c) {
        escaped = true;
        pos += 2;
      } else pos++;
    }
    pos++;
    if (!escaped) return text.slice(start + 1, pos - 1);
    let decoded: string;
    try {
      decoded = JSON.parse(text.slice(start, pos)) as string;
    } catch {
      return decline();
    }
    return hasLoneSurrogate(decoded) ? decline() : decoded;
  };
  /**
   * A member's `"key" :` at `pos`, declining a key `keys` already holds in Go's case folding (the
   * store refuses some such keys); leaves `pos` at its value.
   */
  const memberKey = (keys: Set<string>): string => {
    if (text[pos] !== '"') decline();
    const key = string();
    const folded = goFoldKey(key);
    if (keys.has(folded)) decline();
    keys.add(folded);
    space();
    expect(":");
    space();
    return key;
  };
  const literal = (word: string): void => {
    if (!text.startsWith(word, pos)) decline();
    pos += word.length;
  };
  /** A value at `pos`; scalars become leaves at `path` unless `keep` is false (the metadata). */
  const value = (path: KeyPath, keep: boolean): void => {
    const start = pos;
    const at = line;
    const c = text[pos];
    let scalar: ScalarValue | null;
    if (c === "{" || c === "[") {
      if (++depth > MAX_NESTING) decline();
      pos++;
      space();
      const close = c === "{" ? "}" : "]";
      const keys = new Set<string>();
      for (let i = 0; text[pos] !== close; i++) {
        if (i > 0) {
          expect(",");
          space();
        }
        if (c === "{") {
          const key = memberKey(keys);
          value(keep ? [...path, key] : path, keep);
        } else value(keep ? [...path, i] : path, keep);
        space();
      }
      pos++;
      depth--;
      return;
    }
    if (c === '"') scalar = { type: "str", text: string() };
    else if (c === "t") {
      literal("true");
      scalar = { type: "bool", text: "True" };
    } else if (c === "f") {
      literal("false");
      scalar = { type: "bool", text: "False" };
    } else if (c === "n") {
      literal("null");
      scalar = null;
    } else {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(text);
      // A number beyond float64 is an error the store reports.
      if (m === null || !Number.isFinite(Number(m[0]))) decline();
      pos += m[0].length;
      scalar = { type: goAtoi(m[0]) === undefined ? "float" : "int", text: m[0] };
    }
    if (keep) leaves.push({ kind: "scalar", path, document: 0, value: scalar, start, end: pos, line: at });
  };

  space();
  const rootStart = pos;
  expect("{");
  depth++;
  space();
  const members: Member[] = [];
  const keys = new Set<string>();
  while (text[pos] !== "}") {
    if (members.length > 0) {
      expect(",");
      space();
    }
    const start = pos;
    const key = memberKey(keys);
    const valueStart = pos;
    value([key], key !== "sops");
    members.push({ key, start, valueStart, end: pos });
    space();
  }
  pos++;
  const rootEnd = pos;
  space();
  if (pos !== text.length) decline();
  return { leaves, ...metadataOf(text, members, rootStart, rootEnd), documentCount: 1 };
}

/** The `sops` member's value and the span that removes it, as the JSON store finds them. */
function metadataOf(text: string, members: readonly Member[], rootStart: number, rootEnd: number): Pick<ParsedDocument, "metadata" | "metadataSpans"> {
  const i = members.findIndex((m) => m.key === "sops");
  if (i < 0) return { metadata: undefined, metadataSpans: [] };
  const sops = members[i]!;
  const metadata: unknown = JSON.parse(text.slice(sops.valueStart, sops.end));
  const prev = members[i - 1];
  const next = members[i + 1];
  let span: { start: number; end: number };
  if (next !== undefined) span = { start: sops.start, end: next.start };
  else if (prev !== undefined) span = { start: prev.end, end: sops.end };
  else {
    // The only member: up to the closing brace's own line break when only space follows it.
    const close = rootEnd - 1;
    span = { start: rootStart + 1, end: text.slice(sops.end, close).trim() === "" ? close : sops.end };
  }
  return { metadata, metadataSpans: [span] };
}
