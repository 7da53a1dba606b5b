import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from "node:fs";
import { checkString } from "./arguments.ts";
import { HushError } from "./errors.ts";

/** Names under which a shell hands a program a pipe: `<(cmd)`, `/dev/stdin`. */
const PIPE_NAME = /^\/(?:dev\/stdin|dev\/fd\/\d+|proc\/self\/fd\/\d+)$/;

/** How {@link readFileBounded} reads. */
export interface BoundedReadOptions {
  /**
   * Read only a regular file at the path itself: a symbolic link (even to a regular file), a pipe,
   * a device or a socket is refused unread. For a file of a repository's working tree that hush
   * reads on its own (not one the user named): git stores a committed link as its target's name,
   * so the file behind it is not the repository's, and it can be `/dev/zero` or a file of the
   * machine running hush.
   */
  readonly regularFileOnly?: boolean;
  /**
   * A regular file larger than this many bytes is refused unread; a pipe, once it has sent more.
   * Never above {@link MAX_DOCUMENT_BYTES}, which applies when it is not given.
   */
  readonly maxBytes?: number;
}

/**
 * The most bytes hush reads as one file or stream: the longest string JavaScript can hold
 * (2^29 − 24 UTF-16 units in V8), so that a document of this size can still become text. A larger
 * one could never be read; without a limit, `hush decrypt` of one failed only after reading it
 * whole, with V8's own words and no file named, and a stream that never ends (`/dev/zero` piped
 * in) was read until memory ran out.
 */
export const MAX_DOCUMENT_BYTES = 0x1fffffe8;

/** The limit a read applies: the caller's, never above {@link MAX_DOCUMENT_BYTES}. */
function documentByteLimit(maxBytes: number | undefined): number {
  return maxBytes === undefined ? MAX_DOCUMENT_BYTES : Math.min(maxBytes, MAX_DOCUMENT_BYTES);
}

/**
 * A file's bytes, read so that the file cannot make the read endless. A file in a cloned
 * repository can be a link to `/dev/zero`, to `/proc/self/pagemap` (a "regular" file of size 0
 * that never ends) or to `/proc/self/fd/1` (the program's own output pipe, which nobody will
 * write to): read as they are, each would hang the program or exhaust its memory. So a regular
 * file is read up to the size it reports and refused if it holds more (or if that is more than
 * `maxBytes`, at most {@link MAX_DOCUMENT_BYTES}); a pipe is read only when
 * it is named as one (`/dev/stdin`, `/dev/fd/N` from `<(cmd)`, or a FIFO made at that path), never
 * through a link from another name; anything else (a device, a socket) is refused unread.
 * @throws HushError READ_FAILED (located at `path`, which the message leaves for the caller to
 *   name), INVALID_ARGUMENT for a path that is not a string; the errors of node:fs (ENOENT,
 *   EACCES…) as they are, and EISDIR for a directory.
 */
export function readFileBounded(path: string, options: BoundedReadOptions = {}): Buffer {
  checkString(path, "the path");
  const maxBytes = documentByteLimit(options.maxBytes);
  const regularOnly = options.regularFileOnly === true;
  // The type is checked before opening: opening a device can itself do something (a terminal, a
  // tape), and opening a pipe waits for its writer.
  const found = regularOnly ? lstatSync(path) : statSync(path);
  if (found.isDirectory()) throw Object.assign(new Error(`${path}: is a directory`), { code: "EISDIR" });
  if (regularOnly && !found.isFile()) {
    throw notAFile(path, found.isSymbolicLink() ? "a symbolic link" : "a pipe, device or socket");
  } else if (found.isFIFO()) {
    if (!PIPE_NAME.test(path) && !lstatSync(path).isFIFO()) throw notAFile(path, "a link to a pipe");
  } else if (found.isSocket() && PIPE_NAME.test(path)) {
    // Standard input as Node, or a service manager, hands it to a program: one end of a socket
    // pair, which Linux does not let /dev/stdin be opened again; it is read where it already is.
    return readToEnd(path === "/dev/stdin" ? 0 : Number(path.slice(path.lastIndexOf("/") + 1)), path, maxBytes);
  } else if (!found.isFile()) {
    throw notAFile(path, "a device or socket");
  }
  // O_NOFOLLOW: a link put in the file's place after the check is refused too.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | (regularOnly ? constants.O_NOFOLLOW : 0));
  try {
    const st = fstatSync(fd);
    if (st.isFIFO() !== found.isFIFO() || !(st.isFIFO() || st.isFile())) throw notAFile(path, "it changed as it was opened");
    if (st.isFIFO()) return readToEnd(fd, path, maxBytes);
    if (st.size > maxBytes) throw tooLarge(path, maxBytes);
    const bytes = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, bytes, read, st.size - read, null);
      if (n === 0) return bytes.subarray(0, read); // it shrank as it was read
      read += n;
    }
    // A whole page: some such files refuse reads that are not a multiple of 8 bytes.
    if (readSync(fd, Buffer.allocUnsafe(4096), 0, 4096, null) !== 0) throw notAFile(path, "a file that holds more than its size says, such as /proc/self/pagemap");
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function notAFile(path: string, what: string): HushError {
  return new HushError("READ_FAILED", `not a regular file (${what})`, { location: { file: path } });
}

function tooLarge(path: string, maxBytes: number): HushError {
  return new HushError("READ_FAILED", tooLargeMessage(maxBytes), { location: { file: path } });
}

/** What a file or stream above `maxBytes` is told; at {@link MAX_DOCUMENT_BYTES}, that no limit reaches further. */
export function tooLargeMessage(maxBytes: number): string {
  return maxBytes === MAX_DOCUMENT_BYTES ? `larger than ${maxBytes} bytes (512 MiB), the most hush reads as one file` : `larger than ${maxBytes} bytes`;
}

/**
 * A pipe's bytes to its end (a writer of short lines gives short reads: each is copied out of one
 * buffer), refused as soon as more than `maxBytes` arrived: a pipe has no size to check first.
 * @throws HushError READ_FAILED naming `path` past `maxBytes`
 */
export function readToEnd(fd: number, path: string, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (err) {
      throw unreadableStream(err, fd, path);
    }
    if (n === 0) return Buffer.concat(chunks);
    total += n;
    if (total > maxBytes) throw tooLarge(path, maxBytes);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
}

/**
 * What a socket's read error says: a listening socket (systemd's `Accept=no` hands one over, to
 * accept connections on) has no data, and Linux refuses its read with EINVAL (ENOTCONN for TCP);
 * a non-blocking one (its maker set O_NONBLOCK, as an event loop does) says EAGAIN when its data
 * has not come yet. Node has no synchronous wait for readability, and clearing the flag would
 * clear it for every holder of that open file, the program that handed it over included, whose
 * event loop would then hang in a read: it is refused with the way round. Anything else stays as
 * it is.
 */
function unreadableStream(err: unknown, fd: number, path: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  let socket = false;
  try {
    socket = fstatSync(fd).isSocket();
  } catch {
    // closed under us: the read's own error says enough
  }
  if (!socket) return err;
  if (code === "EINVAL" || code === "ENOTCONN") {
    return new HushError("READ_FAILED", "a socket with no connection to read (a listening socket, as a service's Accept=no hands over); next: give hush a connected socket, a pipe or a file", { location: { file: path } });
  }
  if (code === "EAGAIN") {
    return new HushError("READ_FAILED", "a non-blocking socket, whose data had not come when hush read it (EAGAIN); next: give it as standard input (-), or through a pipe or a file", { location: { file: path } });
  }
  return err;
}

