import { accessSync, closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, linkSync, lstatSync, openSync, readlinkSync, realpathSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { deferSignalCleanups, HushError, isCleanupListener, MAX_DOCUMENT_BYTES, printable, readFileBounded, safeJson, tooLargeMessage, userEnvironment, type BoundedReadOptions } from "@hush/core";
import { refuseLinkedDirectory } from "./work-tree-links.ts";

export { readFileBounded, type BoundedReadOptions };

/** Everything the CLI touches outside itself; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * The file descriptor behind `stdout` while that is the process's own and not yet built as a
   * stream (see start.ts); undefined otherwise. {@link writeOutput} writes to it directly.
   */
  readonly stdoutFd?: number | undefined;
}

/**
 * The environment a child process (git, the editor, `exec`'s command) gets: the command's
 * variables that are set, as spawn wants them, with the user's values of those hush set in its
 * own environment for itself (`userEnvironment`). The record has no prototype, so that a variable
 * set on it later by name (`__proto__` from a file `exec-env` reads) is a variable like any other.
 */
export function childEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return userEnvironment(env);
}

/**
 * What a file name's bytes that are not UTF-8 become on hush's command line, which is text: such
 * a name names another file, one that (almost always) does not exist.
 */
const REPLACED_BYTES = "\uFFFD";
const REPLACED_NAME = "the name holds U+FFFD, which a name that is not UTF-8 becomes on the command line";

/**
 * Reads a file as bytes ({@link readFileBounded}, with `options`), with SOPS's "no file" exit
 * status when it is missing. Errors name it as `shown` (as the user named it, or relative to the
 * working directory for a file found in a directory), escaped: a walked name is a repository's.
 */
export function readInputFile(path: string, options: BoundedReadOptions = {}, shown = path): Buffer {
  const name = printable(shown, 4096);
  try {
    return readFileBounded(path, options);
  } catch (err) {
    if (err instanceof HushError) {
      // The advice fits a link, device or socket given as the file; not a file above the limit.
      const advice = err.message.startsWith("not a regular file") ? "; name the file itself, or pipe it in as standard input" : "";
      throw new HushError(err.code, `${name}: ${err.message}${advice}`, { located: true });
    }
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") {
      const why = path.includes(REPLACED_BYTES) ? `; ${REPLACED_NAME}: rename the file to open it` : "";
      throw new HushError("FILE_NOT_FOUND", `${name}: no such file${why}`, { located: true });
    }
    if (code === "EISDIR") throw new HushError("READ_FAILED", `${name}: is a directory`, { located: true });
    throw new HushError("READ_FAILED", `${name}: cannot read (${code ?? "error"})`, { located: true });
  }
}

/**
 * A command that reads standard input when no file is named does not wait on a terminal: typed
 * alone (`hush decrypt`), it would sit there silently reading what the user types. It says the
 * file is missing instead, as SOPS's flag form does; `-` names standard input, a terminal too.
 * @throws HushError NO_FILE
 */
export function requireFileOrInput(io: CliIo, named: string | undefined): void {
  if (named === undefined && (io.stdin as { isTTY?: boolean }).isTTY === true) {
    throw new HushError("NO_FILE", "Error: no file specified (name the file, or - to read standard input)", { located: true });
  }
}

/**
 * A stream's bytes to its end (standard input, as `-` or a command's default), refused as soon as
 * more than {@link MAX_DOCUMENT_BYTES} arrived, as a file of that size is: `hush decrypt -` fed
 * `/dev/zero`, or a pipe that never ends, would otherwise be read until memory runs out.
 * `name` is what the error calls the stream.
 * @throws HushError READ_FAILED located at `name`
 */
export async function readAll(stream: NodeJS.ReadableStream, name = "stdin"): Promise<Buffer> {
  if (stream === process.stdin) refuseDirectoryInput(name);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > MAX_DOCUMENT_BYTES) throw new HushError("READ_FAILED", `${name}: ${tooLargeMessage(MAX_DOCUMENT_BYTES)}`, { located: true });
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/**
 * Refuses a directory as the process's standard input (`hush decrypt - < secrets/`, a secret
 * volume mounted as a directory where a file was meant): Node gives such a descriptor a stream
 * that is empty, so it read as an empty document and failed as "not encrypted" (`decrypt`, exit
 * 1), or passed as one (`filestatus`: `{"encrypted":false}`, exit 0).
 * @throws HushError READ_FAILED, as a directory named as the file is
 */
