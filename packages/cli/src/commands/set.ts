import { formatKeyPath, HushError, isHushError, parseFormat, parseTreePath, printable, utf8Text, type PathSegment, type PlainEdit, type PlainEditResult, type TreeNode } from "@hush/core";
import { readAll, readFileBounded, type CliIo } from "../io.ts";
import { parseIndent } from "./encrypt-options.ts";
import { acquireFileLock, lockWaitMs } from "../workflows/file-lock.ts";
import { documentFor, encodeNext, openEncryptedFile, RESERVED_METADATA_KEY, writeEncrypted } from "../workflows/reencrypt.ts";
import { parseJsonValue } from "../workflows/set-value.ts";
import { clearWriteFindings, confirmWrite, writeReaderFindings } from "../rekey/unvouched.ts";
import { commentsNowEncrypted } from "../workflows/encrypted-comments.ts";

/**
 * `hush set FILE PATH VALUE` and `hush unset FILE PATH` (SOPS 3.9+ subcommands, spec 9.7): change
 * one value of an encrypted file in place. Only the changed entry's lines, `mac` and
 * `lastmodified` change in the file; concurrent writers are serialised by a lock.
 */

export interface SetFlags {
  inputType?: string;
  outputType?: string;
  valueFile?: boolean;
  valueStdin?: boolean;
  idempotent?: boolean;
  ignoreMac?: boolean;
  indent?: string;
  /** `.sops.yaml` to hold the file's recipients to (the global `--config`, else SOPS_CONFIG or the search). */
  config?: string;
  /** `set`: do not ask before writing a value that a recipient only the file names can read (it is still listed). */
  yes?: boolean;
}

/** SOPS's tree path syntax; a bad path is exit 7 for set/unset. */
export function parseSetPath(text: string): PathSegment[] {
  try {
    return parseTreePath(text);
  } catch (err) {
    throw new HushError("INVALID_SET_PATH", `invalid path: ${(err instanceof Error ? err.message : String(err)).replace(/^invalid tree path: /, "")}`, { located: true });
  }
}

/**
 * Applies one edit to an encrypted file. Returns false when nothing was written (`--idempotent`
 * and no change). Errors leave the file as it was.
 */
export async function applyEdit(io: CliIo, file: string, edit: PlainEdit, flags: SetFlags): Promise<boolean> {
  const lock = await acquireFileLock(file, { waitMs: lockWaitMs(io.env) });
  try {
    const input = await openEncryptedFile(io, file, flags);
    const indent = parseIndent(flags.indent);
    const document = documentFor(io, input);
    const options = indent === undefined ? {} : { indent };
    let result: PlainEditResult;
    try {
      result = edit.kind === "set" ? await document.set(edit.path, edit.value, options) : await document.unset(edit.path, options);
    } catch (err) {
      throw editError(file, err);
    }
    if (!result.changed && flags.idempotent === true) return false;
    const outputType = flags.outputType === undefined ? undefined : parseFormat(flags.outputType);
    // A new value goes to every reader of the file (removing one gives nobody anything), and the
    // file's rule is its writer's word: its readers and a value it leaves in clear against
    // .sops.yaml are asked about, in one question.
    if (edit.kind === "set") {
      const before = { text: input.opened.plaintext, format: input.opened.format };
      const versions = { before, after: { text: document.plaintext, format: document.format } };
      const findings = [...(await writeReaderFindings(io, file, input.opened.metadata, flags)), ...(await clearWriteFindings(io, file, input.opened.metadata, versions, flags))];
      await confirmWrite(io, file, findings, { ...flags, command: "set" });
    }
    let bytes: Buffer;
    try {
      bytes = await encodeNext(file, document, {
        ...(outputType === undefined ? {} : { outputType }),
        ...(indent === undefined ? {} : { indent }),
      });
    } catch (err) {
      // Writing found a metadata key in the plaintext: the one this edit added.
      if (isHushError(err, "ALREADY_ENCRYPTED")) throw new HushError(err.code, `cannot ${edit.kind} ${formatKeyPath(edit.path)}: ${RESERVED_METADATA_KEY}`, { location: { file } });
      throw err;
    }
    writeEncrypted(file, bytes);
    // The write encrypted them as the rule asks, so they now pass for the owner's: say so once.
    const encryptedNow = commentsNowEncrypted(input.opened.unauthenticatedComments ?? []);
    if (encryptedNow !== undefined) io.stderr.write(`hush: note: ${printable(file)}: ${encryptedNow}\n`);
    // Said only once the file is written: a refused edit rewrote nothing.
    if (result.reformatted) {
      io.stderr.write(`hush: note: ${printable(file)} was rewritten from its values; its comments and layout were not kept\n`);
    }
    return true;
  } finally {
    lock.release();
  }
}

