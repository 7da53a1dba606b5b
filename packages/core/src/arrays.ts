/**
 * Appends `items` to `out`, in order, and returns `out`. A loop, not `out.push(...items)`: a call
 * takes each spread item as one argument on the stack, and at about 120,000 items (a file's long
 * list, a section of many keys, a run of comment lines) it throws "Maximum call stack size
 * exceeded". The workspace's lint refuses the spread form in shipped code.
 */
export function appendAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const item of items) out.push(item);
  return out;
}