function refuseDirectoryInput(name: string): void {
  let directory = false;
  try {
    directory = fstatSync(0).isDirectory();
  } catch {
    // no descriptor 0 to look at: the stream says what there is
  }
  if (directory) throw new HushError("READ_FAILED", `${name}: is a directory`, { located: true, hint: "name the file, or redirect standard input from a file" });
}

/** The owner and mode an existing file keeps when it is replaced. */
interface ExistingFile {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? "error";
}

/**
 * Checks, without following a link, that `path` may be replaced: it is missing (and its name
 * is not one the command line changed, see {@link REPLACED_BYTES}) or a regular file. A symbolic
 * link is refused: a link committed to a repository (`.gitattributes` pointing
 * at `~/.bashrc`, an encrypted file pointing at a credentials file) would otherwise have hush
 * write into a file the user never named. So is a path through a directory link inside a git
 * work tree (see {@link refuseLinkedDirectory}): the file, its lock and temporary files would be
 * made wherever the link leads. Call it before any work that would be lost (an editor session,
 * several writes that belong together); {@link writeFileAtomic} checks again.
 */
export function checkWritableFile(path: string): ExistingFile | undefined {
  refuseLinkedDirectory(path);
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw new HushError("WRITE_FAILED", `${printable(path)}: cannot write (${errorCode(err)})`, { located: true });
    // `hush edit` of such a name would make a new file beside the one meant.
    if (path.includes(REPLACED_BYTES)) {
      throw new HushError("WRITE_REFUSED", `${printable(path)}: no such file, and ${REPLACED_NAME}: hush would write a file of another name; rename the file, or give a name in UTF-8`, {
        located: true,
      });
    }
    return undefined;
  }
  if (st.isSymbolicLink()) {
    let target = "?";
    try {
      target = readlinkSync(path);
      target = realpathSync(path);
    } catch {
      // dangling: name what the link says
    }
    throw new HushError(
      "WRITE_REFUSED",
      `${printable(path)} is a symbolic link (to ${printable(target)}); hush does not write through links: name the real file if you mean it, or replace the link with a regular file`,
      { located: true },
    );
  }
  if (!st.isFile()) throw new HushError("WRITE_REFUSED", `${printable(path)}: not a regular file; hush replaces only regular files`, { located: true });
  refuseReadOnly(path, st.mode & 0o7777);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/**
 * Refuses a file the user may not write. hush replaces a file through a new one beside it, which
 * only the directory's permission allows, so a file made read-only (`chmod a-w`, or checked out
 * so until it is locked for you) was replaced anyway, its read-only mode kept; SOPS, which writes
 * into the file, refuses it. root may write any file, as with SOPS.
 */
function refuseReadOnly(path: string, mode: number): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (err) {
    const code = errorCode(err);
    if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") return;
    const why = code === "EROFS" ? "it is on a read-only file system" : `you may not write it (mode ${mode.toString(8).padStart(4, "0")})`;
    throw new HushError("WRITE_REFUSED", `${printable(path)}: ${why}; hush does not replace a file you may not write: make it writable (chmod u+w) if you mean to change it`, { located: true });
  }
}

/**
 * The error for a file hush cannot write because it cannot create files in its `directory`:
 * the directory is missing (`code` ENOENT), or hush may not create files there (EACCES, EPERM),
 * which SOPS, writing into the file itself, does not need. Names the directory. Undefined for
 * other codes, whose system error says enough.
 */
