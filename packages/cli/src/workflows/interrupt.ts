import { isatty } from "node:tty";
import { SIGNAL_NUMBERS, tryWriteErr, type TerminationSignal } from "./private-dir.ts";

/**
 * Ctrl+C and the programs hush runs (the command of `exec-env`/`exec-file`, the editor of
 * `edit`). A shell running a script that got Ctrl+C stops the script only when the program it
 * waited for died of SIGINT; a program that exits with a status instead, 130 included, is taken
 * to have handled the interrupt, and the script goes on. So hush, once it has cleaned up, dies of
 * SIGINT itself when the program it ran did: otherwise Ctrl+C during
 * `for env in staging prod; do hush exec-env $env.yaml -- ./deploy.sh; done` would stop the
 * staging deploy and go on to prod.
 */

/** Whether hush can end by a signal of its own: not on Windows, which has no such status. */
export const canDieOfInterrupt: boolean = process.platform !== "win32";

/**
 * Ends hush with SIGINT, as the program it ran ended, once the "exit" listeners have cleaned up
 * (every SIGINT listener is removed first, so the signal cannot be caught again). Returns only
 * where hush cannot die of a signal ({@link canDieOfInterrupt}): the caller then returns or exits
 * with its documented status.
 */
export function dieOfInterrupt(): void {
  if (!canDieOfInterrupt) return;
  // Dying of a signal skips the "exit" listeners, which undo what a command leaves while it runs:
  // its file's lock, an editor's private directory, a program started for a key (a key command,
  // gpg: `endWithHush`), a terminal in raw mode. They run now, once: Ctrl+C at a passphrase prompt
  // (during `set` or `edit`, which hold the lock) left `.FILE.hush-lock` behind, which the next
  // hush waits for wherever the process number is alive again (a container's).
  process.emit("exit", 128 + SIGNAL_NUMBERS.SIGINT);
  // A listener still there would catch the signal and hush would go on: a write's or a lock's
  // hold on signals lasts two turns of the event loop after its file is gone, and an editor that
  // dies at once is reported within them (hush then printed its error too, and `hush edit` in a
  // loop gave status 1). Nothing is left to protect by now.
  process.removeAllListeners("SIGINT");
  process.kill(process.pid, "SIGINT");
}

/**
 * Whether a SIGINT to hush has most likely reached the program it runs already: the program is
 * in hush's process group and hush's standard streams are a terminal, whose Ctrl+C goes to the
 * whole foreground group. Passing it on as well would make it two, and a second SIGINT means
 * "stop now, never mind the clean-up" to many programs (terraform, docker compose). A hush whose
 * streams are pipes or files was started by a program, whose SIGINT is meant for hush alone.
 */
export function interruptReachedChild(sameGroup: boolean): boolean {
  return sameGroup && (isatty(0) || isatty(1) || isatty(2));
}

/**
 * Ends hush once a termination signal has cancelled a run and everything is cleaned up: by
 * SIGINT when that was the signal, else, and where hush cannot die of a signal, with status 1.
 */
export function exitCancelled(signal: TerminationSignal): never {
  if (signal === "SIGINT") dieOfInterrupt();
  process.exit(1);
}

/**
 * When the program hush ran (an editor) died of SIGINT and everything is cleaned up: prints
 * `message` and ends hush by SIGINT too. Does nothing when the program was not interrupted or
 * hush cannot die of a signal: the caller's error is reported as usual then.
 */
export function followInterrupt(interrupted: boolean, stderr: NodeJS.WritableStream, message: string): void {
  if (!interrupted || !canDieOfInterrupt) return;
  tryWriteErr(stderr, message);
  dieOfInterrupt();
}
