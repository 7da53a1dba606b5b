import { isHushError, type ErrorCode } from "@hush/core";

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
  // Not SOPS's: the statuses sh, env and timeout give for a command they cannot start, so that
  // `exec-env FILE -- cmd` tells them from the command's own status as the one-string form does.
  commandNotExecutable: 126,
  commandNotFound: 127,
} as const;

/**
 * The one place an exit status is decided: every error hush raises carries an {@link ErrorCode},
 * and this table turns it into SOPS's status. Several codes share a status; where SOPS gives two
 * situations different statuses, they have different codes.
 */
const EXIT_STATUS: { readonly [C in ErrorCode]: number } = {
  // 1: everything SOPS has no number for.
  FORMAT_UNSUPPORTED: EXIT.generic,
  FORMAT_UNKNOWN: EXIT.generic,
  METADATA_MISSING: EXIT.generic,
  NO_KEYS: EXIT.generic,
  KEY_NOT_FOUND: EXIT.generic,
  CONFIG_INVALID: EXIT.generic,
  CONFIG_NO_MATCH: EXIT.generic,
  CONFIG_NOT_FOUND: EXIT.generic,
  EMPTY_KEY_GROUP: EXIT.generic,
  KEY_GROUP_NOT_FOUND: EXIT.generic,
  KEY_GROUP_NEEDED: EXIT.generic,
  KEY_FILE_EXISTS: EXIT.generic,
  INVALID_ARGUMENT: EXIT.generic,
  UNSUPPORTED_OPTION: EXIT.generic,
  UNKNOWN_COMMAND: EXIT.generic,
  FILE_BUSY: EXIT.generic,
  NO_TERMINAL: EXIT.generic,
  NO_ANSWER: EXIT.generic,
  CANCELED: EXIT.generic,
  // The Node API's refusal of a write its .sops.yaml does not vouch for (the CLI asks instead).
  UNVOUCHED_WRITE: EXIT.generic,
  EDIT_ABANDONED: EXIT.generic,
  ENV_NOT_REPRESENTABLE: EXIT.generic,
  ENV_REFUSED: EXIT.generic,
  UNKNOWN_USER: EXIT.generic,
  SPAWN_FAILED: EXIT.generic,
  COMMAND_NOT_FOUND: EXIT.commandNotFound,
  COMMAND_NOT_EXECUTABLE: EXIT.commandNotExecutable,
  NOT_A_GIT_REPO: EXIT.generic,
  NOT_RESOLVABLE: EXIT.generic,
  RESOLUTION_INVALID: EXIT.generic,
  RESOLUTION_ABANDONED: EXIT.generic,
  NOTHING_TO_SET_UP: EXIT.generic,
  UNCLASSIFIED: EXIT.generic,
  // SOPS's encrypt, rotate and updatekeys: "Could not generate data key" (edit: 128, see edit.ts).
  KEY_WRAP_FAILED: EXIT.generic,
  INTERNAL: EXIT.generic,
  // 2
  PARSE_FAILED: EXIT.couldNotReadInputFile,
  METADATA_INVALID: EXIT.couldNotReadInputFile,
  READ_FAILED: EXIT.couldNotReadInputFile,
  NOT_UTF8: EXIT.couldNotReadInputFile,
  // 3
  WRITE_FAILED: EXIT.couldNotWriteOutputFile,
  WRITE_REFUSED: EXIT.couldNotWriteOutputFile,
  CHANGED_ON_DISK: EXIT.couldNotWriteOutputFile,
  // 4
  EMIT_FAILED: EXIT.errorDumpingTree,
  // 6
  INVALID_ENCRYPTION_CONTEXT: EXIT.invalidKmsEncryptionContext,
  // 7
  INVALID_SET_VALUE: EXIT.invalidSetFormat,
  INVALID_SET_PATH: EXIT.invalidSetFormat,
  // 8
  CONFLICTING_OPTIONS: EXIT.conflictingParameters,
  // 23
  ENCRYPT_FAILED: EXIT.errorEncryptingTree,
  NOTHING_ENCRYPTED: EXIT.errorEncryptingTree,
  // 25
  VALUE_TAMPERED: EXIT.errorDecryptingTree,
  VALUE_NOT_ENCRYPTED: EXIT.errorDecryptingTree,
  // 49
  REKEY_MISSING_FILE: EXIT.cannotChangeKeysFromNonExistentFile,
  // 51
  MAC_MISMATCH: EXIT.macMismatch,
  // 91
  INVALID_TREE_PATH: EXIT.invalidTreePathFormat,
  // 92
  NO_DOCUMENT: EXIT.needAtLeastOneDocument,
  // 100
  NO_FILE: EXIT.noFileSpecified,
  FILE_NOT_FOUND: EXIT.noFileSpecified,
  MISSING_ARGUMENT: EXIT.noFileSpecified,
  // 128
  NO_MATCHING_KEY: EXIT.couldNotRetrieveKey,
  KEY_SOURCE_FAILED: EXIT.couldNotRetrieveKey,
  // 200, 201, 203
  NOT_MODIFIED: EXIT.fileHasNotBeenModified,
  NO_EDITOR: EXIT.noEditorFound,
  EDITOR_FAILED: EXIT.noEditorFound,
  ALREADY_ENCRYPTED: EXIT.fileAlreadyEncrypted,
};

/**
 * The exit status for an error code (1 for a code from a newer copy of core this table lacks, or
 * for anything else a JavaScript caller passes: `"constructor"` is not a code of the table's).
 */
export function exitCodeFor(code: ErrorCode): number {
  return typeof code === "string" && Object.hasOwn(EXIT_STATUS, code) ? EXIT_STATUS[code] : EXIT.generic;
}

/**
 * The exit status for anything a command threw: its code's status for a `HushError`
 * (recognised across package copies), 1 otherwise.
 */
export function exitCodeOfError(err: unknown): number {
  return isHushError(err) ? exitCodeFor(err.code) : EXIT.generic;
}
