import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { HushError } from "@hush/core";
import { writeFileAtomic, type CliIo } from "../../io.ts";
import { byteLimit } from "./byte-limit.ts";

/**
 * The merge driver's bound on its input. git runs the driver on every routine `git merge` or
 * `git pull` that touches a file, and a branch can commit a file of any size: decrypting,
 * merging and re-encrypting a 100 MB file would take minutes and much memory on every
 * teammate's machine. Above the bound nothing is read into memory: the file becomes one
 * conflict of the whole versions, copied piece by piece.
 */

/** The environment variable that sets the largest version (base, ours or theirs) the merge driver reads, in bytes. */
export const MERGE_MAX_BYTES_ENV = "HUSH_MERGE_MAX_BYTES";

/**
 * The default largest version the merge driver reads: 8 MiB, well above real configuration files
 * (20,000 values take 3.1 MB and merge in 3 to 5 s) and half of a size whose merge no routine
 * pull should pay for (a 16 MB file of 110,000 values takes about 30 s and 1.1 GB; see docs/git.md).
 */
export const DEFAULT_MERGE_MAX_BYTES = 8 * 1024 * 1024;

/** The limit from HUSH_MERGE_MAX_BYTES (a byte count, optionally with a K, M or G suffix), else the default. */
export function mergeSizeLimit(io: CliIo): number {
  return byteLimit(io, MERGE_MAX_BYTES_ENV, DEFAULT_MERGE_MAX_BYTES);
}

/** One of the versions git hands the merge driver. */
export interface MergeVersion {
  /** How the messages name it ("ours", "theirs", "the common ancestor"). */
  readonly name: string;
  readonly path: string;
}

/**
 * The first version whose size (as the file system reports it, nothing read) is above `limit`,
 * or undefined. A path that cannot be looked at is left to the read that follows, which reports it.
 */
export function oversizedVersion(versions: readonly MergeVersion[], limit: number): { readonly name: string; readonly size: number } | undefined {
  for (const v of versions) {
    let size: number;
    try {
      size = statSync(v.path).size;
    } catch {
      continue;
    }
    if (size > limit) return { name: v.name, size };
  }
  return undefined;
}

/** How much of a version is held in memory at once while it is copied. */
const PIECE_BYTES = 1024 * 1024;

/**
 * Copies a regular file's bytes, up to the size it reports, to `write` in pieces; returns its
 * last byte (undefined when empty). `firstOnly`: stops after the first piece.
 * @throws HushError READ_FAILED when it is not a regular file or cannot be read
 */
function copyVersion(path: string, write: (bytes: Buffer) => void, firstOnly = false): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY);
  } catch (err) {
    throw new HushError("READ_FAILED", `${path}: cannot read (${(err as { code?: string }).code ?? "error"})`, { located: true });
  }
  try {
    const st = fstatSync(fd);
    // A regular file is read up to the size it reports: nothing git hands the driver is endless.
    if (!st.isFile()) throw new HushError("READ_FAILED", `${path}: not a regular file`, { located: true });
    const piece = Buffer.allocUnsafe(Math.min(PIECE_BYTES, Math.max(st.size, 1)));
    let last: number | undefined;
    for (let done = 0; done < st.size; ) {
      const n = readSync(fd, piece, 0, Math.min(piece.length, st.size - done), null);
      if (n === 0) break; // it shrank as it was read
      write(piece.subarray(0, n));
      last = piece[n - 1];
      done += n;
      if (firstOnly) break;
    }
    return last;
  } finally {
    closeSync(fd);
  }
}

/** How every encrypted value of a SOPS file begins. */
const ENCRYPTED_VALUE = Buffer.from("ENC[AES256_GCM,");

/**
 * Whether a regular file's bytes hold the start of an encrypted value anywhere, read piece by
 * piece (a piece's last bytes are looked at again with the next one, for a value cut between them).
 * @throws HushError READ_FAILED when it is not a regular file or cannot be read
 */
export function holdsEncryptedValue(path: string): boolean {
  let found = false;
  let tail = Buffer.alloc(0);
  copyVersion(path, (bytes) => {
    if (found) return;
    const window = Buffer.concat([tail, bytes]);
    found = window.includes(ENCRYPTED_VALUE);
    tail = window.subarray(Math.max(0, window.length - (ENCRYPTED_VALUE.length - 1)));
  });
  return found;
}

/**
 * Replaces ours (`versions.ours`) with the whole of ours, the base (when given and not empty) and
 * theirs as one conflict block, as the driver's other fallbacks do for encrypted files (a line
 * merge of ciphertext would pair one side's key entries and MAC with the other's values). Each
 * version is copied in pieces, so none is ever held whole in memory; the markers end their lines
 * with CRLF when ours' first piece has one, else LF. Nothing is decrypted.
 */
export function writeWholeVersionsConflict(versions: { readonly ours: string; readonly base: string | undefined; readonly theirs: string }, markerSize: number): void {
  let eol = "\n";
  copyVersion(versions.ours, (bytes) => (eol = bytes.includes("\r\n") ? "\r\n" : "\n"), true);
  const base = versions.base === undefined || statSync(versions.base).size === 0 ? undefined : versions.base;
  writeFileAtomic(
    versions.ours,
    (write) => {
      const side = (marker: string, path: string): void => {
        write(`${marker}${eol}`);
        const last = copyVersion(path, write);
        // The next marker starts a line of its own.
        if (last !== undefined && last !== 0x0a) write(eol);
      };
      side(`${"<".repeat(markerSize)} ours`, versions.ours);
      if (base !== undefined) side(`${"|".repeat(markerSize)} base`, base);
      side("=".repeat(markerSize), versions.theirs);
      write(`${">".repeat(markerSize)} theirs${eol}`);
    },
    { plaintext: false },
  );
}
