import { HushError } from "./errors.ts";
import type { KeyPath } from "./tree/values.ts";

/**
 * Checks for what callers of the public API pass in. TypeScript checks the types at compile time;
 * these catch JavaScript callers and wrong lengths at run time, so that a mistake is a HushError
 * naming the argument (INVALID_ARGUMENT, FORMAT_UNSUPPORTED, INVALID_TREE_PATH) rather than a
 * RangeError or TypeError from deep inside node:crypto or a parser. Messages never quote a value.
 */

/** What kind of value a caller passed, for a message that never quotes the value. */
export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Array.isArray without narrowing (it would turn a typed readonly array into any[]). */
export function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

export function invalidArgument(message: string): HushError {
  return new HushError("INVALID_ARGUMENT", message);
}

export function checkString(value: unknown, what: string): asserts value is string {
  if (typeof value === "string") return;
  // A file's bytes, as readFileSync gives them: say how to pass them, not "an object". Only a
  // file's text can be a binary file's, read as latin1.
  if (value instanceof Uint8Array) {
    const how = /text$/.test(what) ? 'buffer.toString("utf8"), or "latin1" for a binary file' : 'buffer.toString("utf8")';
    throw invalidArgument(`${what} must be a string, got ${Buffer.isBuffer(value) ? "a Buffer" : "a Uint8Array"} (pass ${how})`);
  }
  throw invalidArgument(`${what} must be a string, got ${describeKind(value)}`);
}

export function checkObject(value: unknown, what: string): asserts value is object {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalidArgument(`${what} must be an object, got ${describeKind(value)}`);
}

/** Bytes (a Buffer or Uint8Array), of exactly `length` when given. */
export function checkBytes(value: unknown, what: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArgument(`${what} must be a Buffer or Uint8Array, got ${describeKind(value)}`);
  if (length !== undefined && value.length !== length) throw invalidArgument(`${what} must be ${length} bytes, got ${value.length}`);
}

/** A whole number in [min, max]. */
export function checkInteger(value: unknown, what: string, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidArgument(`${what} must be a whole number from ${min} to ${max}, got ${typeof value === "number" ? String(value) : describeKind(value)}`);
  }
}

/** One of the formats hush knows (FORMAT_UNSUPPORTED otherwise, as for a file). */
/** A key path: map keys (strings) and list indices (whole numbers from 0). */
export function checkKeyPath(value: unknown, what = "the key path"): asserts value is KeyPath {
  if (!Array.isArray(value)) throw new HushError("INVALID_TREE_PATH", `${what} must be an array of keys and indices, got ${describeKind(value)}`);
  value.forEach((seg: unknown, i) => {
    if (typeof seg === "string") return;
    if (typeof seg === "number" && Number.isSafeInteger(seg) && seg >= 0) return;
    throw new HushError("INVALID_TREE_PATH", `${what}: component ${i + 1} must be a key (string) or an index (whole number from 0), got ${typeof seg === "number" ? String(seg) : describeKind(seg)}`);
  });
}

/** A value tree node (`{ kind: "map" | "list" | "scalar" | "null" | "comment", ... }`). */
export function checkTree(value: unknown, what: string): void {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (typeof value !== "object" || value === null || !["map", "list", "scalar", "null", "comment"].includes(kind as string)) {
    throw invalidArgument(`${what} must be a value tree node (with kind map, list, scalar, null or comment), got ${describeKind(value)}`);
  }
}
