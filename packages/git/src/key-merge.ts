import { timingSafeEqual } from "node:crypto";
import {
  canUseKind,
  combineShares,
  generateDataKey,
  HushError,
  isHushError,
  IvStash,
  printable,
  recipientOf,
  splitSecret,
  type FileMetadata,
  type KeySourceResolver,
  type MasterKeyEntry,
  type OpenedFile,
} from "@hush/core";
import { neededGroups } from "./recipient-check.ts";
import { describeKey, idOf, idsOf, listKeys, mergeRecipients, type Groups } from "./recipient-merge.ts";

/**
 * The data key and key entries of a merged file. Both sides are untrusted input: a branch can
 * rewrite its `sops` key entries (a recipient's label over someone else's wrapped key, garbage)
 * or re-encrypt everything under a data key its author kept. So no side's data key or entries
 * are adopted on trust:
 *
 * - recipients merge three-way by identity (a change on either side is kept);
 * - a merge gives the data key to no recipient that a side added: anyone can add an entry on a
 *   branch, and wrapping to it would hand the file to whoever wrote it. An added recipient keeps
 *   the entry its side wrote, which opens only if that side's author held the key already;
 * - the data key is kept whenever the base, ours and theirs all use it: every value is then open
 *   to its holders already. Unchanged values keep their ciphertext, and an entry of the base's
 *   recipients that changed and cannot be checked is kept as ours has it, and named;
 * - otherwise a fresh data key is drawn, every value is re-encrypted, and the key is wrapped to
 *   the merged recipients who could read the file before (see `readersBefore`) from their public
 *   ids (age recipient, PGP fingerprint, KMS ARN); added ones are left out and named. When that
 *   cannot be done the merge fails (the driver then leaves git's conflict on ciphertext);
 * - but a side re-encrypted under a data key of its own (not the base's) that also brings new
 *   values is content only that key's holders could read: perhaps another file's, copied over
 *   this one by someone who cannot read it, with their own old entry kept. Its recipients must
 *   be shown to hold that key, or the merge fails (see `unprovenReaders`).
 */

/** What the key merge needs of the three opened versions. */
export interface KeyMergeSides {
  readonly ours: OpenedFile;
  readonly theirs: OpenedFile;
  /** The base, when it was encrypted and could be decrypted. */
  readonly base: OpenedFile | undefined;
  /** The base's metadata, readable without keys. */
  readonly baseMetadata: FileMetadata | undefined;
  /** A base exists but could be read neither as encrypted nor as plaintext (see `TreeMergeOptions.baseUnread`). */
  readonly baseUnread?: boolean;
}

/** Constant-time equality of two data keys. */
export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}


/** Whether the entry in merged key group `gi` could read that group's key (or share) before the merge. */
type ReaderCheck = (entry: MasterKeyEntry, gi: number) => boolean;

/**
 * Who could read the file before the merge, and so may be given its data key: the common
 * ancestor's recipients or, with no encrypted ancestor, those both sides list. Any other
 * recipient was added on a branch, which anyone can do without a key. With Shamir groups as many
 * as the ancestor's, group by group: a recipient a branch copied into another group never held
 * that group's share, and two shares may open what one did not.
 */
function readersBefore(sides: KeyMergeSides, merged: Groups): ReaderCheck {
  const base = sides.baseMetadata?.keyGroups;
  if (base !== undefined && merged.length > 1 && base.length === merged.length) {
    const perGroup = base.map((group) => idsOf([group]));
    return (entry, gi) => perGroup[gi]!.has(idOf(entry));
  }
  let readers: Set<string>;
  if (base !== undefined) readers = idsOf(base);
  else {
    const theirs = idsOf(sides.theirs.metadata.keyGroups);
    readers = new Set([...idsOf(sides.ours.metadata.keyGroups)].filter((id) => theirs.has(id)));
  }
  return (entry) => readers.has(idOf(entry));
}

/**
 * The data key, entries and IV stash to encrypt the merged document with (an `OpenedFile` for
 * `reencryptText`; its plaintext is ours'). Throws a HushError saying why when the sides cannot
 * be merged safely (different encryption rules, no recipient left, a recipient that cannot be
 * wrapped to).
 */
