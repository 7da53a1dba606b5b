import { decodeMetadata, readerKeyId, formatKeyPath, looksEncrypted, readWhole, type FileFormat, type MasterKeyEntry, type RecipientNames } from "@hush/core";
import { wrappedKeyHash } from "../metadata-summary.ts";
import { recipientRef } from "./access.ts";
import { REPORT_SCHEMA_VERSION, type AtHead, type AuditReport, type CommitRef, type FileAudit, type Removal, type ValueAge } from "./model.ts";

/**
 * The age of every encrypted value and the re-keying history of a file, from its versions in git,
 * without a key: the data of `hush audit`.
 *
 * A new data key cannot be seen without a key, but it can be inferred: rotating (hush or SOPS)
 * re-encrypts every value and re-wraps the key for every recipient in one go, whereas an edit
 * keeps the wrapped keys (SOPS) or the unchanged values' ciphertext (hush), and `updatekeys` with
 * `--keep-data-key` keeps every value's ciphertext. A version is counted as re-keyed when, against
 * the one before, every value both have was re-encrypted and every recipient both have got a new
 * wrapped key, none of them one an earlier version had.
 *
 * A wrapped key an earlier version had means that version's data key is back: putting a file back
 * to an old version needs no key (`git revert`, or an old blob copied with a recipient entry taken
 * out), and whoever held that data key, a reader removed since included, can open the file again.
 * Its values are that version's too, and are dated from it.
 */

/** What the audit needs of one version of a file. */
export interface VersionSummary {
  /** Encrypted values: key path (tree-path syntax) → ciphertext envelope. */
  readonly values: ReadonlyMap<string, string>;
  /** Recipients: reader key ({@link readerKeyId}) → entry. */
  readonly recipients: ReadonlyMap<string, MasterKeyEntry>;
}

/**
 * Reads one version of a file without a key: its summary, "clear" when it has no `sops`
 * metadata, or "unreadable" when it does not parse or its metadata is invalid (such a version is
 * left out of the history rather than counted as clear).
 */
export async function summarizeVersion(text: string, format: FileFormat): Promise<VersionSummary | "clear" | "unreadable"> {
  try {
    // The span scanner where it gives the store's exact parse: the general YAML parser was most
    // of an audit's time, run on every version of every file in history.
    const parsed = await readWhole(text, format);
    if (parsed.metadata === undefined) return "clear";
    const metadata = decodeMetadata(parsed.metadata);
    const values = new Map<string, string>();
    for (const leaf of parsed.leaves) {
      if (leaf.kind !== "scalar" || leaf.aliased === true || leaf.value === null || !looksEncrypted(leaf.value.text)) continue;
      const doc = parsed.documentCount > 1 ? `document ${leaf.document}: ` : "";
      values.set(`${doc}${formatKeyPath(leaf.path)}`, leaf.value.text);
    }
    const recipients = new Map<string, MasterKeyEntry>();
    for (const entry of metadata.keyGroups.flat()) recipients.set(readerKeyId(entry), entry);
    return { values, recipients };
  } catch {
    return "unreadable";
  }
}

/**
 * Whether one version of a file is an encrypted SOPS file, without reading its values: for files
 * only searched for clear versions. "clear" when it has no `sops` metadata, "unreadable" (left
 * out, as by {@link summarizeVersion}) when it does not parse or its metadata is invalid. The
 * caller skips the parse for content without the word `sops`, which is clear.
 */
export async function versionKind(text: string, format: FileFormat): Promise<"encrypted" | "clear" | "unreadable"> {
  try {
    const parsed = await readWhole(text, format);
    if (parsed.metadata === undefined) return "clear";
    decodeMetadata(parsed.metadata);
    return "encrypted";
  } catch {
    return "unreadable";
  }
}

/** One version of a file in history: the commit and what it held (null: deleted in that commit). */
export interface FileVersion {
  readonly commit: CommitRef;
  readonly summary: VersionSummary | null | "unencrypted";
  /**
   * True for a version on a branch that was merged (not along first parents): it does not date
   * values or removals, but a clear one is a finding like any other.
   */
  readonly merged?: boolean;
}

