import { invalidArgument } from "../arguments.ts";

/**
 * The one loop behind every minimal-diff text change (set, unset, the merge driver): try
 * candidates, best first, and take the first one that a parse back shows to hold exactly the
 * intended data; the caller falls back to re-emitting the document when none does. Formatting
 * heuristics can therefore never change what a file means. Candidates are taken one at a time,
 * so a generator computes the costly ones only when the cheap ones fail.
 */
export function firstVerified<C>(candidates: Iterable<C | undefined>, holdsIntended: (candidate: C) => boolean): C | undefined {
  if (typeof (candidates as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== "function") throw invalidArgument("the candidates must be iterable");
  if (typeof holdsIntended !== "function") throw invalidArgument("holdsIntended must be a function");
  for (const candidate of candidates) {
    if (candidate !== undefined && holdsIntended(candidate)) return candidate;
  }
  return undefined;
}
