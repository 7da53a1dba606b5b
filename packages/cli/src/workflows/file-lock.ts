import { closeSync, constants, fstatSync, linkSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { HushError, onSignalCleanup, printable } from "@hush/core";
import { checkWritableFile, cannotCreateBeside, holdSignals } from "../io.ts";

/**
 * One writer per encrypted file. Two `hush set` on the same file at once would otherwise both
 * read version N and the second rename would drop the first one's change. The lock is a file
 * `.NAME.hush-lock` beside the target, created atomically (hard link of a finished temp file, so
 * it is never seen half-written) and holding `PID HOST`. A lock whose process is gone (SIGKILL,
 * power loss) is stale and is taken over; a live one is waited for briefly, then refused.
 */

/** A held lock. */
export interface FileLock {
  readonly path: string;
  /** Removes the lock if it is still ours. Safe to call more than once. */
  release(): void;
}

const held = new Set<FileLock>();
let exitHookInstalled = false;
/**
 * Removes the signal clean-up while locks are held. A termination signal ends hush without its
 * exit hook: the lock stayed (`hush set` killed while a key command ran), and the next writer had
 * to find it stale. Only when hush ends by the signal here: a command's own handler (an editor
 * session's) ends hush by process.exit(), whose hook removes it.
 */
let removeSignalCleanup: (() => void) | undefined;

function releaseAll(): void {
  for (const lock of [...held]) lock.release();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() from a signal handler skips finally blocks; locks must not outlive us.
  process.on("exit", releaseAll);
}

/**
 * Path of the lock file for `file`: beside it, in its directory's real path so that every name
 * of the directory shares one lock. The file itself may not be a link (writes refuse links).
 */
export function lockPathFor(file: string): string {
  let dir = dirname(file);
  try {
    dir = realpathSync(dir);
  } catch {
    // reported when the file is read or written
  }
  return join(dir, `.${basename(file)}.hush-lock`);
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: string }).code === "EPERM";
  }
}

/** What is at a lock path, read without following a link and never more than a lock holds. */
type LockState =
  | { readonly kind: "missing" }
  /** A symbolic link, directory, FIFO…: hush never makes one, so it is not ours to read or remove. */
  | { readonly kind: "foreign" }
  /** `owner` is `PID HOST` when the content has that form, else undefined (empty or garbled). */
  | { readonly kind: "lock"; readonly content: string; readonly owner: { pid: number; host: string } | undefined; readonly ageMs: number };

const LOCK_READ_MAX = 300;
const OWNER = /^(\d{1,10}) ([\x21-\x7e]{1,255})\n?$/;

function readLock(path: string): LockState {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "foreign" }; // ELOOP: a symbolic link
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: "foreign" };
    const buf = Buffer.alloc(LOCK_READ_MAX);
    const n = readSync(fd, buf, 0, LOCK_READ_MAX, 0);
    const content = buf.subarray(0, n).toString("latin1");
    const m = OWNER.exec(content);
    return { kind: "lock", content, owner: m === null ? undefined : { pid: Number(m[1]), host: m[2]! }, ageMs: Date.now() - st.mtimeMs };
  } catch {
    return { kind: "foreign" };
  } finally {
    closeSync(fd);
  }
}

/** Whether a lock names a process on this host that no longer runs, or is garbled and abandoned. */
function isStale(lock: Extract<LockState, { kind: "lock" }>): boolean {
  // Empty or garbled (an older writer, a crash): stale once it is clearly abandoned.
  if (lock.owner === undefined) return lock.ageMs > 5_000;
  if (lock.owner.host !== hostname()) return false;
  return !processAlive(lock.owner.pid);
}

/**
 * Creates the lock at `path` holding `content`, or returns false when a lock is there. The
 * temporary file it is made from is removed on every path: a full disk fails the write (ENOSPC,
 * or a short write under a file size limit), and the command's error must not leave a file behind,
 * nor a lock holding part of `content`, which would then not be recognised as ours to remove.
 */
function tryCreate(path: string, content: string): boolean {
  // A SIGTERM while the temporary file exists (hush waiting for another writer's lock, retrying
  // every few milliseconds) ended hush on the spot and left it: held off until it is gone.
  const release = holdSignals();
  try {
    return createFromTemporary(path, content);
  } finally {
    release();
  }
}

function createFromTemporary(path: string, content: string): boolean {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      const bytes = Buffer.from(content, "utf8");
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    // link() never follows or replaces what is at `path`: it fails when anything is there.
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") return false;
    throw err;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // gone already
    }
  }
}

