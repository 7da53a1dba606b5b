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
  // A key source could not wrap the data key to a recipient (SOPS: "Could not generate data key").
  | "KEY_WRAP_FAILED"
  | "VALUE_TAMPERED"
  | "VALUE_NOT_ENCRYPTED"
  | "MAC_MISMATCH"
  | "ENCRYPT_FAILED"
  | "NOTHING_ENCRYPTED"
  | "EMIT_FAILED"
  | "UNVOUCHED_WRITE"
  | "INVALID_TREE_PATH"
  | "INVALID_SET_VALUE"
  | "KEY_NOT_FOUND"
  | "CONFIG_INVALID"
  | "CONFIG_NO_MATCH"
  | "EMPTY_KEY_GROUP"
  | "INVALID_ARGUMENT"
  | "INTERNAL"
  // Files and arguments (mostly raised by the CLI, mapped to SOPS's exit statuses there).
  | "NO_FILE"
  | "FILE_NOT_FOUND"
  | "MISSING_ARGUMENT"
  | "READ_FAILED"
  | "NOT_UTF8"
  | "WRITE_FAILED"
  | "WRITE_REFUSED"
  | "CHANGED_ON_DISK"
  | "FILE_BUSY"
  | "CONFLICTING_OPTIONS"
  | "UNSUPPORTED_OPTION"
  | "UNKNOWN_COMMAND"
  | "FORMAT_UNKNOWN"
  | "INVALID_ENCRYPTION_CONTEXT"
  | "INVALID_SET_PATH"
  | "CONFIG_NOT_FOUND"
  | "REKEY_MISSING_FILE"
  | "KEY_GROUP_NOT_FOUND"
  | "KEY_GROUP_NEEDED"
  | "KEY_FILE_EXISTS"
  | "NO_TERMINAL"
  | "NO_ANSWER"
  | "CANCELED"
  // Editing (`edit`, `git resolve`).
  | "NOT_MODIFIED"
  | "NO_EDITOR"
  | "EDITOR_FAILED"
  | "EDIT_ABANDONED"
  // Running a command with secrets (`exec-env`, `exec-file`).
  | "ENV_NOT_REPRESENTABLE"
  | "ENV_REFUSED"
  | "UNKNOWN_USER"
  | "SPAWN_FAILED"
  | "COMMAND_NOT_FOUND"
  | "COMMAND_NOT_EXECUTABLE"
  // git integration.
  | "NOT_A_GIT_REPO"
  | "NOT_RESOLVABLE"
  | "RESOLUTION_INVALID"
  | "RESOLUTION_ABANDONED"
  | "NOTHING_TO_SET_UP"
  // An error from the system or a library, passed on with the file it concerns.
  | "UNCLASSIFIED";

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
  /**
   * The message already says where the error happened (it names the file, or concerns none):
   * {@link HushError.withFile} leaves such an error as it is. Errors raised where the file is
   * known (the CLI's) are located; errors from a store, which never knows file names, are not.
   */
  readonly located: boolean;

  constructor(code: ErrorCode, message: string, options?: { location?: ErrorLocation; hint?: string; details?: readonly string[]; cause?: unknown; located?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HushError";
    this.code = code;
    this.location = options?.location;
    this.hint = options?.hint;
    this.details = options?.details;
    this.located = options?.located === true;
  }

  /** A copy of this error that also names the file (stores do not know file names). */
  withFile(file: string): HushError {
    if (this.located || this.location?.file !== undefined) return this;
    return this.#copy({ location: { ...this.location, file } }, this.cause);
  }

  /**
   * A copy of this error with `lines` added after its own details (a next step, where hush
   * looked), for a caller that knows more than the code that threw: code, message, location and
   * hint stay, and this error becomes the copy's cause. With `located: true` the copy says its
   * message names its place already ({@link HushError.located}), so a later
   * {@link HushError.withFile} leaves it as it is; without, it is as located as this error.
   */
  withDetails(lines: readonly string[], options: { located?: boolean } = {}): HushError {
    return this.#copy({ details: [...(this.details ?? []), ...lines], ...options }, this);
  }

  /** A copy with `changes` over this error's location, details and `located`, and the given cause. */
  #copy(changes: { location?: ErrorLocation; details?: readonly string[]; located?: boolean }, cause: unknown): HushError {
    const location = changes.location ?? this.location;
    const details = changes.details ?? this.details;
    return new HushError(this.code, this.message, {
      ...(location === undefined ? {} : { location }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(details === undefined ? {} : { details }),
      located: changes.located ?? this.located,
      cause,
    });
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
