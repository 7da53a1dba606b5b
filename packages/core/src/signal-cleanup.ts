/**
 * Clean-up on SIGINT, SIGTERM and SIGHUP by parts of hush that do not decide how hush ends: a
 * program they started (a key command, an age plugin, gpg) is ended, a lock is removed. Any
 * handler at all replaces Node's default of dying by the signal, and two such parts each waiting
 * for the other to end hush would keep it running. So a clean-up listener ends hush by the signal
 * (as it would have ended without them) when every listener of the signal is a clean-up listener;
 * when a command's own handler is there (an editor session's, exec's), that handler decides.
 */

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** The listeners {@link onSignalCleanup} installed. */
const cleanupListeners = new WeakSet<(...args: never[]) => unknown>();

/** How many holds defer the clean-ups now (see {@link deferSignalCleanups}). */
let deferring = 0;

/**
 * Defers the clean-ups while a caller holds termination signals off (a write's or a lock's
 * temporary file): the signal is raised again when the hold ends, and the clean-ups act on that
 * one. Acting on the first as well ended a key command while hush went on, so a `decrypt -i`
 * interrupted just after taking its lock reported the key as missing (128) instead of ending by
 * the signal. The returned function ends the deferral; call it before raising the held signal.
 */
export function deferSignalCleanups(): () => void {
  deferring++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    deferring--;
  };
}

/** Whether `listener` (of `process.listeners(signal)`) only cleans up (see {@link onSignalCleanup}). */
export function isCleanupListener(listener: (...args: never[]) => unknown): boolean {
  return cleanupListeners.has(listener);
}

/** Whether a listener other than clean-up listeners decides what `signal` does to hush. */
function othersDecide(signal: NodeJS.Signals): boolean {
  return process.listeners(signal).some((listener) => !cleanupListeners.has(listener));
}

/**
 * Runs `cleanup` on SIGINT, SIGTERM or SIGHUP until the returned function is called. `ending`
 * tells whether hush ends by the signal right after (no other handler): it then removes this
 * listener and raises the signal again. Call the returned function when there is nothing left to
 * clean up; it is safe to call more than once. A clean-up that must also run when hush ends
 * otherwise (process.exit(), or a command that raises SIGINT on itself, which runs the "exit"
 * listeners first) listens for "exit" as well: {@link endWithHush} does both.
 */
export function onSignalCleanup(cleanup: (signal: NodeJS.Signals, ending: boolean) => void): () => void {
  let removed = false;
  const remove = (): void => {
    removed = true;
    for (const s of SIGNALS) process.off(s, listener);
  };
  const listener = (signal: NodeJS.Signals): void => {
    if (removed || deferring > 0) return;
    const ending = !othersDecide(signal);
    try {
      cleanup(signal, ending);
    } finally {
      if (ending) {
        remove();
        // With no listener left, Node's default action: hush ends as the signal would have ended it.
        process.kill(process.pid, signal);
      }
    }
  };
  cleanupListeners.add(listener);
  for (const s of SIGNALS) process.on(s, listener);
  return remove;
}

/**
 * Runs `end` (which ends a program hush started, or undoes what hush did to something that
 * outlives it, such as a terminal's raw mode) when hush ends: on a termination signal (see
 * {@link onSignalCleanup}) and at exit (process.exit() from a command's own handler, SIGQUIT's
 * 131). Returns the function that stops watching, for when the program has ended by itself.
 */
export function endWithHush(end: () => void): () => void {
  const removeCleanup = onSignalCleanup(() => end());
  process.on("exit", end);
  return () => {
    removeCleanup();
    process.off("exit", end);
  };
}
