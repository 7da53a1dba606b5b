/** A PGP entry's message framed otherwise, as anyone can without a key (for the copy checks of `hush check --base`). */

/** The OpenPGP armor checksum (RFC 4880 6.1). */
function crc24(bytes: Buffer): Buffer {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if ((crc & 0x1000000) !== 0) crc ^= 0x1864cfb;
    }
  }
  return Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff]);
}

/**
 * The YAML file `text` with the message of its one PGP entry put after a 15-byte session key
 * packet for a key no one has: gpg skips it and opens the message as before (as real SOPS does),
 * but every line of the armor is another.
 */
export function withDecoySessionKey(text: string): string {
  const armor = /( +)-----BEGIN PGP MESSAGE-----\n\n([\s\S]*?)\n +=\S{4}\n +-----END PGP MESSAGE-----/.exec(text)!;
  const indent = armor[1]!;
  // Tag 1, version 3, key ID 1122334455667788, RSA, a one-byte MPI.
  const decoy = Buffer.from([0xc1, 13, 3, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 0, 8, 0xab]);
  const message = Buffer.concat([decoy, Buffer.from(armor[2]!.replace(/\s/g, ""), "base64")]);
  const lines = ["-----BEGIN PGP MESSAGE-----", "", ...message.toString("base64").match(/.{1,64}/g)!, `=${crc24(message).toString("base64")}`, "-----END PGP MESSAGE-----"];
  return text.replace(armor[0], lines.map((l) => (l === "" ? "" : indent + l)).join("\n"));
}