export function cannotCreateBeside(path: string, directory: string, code: string): HushError | undefined {
  const shown = printable(resolve(directory));
  const why =
    code === "ENOENT"
      ? `no such directory ${shown}; create it first`
      : code === "EACCES" || code === "EPERM"
        ? `hush replaces a file through new files beside it, and may not create files in ${shown}`
        : undefined;
  return why === undefined ? undefined : new HushError("WRITE_FAILED", `${printable(path)}: cannot write (${code}): ${why}`, { located: true });
}

/** Gives the temporary file the replaced file's owner and group (root: always; others: as far as allowed). */
function keepOwner(fd: number, existing: ExistingFile): void {
  const euid = process.geteuid?.();
  if (euid === undefined || (existing.uid === euid && existing.gid === process.getegid?.())) return;
  try {
    fchownSync(fd, existing.uid, existing.gid);
  } catch (err) {
    // Only root may give a file away; a user who cannot keeps at least the group where allowed.
    if (euid === 0) throw err;
    try {
      fchownSync(fd, euid, existing.gid);
    } catch {
      // not a member of that group: the file becomes the user's, as any editor's save would
    }
  }
}

const NEW_FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * What a write holds, stated at every call site. Plaintext (decrypted values, a secret key) is
 * written 0600 and owned by the caller, whatever was at the path: a file planted there by someone
 * else (owned by them, world-readable) must not pass its owner or mode on to the secrets.
 * Anything else (ciphertext, configuration) keeps the replaced file's mode, owner and group, so
 * that `sudo hush set` leaves the user's file the user's.
 */
export type WriteContent = (
  | { readonly plaintext: true }
  | {
      readonly plaintext: false;
      /** Mode of a new file (default 0644, less the umask). */
      readonly newFileMode?: number;
      /** Forces this mode on new and existing files alike. */
      readonly mode?: number;
    }
) & {
  /**
   * Never replace a file: the written file is linked into place, which fails when a file of that
   * name appeared meanwhile (a rename would replace it). For files whose loss cannot be undone,
   * such as a new key file.
   */
  readonly newFileOnly?: boolean;
};

/** Mode of every plaintext file hush writes. */
const PLAINTEXT_MODE = 0o600;

/**
 * The bytes of a file written piece by piece: called once with `write`, which appends to the new
 * file. For a result too large to hold in memory (the merge driver's conflict over huge files).
 */
export type PiecewiseContent = (write: (bytes: Buffer | string) => void) => void;

/**
 * Ends hush on SIGQUIT (Ctrl+\) with 128 + 3 when no command handles it: by default the signal
 * ends a Node process with a core dump, the decrypted values in it, written where the system keeps
 * cores (`core` in the working directory, a repository; systemd-coredump's store). A command's
 * own handler (exec's, edit's, a write's hold) takes it first and ends hush its own way.
 */
function quitWithoutCoreDump(): void {
  if (hasCommandHandler("SIGQUIT")) return;
  process.exit(128 + 3);
}

/** Installs {@link quitWithoutCoreDump} for the whole run: call it once, at start-up. */
export function handleQuitWithoutCoreDump(): void {
  process.on("SIGQUIT", quitWithoutCoreDump);
}

/**
 * Whether a handler other than {@link quitWithoutCoreDump} and clean-up listeners (a lock's, a key
 * command's: they end hush by the signal themselves) is installed for `signal`.
 */
function hasCommandHandler(signal: NodeJS.Signals): boolean {
  return process.listeners(signal).some((listener) => listener !== quitWithoutCoreDump && !isCleanupListener(listener));
}

/** The signals that end hush by default and are held off while a temporary file exists. */
const HELD_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
/** How many writes hold the signals off now, counting those waiting for the event loop. */
let holding = 0;
/** Ends the deferral of core's signal clean-ups that the current hold started. */
let endCleanupDeferral: (() => void) | undefined;
/** The first signal that came while they were held off. */
let heldSignal: NodeJS.Signals | undefined;
const noteSignal = (signal: NodeJS.Signals): void => {
  heldSignal ??= signal;
};

