/**
 * Delays for Node.js timers. A timer holds at most 2^31 - 1 ms (about 24.8 days); a longer delay
 * fires after 1 ms, with a warning on stderr. A deadline a user set in days ("wait as long as it
 * takes") must mean at least that long, not at once.
 */

/** The longest delay a Node.js timer holds, in ms. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` as a timer can hold it: at most {@link MAX_TIMER_DELAY_MS}, which is as good as no limit
 * for one request or one program run.
 */
export function timerDelayMs(ms: number): number {
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}
