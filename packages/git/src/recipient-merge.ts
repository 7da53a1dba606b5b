import { appendAll, comparableKeyId, HushError, masterKeyIdentity, printable, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";

/**
 * The recipients of a merged encrypted file, merged three-way by identity from both sides' key
 * groups and the common ancestor's (for `mergeKeys`, which decides who gets the data key).
 */

/** Key groups as a file's metadata holds them. */
export type Groups = ReadonlyArray<readonly MasterKeyEntry[]>;

/** A key's identity for messages: kind and id, with control characters escaped (names come from files). */
export function describeKey(entry: MasterKeyEntry | MasterKeyRecipient): string {
  return `${entry.kind} ${printable(masterKeyIdentity(entry))}`;
}

/**
 * A key as a set member: kind and identity as compared (a PGP fingerprint in either case is one
 * key, as for gpg and `.sops.yaml`: a branch that re-cases it neither removes nor adds anyone).
 */
export const idOf: (e: MasterKeyEntry) => string = comparableKeyId;
/** The identities of every key of `groups`. */
export const idsOf = (groups: Groups): Set<string> => new Set(groups.flat().map(idOf));
/** Keys for a message, comma separated. */
export const listKeys = (entries: readonly MasterKeyEntry[]): string => entries.map(describeKey).join(", ");

/**
 * Recipients, merged three-way by identity: a key stays when both sides kept it, is added when
 * either side added it, and goes when either side removed it, so that a revocation on one branch
 * is not undone by a merge and an addition is kept (and named in the merge's output). Entries are
 * ours' where ours has the key. Only for single-group files: with Shamir groups that differ,
 * ours' groups are kept, less the recipients their side removed.
 */
export function mergeRecipients(ours: Groups, theirs: Groups, base: Groups | undefined, notes: string[]): Groups {
  const oursIds = idsOf(ours);
  const theirsIds = idsOf(theirs);
  const sameIds = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((i) => b.has(i));
  // Group by group: a recipient moved out of one Shamir group no longer holds that group's share.
  if (ours.length === theirs.length && ours.every((group, gi) => sameIds(idsOf([group]), idsOf([theirs[gi]!])))) return ours;
  if (!(ours.length === 1 && theirs.length === 1 && (base === undefined || base.length === 1))) return oursGroupsLessTheirRemovals(ours, theirs, base, notes);
  const baseIds = base === undefined ? undefined : idsOf(base);
  const keep = (id: string): boolean => {
    const inOurs = oursIds.has(id);
    const inTheirs = theirsIds.has(id);
    if (baseIds === undefined) return inOurs || inTheirs;
    return baseIds.has(id) ? inOurs && inTheirs : inOurs || inTheirs;
  };
  const group = ours[0]!.filter((e) => keep(idOf(e)));
  const removed = ours[0]!.filter((e) => !keep(idOf(e)));
  const added = theirs[0]!.filter((e) => !oursIds.has(idOf(e)) && keep(idOf(e)));
  appendAll(group, added);
  if (group.length === 0) throw new HushError("EMPTY_KEY_GROUP", "merging the two sides' recipients leaves no key (each side removed the keys the other kept)");
  if (added.length > 0) notes.push(`recipients added by their side: ${listKeys(added)}`);
  if (removed.length > 0) notes.push(`recipients removed by their side: ${listKeys(removed)}`);
  return [group];
}

/**
 * Ours' Shamir groups when the two sides' groups differ, less every recipient their side removed:
 * a revocation made on their branch (often with a re-key, which draws a fresh data key) must not
 * be undone by keeping ours' groups, nor a fresh data key's shares wrapped to the revoked
 * recipient. When the base and both sides have as many groups, a removal is per group (taken
 * out of one group, a recipient no longer holds that group's share); otherwise a recipient the
 * base lists and their side does not list at all. Their additions are not carried (the groups
 * are ours'), and are named: whoever added them expects them to read the merged file.
 */
function oursGroupsLessTheirRemovals(ours: Groups, theirs: Groups, base: Groups | undefined, notes: string[]): Groups {
  notes.push("the two sides have different key groups (Shamir); the merged file keeps ours: run `hush updatekeys` to apply .sops.yaml");
  const [oursIds, knownIds] = [idsOf(ours), base === undefined ? new Set<string>() : idsOf(base)];
  const notCarried = [...new Map(theirs.flat().filter((e) => !oursIds.has(idOf(e)) && !knownIds.has(idOf(e))).map((e) => [idOf(e), e])).values()];
  // With no common ancestor nothing was added since one: they are only not listed by ours.
  const how = base === undefined ? "listed by their side only (the file has no encrypted common ancestor)" : "their side added";
  if (notCarried.length > 0) notes.push(`recipients ${how}, not in the merged file (its key groups are ours): ${listKeys(notCarried)}`);
  if (base === undefined) return ours;
  const perGroup = base.length === ours.length && theirs.length === ours.length;
  const [baseIds, theirsIds] = [idsOf(base), idsOf(theirs)];
  const removedByTheirs = (e: MasterKeyEntry, gi: number): boolean =>
    perGroup ? base[gi]!.some((b) => idOf(b) === idOf(e)) && !theirs[gi]!.some((t) => idOf(t) === idOf(e)) : baseIds.has(idOf(e)) && !theirsIds.has(idOf(e));
  const removed = ours.flatMap((group, gi) => group.filter((e) => removedByTheirs(e, gi)));
  if (removed.length === 0) return ours;
  const groups = ours.map((group, gi) => group.filter((e) => !removedByTheirs(e, gi)));
  const emptied = groups.findIndex((group) => group.length === 0);
  if (emptied >= 0) {
    throw new HushError("EMPTY_KEY_GROUP", `merging the two sides' recipients leaves key group ${emptied + 1} empty (their side removed ${listKeys(ours[emptied]!)})`, {
      hint: "take one side as it is (`git checkout --ours FILE` or `--theirs FILE`), make the other side's change again with `hush edit FILE`, then `git add FILE`",
    });
  }
  notes.push(`recipients removed by their side: ${listKeys([...new Map(removed.map((e) => [idOf(e), e])).values()])}`);
  return groups;
}

