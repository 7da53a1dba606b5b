/** The symbol node:util looks for, named without importing node:util into the cipher code. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * `dataKey`, made not to print: `console.log`, `util.inspect` and `JSON.stringify` of what holds
 * it (an opened file, a `SecretDocument`) show `[data key: 32 bytes, not shown]` instead of its
 * bytes. A program that logs an opened document while debugging shows its values, as it asked;
 * the data key would give whoever reads the log every later version of the file too (values set
 * later are encrypted with the same key, until `hush rotate`). The same array is returned, its
 * bytes untouched (two non-enumerable members are added), so it works wherever a Uint8Array
 * does and whoever wipes it (`fill(0)` after a rotation) wipes the only copy.
 */
export function concealedKey(dataKey: Uint8Array): Uint8Array {
  // Already concealed (an opened file's key passed back as `dataKey`), or made unextensible by its owner.
  if (Object.prototype.hasOwnProperty.call(dataKey, INSPECT) || !Object.isExtensible(dataKey)) return dataKey;
  const shown = (): string => `[data key: ${dataKey.length} bytes, not shown]`;
  Object.defineProperties(dataKey, { [INSPECT]: { value: shown }, toJSON: { value: shown } });
  return dataKey;
}
