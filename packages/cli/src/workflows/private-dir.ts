import { HushError } from "@hush/core";
import { mkdtempSync, chmodSync, readdirSync, readlinkSync, rmSync, statSync, accessSync, constants, lstatSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { guardAgainstKill } from "./kill-guard.ts";

/**
 * Private directories for plaintext that must touch the disk (the file an editor opens, the
 * file or FIFO `exec-file` hands to a command). They are created 0700 in memory-backed storage
 * where the system has it, so a crash leaves nothing on a real disk, and removed on every exit
 * path: normal return, error, SIGINT/SIGTERM/SIGHUP/SIGQUIT (see `onTerminationSignals`) and
 * `process.exit()`, and by a watcher when hush is killed with SIGKILL (kill-guard.ts). Directories
 * a watcher could not remove are swept by the next run.
 */

const PREFIX = "hush-";
/** `hush-NAMESPACE-PID-random`; directories that older versions named `hush-PID-random` match too. */
const DIR_NAME = /^hush-(?:(\d+)-)?(\d+)-[A-Za-z0-9]+$/;

/**
 * The PID namespace whose process IDs this process sees (Linux; "0" elsewhere). A process ID says
 * nothing about a process of another namespace: another container that shares /dev/shm (same
 * user, its own PIDs) would take a live `hush edit` there for a dead one and remove its file. So a
 * private directory's name holds its namespace, and only directories of ours are swept.
 */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "0";
  } catch {
    return "0";
  }
}

/** A private directory and its removal. */
export interface PrivateDir {
  readonly path: string;
  /**
   * Writes `content` (plaintext) to the file `name` in the directory, mode 0600, and returns its
   * path. `exclusive`: the file must not exist yet. A write that fails, most often because the
   * memory-backed file system is full (a container's /dev/shm holds 64 MB), is WRITE_FAILED naming
   * the directory it was made in and what to do, for the caller to name its file
   * (`HushError.withFile`); what was written goes with the directory.
   * @throws HushError WRITE_FAILED
   */
  write(name: string, content: Buffer | string, options?: { exclusive?: boolean }): string;
  /** Removes the directory and everything in it. Safe to call more than once. */
  remove(): void;
}

/**
 * The error for plaintext that could not be written under `base` (`code`: the system's). A full
 * file system was Node's own "ENOSPC: no space left on device, write", naming no place.
 */
function cannotWritePrivate(base: string, code: string, forOtherUser: boolean): HushError {
  const message = `cannot write the decrypted text in ${base} (${code})`;
  if (code !== "ENOSPC" && code !== "EDQUOT") return new HushError("WRITE_FAILED", message);
  // XDG_RUNTIME_DIR is used first, but never for a directory handed to another user.
  const elsewhere = forOtherUser ? "" : `, or set XDG_RUNTIME_DIR to a directory of yours (mode 0700) with room`;
  return new HushError("WRITE_FAILED", `${message}: no space left there`, { details: [`next: free space in ${base}${elsewhere}`] });
}

const live = new Set<PrivateDir>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const dir of [...live]) dir.remove();
  });
}

function ownedPrivateDir(path: string): boolean {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return false;
    if (typeof process.getuid === "function" && st.uid !== process.getuid()) return false;
    return (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

function writableDir(path: string): boolean {
  try {
    if (!statSync(path).isDirectory()) return false;
    accessSync(path, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where private directories go: `$XDG_RUNTIME_DIR` (per-user tmpfs on systemd systems), else
 * `/dev/shm` (tmpfs on Linux), else the system temporary directory (`$TMPDIR`). `forOtherUser`:
 * the directory is handed to another user (`exec-file --user`), who cannot enter hush's
 * runtime directory (it is used only when no other user can), so it is never there.
 */
export function privateDirBase(env: Readonly<Record<string, string | undefined>>, forOtherUser = false): string {
  const runtime = env["XDG_RUNTIME_DIR"];
  if (!forOtherUser && runtime !== undefined && isAbsolute(runtime) && ownedPrivateDir(runtime) && writableDir(runtime)) return runtime;
  if (process.platform === "linux" && writableDir("/dev/shm")) return "/dev/shm";
  const t = env["TMPDIR"];
  return t !== undefined && t !== "" && isAbsolute(t) ? t : tmpdir();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** Removes private directories of ours (this PID namespace's) whose process is gone (it was killed with SIGKILL). */
function sweepAbandoned(base: string, namespace: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const m = DIR_NAME.exec(name);
    if (m === null || (m[1] ?? namespace) !== namespace) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    const path = join(base, name);
    if (!ownedPrivateDir(path)) continue;
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // not ours to worry about
    }
  }
}

/** Creates a fresh 0700 directory for plaintext; `forOtherUser`: see {@link privateDirBase}. */
export function makePrivateDir(env: Readonly<Record<string, string | undefined>>, forOtherUser = false): PrivateDir {
  const base = privateDirBase(env, forOtherUser);
  const namespace = pidNamespace();
  sweepAbandoned(base, namespace);
  let path: string;
  try {
    path = mkdtempSync(join(base, `${PREFIX}${namespace}-${process.pid}-`));
    chmodSync(path, 0o700);
  } catch (err) {
    throw new HushError("WRITE_FAILED", `cannot create a private temporary directory in ${base} (${(err as { code?: string }).code ?? "error"})`, { located: true });
  }
  installExitHook();
  const guard = guardAgainstKill(path);
  let removed = false;
  const dir: PrivateDir = {
    path,
    write(name, content, options = {}) {
      const file = join(path, name);
      try {
        writeFileSync(file, content, { mode: 0o600, flag: options.exclusive === true ? "wx" : "w" });
        // The mode of an existing file is not changed by writeFileSync, and a umask could narrow it.
        chmodSync(file, 0o600);
      } catch (err) {
        throw cannotWritePrivate(base, (err as { code?: string }).code ?? "error", forOtherUser);
      }
      return file;
    },
    remove() {
      if (removed) return;
      try {
        rmSync(path, { recursive: true, force: true });
        removed = true;
        live.delete(dir);
        guard.release();
      } catch {
        // retried by the exit hook
      }
    },
  };
  live.add(dir);
  return dir;
}

export type TerminationSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";
const SIGNALS: readonly TerminationSignal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
export const SIGNAL_NUMBERS: Readonly<Record<TerminationSignal, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

/**
 * Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGQUIT for the duration of a command
 * (installing any handler replaces Node's default of dying on the spot, which would skip
 * cleanup). SIGQUIT is handled like SIGTERM; handling it also prevents its default action, a
 * core dump, which would hold the plaintext hush has in memory. Returns the function that
 * uninstalls them.
 */
export function onTerminationSignals(handler: (signal: TerminationSignal) => void): () => void {
  const listeners = SIGNALS.map((s) => {
    const l = (): void => handler(s);
    process.on(s, l);
    return [s, l] as const;
  });
  return () => {
    for (const [s, l] of listeners) process.removeListener(s, l);
  };
}

/** Writes one line to stderr without ever throwing (the terminal may be gone after SIGHUP). */
export function tryWriteErr(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text);
  } catch {
    // nowhere to report to
  }
}
