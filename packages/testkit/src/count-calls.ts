/**
 * Counts calls of `target[method]` while `run` runs (the method still does its work), then puts
 * the method back: how tests check that a fast path skipped a costly step, such as a store's
 * general parse.
 */
export async function countCalls<T>(target: object, method: string, run: () => Promise<T>): Promise<{ readonly calls: number; readonly result: T }> {
  const holder = target as Record<string, unknown>;
  const original = holder[method];
  if (typeof original !== "function") throw new Error(`countCalls: ${method} is not a method`);
  let calls = 0;
  holder[method] = function (this: unknown, ...args: unknown[]): unknown {
    calls++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  try {
    const result = await run();
    return { calls, result };
  } finally {
    holder[method] = original;
  }
}
