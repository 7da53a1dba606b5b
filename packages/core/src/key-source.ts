/**
 * Key sources wrap and unwrap a file's data key (or a Shamir share of it).
 * The metadata codec turns entries into the SOPS on-disk layout; sources never see YAML.
 */

/** A wrapped data key as stored in a file's metadata, one per master key. */
export type MasterKeyEntry = AgeKeyEntry | PgpKeyEntry | KmsKeyEntry | OpaqueKeyEntry;

export interface AgeKeyEntry {
  readonly kind: "age";
  /** Recipient string exactly as given (age1..., age1pq1..., ssh-ed25519 ..., ssh-rsa ...). */
  readonly recipient: string;
  /** ASCII-armored age file whose payload is the raw key bytes (ends with a newline). */
  readonly enc: string;
}

export interface PgpKeyEntry {
  readonly kind: "pgp";
  /** Fingerprint, spaces removed. */
  readonly fp: string;
  /** RFC 3339 seconds, UTC. */
  readonly createdAt: string;
  /** ASCII-armored OpenPGP message, no trailing newline. */
  readonly enc: string;
}

export interface KmsKeyEntry {
  readonly kind: "kms";
  readonly arn: string;
  /** IAM role to assume, "" when none. */
  readonly role: string;
  /** Encryption context; empty object when none. */
  readonly context: Readonly<Record<string, string>>;
  /** Named AWS profile, "" when none. */
  readonly awsProfile: string;
  readonly createdAt: string;
  /** Standard base64 of the KMS CiphertextBlob. */
  readonly enc: string;
}

/**
 * A master key of a kind hush does not implement (gcp_kms, azure_kv, hc_vault, hckms).
 * Kept verbatim so that files keep their keys through updates.
 */
export interface OpaqueKeyEntry {
  readonly kind: "gcp_kms" | "azure_kv" | "hc_vault" | "hckms";
  readonly fields: Readonly<Record<string, string>>;
}

export type KeyKind = MasterKeyEntry["kind"];

/** What a key source needs to know to wrap: the recipient, without a wrapped key yet. */
export type MasterKeyRecipient =
  | { readonly kind: "age"; readonly recipient: string }
  | { readonly kind: "pgp"; readonly fp: string }
  | {
      readonly kind: "kms";
      readonly arn: string;
      readonly role: string;
      readonly context: Readonly<Record<string, string>>;
      readonly awsProfile: string;
    };

/**
 * A backend that can wrap and unwrap data keys.
 *
 * Contract (after typage's Identity): `unwrap` returns `null` when the entry is not one this
 * source can open (not its kind, or not its identity); it throws only when the entry is its own
 * and cannot be unwrapped (malformed, denied, network failure). Sources never log key material.
 */
export interface KeySource {
  readonly kind: "age" | "pgp" | "kms";
  /** Wraps `dataKey` (32 bytes, or a 33-byte Shamir share) to one recipient. */
  wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<MasterKeyEntry>;
  /** Unwraps one entry, or returns null when this source cannot open it. */
  unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null>;
  /** Where this source looked for identities, for the "no key opened this file" message. */
  describeSearch(): readonly string[];
}

/**
 * The recipient a wrapped key was made for: what a key source needs to wrap a new data key to
 * the same key. Undefined for a kind hush cannot wrap to (gcp_kms, azure_kv, hc_vault, …).
 */
export function recipientOf(entry: MasterKeyEntry): MasterKeyRecipient | undefined {
  switch (entry.kind) {
    case "age":
      return { kind: "age", recipient: entry.recipient };
    case "pgp":
      return { kind: "pgp", fp: entry.fp };
    case "kms":
      return { kind: "kms", arn: entry.arn, role: entry.role, context: { ...entry.context }, awsProfile: entry.awsProfile };
    default:
      return undefined;
  }
}

/** Stable identity of a master key, as SOPS prints it for `--rm-*` and updatekeys diffs. */
export function masterKeyIdentity(key: MasterKeyEntry | MasterKeyRecipient): string {
  switch (key.kind) {
    case "age":
      return key.recipient;
    case "pgp":
      return key.fp;
    case "kms": {
      let id = key.role === "" ? key.arn : `${key.arn}+${key.role}`;
      const ctx = Object.keys(key.context)
        .sort()
        .map((k) => `${k}:${key.context[k] ?? ""}`)
        .join(",");
      if (key.awsProfile !== "") id += `|${ctx}|${key.awsProfile}`;
      else if (ctx !== "") id += `|${ctx}`;
      return id;
    }
    default:
      return `${key.kind}:${JSON.stringify(key.fields)}`;
  }
}