export async function mergeKeys(sides: KeyMergeSides, keySources: KeySourceResolver, notes: string[]): Promise<OpenedFile> {
  const { ours, theirs, base } = sides;
  if (!sameRule(ours.metadata, theirs.metadata)) {
    // Keeping one side's rule could leave a value the other side encrypts in plaintext: refuse.
    throw new HushError(
      "ENCRYPT_FAILED",
      "the two sides use different encryption rules (a value one side encrypts could end up in plaintext); give both branches the same rule first",
    );
  }
  const groups = mergeRecipients(ours.metadata.keyGroups, theirs.metadata.keyGroups, sides.baseMetadata?.keyGroups, notes);
  const isReader = readersBefore(sides, groups);
  const added = groups.flatMap((group, gi) => group.filter((e) => !isReader(e, gi)));
  const noAncestor = sides.baseUnread === true && sides.baseMetadata === undefined ? "the common ancestor could not be read" : "the file has no encrypted common ancestor";
  const addedHow = sides.baseMetadata === undefined ? `listed by one side only (${noAncestor})` : "added since the common ancestor";
  let why: string;
  if (base === undefined) why = sides.baseMetadata === undefined ? noAncestor : "the common ancestor could not be decrypted";
  else if (!sameKey(ours.dataKey, theirs.dataKey)) why = "the two sides have different data keys";
  else if (!sameKey(base.dataKey, ours.dataKey)) why = "the data key changed since the common ancestor";
  else {
    // Same data key everywhere: every value of every side is already open to whoever holds it,
    // so keeping it gives no one anything, whatever the entries say, and ciphertext of any side
    // is valid here. A fresh key instead would go to recipients on the word of lists a side
    // wrote: in a cherry-pick or a rebase the common ancestor is the branch's own commit, whose
    // list names a recipient the branch added one commit before (carried as written since).
    const unchecked = await uncheckedEntries(groups, ours, sides.baseMetadata!.keyGroups, isReader, keySources);
    if (unchecked.length > 0) {
      notes.push(
        `the key ${unchecked.length === 1 ? "entry" : "entries"} of ${unchecked.join(", ")} ${unchecked.length === 1 ? "is" : "are"} not as in the common ancestor and cannot be checked with your keys; kept as our side has ${unchecked.length === 1 ? "it" : "them"}, with the data key (a merge that keeps the data key gives it to no one)`,
      );
    }
    if (added.length > 0) {
      notes.push(
        `${listKeys(added)}, ${addedHow}, ${added.length === 1 ? "keeps the key entry its side wrote" : "keep the key entries their side wrote"}: a merge wraps the data key to no recipient a branch added, so ${added.length === 1 ? "it reads" : "they read"} the merged file only if whoever added ${added.length === 1 ? "it" : "them"} held the key; ${added.length === 1 ? "it stays a recipient" : "they stay recipients"}, which later re-keys wrap to: remove ${added.length === 1 ? "it" : "them"} unless ${added.length === 1 ? "it belongs" : "they belong"}`,
      );
    }
    const quorum = quorumOf(ours.metadata, theirs.metadata, groups.length);
    if (quorum !== undefined) {
      notes.push(
        `their side needs ${quorum.theirs} of the ${groups.length} key groups to open the file, ours ${quorum.ours}: the merged file keeps ours' shares and threshold with the data key, which a merge that keeps it gives to no one; run \`hush updatekeys\` to apply .sops.yaml`,
      );
    }
    // The union never holds one IV twice.
    const stash = IvStash.union([ours.stash, theirs.stash, base.stash]);
    return { ...ours, metadata: { ...ours.metadata, keyGroups: groups }, stash };
  }
  // No added recipient is shown to hold anything that a branch could not have arranged: in a
  // cherry-pick or a rebase the common ancestor, its data key included, is the branch's own, and
  // a KMS key the branch names opens to whatever its owner let your credentials open.
  const freshGroups = groups.map((group, gi) => group.filter((e) => isReader(e, gi)));
  const leftOut = added;
  const emptied = freshGroups.findIndex((group) => group.length === 0);
  if (emptied >= 0) {
    throw new HushError(
      "EMPTY_KEY_GROUP",
      `the merged file needs a fresh data key (${why}), and every recipient of ${groups.length === 1 ? "it" : `key group ${emptied + 1}`} (${listKeys(groups[emptied]!)}) was ${addedHow}: a merge wraps a data key to no recipient a branch added`,
      { hint: "take one side as it is (`git checkout --ours FILE` or `--theirs FILE`), make the other side's change again with `hush edit FILE`, then `git add FILE`" },
    );
  }
  if (leftOut.length > 0) {
    notes.push(
      `${listKeys(leftOut)}, ${addedHow}, ${leftOut.length === 1 ? "is" : "are"} left out of the merged file: it gets a fresh data key, and a merge wraps a data key to no recipient a branch added (anyone can add one); if ${leftOut.length === 1 ? "it" : "they"} should read the file, run \`hush updatekeys\` on it after the merge`,
    );
  }
  const unproven = await unprovenReaders(freshGroups, sides, keySources);
  if (unproven !== undefined) {
    const many = unproven.readers.length > 1;
    throw new HushError(
      "ENCRYPT_FAILED",
      `${unproven.side} side re-encrypted the file under a new data key and changed values, and ${unproven.readers.join(", ")} cannot be shown to hold that key (${many ? "their entries" : "its entry"} there ${many ? "do" : "does"} not open with your keys): merging would give ${many ? "them" : "it"} values ${many ? "they" : "it"} may never have been able to read, such as another file's copied over this one`,
      {
        hint: `ask who made ${unproven.side} side's change whether the new data key is genuine (a rotation); if so, take that side's file as it is (\`git checkout --${unproven.side === "our" ? "ours" : "theirs"} FILE\`), make the other side's change again with \`hush edit FILE\`, then \`git add FILE\``,
      },
    );
  }
  const threshold = freshThreshold(ours.metadata, theirs.metadata, freshGroups.length, notes);
  const dataKey = generateDataKey();
  const keyGroups = await wrapFresh(dataKey, freshGroups, threshold, keySources, why);
  notes.push(`a fresh data key was drawn and every value re-encrypted (${why}); it is wrapped to ${listKeys(freshGroups.flat())}`);
  return { format: ours.format, plaintext: ours.plaintext, metadata: { ...ours.metadata, keyGroups, shamirThreshold: threshold }, dataKey, stash: new IvStash() };
}

