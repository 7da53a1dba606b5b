/**
 * The data of `hush access` and `hush audit`, as printed by `--json` (docs/audit.md describes
 * every field). Everything here is read without a key: recipients from each file's `sops`
 * metadata, ages from git history. Strings come from files and commits and are untrusted: the
 * renderers escape them; JSON carries them as they are (JSON escaping makes them inert).
 */

/** Version of the JSON documents; raised when a field changes meaning or disappears. */
export const REPORT_SCHEMA_VERSION = 1;

/** A recipient: key kind, identity (age recipient, PGP fingerprint, KMS ARN…) and its name from `.sops.yaml`. */
export interface RecipientRef {
  readonly kind: string;
  readonly identity: string;
  /** The name `.sops.yaml` gives it (`hush_recipient_names` or an anchor), or null. */
  readonly name: string | null;
}

/** Who can open one encrypted file. */
export interface FileAccess {
  /** As given or found, relative to the working directory (forward slashes). */
  readonly path: string;
  /** Recipients per key group (group i's members each hold share i, or the whole key for one group). */
  readonly groups: ReadonlyArray<readonly RecipientRef[]>;
  /**
   * Key groups needed to open the file (1 for one group). When `thresholdProblem` is not null,
   * no number of groups opens it and this is the `shamir_threshold` the file states.
   */
  readonly threshold: number;
  /**
   * Why no set of key groups can open the file (a `shamir_threshold` of 1, or above the number of
   * groups: hush and SOPS refuse such a file), or null. Metadata is not covered by the MAC, so
   * anyone can write this; the file needs `hush updatekeys` or its previous version.
   */
  readonly thresholdProblem: string | null;
  /** The creation rule's `path_regex` for this file, or null when no rule names its recipients. */
  readonly rule: string | null;
  /** Differences from that rule; empty lists (and null) when none or when there is no rule. */
  readonly drift: {
    /** In the file, not named by the rule. */
    readonly unexpected: readonly RecipientRef[];
    /** Named by the rule, without a wrapped key in the file. */
    readonly missing: readonly RecipientRef[];
    /** Same recipients, grouped or thresholded differently, or null. */
    readonly groups: string | null;
  };
  /**
   * Fields of the `sops` metadata spelled like one SOPS reads but not the same (`AGE`,
   * `"Recipient"`): SOPS takes them for that field, hush does not, so SOPS may use recipients
   * this report does not show. Each as `where` (e.g. `sops.AGE`) and the field SOPS reads it as.
   */
  readonly readDifferently: ReadonlyArray<{ readonly where: string; readonly readsAs: string }>;
  /**
   * Parts of the metadata SOPS and hush ignore that may hold a wrapped data key (`sops.key_groups`
   * next to flat recipient lists, an unknown field): whoever they name may open the file with it,
   * though the matrix does not show them. Empty when none.
   */
  readonly ignored: readonly string[];
  /**
   * Entries whose wrapped key, as its structure shows without a key, also (or only) opens for a
   * key the entry does not name (a second age stanza or PGP session key, a stanza for another
   * SSH key): who that is, the matrix does not show. Each with its key group and why. Empty when none.
   */
  readonly otherReaders: ReadonlyArray<{ readonly recipient: RecipientRef; readonly group: number; readonly why: string }>;
}

/** One row of the access matrix: a recipient and, per file (same order as `files`), its key groups there. */
export interface MatrixRow {
  readonly recipient: RecipientRef;
  /** Per file: the key groups the recipient is in (empty: it cannot open that file, nor help to). */
  readonly groups: ReadonlyArray<readonly number[]>;
}

/**
 * A destination of `sops publish` (a `destination_rules` entry of `.sops.yaml`): where the files
 * its `path_regex` matches would go, and who could read them there. hush never publishes.
 */
