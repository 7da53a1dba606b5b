import { parseWholeNumberArgument } from "../whole-number-argument.ts";

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input
 * order. Files are independent, so KMS round trips of different files overlap; the bound keeps
 * memory, open files and the request rate against a key service reasonable. `fn` must not throw
 * (callers turn failures into results, so one bad file never stops the others).
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  return results;
}

/**
 * Default number of files processed at once by commands that write (each file may make several
 * KMS calls at once: one per key).
 */
export const DEFAULT_JOBS = 8;

/** Default for read-only checks, where a file is typically one KMS Decrypt and no write. */
export const DEFAULT_READ_JOBS = 16;

/** Parses `--jobs N` (1 to 64). */
export function parseJobs(text: string | undefined, fallback = DEFAULT_JOBS): number {
  if (text === undefined) return fallback;
  return parseWholeNumberArgument(text, "--jobs", 1, 64);
}
