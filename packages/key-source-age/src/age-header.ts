/** A recipient stanza's first line in an age header (`-> type arg…`); its body is not needed here. */
export interface StanzaLine {
  readonly type: string;
  readonly args: readonly string[];
}

/**
 * The stanza lines of an age file's header, read without validation up to the MAC line (`---`):
 * only to pick identities, bound the work and check an entry without a key. typage parses the
 * header strictly when the file is opened.
 */
export function headerStanzaLines(file: Uint8Array): StanzaLine[] {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const end = bytes.indexOf("\n---");
  const header = bytes.subarray(0, end === -1 ? 0 : end).toString("latin1");
  const stanzas: StanzaLine[] = [];
  for (const line of header.split("\n")) {
    if (!line.startsWith("-> ")) continue;
    const [type = "", ...args] = line.slice(3).split(" ");
    stanzas.push({ type, args });
  }
  return stanzas;
}
