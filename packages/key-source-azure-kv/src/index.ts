/**
 * Azure Key Vault key source for hush: wraps data keys with RSA-OAEP-256 through the Key Vault
 * REST API, sending the Azure token only to Key Vault domains or vaults the user allows.
 */
export { AzureKeyVaultKeySource, KEY_VAULT_API_VERSION, type AzureKeyVaultKeySourceOptions } from "./source.ts";
export { parseAzureKeyUrl, azureKeyIdentity, vaultOrigin } from "./url.ts";
export { azureTrustFromEnv, checkVaultUrl, isKeyVaultUrl, KEY_VAULT_DOMAINS, type AzureVaultTrust } from "./trust.ts";
export { readChallenge, type VaultChallenge } from "./challenge.ts";
export type { AzureKeyEntry, AzureKeyRecipient } from "./entry.ts";
