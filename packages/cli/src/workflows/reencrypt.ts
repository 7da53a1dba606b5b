import { convertPlaintext, HushError, isHushError, SecretDocument, WHOLE_FILE_FORMAT, type FileFormat, type OpenedFile } from "@hush/core";
import { decodeInput, encodeOutput, inputFormat, NOT_ENCRYPTED_NEXT_STEP } from "../formats.ts";
import { readInputFile, writeFileAtomic, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";

/**
 * Reading an encrypted file for a change and writing the new version back. The change itself
 * (minimal text edits, reuse of unchanged ciphertexts, metadata indentation) is core's
 * SecretDocument; this file adds the CLI's part: files, key sources from the environment, error
 * messages that name the file, an atomic replace that keeps the file's mode.
 */

export interface OpenedInput {
  readonly file: string;
  readonly format: FileFormat;
  readonly opened: OpenedFile;
  /** Indentation of the existing metadata block (YAML), so rewriting it changes no lines. */
  readonly metadataIndent: number | undefined;
  /** The file's bytes as read, to tell later whether another program changed it meanwhile. */
  readonly bytes?: Buffer;
}

function named<T>(file: string, work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    throw err instanceof HushError ? err.withFile(file) : err;
  });
}

/** Reads and decrypts `file` (MAC checked unless `ignoreMac`). */
export async function openEncryptedFile(io: CliIo, file: string, flags: { inputType?: string; ignoreMac?: boolean }): Promise<OpenedInput> {
  const format = inputFormat(flags.inputType, file, WHOLE_FILE_FORMAT);
  const bytes = readInputFile(file);
  const text = decodeInput(bytes, format, file);
  const document = await named(file, () => SecretDocument.open(text, { format, keySources: createKeySourceResolver(io.env), ignoreMac: flags.ignoreMac === true })).catch((err: unknown) => {
    throw isHushError(err, "METADATA_MISSING") && err.details === undefined ? err.withDetails([NOT_ENCRYPTED_NEXT_STEP]) : err;
  });
  return { file, format, opened: document.opened, metadataIndent: document.metadataIndent, bytes };
}

/** The opened file as a document to change. */
export function documentFor(io: CliIo, input: OpenedInput): SecretDocument {
  return SecretDocument.fromOpened(input.opened, {
    keySources: createKeySourceResolver(io.env),
    format: input.format,
    ...(input.metadataIndent === undefined ? {} : { metadataIndent: input.metadataIndent }),
  });
}

/** The bytes of `document`'s next version (errors name `file`), converted to `outputType` when given. */
export async function encodeNext(file: string, document: SecretDocument, options: { outputType?: FileFormat; indent?: number; bumpVersion?: boolean } = {}): Promise<Buffer> {
  const out = options.outputType ?? document.format;
  // A plaintext that does not convert is the user's text, not the file: that error names no file.
  if (out !== document.format) await convertPlaintext(document.plaintext, document.format, out, options.indent);
  const text = await named(file, () =>
    document.toText({
      format: out,
      ...(options.indent === undefined ? {} : { indent: options.indent }),
      ...(options.bumpVersion === true ? { bumpVersion: true } : {}),
    }),
  );
  return encodeOutput(text, out);
}

/**
 * Encrypts `plaintext` (in `input.format`) as the next version of `input` and returns the
 * bytes, converted to `outputType` when given.
 */
export async function reencrypt(io: CliIo, input: OpenedInput, plaintext: string, options: { outputType?: FileFormat; indent?: number; bumpVersion?: boolean } = {}): Promise<Buffer> {
  const document = documentFor(io, input);
  document.replacePlaintext(plaintext);
  return encodeNext(input.file, document, options);
}

/**
 * Why a plaintext with a top-level `sops` key (or dotenv/INI `sops_` keys) is not written, for
 * the ALREADY_ENCRYPTED that writing it raises: the key is the user's, not an earlier encryption.
 */
export const RESERVED_METADATA_KEY = 'a top-level "sops" key (or "sops_" keys in dotenv/INI) is not allowed: hush writes the metadata itself';

/** Replaces the encrypted file atomically (mode kept). */
export function writeEncrypted(file: string, bytes: Buffer): void {
  writeFileAtomic(file, bytes, { plaintext: false, newFileMode: 0o644 });
}
