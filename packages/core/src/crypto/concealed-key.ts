/** What a concealed data key shows wherever it is printed or serialised. */
function concealedText(length: number): string {
  return `[data key: ${length} bytes, not shown]`;
}

/**
 * A copy of `dataKey` that does not print: `console.log`, `util.inspect` and `JSON.stringify` of
 * what holds it (an opened file, a `SecretDocument`) show `[data key: 32 bytes, not shown]`
 * instead of its bytes. A program that logs an opened document while debugging shows its values,
 * as it asked; the data key would give whoever reads the log every later version of the file too
 * (values set later are encrypted with the same key, until `hush rotate`). The bytes are the
 * same, so the key works wherever a Uint8Array does.
 */
export function concealedKey(dataKey: Uint8Array): Uint8Array {
  const copy = new Uint8Array(dataKey);
  const shown = (): string => concealedText(copy.length);
  Object.defineProperties(copy, {
    // The symbol node:util looks for, named without importing node:util into the cipher code.
    [Symbol.for("nodejs.util.inspect.custom")]: { value: shown },
    toJSON: { value: shown },
  });
  return copy;
}
