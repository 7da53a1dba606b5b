/**
 * Quotes text that came from a file or the environment for use in a message: shortened, and with
 * control, C1 and bidirectional-override characters escaped so it cannot rewrite the terminal.
 * Only for public values (recipients, program names), never for secrets.
 */
export function quote(text: string, max = 72): string {
  const short = text.length > max ? `${text.slice(0, max - 12)}…` : text;
  return JSON.stringify(short).replace(
    /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
