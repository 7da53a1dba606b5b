/** The shapes of Google Cloud KMS keys in hush's model (see backend.ts for their on-disk form). */

/** A Cloud KMS recipient: the key's resource name, as SOPS's `resource_id`. */
export type GcpKmsKeyRecipient = {
  readonly kind: "gcp_kms";
  /** `projects/P/locations/L/keyRings/R/cryptoKeys/K` (checked by resource-id.ts before any use). */
  readonly resourceId: string;
};

/** A Cloud KMS master key in a file's metadata. */
export type GcpKmsKeyEntry = GcpKmsKeyRecipient & {
  readonly createdAt: string;
  /** The KMS ciphertext in standard base64 (SOPS's encoding since 3.9, and the old client's before). */
  readonly enc: string;
};