/**
 * How many of `groupCount` merged key groups each side needs to open the file, when the two
 * differ and their side has as many groups (else its threshold says nothing of the merged groups).
 */
function quorumOf(ours: FileMetadata, theirs: FileMetadata, groupCount: number): { ours: number; theirs: number } | undefined {
  if (groupCount < 2 || theirs.keyGroups.length !== groupCount) return undefined;
  const quorum = { ours: neededGroups(groupCount, ours.shamirThreshold), theirs: neededGroups(groupCount, theirs.shamirThreshold) };
  return quorum.ours === quorum.theirs ? undefined : quorum;
}

/**
 * The Shamir threshold of a fresh data key: the stricter of the two sides'. A side that raised
 * its threshold (and re-keyed, so its new values open only with that many groups) must not have
 * those values opened by fewer groups because the merge was made on the other side, just as a
 * recipient it removed is not given the fresh key; and a threshold a branch lowered gives no
 * one a fresh key's values with fewer groups either. `hush updatekeys` applies .sops.yaml.
 */
function freshThreshold(ours: FileMetadata, theirs: FileMetadata, groupCount: number, notes: string[]): number {
  const quorum = quorumOf(ours, theirs, groupCount);
  if (quorum === undefined) return ours.shamirThreshold;
  const stricter = quorum.theirs > quorum.ours ? "theirs" : "ours";
  notes.push(
    `their side needs ${quorum.theirs} of the ${groupCount} key groups to open the file, ours ${quorum.ours}: the fresh data key is split for the stricter ${quorum[stricter]} (${stricter}), so no value opens with fewer groups than its side asked; run \`hush updatekeys\` to apply .sops.yaml`,
  );
  return stricter === "theirs" ? quorum.theirs : ours.shamirThreshold;
}

function sameRule(a: FileMetadata, b: FileMetadata): boolean {
  return a.rule?.kind === b.rule?.kind && a.rule?.value === b.rule?.value && a.macOnlyEncrypted === b.macOnlyEncrypted;
}

