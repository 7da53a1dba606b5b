/**
 * HashiCorp Vault transit (and OpenBao) key source for hush: wraps data keys with the transit
 * engine's encrypt and decrypt endpoints, sending the token only to servers the user allows.
 */
export { VaultTransitKeySource, TRANSIT_CIPHERTEXT, type VaultTransitKeySourceOptions } from "./source.ts";
export { parseVaultUri, normaliseVaultAddress, vaultIdentity } from "./uri.ts";
export { vaultTrustFromEnv, checkVaultAddress, type VaultTrust } from "./trust.ts";
export type { VaultKeyEntry, VaultKeyRecipient } from "./entry.ts";
