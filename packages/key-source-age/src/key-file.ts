/**
 * Reads an identity file (SOPS_AGE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_*, the
 * default keys file) so that it cannot hang hush: `SOPS_AGE_KEY_FILE=/dev/zero` was read until
 * memory ran out, and a FIFO nothing writes to waited forever in open(), with no signal acted on.
 */
import { constants, closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { readFileBounded } from "@hush/core";

/** The most an identity file may hold: thousands of keys, far more than anyone keeps in one. */
export const MAX_KEY_FILE_BYTES = 4 << 20;

/** How long to wait between reads of a pipe whose writer has not written yet. */
const PIPE_POLL_MS = 20;

/** An error with the reason a place's line shows, for a file that is not one to read. */
function refused(why: string): Error {
  return Object.assign(new Error(why), { refused: true });
}

/** Whether `err` came from {@link readKeyFile} refusing the file (its message is the whole reason). */
export function isRefusedKeyFile(err: unknown): boolean {
  return (err as { refused?: unknown } | null)?.refused === true;
}

/**
 * The bytes of the identity file at `path`. A regular file is read up to
 * {@link MAX_KEY_FILE_BYTES}; a pipe (`<(pass show age-key)`, a FIFO) only while something writes
 * to it, without blocking hush, up to the same bound; a device or socket is refused unread.
 * @throws the errors of node:fs (ENOENT, EACCES, EISDIR) as they are; a refused file's error
 *   (see {@link isRefusedKeyFile}) otherwise.
 */
export function readKeyFile(path: string): Buffer | Promise<Buffer> {
  const found = statSync(path);
  if (found.isDirectory()) throw Object.assign(new Error(`${path}: is a directory`), { code: "EISDIR" });
  if (found.isFIFO()) return readPipe(path);
  if (!found.isFile()) throw refused("not a file (a device or socket): set it to a file of identities");
  try {
    return readFileBounded(path, { maxBytes: MAX_KEY_FILE_BYTES });
  } catch (err) {
    // READ_FAILED: larger than the bound, or a file that never ends (/proc/self/pagemap).
    if ((err as { code?: unknown }).code === "READ_FAILED") throw refused(`${(err as Error).message}: set it to a file of identities`);
    throw err;
  }
}

/**
 * Reads a pipe without blocking: opened O_NONBLOCK (a FIFO nothing has opened for writing would
 * block the open itself), read while a writer holds it, waiting between reads on the event loop so
 * that signals are acted on. A pipe with no writer and nothing in it is refused.
 */
async function readPipe(path: string): Promise<Buffer> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    if (!fstatSync(fd).isFIFO()) throw refused("not a file (it changed as it was opened): set it to a file of identities");
    const chunks: Buffer[] = [];
    const buffer = Buffer.allocUnsafe(64 * 1024);
    let total = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        if ((err as { code?: unknown }).code !== "EAGAIN") throw err;
        await new Promise((resolve) => setTimeout(resolve, PIPE_POLL_MS));
        continue;
      }
      if (n === 0) {
        if (total === 0) throw refused("a pipe that nothing writes to: start the program that writes it first, or use SOPS_AGE_KEY_CMD");
        return Buffer.concat(chunks);
      }
      total += n;
      if (total > MAX_KEY_FILE_BYTES) throw refused(`a pipe that sent more than ${MAX_KEY_FILE_BYTES} bytes: set it to a file of identities`);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
}
