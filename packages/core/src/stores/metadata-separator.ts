/** Shared by the INI and TOML stores, which both append their metadata section after a blank line. */

/**
 * Where the metadata begins, separator included: appendMetadata put one blank line before it,
 * plus the data's missing final line break when the data had none.
 */
export function separatorStart(text: string, start: number): number {
  const breaks: number[] = [];
  let b = start;
  while (b > 0 && text[b - 1] === "\n") {
    const len = b >= 2 && text[b - 2] === "\r" ? 2 : 1;
    breaks.push(len);
    b -= len;
  }
  const count = text.endsWith("\n") ? (breaks.length >= 2 ? 1 : 0) : Math.min(2, breaks.length);
  let s = start;
  for (let i = 0; i < count; i++) s -= breaks[i]!;
  return s;
}
