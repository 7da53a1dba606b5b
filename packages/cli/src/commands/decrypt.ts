import { statSync } from "node:fs";
import { encryptedTextFormat, formatFromPath, getAtPath, HushError, printable, parseTreePath, readMetadata, readPlaintext, plaintextEncoding, readTree, renderExtracted, WHOLE_FILE_FORMAT, type FileFormat, type KeySourceResolver, type TreeMap, type ValuePlace } from "@hush/core";
import { convert, decodeInput, encodeText, inputFormat, NAME_GIVES_NO_FORMAT_NEXT_STEP, NOT_ENCRYPTED_NEXT_STEP } from "../formats.ts";
import { readAll, readInputFile, requireFileOrInput, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { emitResult, parseIndent } from "./encrypt-options.ts";

export interface DecryptFlags {
  inPlace?: boolean;
  output?: string;
  extract?: string;
  inputType?: string;
  outputType?: string;
  ignoreMac?: boolean;
  filenameOverride?: string;
  indent?: string;
}

/**
 * Decrypts a file (or stdin) to plaintext text in its own format; `unauthenticated` lists the
 * places (document and path) of values not bound to their key (see `OpenedFile.unauthenticated`);
 * with `valueTree`, `tree` is what the text reads as where the decryption could give it (core's
 * `ReadFile.tree`), for a caller that wants the values rather than the text.
 */
export async function decryptInput(
  io: CliIo,
  file: string | undefined,
  flags: DecryptFlags,
  keySources: KeySourceResolver = createKeySourceResolver(io.env),
  { valueTree = false }: { readonly valueTree?: boolean } = {},
): Promise<{ text: string; format: FileFormat; unauthenticated: readonly ValuePlace[]; tree?: TreeMap }> {
  const name = flags.filenameOverride ?? file;
  const named = inputFormat(flags.inputType, name, WHOLE_FILE_FORMAT);
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  // A binary envelope is JSON: read it as text even though its payload is bytes.
  const text = decodeInput(bytes, encryptedTextFormat(named), file ?? "stdin");
  const format = (await isBinaryEnvelopeToBinary(text, named, flags.outputType)) ? WHOLE_FILE_FORMAT : named;
  try {
    const opened = await readPlaintext(text, { format, keySources, ignoreMac: flags.ignoreMac === true, valueTree });
    if (flags.extract === undefined) warnUnauthenticatedComments(io, file ?? "stdin", opened.unauthenticatedComments);
    return { text: opened.plaintext, format, unauthenticated: opened.unauthenticated, ...(opened.tree === undefined ? {} : { tree: opened.tree }) };
  } catch (err) {
    if (!(err instanceof HushError)) throw err;
    // Standard input has no name to take a format from, so it was read as SOPS does (binary).
    if (err.code === "METADATA_MISSING" && name === undefined && flags.inputType === undefined && err.hint === undefined) {
      throw new HushError(err.code, err.message, { location: { file: "stdin" }, hint: "standard input has no file name to tell its format: give --input-type yaml, json, dotenv, ini, toml or binary", cause: err });
    }
    if (err.code === "METADATA_MISSING" && file !== undefined && err.details === undefined) {
      // SOPS's line first (scripts match on it), then what a newcomer does next.
      const guessed = flags.inputType === undefined && formatFromPath(name ?? file) === undefined;
      throw err.withFile(file).withDetails([guessed ? NAME_GIVES_NO_FORMAT_NEXT_STEP : NOT_ENCRYPTED_NEXT_STEP]);
    }
    throw err.withFile(file ?? "stdin");
  }
}

/**
 * SOPS's warning for a comment it found in clear: no MAC covers comments, so a branch can add one
 * (`# ops: run curl … | sh first`) to a file whose rule encrypts them, and the plaintext shows it
 * among the owner's.
 */
function warnUnauthenticatedComments(io: CliIo, file: string, lines: readonly number[]): void {
  if (lines.length === 0) return;
  const shown = lines.slice(0, 10).join(", ") + (lines.length > 10 ? `, … (${lines.length} in all)` : "");
  const which = lines.length === 1 ? `the comment at line ${shown} is` : `the comments at lines ${shown} are`;
  io.stderr.write(`hush: warning: ${printable(file, 4096)}: ${which} not encrypted (or did not authenticate), though the file's rule encrypts comments: anyone can add such a comment without the key\n`);
}

/**
 * True for a binary file's envelope read as JSON (a `.json` name) and written as binary: read as
 * the binary file it is, which is what SOPS's JSON-to-binary conversion gives. Read as JSON, its
 * bytes that are not UTF-8 would be text with U+FFFD in their place, and written out so.
 */
async function isBinaryEnvelopeToBinary(text: string, format: FileFormat, outputType: string | undefined): Promise<boolean> {
  if (format !== encryptedTextFormat(WHOLE_FILE_FORMAT) || outputType === undefined) return false;
  if (inputFormat(outputType, undefined) !== WHOLE_FILE_FORMAT) return false;
  return (await readMetadata(text, WHOLE_FILE_FORMAT).catch(() => undefined)) !== undefined;
}

/** `--extract`: a string prints raw, a map prints as a document, other values as the store writes them. */
async function extract(text: string, format: FileFormat, outFormat: FileFormat, pathText: string, indent: number | undefined): Promise<string> {
  let path;
  try {
    path = parseTreePath(pathText);
  } catch (err) {
    throw new HushError("INVALID_TREE_PATH", err instanceof Error ? err.message : String(err), { located: true });
  }
  const tree = await readTree(text, format);
  return renderExtracted(getAtPath(tree, path), outFormat, indent);
}

/** `hush decrypt [FILE]`: one file (`-` or none: standard input) to stdout, `--output` or in place. */
export async function runDecrypt(io: CliIo, named: string | undefined, flags: DecryptFlags): Promise<number> {
  requireFileOrInput(io, named);
  const file = named === "-" ? undefined : named;
  if (flags.inPlace === true && flags.output !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place and --output cannot be used together", { located: true });
  const replacesInput = flags.inPlace === true || (flags.output !== undefined && file !== undefined && sameFile(flags.output, file));
  if (!replacesInput || file === undefined) return decryptOne(io, file, flags);
  if (flags.extract !== undefined) throw extractOverInput(file, flags);
  // In place (-i, or --output naming the file itself, as `sops -d --output f f` does), the file
  // is read and replaced under the lock `set` and `edit` hold: without it, a `hush set`
  // finishing meanwhile would be undone by the plaintext of the version before it.
  const { withFileLock, lockWaitMs } = await import("../workflows/file-lock.ts");
  return withFileLock(file, () => decryptOne(io, file, flags), { waitMs: lockWaitMs(io.env) });
}

/**
 * `--extract` with `-i`, or with `--output` naming the file itself: the result is one value, and
 * written over the file it would leave that value alone in it, every other value and the
 * encryption gone (SOPS writes it all the same). Refused before anything is read or written.
 */
function extractOverInput(file: string, flags: DecryptFlags): HushError {
  const how = flags.inPlace === true ? "--extract with --in-place" : "--extract with --output naming the file itself";
  return new HushError("CONFLICTING_OPTIONS", `${how} would replace the whole file with the one value it extracts, and lose every other value; nothing was written`, {
    location: { file },
    details: [`next: print the value (leave out ${flags.inPlace === true ? "-i" : "--output"}), or write it to another file with --output`],
  });
}

/** Whether `a` and `b` name one existing file (one device and inode), whatever the spelling. */
export function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

async function decryptOne(io: CliIo, file: string | undefined, flags: DecryptFlags): Promise<number> {
  const { text, format } = await decryptInput(io, file, flags);
  const outFormat = flags.outputType === undefined ? format : inputFormat(flags.outputType, undefined);
  const indent = parseIndent(flags.indent);
  let out: string;
  try {
    out = flags.extract !== undefined ? await extract(text, format, outFormat, flags.extract, indent) : await convert(text, format, outFormat, indent);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file ?? "stdin") : err;
  }
  await emitResult(io, flags, file, encodeText(out, flags.extract !== undefined && plaintextEncoding(format) === "latin1" ? "latin1" : plaintextEncoding(outFormat)), { plaintext: true });
  return 0;
}
