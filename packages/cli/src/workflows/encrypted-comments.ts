/**
 * What to tell the user when a write encrypted comments that were in clear. No MAC covers
 * comments, so anyone can add one to a file without the key; once a key holder's write has
 * encrypted it as the file's rule asks, nothing tells it from the owner's own.
 */

/** `the comment that was at line 3 was not encrypted, …`, or undefined for no lines. */
export function commentsNowEncrypted(lines: readonly number[]): string | undefined {
  if (lines.length === 0) return undefined;
  const shown = lines.slice(0, 10).join(", ") + (lines.length > 10 ? ", …" : "");
  const which = lines.length === 1 ? `the comment that was at line ${shown}` : `${lines.length} comments (lines ${shown})`;
  return `${which} was not encrypted, and anyone can add such a comment without the key; it is encrypted now, as the file's rule asks: check it with hush decrypt`;
}
