import { findProgramOnPath, HushError } from "@hush/core";
import { spawnSync } from "node:child_process";
import { constants, openSync } from "node:fs";
import { Socket } from "node:net";

/**
 * Handing plaintext to a command through a FIFO (`exec-file`) without ever blocking hush. A
 * plain `open(path, "w")` of a FIFO waits in a worker thread until a reader comes; if none ever
 * does (the command was stopped, or removed the FIFO), nothing can cancel it and hush could not
 * end. Instead the FIFO is opened non-blocking, which fails with ENXIO until a reader has it
 * open, retried on a short timer (a reader blocked in its own open waits at most one interval),
 * and the data is written through the event loop; either can be stopped at any moment.
 */

/** Longest wait between two attempts to find a reader, in milliseconds. */
const MAX_RETRY_MS = 50;

/**
 * Creates a FIFO, mode 0600, with the system's `mkfifo`: one found in PATH's absolute directories
 * only, as every program hush starts is (an empty or relative entry means the working directory,
 * where a cloned repository could hold its own `mkfifo`).
 */
export function makeFifo(path: string, env: Readonly<Record<string, string | undefined>>): void {
  const mkfifo = findProgramOnPath("mkfifo", env);
  if (mkfifo === undefined) throw new HushError("WRITE_FAILED", "cannot create a FIFO: mkfifo not found in PATH's absolute directories (install it, or use --no-fifo)", { located: true });
  const r = spawnSync(mkfifo, ["-m", "600", path], { env: { ...env } as NodeJS.ProcessEnv });
  if (r.error !== undefined || r.status !== 0) throw new HushError("WRITE_FAILED", "cannot create a FIFO with mkfifo; use --no-fifo", { located: true });
}

/** A delivery of data through a FIFO. */
export interface FifoDelivery {
  /** Settles (never rejects) once the data is written, the reader left early, or it stopped. */
  readonly done: Promise<void>;
  /** Stops at once: no more waiting for a reader, a write in progress is cut off. */
  stop(): void;
  /** Stops waiting for a reader, but lets a write already in progress finish. */
  stopWaiting(): void;
}

/** Writes `data` once into the FIFO at `path`, when a reader opens it. */
export function deliverThroughFifo(path: string, data: Buffer): FifoDelivery {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let socket: Socket | undefined;
  let delay = 2;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    socket?.destroy();
    settle();
  };
  const attempt = (): void => {
    timer = undefined;
    if (finished) return;
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      if ((err as { code?: string }).code !== "ENXIO") return finish(); // gone: nobody will read
      timer = setTimeout(attempt, delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
      return;
    }
    // A pipe handle writes as the reader reads, through the event loop (EPIPE when it leaves).
    const s = new Socket({ fd, readable: false, writable: true });
    socket = s;
    s.on("error", () => finish());
    s.on("close", () => finish());
    s.end(data);
  };
  attempt();
  return {
    done,
    stop: finish,
    stopWaiting: () => {
      if (socket === undefined) finish();
    },
  };
}
