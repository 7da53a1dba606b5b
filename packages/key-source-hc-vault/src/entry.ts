/** The shapes of Vault transit keys in hush's model (see backend.ts for their on-disk form). */

/** A Vault transit recipient as the CLI and creation rules produce it. */
export type VaultKeyRecipient = {
  readonly kind: "hc_vault";
  /** `scheme://host[:port]`, no path and no trailing slash (SOPS's `vault_address`). */
  readonly vaultAddress: string;
  /** The transit engine's mount path, e.g. `transit` (no leading or trailing slash). */
  readonly enginePath: string;
  readonly keyName: string;
};

/** A Vault transit master key in a file's metadata. */
export type VaultKeyEntry = VaultKeyRecipient & {
  readonly createdAt: string;
  /** The transit ciphertext, `vault:vN:base64`. */
  readonly enc: string;
};
