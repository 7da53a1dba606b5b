/** The shapes of Azure Key Vault keys in hush's model (see backend.ts for their on-disk form). */

/** An Azure Key Vault key as the CLI and creation rules produce it. */
export type AzureKeyRecipient = {
  readonly kind: "azure_kv";
  /** The vault, `https://NAME.vault.azure.net` (SOPS's `vault_url`, kept as written). */
  readonly vaultUrl: string;
  /** The key's name in the vault. */
  readonly name: string;
  /** The key's version; "" means the latest, resolved when wrapping (the entry records it). */
  readonly version: string;
};

/** An Azure Key Vault master key in a file's metadata. */
export type AzureKeyEntry = AzureKeyRecipient & {
  readonly createdAt: string;
  /** The RSA-OAEP-256 ciphertext of the data key, base64url without padding. */
  readonly enc: string;
};