/** An edit the data does not allow is about the arguments (exit 7) or the file's shape. */
function editError(file: string, err: unknown): unknown {
  if (isHushError(err, "INVALID_SET_VALUE") || isHushError(err, "INVALID_ARGUMENT")) return new HushError(err.code, err.message, { located: true });
  return err instanceof HushError ? err.withFile(file) : err;
}

async function readValue(io: CliIo, positional: string | undefined, flags: SetFlags): Promise<string> {
  if (flags.valueStdin === true) return valueText(await readAll(io.stdin), "the value on standard input");
  if (positional === undefined) throw new HushError("MISSING_ARGUMENT", "error: missing value (give it as the third argument, or use --value-stdin)", { located: true });
  if (flags.valueFile === true) {
    let bytes: Buffer;
    try {
      // Bounded: a link to /dev/zero or /proc/self/pagemap, which a repository can commit in a
      // value file's place, would otherwise be read until memory runs out.
      bytes = readFileBounded(positional);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // In words, as readInputFile says it: a bare "(ENOENT)" left the reason to be guessed.
      const why = err instanceof HushError ? err.message : code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read (${code ?? "error"})`;
      throw new HushError("READ_FAILED", `cannot read value file ${printable(positional)}: ${why}; nothing was changed`, { located: true });
    }
    return valueText(bytes, `value file ${printable(positional)}`);
  }
  return positional;
}

/** A value's JSON text, which must be UTF-8: read otherwise, its bytes would be stored as U+FFFD. */
function valueText(bytes: Buffer, what: string): string {
  try {
    return utf8Text(bytes, "a value is JSON text; give bytes as a base64 string");
  } catch (err) {
    throw err instanceof HushError ? new HushError(err.code, `${what}: ${err.message}; nothing was changed`, { located: true }) : err;
  }
}

/** `hush set [--value-file | --value-stdin] FILE PATH [VALUE]`. */
export async function runSet(io: CliIo, args: readonly string[], flags: SetFlags): Promise<number> {
  if (flags.valueFile === true && flags.valueStdin === true) throw new HushError("CONFLICTING_OPTIONS", "--value-file and --value-stdin cannot be used together", { located: true });
  const wanted = flags.valueStdin === true ? 2 : 3;
  if (args.length !== wanted) {
    throw new HushError("MISSING_ARGUMENT", `error: set takes ${wanted === 2 ? "FILE PATH (the value comes from standard input)" : "FILE PATH VALUE"}, got ${args.length} argument(s)`, { located: true });
  }
  const [file, pathText, positional] = args as [string, string, string | undefined];
  const path = parseSetPath(pathText);
  const value: TreeNode = await parseJsonValue(await readValue(io, positional, flags));
  await applyEdit(io, file, { kind: "set", path, value }, flags);
  return 0;
}

/** `hush unset FILE PATH`. A missing path is an error unless `--idempotent`. */
export async function runUnset(io: CliIo, args: readonly string[], flags: SetFlags): Promise<number> {
  if (args.length !== 2) throw new HushError("MISSING_ARGUMENT", `error: unset takes FILE PATH, got ${args.length} argument(s)`, { located: true });
  const [file, pathText] = args as [string, string];
  const path = parseSetPath(pathText);
  try {
    await applyEdit(io, file, { kind: "unset", path }, flags);
  } catch (err) {
    if (!isHushError(err, "KEY_NOT_FOUND")) throw err;
    if (flags.idempotent === true) return 0;
    throw err.withFile(file).withDetails(["next: nothing was changed; pass --idempotent to succeed when the key is already absent"]);
  }
  return 0;
}