const sameEntry = (a: MasterKeyEntry, b: MasterKeyEntry): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The merged entries of the base's recipients (`isReader`) that are not vouched for, to name them:
 * neither unchanged since the base (byte for byte, as ours has them: what an edit of ours would
 * keep too) nor unwrapping, with the keys at hand, to the data key. Entries of added recipients are
 * carried as written and not asked about. Shamir shares are not checked one by one: a changed
 * entry of a multi-group file counts as unchecked.
 */
async function uncheckedEntries(groups: Groups, ours: OpenedFile, base: Groups, isReader: ReaderCheck, keySources: KeySourceResolver): Promise<string[]> {
  const unchecked: string[] = [];
  await Promise.all(
    groups.map((group, gi) =>
      Promise.all(
        group.map(async (entry) => {
          if (!isReader(entry, gi)) return;
          const unchanged = (ours.metadata.keyGroups[gi] ?? []).some((e) => sameEntry(e, entry)) && (base[gi] ?? []).some((e) => sameEntry(e, entry));
          if (unchanged) return;
          if (groups.length === 1 && (await unwrapsTo(entry, ours.dataKey, keySources))) return;
          unchecked.push(describeKey(entry));
        }),
      ),
    ),
  );
  return unchecked;
}

/**
 * The merged recipients who would be given a side's values without being shown to hold that
 * side's data key. Only a side whose data key is not the base's (or, with no decryptable base,
 * not the other side's) and whose plaintext differs from the base's counts: a rotation that
 * changed no value brings nothing its readers could not read before. A recipient that side does
 * not list (added by the other side) is the other side's decision and is not asked about; one
 * it lists must be among its {@link provenEntries}. Returns the first side with such
 * recipients (theirs first), or undefined.
 */
async function unprovenReaders(groups: Groups, sides: KeyMergeSides, keySources: KeySourceResolver): Promise<{ side: "our" | "their"; readers: string[] } | undefined> {
  const { ours, theirs, base } = sides;
  const holds = namedKeyCheck(keySources);
  for (const [label, side, other] of [["their", theirs, ours], ["our", ours, theirs]] as const) {
    const rekeyed = !sameKey(side.dataKey, (base ?? other).dataKey);
    if (!rekeyed || (base !== undefined && side.plaintext === base.plaintext)) continue;
    const listed = new Set(side.metadata.keyGroups.flat().map(idOf));
    const asked = groups.flat().filter((e) => listed.has(idOf(e)));
    const proven = await provenEntries(side, new Set(asked.map(idOf)), keySources, holds);
    const readers = asked.filter((e) => !proven.has(idOf(e))).map(describeKey);
    if (readers.length > 0) return { side: label, readers };
  }
  return undefined;
}

/** Whether the key an entry names is one the keys at hand open (memoised per identity). */
type NamedKeyCheck = (entry: MasterKeyEntry) => Promise<boolean>;

/**
 * Checks that the key an entry's label names is one of yours: a probe wrapped to it from its
 * public id opens with your keys. An age or PGP entry that your key opens says nothing about
 * the recipient its label names: anyone can copy your entry under another label, or wrap a key
 * of their own to you under their own label. (A KMS entry opens only through the key it names.)
 */
function namedKeyCheck(keySources: KeySourceResolver): NamedKeyCheck {
  const seen = new Map<string, Promise<boolean>>();
  const check = async (entry: MasterKeyEntry): Promise<boolean> => {
    const recipient = recipientOf(entry);
    if (recipient === undefined) return false;
    const probe = generateDataKey();
    try {
      const source = await keySources(recipient.kind);
      if (source === undefined) return false;
      return await unwrapsTo(await source.wrap(probe, recipient), probe, keySources);
    } catch {
      return false;
    } finally {
      probe.fill(0);
    }
  };
  return (entry) => {
    const id = idOf(entry);
    let answer = seen.get(id);
    if (answer === undefined) seen.set(id, (answer = check(entry)));
    return answer;
  };
}

/**
 * The entries of a file, among those whose identity is in `asked`, that open with the keys at
 * hand to its data key through the key their label names (see {@link namedKeyCheck}): in a single
 * group, each entry that unwraps to it; with Shamir groups, the entries whose shares, one per
 * group, combine to it (every share counts in the combination, so a wrong one would change the
 * result). No other entry is tried: a KMS key only a branch names is never called with your
 * credentials.
 */
