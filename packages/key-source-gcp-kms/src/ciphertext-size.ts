/**
 * The largest ciphertext Cloud KMS makes and decrypts: 64 KiB (its decrypt refuses more). A
 * file's `enc` beyond it is not a Cloud KMS ciphertext, and is not sent: 128 entries of
 * megabytes each would be uploaded, with the user's token, on every decrypt and diff.
 */
export const MAX_CIPHERTEXT_BYTES = 65_536;
