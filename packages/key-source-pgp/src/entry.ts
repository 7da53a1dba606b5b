/** The shapes of PGP keys in hush's model (see backend.ts for their on-disk form). */

/** A PGP master key in a file's metadata. */
export type PgpKeyEntry = {
  readonly kind: "pgp";
  /** Fingerprint, spaces removed. */
  readonly fp: string;
  /** RFC 3339 seconds, UTC. */
  readonly createdAt: string;
  /** ASCII-armored OpenPGP message, no trailing newline. */
  readonly enc: string;
};

/** A PGP key to wrap to, by fingerprint (spaces removed). */
export type PgpRecipient = { readonly kind: "pgp"; readonly fp: string };
