import {
  comparableIdentity,
  HushError,
  keyBackend,
  masterKeyIdentity,
  printable,
  recipientOf,
  type KeyGroupRecipients,
  type MasterKeyEntry,
  type MasterKeyRecipient,
} from "@hush/core";

/**
 * Key groups as lists of recipients: what a file's metadata names, what `.sops.yaml` or the
 * `--add-*` flags ask for, and the difference between the two, compared by SOPS's identity
 * strings (`masterKeyIdentity`).
 */

/**
 * The recipients of a file's groups. A key of a kind hush cannot wrap to would be lost by
 * re-wrapping, so it is an error naming the key and its group rather than a silent drop.
 */
export function recipientsOf(groups: ReadonlyArray<readonly MasterKeyEntry[]>): MasterKeyRecipient[][] {
  return groups.map((group, gi) =>
    group.map((entry) => {
      const r = recipientOf(entry);
      if (r === undefined) {
        throw new HushError("KEY_WRAP_FAILED", `group ${gi}: ${entry.kind} key ${masterKeyIdentity(entry)} cannot be re-wrapped: hush does not support ${entry.kind} keys`, {
          hint: "re-key this file with sops, or replace that key in .sops.yaml",
        });
      }
      return r;
    }),
  );
}

/** Removes repeated keys from each group (same kind and identity), keeping the first. */
export function dedupeGroups(groups: KeyGroupRecipients): MasterKeyRecipient[][] {
  return groups.map((group) => {
    const seen = new Set<string>();
    return group.filter((k) => {
      const id = `${k.kind}\u0000${masterKeyIdentity(k)}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  });
}

/**
 * `groups` (a creation rule's) with each key that an entry of the file's group of the same index
 * resolves (a key `.sops.yaml` names without a part that wrapping fills in: an Azure key without
 * a version) replaced by that entry's recipient, so that the file's key counts as the rule's.
 */
export function resolvedByFile(groups: KeyGroupRecipients, fileGroups: ReadonlyArray<readonly MasterKeyEntry[]>): MasterKeyRecipient[][] {
  return groups.map((group, gi) =>
    group.map((named) => {
      const resolves = keyBackend(named.kind)?.resolves;
      if (resolves === undefined) return named;
      const entry = (fileGroups[gi] ?? []).find((e) => e.kind === named.kind && resolves(named, e));
      return (entry === undefined ? undefined : recipientOf(entry)) ?? named;
    }),
  );
}

/** A key named by `--rm-*`, parsed as its backend parses `--add-*` (see key-flags.ts). */
export interface KeyToRemove {
  readonly kind: string;
  /** Its identity, as the summary prints removed keys. */
  readonly identity: string;
  readonly named: MasterKeyRecipient;
}

/** The removal of the key `named`. */
export function keyToRemove(named: MasterKeyRecipient): KeyToRemove {
  return { kind: named.kind, identity: masterKeyIdentity(named), named };
}

/** Whether `rm` removes `key`: its backend decides (KMS: ARN alone names the key), else the same identity. */
function matches(key: MasterKeyRecipient, rm: KeyToRemove): boolean {
  if (key.kind !== rm.kind) return false;
  const removes = keyBackend(key.kind)?.flags.removes;
  return removes !== undefined ? removes(key, rm.named) : comparableIdentity(key) === comparableIdentity(rm.named);
}

/** Result of applying `--add-*`/`--rm-*` to a file's groups. */
export interface KeyChange {
  readonly groups: MasterKeyRecipient[][];
  readonly added: string[];
  readonly removed: string[];
  /** The removals that matched a key of the groups (as the backend matches: `0x…` and `…` are one PGP key). */
  readonly matched: ReadonlySet<KeyToRemove>;
}

/**
 * Adds keys to the first group and removes keys from every group, as SOPS's `rotate` does.
 * An empty group left behind is refused by the wrapping step ("empty key group provided").
 */
export function changeKeys(groups: readonly MasterKeyRecipient[][], add: readonly MasterKeyRecipient[], remove: readonly KeyToRemove[]): KeyChange {
  const removed: string[] = [];
  const matched = new Set<KeyToRemove>();
  const next = groups.map((group) =>
    group.filter((k) => {
      const hits = remove.filter((rm) => matches(k, rm));
      for (const rm of hits) matched.add(rm);
      if (hits.length > 0) removed.push(`${k.kind} ${masterKeyIdentity(k)}`);
      return hits.length === 0;
    }),
  );
  const added: string[] = [];
  if (add.length > 0) {
    if (next.length === 0) next.push([]);
    const first = next[0]!;
    for (const k of add) {
      const id = masterKeyIdentity(k);
      if (first.some((x) => x.kind === k.kind && masterKeyIdentity(x) === id)) continue;
      first.push(k);
      added.push(`${k.kind} ${id}`);
    }
  }
  return { groups: next, added, removed, matched };
}

/** What changes in one group, by identity. */
export interface GroupDiff {
  readonly common: string[];
  readonly added: string[];
  readonly removed: string[];
}

const label = (k: MasterKeyRecipient | MasterKeyEntry): string => `${k.kind} ${masterKeyIdentity(k)}`;

type Groups = ReadonlyArray<ReadonlyArray<MasterKeyRecipient | MasterKeyEntry>>;

/** Group-by-group difference (group i of the file against group i of the new keys). */
export function diffGroups(current: Groups, next: Groups): GroupDiff[] {
  const n = Math.max(current.length, next.length);
  const diffs: GroupDiff[] = [];
  for (let i = 0; i < n; i++) {
    const a = (current[i] ?? []).map(label);
    const b = (next[i] ?? []).map(label);
    diffs.push({
      common: a.filter((x) => b.includes(x)),
      added: b.filter((x) => !a.includes(x)),
      removed: a.filter((x) => !b.includes(x)),
    });
  }
  return diffs;
}

export function hasChanges(diffs: readonly GroupDiff[]): boolean {
  return diffs.some((d) => d.added.length > 0 || d.removed.length > 0);
}

/**
 * SOPS's updatekeys listing: each group, unchanged keys indented, `+++` added and `---`
 * removed. Groups are numbered from 1, as SOPS prints them here (its `groups delete` index and
 * its decryption error count from 0; so do hush's, as they are SOPS's interface). Keys come
 * from files and `.sops.yaml` and are escaped for the terminal here, after they were compared.
 */
export function formatDiff(diffs: readonly GroupDiff[], threshold: { from: number; to: number } | undefined): string {
  const lines: string[] = [];
  diffs.forEach((d, i) => {
    lines.push(`Group ${i + 1}`);
    for (const k of d.common) lines.push(`    ${printable(k, 4096)}`);
    for (const k of d.added) lines.push(`+++ ${printable(k, 4096)}`);
    for (const k of d.removed) lines.push(`--- ${printable(k, 4096)}`);
  });
  if (threshold !== undefined && threshold.from !== threshold.to) {
    lines.push(`shamir_threshold: ${threshold.from === 0 ? "unset" : threshold.from} -> ${threshold.to === 0 ? "unset" : threshold.to}`);
  }
  return lines.join("\n");
}

/** A one-line description of a change, for the summary. */
export function summarizeDiff(diffs: readonly GroupDiff[]): string {
  const added = diffs.reduce((n, d) => n + d.added.length, 0);
  const removed = diffs.reduce((n, d) => n + d.removed.length, 0);
  const groups = diffs.filter((d) => d.added.length > 0 || d.removed.length > 0).length;
  return `${added} key(s) added, ${removed} removed in ${groups} group(s)`;
}
