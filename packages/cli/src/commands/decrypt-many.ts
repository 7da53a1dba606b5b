import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { HushError, plaintextEncoding, printable } from "@hush/core";
import { convert, encodeText, inputFormat } from "../formats.ts";
import { checkWritableFile, writeFileAtomic, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { decryptInput, runDecrypt, sameFile, type DecryptFlags } from "./decrypt.ts";
import { parseIndent } from "./encrypt-options.ts";
import type { FileLock } from "../workflows/file-lock.ts";

/**
 * `hush decrypt FILE FILE...`: several files in one process (one start-up, one set of key
 * sources, key-service round trips overlapping), written in place (`-i`) or into a directory
 * (`--output-dir`). Never to standard output: YAML, JSON, dotenv, INI and TOML have no common
 * way to put several documents in one stream, and a deploy script that reads one would get a
 * mixture it cannot split. Every output is checked (no link, nothing but a regular file) and every
 * file decrypted before anything is written, so a file that cannot be opened or an output that
 * cannot be replaced leaves every output as it was.
 */

export interface DecryptManyFlags extends DecryptFlags {
  outputDir?: string;
}

/** Where each plaintext goes: in place, or the file's name inside `--output-dir`. */
function destinations(io: CliIo, files: readonly string[], flags: DecryptManyFlags): string[] {
  if (flags.inPlace === true) return [...files];
  const dir = flags.outputDir!;
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new HushError("WRITE_FAILED", `--output-dir ${printable(dir)}: not a directory (create it first, e.g. on a tmpfs)`, { located: true });
  const seen = new Map<string, string>();
  return files.map((file) => {
    const out = join(dir, basename(file));
    const earlier = seen.get(out);
    if (earlier !== undefined) throw new HushError("CONFLICTING_OPTIONS", `${printable(earlier)} and ${printable(file)} would both be written to ${printable(out)}; decrypt them into different directories`, { located: true });
    // However the directory is spelled (a link to it, /proc/self/cwd): the files would be
    // replaced with their plaintext, without the lock that -i takes.
    if (resolve(io.cwd, out) === resolve(io.cwd, file) || sameFile(resolve(io.cwd, dir), dirname(resolve(io.cwd, file)))) throw new HushError("CONFLICTING_OPTIONS", `${printable(file)}: --output-dir is the file's own directory; use -i to replace encrypted files with their plaintext`, { located: true });
    seen.set(out, file);
    return out;
  });
}

/** Decrypts `files` (one, or several with `-i` or `--output-dir`). */
export async function runDecryptMany(io: CliIo, files: readonly string[], flags: DecryptManyFlags): Promise<number> {
  if (files.length <= 1 && flags.outputDir === undefined) return runDecrypt(io, files[0], flags);
  if (flags.inPlace === true && flags.outputDir !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place and --output-dir cannot be used together", { located: true });
  if (flags.output !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--output names one file; for several files use --output-dir DIR or -i", { located: true });
  if (flags.extract !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--extract takes one file", { located: true });
  if (flags.inPlace !== true && flags.outputDir === undefined) {
    throw new HushError("CONFLICTING_OPTIONS", "several files are not decrypted to standard output (the documents could not be told apart): use --output-dir DIR, -i, or `hush exec-env FILE... -- PROGRAM` for environment variables", { located: true });
  }
  if (files.includes("-")) throw new HushError("CONFLICTING_OPTIONS", "standard input (-) has no file name to write to: decrypt it on its own", { located: true });
  const targets = destinations(io, files, flags);
  // A link or a directory at any output is refused before anything is decrypted or written:
  // found at its turn, it would leave the files before it decrypted and the command failed.
  for (const target of targets) checkWritableFile(target);
  const locks = flags.inPlace === true ? await lockAll(io, files) : [];
  try {
    await decryptAll(io, files, targets, flags);
  } finally {
    for (const lock of locks) lock.release();
  }
  return 0;
}

/**
 * Takes the lock of every file decrypted in place, as `decrypt -i` of one file does: a `hush set`
 * finishing meanwhile would be undone by the plaintext of the version before it. In the order of
 * the lock paths, so that two such commands naming the same files in another order do not each
 * hold one and wait for the other; a file named twice is locked once. Releases what it took when
 * one cannot be taken.
 */
async function lockAll(io: CliIo, files: readonly string[]): Promise<FileLock[]> {
  const { acquireFileLock, lockPathFor, lockWaitMs } = await import("../workflows/file-lock.ts");
  const byLock = new Map<string, string>();
  for (const file of files) if (!byLock.has(lockPathFor(file))) byLock.set(lockPathFor(file), file);
  const locks: FileLock[] = [];
  try {
    for (const path of [...byLock.keys()].sort()) locks.push(await acquireFileLock(byLock.get(path)!, { waitMs: lockWaitMs(io.env) }));
  } catch (err) {
    for (const lock of locks) lock.release();
    throw err;
  }
  return locks;
}

/** Decrypts every file, then, when all could be, writes every output. */
async function decryptAll(io: CliIo, files: readonly string[], targets: readonly string[], flags: DecryptManyFlags): Promise<void> {
  const keySources = createKeySourceResolver(io.env);
  const indent = parseIndent(flags.indent);
  const outFormat = flags.outputType === undefined ? undefined : inputFormat(flags.outputType, undefined);
  const settled = await Promise.allSettled(
    files.map(async (file) => {
      const { text, format } = await decryptInput(io, file, flags, keySources);
      try {
        return encodeText(await convert(text, format, outFormat ?? format, indent), plaintextEncoding(outFormat ?? format));
      } catch (err) {
        throw err instanceof HushError ? err.withFile(file) : err;
      }
    }),
  );
  // The first failure in the order the files were given, whichever finished first.
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  const outputs = settled.map((r) => (r as PromiseFulfilledResult<Buffer>).value);
  outputs.forEach((bytes, i) => {
    try {
      writeFileAtomic(targets[i]!, bytes, { plaintext: true });
    } catch (err) {
      throw err instanceof HushError ? err.withDetails(partlyWritten(targets, i, flags.inPlace === true)) : err;
    }
  });
}

/**
 * What a write that failed part way (a disk that filled up) leaves, said under its error: the
 * outputs before it hold their plaintext and the rest are as they were, so that a deploy script's
 * log, or a user of `-i`, knows which files are now plaintext without opening each.
 */
function partlyWritten(targets: readonly string[], failedAt: number, inPlace: boolean): string[] {
  const list = (paths: readonly string[]): string => paths.map((p) => printable(p)).join(", ");
  const done = targets.slice(0, failedAt);
  const left = targets.slice(failedAt);
  if (done.length === 0) return ["nothing was written"];
  if (!inPlace) return [`written already (plaintext): ${list(done)}`, `not written: ${list(left)}`];
  // Run again over every file, -i would stop at the first one, which holds plaintext now.
  return [`written already (plaintext, in place): ${list(done)}`, `still encrypted: ${list(left)}`, "next: once the cause is fixed, decrypt the files still encrypted"];
}
