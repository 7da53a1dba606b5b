export { printable, quoted } from "./printable.ts";

/**
 * One error class for everything hush reports. Messages name files, key paths and lines,
 * never values: a message may end up in CI logs.
 */
export type ErrorCode =
  | "FORMAT_UNSUPPORTED"
  | "PARSE_FAILED"
  | "METADATA_MISSING"
  | "METADATA_INVALID"
  | "ALREADY_ENCRYPTED"
  | "NO_DOCUMENT"
  | "NO_KEYS"
  | "NO_MATCHING_KEY"
  | "KEY_SOURCE_FAILED"
  | "VALUE_TAMPERED"
  | "VALUE_NOT_ENCRYPTED"
  | "MAC_MISMATCH"
  | "ENCRYPT_FAILED"
  | "NOTHING_ENCRYPTED"
  | "EMIT_FAILED"
  | "INVALID_TREE_PATH"
  | "INVALID_SET_VALUE"
  | "KEY_NOT_FOUND"
  | "CONFIG_INVALID"
  | "CONFIG_NO_MATCH"
  | "EMPTY_KEY_GROUP"
  | "INVALID_ARGUMENT"
  | "ENCRYPTION_CONTEXT_INVALID"
  | "INTERNAL";

/** Where in the input an error was found. Never holds a value. */
export interface ErrorLocation {
  readonly file?: string;
  readonly keyPath?: string;
  readonly line?: number;
}

export class HushError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  readonly hint: string | undefined;
  /**
   * Further short lines (printed indented under the message, each escaped on its own): where
   * hush looked, the next step. Kept apart from the message so that untrusted text can never
   * start a line of its own.
   */
  readonly details: readonly string[] | undefined;

  constructor(code: ErrorCode, message: string, options?: { location?: ErrorLocation; hint?: string; details?: readonly string[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HushError";
    this.code = code;
    this.location = options?.location;
    this.hint = options?.hint;
    this.details = options?.details;
  }

  /** A copy of this error that also names the file (stores do not know file names). */
  withFile(file: string): HushError {
    if (this.location?.file !== undefined) return this;
    const err = new HushError(this.code, this.message, {
      location: { ...this.location, file },
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
      cause: this.cause,
    });
    return err;
  }
}

/** Code comparison that works across package copies (no instanceof). */
export function isHushError(value: unknown, code?: ErrorCode): value is HushError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { name?: unknown }).name === "HushError" &&
    (code === undefined || (value as { code?: unknown }).code === code)
  );
}
