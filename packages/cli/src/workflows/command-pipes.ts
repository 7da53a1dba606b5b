import { closeSync, constants, fchownSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { makeFifo } from "./fifo.ts";
import { privateDirBase } from "./private-dir.ts";

/**
 * The pipes between hush and a redacted command: its stdout and stderr, and its stdin when that is
 * hush's terminal (which hush must not hand over). Node's `pipe` stdio is a socket pair on Unix,
 * and Linux cannot open a socket again by name: a command writing to `/dev/stdout` or
 * `/dev/stderr` (`tee /dev/stderr`, `echo … > /dev/stderr` in a deploy script, a server whose log
 * file is `/dev/stdout`), or reading `/dev/stdin`, failed with ENXIO under `--redact`, its output
 * lost, where it worked without `--redact`. A real pipe can be opened that way, and Node makes
 * none: each is a FIFO, opened at both ends and removed before the command starts.
 */

/** The command's ends (to pass as its stdio) and hush's, of the pipes. */
export interface CommandPipes {
  /** The command's descriptors 0 (undefined when its stdin is not piped here), 1 and 2. */
  readonly commandEnds: readonly [number | undefined, number, number];
  /** hush's end of stdin's pipe, when there is one. */
  readonly input: Socket | undefined;
  /** hush's ends of stdout's and stderr's, streams that end once every process holding a write end has closed it. */
  readonly output: readonly [Socket, Socket];
  /** Closes hush's copies of the command's ends, once the command has them (or did not start). */
  closeCommandEnds(): void;
}

/** One pipe's two ends, as descriptors: `command` the command's, `own` hush's. */
interface PipeEnds {
  readonly command: number;
  readonly own: number;
}

/**
 * Opens the FIFO at `path` at both ends without waiting: a non-blocking read end first, which lets
 * the write end open at once. The command's end stays blocking (O_NONBLOCK belongs to the open
 * file, and a command's reads and writes must wait, not fail), so for `commandReads` a second,
 * blocking read end is opened, which the write end lets open at once, and the first is closed.
 */
function openFifoEnds(path: string, commandReads: boolean, opened: number[]): PipeEnds {
  const open = (flags: number): number => {
    const fd = openSync(path, flags | constants.O_NOFOLLOW);
    opened.push(fd);
    return fd;
  };
  const firstRead = open(constants.O_RDONLY | constants.O_NONBLOCK);
  const write = open(constants.O_WRONLY);
  if (!commandReads) return { command: write, own: firstRead };
  const read = open(constants.O_RDONLY);
  opened.splice(opened.indexOf(firstRead), 1);
  closeSync(firstRead);
  return { command: read, own: write };
}

/** The user and group a command run as another user (`--user`) has. */
export interface PipeOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Pipes for a command's stdout and stderr, and its stdin when `input`, or undefined where they
 * cannot be made (Windows, where Node's pipes are named pipes already; no `mkfifo`; a directory
 * that cannot be written): the caller then uses Node's own. A command run as `owner` gets pipes
 * of its own: opening one again by name checks the pipe's owner and mode (0600).
 */
export function openCommandPipes(env: Readonly<Record<string, string | undefined>>, input: boolean, owner?: PipeOwner): CommandPipes | undefined {
  if (process.platform === "win32") return undefined;
  const opened: number[] = [];
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(privateDirBase(env), "hush-pipes-"));
    const fifo = (name: string, commandReads: boolean): PipeEnds => {
      const path = join(dir!, name);
      makeFifo(path, env);
      const ends = openFifoEnds(path, commandReads, opened);
      if (owner !== undefined) fchownSync(ends.command, owner.uid, owner.gid);
      return ends;
    };
    const stdin = input ? fifo("stdin", true) : undefined;
    const stdout = fifo("stdout", false);
    const stderr = fifo("stderr", false);
    let closed = false;
    return {
      commandEnds: [stdin?.command, stdout.command, stderr.command],
      input: stdin === undefined ? undefined : new Socket({ fd: stdin.own, readable: false, writable: true }),
      output: [new Socket({ fd: stdout.own, readable: true, writable: false }), new Socket({ fd: stderr.own, readable: true, writable: false })],
      closeCommandEnds() {
        if (closed) return;
        closed = true;
        for (const end of [stdin, stdout, stderr]) if (end !== undefined) closeSync(end.command);
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
