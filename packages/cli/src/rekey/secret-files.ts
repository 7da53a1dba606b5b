import { lstatSync, readFileSync } from "node:fs";
import {
  applyTextEdits,
  decodeMetadata,
  encodeMetadata,
  HushError,
  isHushError,
  readWhole,
  storeFor,
  type EmitOptions,
  type FileFormat,
  type FileMetadata,
  type SopsConfig,
  encryptedTextFormat,
  configIndent,
} from "@hush/core";
import { decodeInput, encodeOutput } from "../formats.ts";
import { checkWritableFile, readInputFile, writeFileAtomic } from "../io.ts";
import { acquireFileLock, lockWaitMs } from "../workflows/file-lock.ts";
import { sniffFormat, type Target } from "./targets.ts";

/** An encrypted file as read for re-keying. */
export interface SecretFile {
  readonly target: Target;
  readonly format: FileFormat;
  readonly text: string;
  readonly metadata: FileMetadata;
}

/**
 * Why a file found by a directory walk is left alone. `quiet`: not even a file type hush reads
 * (READMEs, code): not worth a line in the summary.
 */
export class NotEncrypted extends Error {
  readonly quiet: boolean;
  constructor(reason: string, quiet = false) {
    super(reason);
    this.name = "NotEncrypted";
    this.quiet = quiet;
  }
}

/**
 * Reads a target and its SOPS metadata. A file the user named must be encrypted; a file found in
 * a directory walk that is not encrypted (or is not even parseable and holds no ENC[…] value)
 * raises NotEncrypted, so plain configuration next to the secrets is skipped, while a damaged
 * secret file is still reported. `toWrite`: the file will be written back in place, so a path
 * hush would refuse to write (a link, a directory link a branch committed) is refused now, before
 * any key is asked for a data key that could not be used (a KMS call, a passphrase, a token touch).
 */
export async function readSecretFile(target: Target, options: { readonly toWrite?: boolean } = {}): Promise<SecretFile> {
  // A file named on the command line is checked before it is read: a FIFO there (never in a
  // walk) would wait for a writer without end, and could not be written back anyway.
  if (options.toWrite === true && target.explicit) checkWritableFile(target.path);
  const { format, text } = readTargetText(target);
  let raw: unknown;
  try {
    // The span scanner where it gives the store's exact parse: the general YAML parser was most
    // of the time `hush access` and a re-keying spend per file.
    raw = (await readWhole(text, format)).metadata;
  } catch (err) {
    throw notEncryptedOr(target, text, err);
  }
  if (raw === undefined) throw notEncryptedOr(target, text, new HushError("METADATA_MISSING", "sops metadata not found"));
  // Once the file is known to be one to write (a walk leaves plain files alone, and names one it
  // cannot open by name as such).
  if (options.toWrite === true) checkWritableFile(target.path);
  return { target, format, text, metadata: decodeMetadata(raw) };
}

/** A target's text and format (sniffed for walked files whose name says nothing). */
export function readTargetText(target: Target): { format: FileFormat; text: string } {
  if (target.rawPath !== undefined) refuseUndecodableName(target.rawPath);
  const bytes = readInputFile(target.path, {}, target.display);
  let format = target.format;
  if (format === undefined) {
    format = sniffFormat(bytes.toString("utf8"));
    if (format === undefined) throw new NotEncrypted("not a file type hush reads", true);
  }
  // A binary file's envelope is JSON text even though its payload is bytes.
  return { format, text: decodeInput(bytes, encryptedTextFormat(format), target.display) };
}

/** Files larger than this are not looked into for an undecodable name (no encrypted file is that big). */
const MAX_UNDECODABLE_NAME_READ = 16 * 1024 * 1024;

/**
 * A walked file whose name is not UTF-8: hush names files by UTF-8 text, so it can neither read
 * nor write it by name. An encrypted one is an error naming it (a report without it would miss
 * who can open it, a re-keying would leave it as it was); any other is plain configuration.
 * @throws HushError READ_FAILED for an encrypted file, else NotEncrypted (quiet)
 */
function refuseUndecodableName(rawPath: Buffer): never {
  let bytes: Buffer | undefined;
  try {
    bytes = lstatSync(rawPath).size <= MAX_UNDECODABLE_NAME_READ ? readFileSync(rawPath) : undefined;
  } catch {
    bytes = undefined;
  }
  if (bytes !== undefined && !(bytes.includes("sops") && bytes.includes("ENC[AES256_GCM,"))) throw new NotEncrypted("not encrypted", true);
  // The callers name the file (as target.display) before the message.
  throw new HushError("READ_FAILED", "the file's name is not UTF-8, so hush cannot open it by name (shown with U+FFFD in place of those bytes): rename it");
}

/**
 * For a walked file, "no metadata" and "does not parse and holds no ENC[…] value" mean plain
 * configuration to leave alone; anything else (and any named file) is a real failure.
 */
export function notEncryptedOr(target: Target, text: string, err: unknown): unknown {
  if (target.explicit) return err;
  if (isHushError(err, "METADATA_MISSING")) return new NotEncrypted("not encrypted");
  if (isHushError(err, "PARSE_FAILED") && !text.includes("ENC[AES256_GCM,")) return new NotEncrypted("not parseable and holds no encrypted value");
  return err;
}

/**
 * The file's text with its `sops` section replaced: the metadata spans are cut out and the new
 * section appended the way the store writes it. Every byte of the data part (values, comments,
 * layout) is kept, so only the metadata lines change in a diff.
 */
export async function replaceMetadata(file: SecretFile, metadata: FileMetadata, emit: EmitOptions): Promise<string> {
  const store = await storeFor(file.format);
  const doc = store.parse(file.text);
  const data = applyTextEdits(
    file.text,
    doc.metadataSpans.map((s) => ({ start: s.start, end: s.end, text: "" })),
  );
  const out = store.appendMetadata(data, encodeMetadata(metadata), doc.documentCount, emit);
  // Check the result reads back before anything is written (a store bug must not cost a file).
  const check = store.parse(out);
  if (check.metadata === undefined) throw new HushError("INTERNAL", "re-written metadata does not read back");
  decodeMetadata(check.metadata);
  return out;
}

/**
 * Writes a file's new text atomically (old or new content, never a mix), waiting for another
 * writer's lock as long as `env` says (`$HUSH_LOCK_TIMEOUT`, see `lockWaitMs`).
 */
export async function writeSecretFile(file: SecretFile, text: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  // Same lock as `set` and `edit`, and the file must still be what was read: a concurrent writer's
  // update is never silently overwritten (the file is reported instead, and can be run again).
  const lock = await acquireFileLock(file.target.path, { waitMs: lockWaitMs(env) });
  try {
    if (readTargetText(file.target).text !== file.text) {
      throw new HushError("CHANGED_ON_DISK", `${file.target.path}: changed on disk while hush was working; nothing written, run again`, { located: true });
    }
    writeFileAtomic(file.target.path, encodeOutput(text, encryptedTextFormat(file.format)), { plaintext: false });
  } finally {
    lock.release();
  }
}

/**
 * How to write a file's `sops` section: `--indent`, else the config's store settings (an
 * encrypted binary file's envelope by `json_binary`'s, as SOPS's binary store, not `json`'s).
 */
export function emitOptionsFor(format: FileFormat, indent: number | undefined, stores: SopsConfig["stores"] | undefined): EmitOptions {
  const n = indent ?? configIndent(stores, format);
  return n === undefined ? {} : { indent: n };
}
