import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { makeFifo } from "./fifo.ts";
import { privateDirBase } from "./private-dir.ts";

/**
 * The pipes through which a redacted command's stdout and stderr reach hush. Node's `pipe` stdio
 * is a socket pair on Unix, and Linux cannot open a socket again by name: a command writing to
 * `/dev/stdout` or `/dev/stderr` (`tee /dev/stderr`, `echo … > /dev/stderr` in a deploy script, a
 * server whose log file is `/dev/stdout`) failed with ENXIO under `--redact`, and its output was
 * lost, where it worked without `--redact`. A real pipe can be opened that way, and Node makes
 * none: each is a FIFO, opened at both ends and removed before the command starts.
 */

/** The command's ends (to pass as its stdio) and hush's (to read), of stdout's pipe and stderr's. */
export interface OutputPipes {
  /** The write ends, for the command's descriptors 1 and 2. */
  readonly commandEnds: readonly [number, number];
  /** The read ends, as streams that end once every process holding a write end has closed it. */
  readonly readers: readonly [Socket, Socket];
  /** Closes hush's copies of the write ends, once the command has them (or did not start). */
  closeCommandEnds(): void;
}

/**
 * Two pipes for a command's stdout and stderr, or undefined where they cannot be made (Windows,
 * where Node's pipes are named pipes already; no `mkfifo`; a directory that cannot be written):
 * the caller then uses Node's own.
 */
export function openOutputPipes(env: Readonly<Record<string, string | undefined>>): OutputPipes | undefined {
  if (process.platform === "win32") return undefined;
  const opened: number[] = [];
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(privateDirBase(env), "hush-output-"));
    const ends = ["stdout", "stderr"].map((name) => {
      const path = join(dir!, name);
      makeFifo(path, env);
      // The read end first, non-blocking (it does not wait for a writer); the write end then finds
      // a reader and opens at once. It stays blocking: the command's writes must wait, not fail.
      const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      opened.push(read);
      const write = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
      opened.push(write);
      return { read, write };
    });
    const [out, err] = ends as [{ read: number; write: number }, { read: number; write: number }];
    let closed = false;
    return {
      commandEnds: [out.write, err.write],
      readers: [new Socket({ fd: out.read, readable: true, writable: false }), new Socket({ fd: err.read, readable: true, writable: false })],
      closeCommandEnds() {
        if (closed) return;
        closed = true;
        closeSync(out.write);
        closeSync(err.write);
      },
    };
  } catch {
    for (const fd of opened) closeSync(fd);
    return undefined;
  } finally {
    // The open ends keep the pipes; their names are not needed any more.
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
