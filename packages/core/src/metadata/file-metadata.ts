import type { MasterKeyEntry } from "../key-source.ts";

/** The six mutually exclusive selection rules (spec 2.5). */
export type EncryptionRuleKind =
  | "unencrypted_suffix"
  | "encrypted_suffix"
  | "unencrypted_regex"
  | "encrypted_regex"
  | "unencrypted_comment_regex"
  | "encrypted_comment_regex";

export interface EncryptionRule {
  readonly kind: EncryptionRuleKind;
  readonly value: string;
}

export const ENCRYPTION_RULE_KINDS: readonly EncryptionRuleKind[] = [
  "unencrypted_suffix",
  "encrypted_suffix",
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
];

/** The default when no rule is set: SOPS's `_unencrypted` suffix. */
export const DEFAULT_RULE: EncryptionRule = { kind: "unencrypted_suffix", value: "_unencrypted" };

/** In-memory model of a file's `sops` metadata (kept apart from the on-disk layout). */
export interface FileMetadata {
  /** One group, or several for Shamir (then every key of group i wraps share i). */
  readonly keyGroups: ReadonlyArray<readonly MasterKeyEntry[]>;
  /** 0 when unset (then, with several groups, all groups are needed). */
  readonly shamirThreshold: number;
  /** RFC 3339 seconds, `Z`. Also the AAD of the MAC. */
  readonly lastModified: string;
  /** ENC string of the MAC, or "" when the file has none. */
  readonly mac: string;
  /** The selection rule stored in the file, or undefined (then the binary store: none; others: default). */
  readonly rule: EncryptionRule | undefined;
  readonly macOnlyEncrypted: boolean;
  /** The SOPS version the file claims to be written by. */
  readonly version: string;
  /**
   * What the file holds that no tool reads (SOPS ignores it on load and drops it on rewrite), so
   * that reviews and `hush check` can show it. Absent when there is nothing; never written back.
   */
  readonly unread?: UnreadMetadata;
}

/** Parts of a `sops` section that SOPS and hush ignore. */
export interface UnreadMetadata {
  /** Top-level fields SOPS does not know, in file order, each with its value as canonical JSON. */
  readonly unknownFields: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** Key groups in `key_groups` that are ignored because the flat lists are not empty (SOPS reads the flat lists). */
  readonly ignoredKeyGroups: number;
  /**
   * Fields spelled like one SOPS reads but not the same (`AGE`, `Recipient`): SOPS takes them for
   * that field, hush does not (sops-field-names.ts), so the two read different recipients.
   */
  readonly lookalikeFields: readonly LookalikeField[];
}

/** A field SOPS reads as `reads` although it is not spelled so (metadata/sops-field-names.ts). */
export interface LookalikeField {
  /** Where it is, e.g. `sops.AGE` or `sops.key_groups[0].age[1].Recipient`. */
  readonly where: string;
  /** Its name as written. */
  readonly name: string;
  /** The field SOPS takes it for. */
  readonly reads: string;
}

/** The SOPS version hush writes into files: the format version it is compatible with. */
export const SOPS_FORMAT_VERSION = "3.13.2";
