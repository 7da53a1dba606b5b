/** The shapes of age keys in hush's model (see backend.ts for their on-disk form). */

/** An age master key in a file's metadata. */
export type AgeKeyEntry = {
  readonly kind: "age";
  /** Recipient string exactly as given (age1..., age1pq1..., ssh-ed25519 ..., ssh-rsa ...). */
  readonly recipient: string;
  /** ASCII-armored age file whose payload is the raw key bytes (ends with a newline). */
  readonly enc: string;
};

/** An age recipient to wrap to. */
export type AgeRecipient = { readonly kind: "age"; readonly recipient: string };

