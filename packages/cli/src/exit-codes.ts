import type { ErrorCode } from "@hush/core";

/**
 * Exit statuses, SOPS's table where SOPS has one (cmd/sops/codes/codes.go, spec 9.5), so scripts
 * written for sops keep working. Documented in the README.
 */
export const EXIT = {
  generic: 1,
  couldNotReadInputFile: 2,
  couldNotWriteOutputFile: 3,
  errorDumpingTree: 4,
  invalidKmsEncryptionContext: 6,
  invalidSetFormat: 7,
  conflictingParameters: 8,
  errorEncryptingTree: 23,
  errorDecryptingTree: 25,
  cannotChangeKeysFromNonExistentFile: 49,
  macMismatch: 51,
  invalidTreePathFormat: 91,
  needAtLeastOneDocument: 92,
  noFileSpecified: 100,
  couldNotRetrieveKey: 128,
  fileHasNotBeenModified: 200,
  noEditorFound: 201,
  fileAlreadyEncrypted: 203,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case "PARSE_FAILED":
    case "METADATA_INVALID":
      return EXIT.couldNotReadInputFile;
    case "ALREADY_ENCRYPTED":
      return EXIT.fileAlreadyEncrypted;
    case "NO_DOCUMENT":
      return EXIT.needAtLeastOneDocument;
    case "NO_MATCHING_KEY":
    case "KEY_SOURCE_FAILED":
      return EXIT.couldNotRetrieveKey;
    case "VALUE_TAMPERED":
    case "VALUE_NOT_ENCRYPTED":
      return EXIT.errorDecryptingTree;
    case "MAC_MISMATCH":
      return EXIT.macMismatch;
    case "ENCRYPT_FAILED":
    case "NOTHING_ENCRYPTED":
      return EXIT.errorEncryptingTree;
    case "ENCRYPTION_CONTEXT_INVALID":
      return EXIT.invalidKmsEncryptionContext;
    case "EMIT_FAILED":
      return EXIT.errorDumpingTree;
    case "INVALID_TREE_PATH":
      return EXIT.invalidTreePathFormat;
    case "INVALID_SET_VALUE":
      return EXIT.invalidSetFormat;
    case "METADATA_MISSING":
    case "NO_KEYS":
    case "KEY_NOT_FOUND":
    case "CONFIG_INVALID":
    case "CONFIG_NO_MATCH":
    case "EMPTY_KEY_GROUP":
    case "FORMAT_UNSUPPORTED":
    case "INVALID_ARGUMENT":
    case "INTERNAL":
      return EXIT.generic;
  }
}

/** An error the CLI raises itself, with its exit status. */
export class CliError extends Error {
  readonly exitCode: number;
  /** Further short lines printed indented under the message (the next step, say). */
  readonly details: readonly string[] | undefined;
  constructor(exitCode: number, message: string, details?: readonly string[]) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.details = details;
  }
}
