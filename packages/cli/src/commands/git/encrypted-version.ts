import { detectFormat } from "@hush/git";

/** SOPS's mark of an encrypted value, as it stands in any format's text. */
const ENCRYPTED_VALUE_MARK = "ENC[AES256_GCM,";

/**
 * Whether `text` (a past version of the file at `path`) is an encrypted file with a secret in it:
 * SOPS metadata and at least one encrypted value. The metadata alone does not do: a plain file
 * with a top-level `sops` key (`sops: {version: 3.9.2}` in a list of tool versions) reads as
 * metadata, and such a file staged without that key was taken for a decrypted one, the commit
 * refused. A file that never had an encrypted value has nothing its clear version could leak.
 */
export async function isEncryptedWithValues(path: string, text: string): Promise<boolean> {
  if (!text.includes("sops") || !text.includes(ENCRYPTED_VALUE_MARK)) return false;
  return (await detectFormat(path, text))?.encrypted === true;
}