/**
 * Holds off SIGINT, SIGTERM, SIGHUP and SIGQUIT while a temporary file exists. Without a handler,
 * Ctrl+C during a long write (a large `decrypt --output`, its fsync) ends hush on the spot and
 * leaves the temporary file, plaintext for `decrypt -i` and `--output`, beside the target, under a
 * name `hush git setup` tells git to ignore. With one, the signal reaches JavaScript only once the
 * write (synchronous) is over. The returned function ends the hold; a signal that came meanwhile
 * is raised again then, unless a command's own handler took it (an editor session's). The hold
 * lasts two turns of the event loop: a signal is read in the poll phase, which the first turn
 * may have passed already. Every temporary file hush makes beside a target (a write's, a lock's)
 * is made under it.
 */
export function holdSignals(): () => void {
  if (holding++ === 0) {
    for (const s of HELD_SIGNALS) process.on(s, noteSignal);
    endCleanupDeferral = deferSignalCleanups();
  }
  return () => {
    setImmediate(() =>
      setImmediate(() => {
        if (--holding > 0) return;
        for (const s of HELD_SIGNALS) process.removeListener(s, noteSignal);
        endCleanupDeferral?.();
        endCleanupDeferral = undefined;
        const signal = heldSignal;
        heldSignal = undefined;
        if (signal !== undefined && !hasCommandHandler(signal)) process.kill(process.pid, signal);
      }),
    );
  };
}

/**
 * The one way hush replaces a file: a temporary file created beside it (O_EXCL|O_NOFOLLOW, so
 * no planted name or link is ever opened), the bytes, fsync, rename over the name, then fsync of
 * the directory. A crash at any moment leaves the old file or the new one, never a truncated
 * one. Owner and mode follow `content` (see {@link WriteContent}). A symbolic link or anything
 * but a regular file at `path` is refused (see {@link checkWritableFile}); the rename replaces a
 * directory entry and never writes through one, so a link planted after the check is replaced,
 * not followed. `data` is the bytes, or a {@link PiecewiseContent} that writes them in pieces.
 * Termination signals wait until the temporary file is renamed or removed (see {@link holdSignals}).
 */
export function writeFileAtomic(path: string, data: Buffer | string | PiecewiseContent, content: WriteContent): void {
  const release = holdSignals();
  try {
    replaceFile(path, data, content);
  } finally {
    release();
  }
}