export interface PublishTarget {
  readonly pathRegex: string;
  /** `s3://BUCKET/PREFIX`, `gcs://BUCKET/PREFIX`, `Vault ADDRESS MOUNT/PATH` (several joined with " and "), or why there is none. */
  readonly destination: string;
  /** Whether the values go there decrypted (a Vault destination). */
  readonly inClear: boolean;
  /** The keys the copy is re-encrypted to; empty when it keeps the file's own (or goes in clear). */
  readonly recipients: readonly RecipientRef[];
}

/** `hush access --json`. */
export interface AccessReport {
  readonly schema: "hush-access";
  readonly version: typeof REPORT_SCHEMA_VERSION;
  readonly files: readonly FileAccess[];
  /** Every recipient of any file, sorted by name then identity. */
  readonly matrix: readonly MatrixRow[];
  /** The `destination_rules` of `.sops.yaml`, in order. */
  readonly publishing: readonly PublishTarget[];
}

/** A commit, as far as the report uses it. */
export interface CommitRef {
  readonly commit: string;
  /** Author date, ISO 8601 UTC. */
  readonly date: string;
  readonly author: string;
  readonly subject: string;
}

/** When one encrypted value's ciphertext last changed. */
export interface ValueAge {
  /** The key path, in SOPS's tree-path syntax (`["db"]["password"]`). */
  readonly path: string;
  readonly changed: CommitRef;
  /** Whole days from `changed.date` to the report's `asOf`. */
  readonly ageDays: number;
  /** True when older than `maxAgeDays`. */
  readonly stale: boolean;
  /** True when that commit re-encrypted the whole file with a new data key (a rotation, not necessarily a new value). */
  readonly rekey: boolean;
}

/** Recipients removed from a file in one commit, and whether its data key changed since. */
export interface Removal {
  readonly commit: CommitRef;
  readonly removed: readonly RecipientRef[];
  /** True when the file's data key at `HEAD` is none the removed parties were given (their copies of the old keys no longer open it). */
  readonly rekeyedSince: boolean;
  /**
   * The commit that put back a data key they were given, after a newer one (a revert, or an old
   * version copied, which needs no key), or null: the file is theirs to open again.
   */
  readonly restoredIn: CommitRef | null;
}

/**
 * What a file is at `HEAD` (along first parents): `encrypted`; `unencrypted` (a creation rule
 * covers it, it has no `sops` metadata); `unreadable` (it mentions `sops` but does not parse);
 * `absent` (deleted, or never on the main line).
 */
export type AtHead = "encrypted" | "unencrypted" | "unreadable" | "absent";

/**
 * The history of one file: encrypted at `HEAD`, or at a path the current `.sops.yaml` covers with
 * a version committed in clear (deleted or moved since, or never encrypted).
 */
export interface FileAudit {
  readonly path: string;
  /** What the file is at `HEAD`; only an `encrypted` one has values, re-keys and removals. */
  readonly atHead: AtHead;
  /** Commits (along first parents) that changed the file. */
  readonly commits: number;
  /** The commit the file's data key at `HEAD` first appeared in (its creation counts), or null. */
  readonly lastRekey: CommitRef | null;
  readonly values: readonly ValueAge[];
  readonly removals: readonly Removal[];
  /** Commits whose version of the file had no `sops` metadata, along first parents or on a merged branch: its values are in git history in clear. */
  readonly unencryptedVersions: readonly CommitRef[];
}

/** `hush audit --json`. */
export interface AuditReport {
  readonly schema: "hush-audit";
  readonly version: typeof REPORT_SCHEMA_VERSION;
  /** The date ages are counted to (ISO 8601 UTC). */
  readonly asOf: string;
  /** `--max-age` in days, or null. */
  readonly maxAgeDays: number | null;
  readonly files: readonly FileAudit[];
  readonly summary: {
    readonly files: number;
    readonly values: number;
    readonly stale: number;
    /** Files with a removal that no new data key followed. */
    readonly notRekeyedAfterRemoval: number;
    readonly unencryptedInHistory: number;
  };
}
