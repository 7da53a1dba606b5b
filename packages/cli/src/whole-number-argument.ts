import { HushError } from "@hush/core";

/**
 * A whole number given on the command line, written in decimal (a minus sign only where `min`
 * is negative): `Number` alone reads "" and " " as 0, "0x1" as 1, "1e1" as 10 and "abc" as NaN,
 * so an empty shell variable (`hush groups delete -f f.yaml "$GROUP"`) named group 0 and a typo
 * was taken for a number, or passed on as NaN, with nothing said.
 * @param what - the argument as the error names it (`--indent`, `the key group INDEX`)
 * @throws HushError INVALID_ARGUMENT naming `what` and the range, when `text` is anything else
 */
export function parseWholeNumberArgument(text: string, what: string, min: number, max: number, range = `from ${min} to ${max}`): number {
  const n = /^-?[0-9]{1,15}$/.test(text) && (min < 0 || !text.startsWith("-")) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new HushError("INVALID_ARGUMENT", `${what} must be a whole number ${range}, written in decimal`, { located: true });
  return n;
}
