import { linkSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { CliError, EXIT } from "../exit-codes.ts";

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

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() from a signal handler skips finally blocks; locks must not outlive us.
  process.on("exit", () => {
    for (const lock of [...held]) lock.release();
  });
}

/** Path of the lock file for `file` (of the file a symlink points to, so all names share it). */
export function lockPathFor(file: string): string {
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // a new file
  }
  return join(dirname(real), `.${basename(real)}.hush-lock`);
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

function readOwner(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Whether a lock's content names a process on this host that no longer runs. */
function isStale(content: string | undefined, path: string): boolean {
  if (content === undefined || content.trim() === "") {
    // Written by an older writer or truncated by a crash: stale once it is clearly abandoned.
    try {
      return Date.now() - statSync(path).mtimeMs > 5_000;
    } catch {
      return false;
    }
  }
  const [pidText, host] = content.trim().split(/\s+/);
  if (host !== undefined && host !== hostname()) return false;
  return !processAlive(Number(pidText));
}

function tryCreate(path: string, content: string): boolean {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600, flag: "wx" });
  try {
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

/** Moves a stale lock aside; if what was moved turns out to be a live lock, puts it back. */
function breakStale(path: string, staleContent: string | undefined): void {
  const aside = `${path}.stale-${randomBytes(6).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = readOwner(aside);
  if (moved !== staleContent) {
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
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long to wait for another writer: `$HUSH_LOCK_TIMEOUT` seconds, default 10. */
export function lockWaitMs(env: Readonly<Record<string, string | undefined>>): number {
  const s = Number(env["HUSH_LOCK_TIMEOUT"]);
  return env["HUSH_LOCK_TIMEOUT"] !== undefined && Number.isFinite(s) && s >= 0 ? s * 1000 : 10_000;
}

/**
 * Takes the lock for `file`, waiting up to `waitMs` (default 10 s) for another hush process to
 * finish. Refuses with a message naming the holder when it does not.
 */
export async function acquireFileLock(file: string, options: { waitMs?: number } = {}): Promise<FileLock> {
  const path = lockPathFor(file);
  const me = `${process.pid} ${hostname()}\n`;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let delay = 10;
  for (;;) {
    let created: boolean;
    try {
      created = tryCreate(path, me);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "error";
      throw new CliError(EXIT.couldNotWriteOutputFile, `${file}: cannot create lock file ${path} (${code})`);
    }
    if (created) {
      installExitHook();
      let released = false;
      const lock: FileLock = {
        path,
        release() {
          if (released) return;
          released = true;
          held.delete(lock);
          if (readOwner(path) === me) {
            try {
              unlinkSync(path);
            } catch {
              // gone already
            }
          }
        },
      };
      held.add(lock);
      return lock;
    }
    const owner = readOwner(path);
    if (isStale(owner, path)) {
      breakStale(path, owner);
      continue;
    }
    if (Date.now() >= deadline) {
      const pid = owner?.trim().split(/\s+/)[0] ?? "?";
      throw new CliError(
        EXIT.generic,
        `${file} is being changed by another hush process (pid ${pid}); try again when it has finished, or remove ${path} if no such process runs`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
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
