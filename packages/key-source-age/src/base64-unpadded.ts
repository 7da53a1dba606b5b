/**
 * Standard base64 without padding, as age writes stanza arguments, bodies and the header MAC
 * (Go's `RawStdEncoding`). Only its own output is unpadded here: the `=` run is at most two long.
 */
export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/(?<!=)=+$/, "");
}