function replaceFile(path: string, data: Buffer | string | PiecewiseContent, content: WriteContent): void {
  const found = checkWritableFile(path);
  // Plaintext never takes anything from the file it replaces.
  const existing = content.plaintext ? undefined : found;
  const forced = content.plaintext ? PLAINTEXT_MODE : content.mode;
  const mode = forced ?? existing?.mode ?? (content.plaintext ? PLAINTEXT_MODE : (content.newFileMode ?? 0o644));
  const tmp = join(dirname(path), `.${basename(path)}.hush-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  let created = false;
  try {
    fd = openSync(tmp, NEW_FILE_FLAGS, mode);
    created = true;
    if (existing !== undefined) keepOwner(fd, existing);
    // The umask narrowed the temp file's mode, and a change of owner clears set-id bits.
    if (existing !== undefined || forced !== undefined) fchmodSync(fd, mode);
    const target = fd;
    const write = (piece: Buffer | string): void => {
      const bytes = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
      let off = 0;
      while (off < bytes.length) off += writeSync(target, bytes, off, bytes.length - off);
    };
    if (typeof data === "function") data(write);
    else write(data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (content.newFileOnly === true) placeNewFile(tmp, path);
    else renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    // A piecewise writer's own error (a source it copies from) says what it is.
    if (err instanceof HushError) throw err;
    if (!created) {
      const refused = cannotCreateBeside(path, dirname(path), errorCode(err));
      if (refused !== undefined) throw refused;
    }
    throw new HushError("WRITE_FAILED", `${printable(path)}: cannot write (${errorCode(err)})`, { located: true });
  }
  try {
    const dfd = openSync(dirname(path), "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directories cannot be fsynced everywhere; the rename is still atomic
  }
}

/**
 * Puts the finished temporary file `tmp` at `path` only if nothing is there: a hard link fails
 * with EEXIST, atomically, where a rename would replace the file. A file system without hard
 * links gets the rename, after a last look.
 * @throws HushError WRITE_FAILED "already exists" when a file of that name is there
 */
function placeNewFile(tmp: string, path: string): void {
  try {
    linkSync(tmp, path);
  } catch (err) {
    const code = errorCode(err);
    if (code === "EEXIST") throw new HushError("WRITE_FAILED", `${printable(path)}: already exists, not replacing it`, { located: true });
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
    // lstat, not exists: a dangling link is something there too.
    let there = true;
    try {
      lstatSync(path);
    } catch {
      there = false;
    }
    if (there) throw new HushError("WRITE_FAILED", `${printable(path)}: already exists, not replacing it`, { located: true });
    renameSync(tmp, path);
    return;
  }
  unlinkSync(tmp);
}

/**
 * Writes a command's output to stdout and waits until it is written. While stdout is the
 * process's own descriptor, the bytes go to it directly: building process.stdout loads net or fs
 * streams, which costs `hush decrypt` and textconv more start-up time than their work. A
 * descriptor that takes no more for now (a non-blocking pipe: EAGAIN) gets the rest through the
 * stream; a closed pipe ends hush quietly, as on the stream (see start.ts).
 */
export async function writeOutput(io: CliIo, data: Buffer | string): Promise<void> {
  const fd = io.stdoutFd;
  if (fd === undefined) return writeOut(io.stdout, data);
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(fd, bytes, written);
  } catch (err) {
    if (errorCode(err) === "EPIPE") exitOnClosedPipe();
    if (errorCode(err) !== "EAGAIN") throw new HushError("WRITE_FAILED", `stdout: cannot write (${errorCode(err)})`);
    await writeOut(io.stdout, bytes.subarray(written));
  }
}

/** The status {@link exitOnClosedPipe} ends hush with, when a command chose one. */
let closedPipeStatus: number | undefined;

/**
 * Makes a closed output end hush with `status` (see {@link exitOnClosedPipe}): a command that
 * stands for a program that dies of SIGPIPE there (`hush git log`, as git: 141) takes its status.
 */
export function setClosedPipeStatus(status: number): void {
  closedPipeStatus = status;
}

/**
 * `hush … | head` closes the pipe early: hush ends with its status so far (or the one its command
 * set with {@link setClosedPipeStatus}), without a message.
 */
export function exitOnClosedPipe(): never {
  process.exit(closedPipeStatus ?? process.exitCode ?? 0);
}

/** How many relays (see {@link takeWriteErrors}) handle each stream's write errors now. */
const errorTakers = new WeakMap<NodeJS.WritableStream, number>();

/**
 * Hands the write errors of `stream` to a relay of a command's output (`exec --redact`) until the
 * returned function is called: when the reader of hush's output goes away, the relay stops
 * reading from the command, which then meets the closed pipe at its next write as it would
 * without hush, and hush returns the command's status instead of ending at once with its own
 * (see start.ts, which leaves such errors alone).
 */
export function takeWriteErrors(stream: NodeJS.WritableStream): () => void {
  errorTakers.set(stream, (errorTakers.get(stream) ?? 0) + 1);
  let given = false;
  return () => {
    if (given) return;
    given = true;
    errorTakers.set(stream, (errorTakers.get(stream) ?? 1) - 1);
  };
}

/** Whether a relay handles the write errors of `stream` now (see {@link takeWriteErrors}). */
export function writeErrorsTaken(stream: NodeJS.WritableStream): boolean {
  return (errorTakers.get(stream) ?? 0) > 0;
}

/** Writes to a stream and waits until it is flushed. */
export function writeOut(stream: NodeJS.WritableStream, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * A command's `--json` report as printed: indented, one final line break, and the characters
 * `printable` escapes (bidirectional, C1 and other invisible ones, which `JSON.stringify` leaves
 * as they are) written as `\u` escapes ({@link safeJson}): file names, commit subjects and
 * recipients in it come from the repository, and the report lands on terminals and CI logs.
 */
export function jsonReport(data: unknown): string {
  return `${safeJson(JSON.stringify(data, null, 2))}\n`;
}
