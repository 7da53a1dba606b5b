/**
 * Key sources wrap and unwrap a file's data key (or a Shamir share of it).
 * The metadata codec turns entries into the SOPS on-disk layout through each kind's
 * `KeyBackend` (keys/key-backend.ts); sources never see YAML.
 */

/**
 * A wrapped data key as stored in a file's metadata, one per master key. `kind` is the name of
 * its list in the `sops` section (`age`, `pgp`, `kms`, …); the other fields belong to the kind's
 * backend, which defines the precise type (e.g. `AgeKeyEntry` in `@hush/key-source-age`).
 */
export interface MasterKeyEntry {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/**
 * What a key source needs to know to wrap: the recipient, without a wrapped key yet. Its kind's
 * backend defines the precise type (e.g. `{ kind: "age", recipient }`).
 */
export interface MasterKeyRecipient {
  readonly kind: string;
  readonly [field: string]: unknown;
}

/**
 * A master key of a kind hush keeps but cannot open or wrap to (gcp_kms, azure_kv, …): its
 * fields verbatim, so that files keep such keys through updates.
 */
export type OpaqueKeyEntry = {
  readonly kind: string;
  readonly fields: Readonly<Record<string, string>>;
};

/**
 * A backend that can wrap and unwrap data keys.
 *
 * Contract (after typage's Identity): `unwrap` returns `null` when the entry is not one this
 * source can open (not its kind, or not its identity); it throws only when the entry is its own
 * and cannot be unwrapped (malformed, denied, network failure). Sources never log key material.
 */
export interface KeySource {
  /** The kind of entries this source wraps and opens (its backend's `kind`). */
  readonly kind: string;
  /** Wraps `dataKey` (32 bytes, or a 33-byte Shamir share) to one recipient. */
  wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<MasterKeyEntry>;
  /** Unwraps one entry, or returns null when this source cannot open it. */
  unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null>;
  /** Where this source looked for identities, for the "no key opened this file" message. */
  describeSearch(): readonly string[];
}