async function provenEntries(file: OpenedFile, asked: ReadonlySet<string>, keySources: KeySourceResolver, holds: NamedKeyCheck): Promise<Set<string>> {
  const groups = file.metadata.keyGroups;
  const unwrapped = await Promise.all(groups.map((group) => Promise.all(group.map((entry) => (asked.has(idOf(entry)) ? unwrapEntry(entry, keySources) : Promise.resolve(null))))));
  const proven = new Set<string>();
  const chosen = unwrapped.map((shares) => shares.find((s) => s !== null) ?? null);
  let combined: Uint8Array | null = null;
  if (groups.length === 1) combined = chosen[0] ?? null;
  else if (chosen.filter((s) => s !== null).length >= (file.metadata.shamirThreshold || groups.length)) {
    try {
      combined = combineShares(chosen.filter((s): s is Uint8Array => s !== null));
    } catch {
      combined = null;
    }
  }
  const opened: MasterKeyEntry[] = [];
  if (combined !== null && sameKey(combined, file.dataKey)) {
    groups.forEach((group, gi) => {
      group.forEach((entry, ei) => {
        const share = unwrapped[gi]![ei] ?? null;
        if (share !== null && sameKey(share, chosen[gi]!)) opened.push(entry);
      });
    });
  }
  for (const share of unwrapped.flat()) share?.fill(0);
  if (groups.length > 1) combined?.fill(0);
  for (const entry of opened) if (await holds(entry)) proven.add(idOf(entry));
  return proven;
}

/** What the entry unwraps to with the keys at hand (a data key or a Shamir share), or null. */
async function unwrapEntry(entry: MasterKeyEntry, keySources: KeySourceResolver): Promise<Uint8Array | null> {
  if (!canUseKind(entry.kind)) return null;
  try {
    const source = await keySources(entry.kind);
    return source === undefined ? null : await source.unwrap(entry);
  } catch {
    return null;
  }
}

/** Whether the entry opens, with the keys at hand, to exactly `dataKey`. Any failure is a no. */
async function unwrapsTo(entry: MasterKeyEntry, dataKey: Uint8Array, keySources: KeySourceResolver): Promise<boolean> {
  const key = await unwrapEntry(entry, keySources);
  if (key === null) return false;
  const same = sameKey(key, dataKey);
  key.fill(0);
  return same;
}


/**
 * Wraps a fresh data key (a Shamir share per group when there are several) to every merged
 * recipient, from its public id. Every failure is collected, so the message names each key.
 */
async function wrapFresh(dataKey: Uint8Array, groups: Groups, threshold: number, keySources: KeySourceResolver, why: string): Promise<MasterKeyEntry[][]> {
  const secrets = groups.length === 1 ? [dataKey] : splitSecret(dataKey, groups.length, threshold === 0 ? groups.length : threshold);
  const failures: string[] = [];
  try {
    const wrapped = await Promise.all(
      groups.map((group, gi) =>
        Promise.all(
          group.map(async (entry): Promise<MasterKeyEntry | undefined> => {
            const recipient = recipientOf(entry);
            try {
              const source = recipient === undefined ? undefined : await keySources(recipient.kind);
              if (recipient === undefined || source === undefined) throw new Error(`hush cannot wrap to ${entry.kind} keys`);
              return await source.wrap(secrets[gi]!, recipient);
            } catch (err) {
              failures.push(`${describeKey(entry)} (${printable(isHushError(err) || err instanceof Error ? err.message : String(err))})`);
              return undefined;
            }
          }),
        ),
      ),
    );
    if (failures.length > 0) {
      throw new HushError("KEY_SOURCE_FAILED", `the merged file needs a fresh data key (${why}), but it cannot be wrapped to ${failures.join("; ")}`, {
        hint: "make those keys reachable (public key in GnuPG, AWS credentials), or fix the recipients on the branch, then run `hush git resolve`",
      });
    }
    return wrapped.map((g) => g.filter((e): e is MasterKeyEntry => e !== undefined));
  } finally {
    if (secrets.length > 1) for (const s of secrets) s.fill(0);
  }
}
