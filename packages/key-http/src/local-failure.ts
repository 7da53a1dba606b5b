import { HushError, printable, readFileBounded } from "@hush/core";

/**
 * The most bytes of a credential, token or CA file read: the largest of them (a CA bundle of
 * every public root) is under 300 KiB. A setting that names a log file or `/dev/zero` by mistake
 * is refused instead of read to the end of memory.
 */
const MAX_SETTING_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Why a network key source failed before it sent any request, in the words AWS KMS uses too:
 * the user's credentials could not be loaded (a file a setting names is not there or cannot be
 * read), or a setting is not one hush can use. Told apart from the service's answers
 * (`AccessDenied`, `ServerError`…) and the network's (`NetworkError`), so that the user looks
 * at the machine, not at the server.
 */
export type LocalFailureReason = "CredentialsUnloadable" | "BadConfiguration";

/**
 * A failure before any request: `CredentialsUnloadable (detail): no request was sent; next`.
 *
 * @param detail - names the setting and, for a file, its path and error code; never a value that
 *   may be a secret nor a file's content
 * @param next - the next step (`correct or unset AZURE_FEDERATED_TOKEN_FILE`)
 */
export function localFailure(reason: LocalFailureReason, detail: string, next: string): HushError {
  return new HushError("KEY_SOURCE_FAILED", `${reason} (${detail}): no request was sent; ${next}`);
}

/** What a file error means, in words: Node's codes alone (`EISDIR`) leave the user guessing. */
const FILE_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "a directory, not a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
};

/** `ENOENT, no such file` for a file error, or its code alone; the bounded reader's own words (`not a regular file (…)`). */
export function fileErrorText(err: unknown): string {
  if (err instanceof HushError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return "cannot be read";
  const words = FILE_ERRORS[code];
  return words === undefined ? code : `${code}, ${words}`;
}

/**
 * Reads the file at `path`, which the setting `setting` names (a credential, a token, a CA): a
 * regular file of at most 4 MiB, or a pipe named as one (`<(cmd)`, `/dev/stdin`); a device is
 * refused unread.
 *
 * @param setting - how the message names where the path came from (`AZURE_FEDERATED_TOKEN_FILE`,
 *   `~/.vault-token`)
 * @param reason - CredentialsUnloadable for a credential, BadConfiguration for TLS material
 * @param next - the next step when it cannot be read
 * @throws HushError KEY_SOURCE_FAILED naming the setting, the path and the error, never the content
 */
export function readSettingFile(path: string, setting: string, reason: LocalFailureReason, next: string): Buffer {
  try {
    return readFileBounded(path, { maxBytes: MAX_SETTING_FILE_BYTES });
  } catch (err) {
    throw localFailure(reason, `cannot read ${setting} ${printable(path, 160)}: ${fileErrorText(err)}`, next);
  }
}

/**
 * The URL a setting of the user's environment holds (`IDENTITY_ENDPOINT`), or a
 * BadConfiguration failure naming the setting. The value is not shown: a URL may carry a password.
 */
export function urlFromSetting(value: string, setting: string): URL {
  try {
    return new URL(value);
  } catch {
    throw localFailure("BadConfiguration", `${setting} is not an absolute URL`, `correct or unset ${setting}`);
  }
}

/**
 * `value`, a setting's value that goes into a request header (a token, a namespace), unless it
 * holds a character no header can carry (a line break inside a pasted token): Node refused the
 * request then with `Invalid character in header content`, naming neither the setting nor what
 * to do.
 *
 * @throws HushError KEY_SOURCE_FAILED naming the setting, never the value
 */
export function headerValueFromSetting(value: string, setting: string, reason: LocalFailureReason): string {
  // Node's rule for header values: tab, printable ASCII and Latin-1.
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    throw localFailure(reason, `${setting} holds a character an HTTP header cannot carry (a line break or control character?)`, `correct ${setting}`);
  }
  return value;
}