/**
 * Moves a stale lock aside; if what was moved turns out to be a live lock, puts it back.
 * Returns false when the lock could not be moved (the caller waits instead of retrying at once).
 */
function breakStale(path: string, staleContent: string): boolean {
  const aside = `${path}.stale-${randomBytes(6).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    // ENOENT: someone else broke it first, which is progress too.
    return (err as { code?: string }).code === "ENOENT";
  }
  const moved = readLock(aside);
  if (moved.kind !== "lock" || moved.content !== staleContent) {
    try {
      linkSync(aside, path);
    } catch {
      // a new lock exists already; the moved one's owner will notice on release
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone already
  }
  return true;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long to wait for another writer: `$HUSH_LOCK_TIMEOUT` seconds, default 10. */
export function lockWaitMs(env: Readonly<Record<string, string | undefined>>): number {
  const s = Number(env["HUSH_LOCK_TIMEOUT"]);
  return env["HUSH_LOCK_TIMEOUT"] !== undefined && Number.isFinite(s) && s >= 0 ? s * 1000 : 10_000;
}

/** Retries in a row without a pause (a lock gone or broken meanwhile); past this the loop pauses. */
const MAX_IMMEDIATE_RETRIES = 5;

/**
 * Takes the lock for `file`, waiting up to `waitMs` (default 10 s) for another hush process to
 * finish, with growing pauses (never a busy loop, and never past the deadline). Refuses with a
 * message naming the holder's process id when it does not finish. The lock's content is never
 * shown beyond a process id of digits, and a link or other non-file at the lock path is refused
 * without reading it: a repository may plant one pointing at a credentials file. `file` itself
 * must be missing or a regular file (see `checkWritableFile`). Messages name the file `shownAs`
 * (default: `file`), e.g. as the user typed it where hush works on its absolute path.
 */
export async function acquireFileLock(file: string, options: { waitMs?: number; shownAs?: string } = {}): Promise<FileLock> {
  // The locked file is about to be replaced: refuse a link now, before any work (an editor
  // session, a KMS call) that the refusal at write time would waste.
  checkWritableFile(file);
  const path = lockPathFor(file);
  const shown = printable(options.shownAs ?? file);
  const me = `${process.pid} ${hostname()}\n`;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let delay = 10;
  let immediateRetries = 0;
  let stuckStale = false;
  for (;;) {
    let created: boolean;
    try {
      created = tryCreate(path, me);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "error";
      throw cannotCreateBeside(options.shownAs ?? file, dirname(path), code) ?? new HushError("WRITE_FAILED", `${shown}: cannot create lock file ${printable(path)} (${code})`, { located: true });
    }
    if (created) return hold(path, me);
    const state = readLock(path);
    if (state.kind === "foreign") {
      throw new HushError(
        "WRITE_REFUSED",
        `${shown}: ${printable(path)} is not a lock file hush made (a symbolic link or not a regular file); remove it and try again`,
        { located: true },
      );
    }
    if (immediateRetries < MAX_IMMEDIATE_RETRIES) {
      if (state.kind === "missing") {
        immediateRetries++;
        continue;
      }
      if (isStale(state)) {
        immediateRetries++;
        stuckStale = !breakStale(path, state.content);
        if (!stuckStale) continue;
      }
    }
    if (Date.now() >= deadline) {
      const pid = state.kind === "lock" && state.owner !== undefined ? ` (pid ${state.owner.pid})` : "";
      const why = stuckStale ? `a stale lock ${printable(path)} could not be removed; remove it` : `try again when it has finished, or remove ${printable(path)} if no such process runs`;
      throw new HushError("FILE_BUSY", `${shown} is being changed by another hush process${pid}; ${why}`, { located: true });
    }
    await sleep(Math.max(1, Math.min(delay, deadline - Date.now())));
    delay = Math.min(delay * 2, 250);
    immediateRetries = 0;
  }
}

function hold(path: string, me: string): FileLock {
  installExitHook();
  let released = false;
  const lock: FileLock = {
    path,
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      if (held.size === 0) {
        removeSignalCleanup?.();
        removeSignalCleanup = undefined;
      }
      const state = readLock(path);
      if (state.kind === "lock" && state.content === me) {
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      }
    },
  };
  held.add(lock);
  removeSignalCleanup ??= onSignalCleanup((_signal, ending) => {
    if (ending) releaseAll();
  });
  return lock;
}

/** Runs `fn` while holding the lock for `file`. */
export async function withFileLock<T>(file: string, fn: (lock: FileLock) => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
  const lock = await acquireFileLock(file, options);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
