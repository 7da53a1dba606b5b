import { encryptText, HushError, openText, SOPS_FORMAT_VERSION, type FileFormat, type OpenedFile } from "@hush/core";
import { convert, decodeInput, encodeOutput, inputFormat } from "../formats.ts";
import { readInputFile, writeFileAtomic, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";

/**
 * Opening an encrypted file for a change and writing the new version back: same data key, the
 * ciphertext of every unchanged value reused (spec 2.6), the metadata block written with the
 * indentation it already has, an atomic replace that keeps the file's mode.
 */

export interface OpenedInput {
  readonly file: string;
  readonly format: FileFormat;
  readonly opened: OpenedFile;
  /** Indentation of the existing metadata block (YAML), so rewriting it changes no lines. */
  readonly metadataIndent: number | undefined;
}

/** The indentation of a YAML file's `sops:` block, if it has one. */
export function yamlMetadataIndent(text: string): number | undefined {
  const m = /^sops:[ \t]*\r?\n( +)\S/m.exec(text);
  return m === null ? undefined : m[1]!.length;
}

/** Reads and decrypts `file` (MAC checked unless `ignoreMac`). */
export async function openEncryptedFile(io: CliIo, file: string, flags: { inputType?: string; ignoreMac?: boolean }): Promise<OpenedInput> {
  const format = inputFormat(flags.inputType, file, "binary");
  const bytes = readInputFile(file);
  const text = decodeInput(bytes, format === "binary" ? "json" : format, file);
  try {
    const opened = await openText(text, { format, keySources: createKeySourceResolver(io.env), ignoreMac: flags.ignoreMac === true });
    return { file, format, opened, metadataIndent: format === "yaml" ? yamlMetadataIndent(text) : undefined };
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
}

function versionParts(v: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** SOPS's edit bumps `version` to its own when the file's is older. */
export function newerVersion(fileVersion: string): string {
  const a = versionParts(fileVersion);
  const b = versionParts(SOPS_FORMAT_VERSION)!;
  if (a === undefined) return fileVersion;
  for (let i = 0; i < 3; i++) {
    if (a[i]! < b[i]!) return SOPS_FORMAT_VERSION;
    if (a[i]! > b[i]!) return fileVersion;
  }
  return fileVersion;
}

/**
 * Encrypts `plaintext` (in `input.format`) as the next version of `input` and returns the
 * bytes, converted to `outputType` when given.
 */
export async function reencrypt(
  io: CliIo,
  input: OpenedInput,
  plaintext: string,
  options: { outputType?: FileFormat; indent?: number; bumpVersion?: boolean } = {},
): Promise<Buffer> {
  const out = options.outputType ?? input.format;
  const text = out === input.format ? plaintext : await convert(plaintext, input.format, out, options.indent);
  const indent = options.indent ?? (out === input.format ? input.metadataIndent : undefined);
  const previous: OpenedFile = {
    ...input.opened,
    format: out,
    metadata: options.bumpVersion === true ? { ...input.opened.metadata, version: newerVersion(input.opened.metadata.version) } : input.opened.metadata,
  };
  try {
    const result = await encryptText(text, {
      format: out,
      keySources: createKeySourceResolver(io.env),
      previous,
      ...(indent === undefined ? {} : { emit: { indent } }),
    });
    return encodeOutput(result, out);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(input.file) : err;
  }
}

/** Replaces the encrypted file atomically (mode kept). */
export function writeEncrypted(file: string, bytes: Buffer): void {
  writeFileAtomic(file, bytes, { plaintext: false, newFileMode: 0o644 });
}