/** Whether `after` has new wrapped keys and ciphertexts for everything it shares with `before` (a rotation, or a file put back to an older version). */
function rekeyed(before: VersionSummary, after: VersionSummary): boolean {
  let compared = 0;
  for (const [path, ciphertext] of after.values) {
    const old = before.values.get(path);
    if (old === undefined) continue;
    compared++;
    if (old === ciphertext) return false;
  }
  for (const [id, entry] of after.recipients) {
    const old = before.recipients.get(id);
    if (old === undefined) continue;
    compared++;
    if (wrappedKeyHash(old) === wrappedKeyHash(entry)) return false;
  }
  return compared > 0;
}

/** Whether `after` holds a value with the ciphertext `before` had at its key path: only the same data key gives it. */
function sameCiphertext(before: VersionSummary, after: VersionSummary): boolean {
  for (const [path, ciphertext] of after.values) if (before.values.get(path) === ciphertext) return true;
  return false;
}

const DAY_MS = 86_400_000;

/** Whole days from `date` to `asOf` (0 for a date after it). */
export function ageInDays(date: string, asOf: Date): number {
  return Math.max(0, Math.floor((asOf.getTime() - Date.parse(date)) / DAY_MS));
}

/**
 * The audit of one file from its versions, oldest first (as `git log --reverse` along first
 * parents), then its versions on merged branches. Only the values of the last first-parent
 * version are reported; a clear version is reported wherever it was committed.
 */
export function auditFile(path: string, versions: readonly FileVersion[], options: { asOf: Date; maxAgeDays: number | undefined; names: RecipientNames | undefined }): FileAudit {
  let previous: VersionSummary | undefined;
  /**
   * The last encrypted version, also across a deletion or a clear version: a file deleted and
   * added back with a recipient's entry taken out (two commits, no key needed) removes that
   * recipient as much as one commit does, and keeps the data key they hold.
   */
  let lastEncrypted: VersionSummary | undefined;
  const changedAt = new Map<string, { commit: CommitRef; rekey: boolean }>();
  /** Where each ciphertext of a key path was first seen: a value put back is as old as that. */
  const firstSeen = new Map<string, { commit: CommitRef; rekey: boolean }>();
  const removals: Array<{ commit: CommitRef; removed: MasterKeyEntry[]; at: number }> = [];
  const unencrypted: CommitRef[] = [];
  /**
   * Data keys, inferred: each version's key is numbered by the version it first appeared in.
   * The key of every wrapped key seen, and, per recipient (identity key), the version it was
   * first given each key in.
   */
  const keyOfWrapped = new Map<string, number>();
  const givenAt = new Map<string, Map<number, number>>();
  /** The data key of `previous`, and the version each key last came back in after another one. */
  let key = -1;
  const cameBackAt = new Map<number, number>();
  versions.forEach((version, at) => {
    const summary = version.summary;
    if (version.merged === true) {
      if (summary === "unencrypted") unencrypted.push(version.commit);
      return;
    }
    if (summary === null || summary === "unencrypted") {
      if (summary === "unencrypted") unencrypted.push(version.commit);
      // A deleted or clear version ends the line: what comes back later starts a new one.
      previous = undefined;
      changedAt.clear();
      return;
    }
    const hashes = [...summary.recipients.values()].map(wrappedKeyHash);
    const earlier = hashes.map((h) => keyOfWrapped.get(h)).find((k) => k !== undefined);
    // After a deletion, compared with the last encrypted version: a file moved away and back, or
    // added back, re-wrapped for its remaining readers (`updatekeys --keep-data-key`) has new
    // wrapped keys but the old values' ciphertexts, so the data key a removed reader holds.
    const newWraps = previous !== undefined ? rekeyed(previous, summary) : lastEncrypted === undefined || !sameCiphertext(lastEncrypted, summary);
    const fresh = newWraps && earlier === undefined;
    const before = key;
    // An edit keeps the key; new wrapped keys are a new key, unless an earlier version had one.
    key = !newWraps ? key : (earlier ?? at);
    if (!fresh && key !== before) cameBackAt.set(key, at);
    const lastListed = previous ?? lastEncrypted;
    if (lastListed !== undefined) {
      const removed = [...lastListed.recipients].filter(([id]) => !summary.recipients.has(id)).map(([, entry]) => entry);
      if (removed.length > 0) removals.push({ commit: version.commit, removed, at });
    }
    for (const h of hashes) if (!keyOfWrapped.has(h)) keyOfWrapped.set(h, key);
    for (const id of summary.recipients.keys()) {
      let given = givenAt.get(id);
      if (given === undefined) givenAt.set(id, (given = new Map()));
      if (!given.has(key)) given.set(key, at);
    }
    for (const [valuePath, ciphertext] of summary.values) {
      if (previous?.values.get(valuePath) === ciphertext) continue;
      const seen = `${valuePath}\0${ciphertext}`;
      let first = firstSeen.get(seen);
      if (first === undefined) firstSeen.set(seen, (first = { commit: version.commit, rekey: fresh }));
      changedAt.set(valuePath, first);
    }
    previous = summary;
    lastEncrypted = summary;
  });
  const last = previous;
  const values: ValueAge[] = [];
  for (const valuePath of last?.values.keys() ?? []) {
    const change = changedAt.get(valuePath)!;
    const ageDays = ageInDays(change.commit.date, options.asOf);
    values.push({ path: valuePath, changed: change.commit, ageDays, stale: options.maxAgeDays !== undefined && ageDays > options.maxAgeDays, rekey: change.rekey });
  }
  const cameBack = last === undefined ? undefined : cameBackAt.get(key);
  const removalReports: Removal[] = removals.map((r) => {
    // Removed readers keep the data keys they were given before: the file is theirs while its key is one.
    const holdsKey = last !== undefined && r.removed.some((e) => (givenAt.get(readerKeyId(e))?.get(key) ?? Infinity) < r.at);
    return {
      commit: r.commit,
      removed: r.removed.map((entry) => recipientRef(entry, options.names)),
      rekeyedSince: !holdsKey,
      restoredIn: holdsKey && cameBack !== undefined && cameBack >= r.at ? versions[cameBack]!.commit : null,
    };
  });
  return {
    path,
    atHead: "encrypted",
    commits: versions.filter((v) => v.merged !== true).length,
    lastRekey: last === undefined ? null : versions[key]!.commit,
    values,
    removals: removalReports,
    unencryptedVersions: unencrypted,
  };
}

