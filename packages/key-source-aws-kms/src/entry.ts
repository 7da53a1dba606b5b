/** The shapes of AWS KMS keys in hush's model (see backend.ts for their on-disk form). */

/** A KMS recipient as the CLI and creation rules produce it. */
export type KmsKeyRecipient = {
  readonly kind: "kms";
  readonly arn: string;
  /** IAM role to assume, "" when none. */
  readonly role: string;
  /** Encryption context; empty object when none. */
  readonly context: Readonly<Record<string, string>>;
  /** Named AWS profile, "" when none. */
  readonly awsProfile: string;
};

/** An AWS KMS master key in a file's metadata. */
export type KmsKeyEntry = KmsKeyRecipient & {
  readonly createdAt: string;
  /** Standard base64 of the KMS CiphertextBlob. */
  readonly enc: string;
};
