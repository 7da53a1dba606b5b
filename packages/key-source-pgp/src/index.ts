export { GpgKeySource } from "./gpg-key-source.ts";
export type { GpgKeySourceOptions } from "./gpg-key-source.ts";
export { normalizePgpFingerprint } from "./fingerprint.ts";
export { readMessageRecipients } from "./armor.ts";
export type { MessageRecipients } from "./armor.ts";
export type { PgpKeyEntry, PgpRecipient } from "./entry.ts";
