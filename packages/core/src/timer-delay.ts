/**
 * The longest delay a Node.js timer holds, in ms (2^31 - 1, about 24.8 days). A longer delay
 * fires after 1 ms, with a warning on stderr: a deadline a user set in days ("wait as long as it
 * takes") is capped at this, which is as good as no limit for one request or one program run.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
