/**
 * How few keys open a file: Shamir's threshold counts key groups, not keys, so one key listed in
 * several groups meets several groups' shares at once. A rule with groups `[alice]`,
 * `[bob, alice]`, `[carol]` and `shamir_threshold: 2` lets alice open the file alone, which SOPS allows
 * and a reader of the rule does not see.
 */

/** Most key groups a file may have (the metadata limit); keeps the search below bounded. */
const MAX_GROUPS = 16;

/**
 * The fewest distinct keys that together reach `needed` of `groups` (each group a list of key
 * ids; a key reaches every group that lists it). Without a key in two groups that is `needed`;
 * otherwise found by a breadth-first search over sets of groups (at most 2^16), once per file.
 * Groups past {@link MAX_GROUPS} are not counted (the metadata check refuses such a file).
 */
export function fewestKeysToOpen(groups: ReadonlyArray<readonly string[]>, needed: number): number {
  const counted = groups.slice(0, MAX_GROUPS);
  const reach = new Map<string, number>();
  counted.forEach((group, i) => {
    for (const id of group) reach.set(id, (reach.get(id) ?? 0) | (1 << i));
  });
  const masks = [...new Set(reach.values())];
  if (masks.every((m) => (m & (m - 1)) === 0)) return needed;
  const keysFor = new Map<number, number>([[0, 0]]);
  let frontier = [0];
  for (let keys = 1; frontier.length > 0; keys++) {
    const next: number[] = [];
    for (const reached of frontier) {
      for (const m of masks) {
        const union = reached | m;
        if (keysFor.has(union)) continue;
        if (popCount(union) >= needed) return keys;
        keysFor.set(union, keys);
        next.push(union);
      }
    }
    frontier = next;
  }
  return needed;
}

function popCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}