/** One version of a file that is only searched for clear versions: its commit and whether it was clear (null: deleted). */
export interface ClearOrNot {
  readonly commit: CommitRef;
  readonly clear: boolean | null;
  readonly merged?: boolean;
}

/**
 * The audit of a file that is not encrypted at `HEAD` but that a creation rule covers: its clear
 * versions (along first parents and on merged branches), or undefined when it has none (an
 * encrypted file deleted since is no finding). Its versions are given as for {@link auditFile}.
 */
export function auditClearHistory(path: string, versions: readonly ClearOrNot[], atHead: Exclude<AtHead, "encrypted">): FileAudit | undefined {
  const unencrypted = versions.filter((v) => v.clear === true).map((v) => v.commit);
  if (unencrypted.length === 0) return undefined;
  return { path, atHead, commits: versions.filter((v) => v.merged !== true).length, lastRekey: null, values: [], removals: [], unencryptedVersions: unencrypted };
}

/** The audit report over files' audits. */
export function buildAuditReport(files: readonly FileAudit[], asOf: Date, maxAgeDays: number | undefined): AuditReport {
  return {
    schema: "hush-audit",
    version: REPORT_SCHEMA_VERSION,
    asOf: asOf.toISOString().replace(/\.\d{3}Z$/, "Z"),
    maxAgeDays: maxAgeDays ?? null,
    files,
    summary: {
      files: files.length,
      values: files.reduce((n, f) => n + f.values.length, 0),
      stale: files.reduce((n, f) => n + f.values.filter((v) => v.stale).length, 0),
      notRekeyedAfterRemoval: files.filter((f) => f.removals.some((r) => !r.rekeyedSince)).length,
      unencryptedInHistory: files.filter((f) => f.unencryptedVersions.length > 0).length,
    },
  };
}
