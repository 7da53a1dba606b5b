import { invalidArgument, isArray } from "../arguments.ts";
import type { KeyGroupRecipients } from "../crypto/data-key.ts";
import type { MasterKeyRecipient } from "../key-source.ts";
import { comparableKeyId, masterKeyIdentity } from "../keys/registry.ts";
import { printable } from "../printable.ts";
import { checkPolicy, type WritePolicy } from "./write-policy.ts";

/**
 * Who must agree to open a data key. A file's `key_groups` and `shamir_threshold` are its own
 * metadata, which no MAC covers: a file made under another rule (copied from a path whose rule
 * has one group, made with flags, or from before `.sops.yaml` asked for more) can name only
 * recipients `.sops.yaml` names and still let fewer of them open it than the rule asks: with
 * `key_groups: [[alice], [bob]]` and `shamir_threshold: 2`, a file with one group `[alice, bob]`
 * opens for bob alone. Writing a secret into it, or wrapping a new data key to its groups, gives
 * the secret to that smaller set.
 */

/** How many searches {@link weakerQuorum} makes before it reports the groups as too many to compare. */
const SEARCH_BUDGET = 200_000;

/** The groups a threshold needs: 0, or one group, is every group. */
function needed(groups: number, threshold: number): number {
  return groups <= 1 || threshold === 0 ? groups : Math.min(threshold, groups);
}

function describe(key: MasterKeyRecipient): string {
  return `${printable(key.kind, 20)} ${printable(masterKeyIdentity(key), 4096)}`;
}

/**
 * A set of recipients, all named by `policy`, that `groups` under `threshold` (a file's, or the
 * groups a new data key is about to be split over) let open the data key and that the policy's
 * key groups and threshold do not, with what each asks, escaped for a terminal:
 * `age age1… opens it alone (the file: 1 of its 1 key group; .sops.yaml: 2 of its 2)`. Undefined when there is none, or when the
 * policy names no recipients or no groups (nothing to compare with). Recipients the policy does
 * not name (what `unvouchedReaders` lists) are left out of the sets: they are asked about
 * already.
 */
export function weakerQuorum(groups: KeyGroupRecipients, threshold: number, policy: WritePolicy): string | undefined {
  if (!isArray(groups) || !groups.every(isArray)) throw invalidArgument("the key groups must be a list of lists of recipients");
  if (!Number.isInteger(threshold) || threshold < 0) throw invalidArgument("the threshold must be a whole number, 0 or more");
  checkPolicy(policy);
  const policyGroups = policy.keyGroups;
  if (groups.length === 0 || policy.recipients.length === 0 || policyGroups === undefined || policyGroups.length === 0) return undefined;
  const policyNeeds = needed(policyGroups.length, policy.shamirThreshold ?? 0);
  /** For each recipient the policy names: the policy's groups it is in. */
  const groupsOf = new Map<string, Set<number>>();
  policyGroups.forEach((group, gi) => {
    for (const key of group) {
      const id = comparableKeyId(key);
      let set = groupsOf.get(id);
      if (set === undefined) groupsOf.set(id, (set = new Set()));
      set.add(gi);
    }
  });
  // Within a group, recipients that reach the same policy groups are alike: one of each is tried.
  const candidates = groups.map((group) => {
    const byReach = new Map<string, { key: MasterKeyRecipient; reach: readonly number[] }>();
    for (const key of group) {
      const reach = groupsOf.get(comparableKeyId(key));
      if (reach === undefined) continue;
      const sorted = [...reach].sort((a, b) => a - b);
      if (!byReach.has(sorted.join(","))) byReach.set(sorted.join(","), { key, reach: sorted });
    }
    return [...byReach.values()];
  });
  const fileNeeds = needed(groups.length, threshold);
  const chosen: MasterKeyRecipient[] = [];
  /** Searches (from, picks made, policy groups reached) known to find nothing. */
  const fruitless = new Set<string>();
  let budget = SEARCH_BUDGET;
  let exhausted = false;

  // Picks one named recipient from each of `fileNeeds` groups (from `from` on), keeping the
  // policy groups they reach below what the policy needs: such a pick opens the file alone.
  const search = (from: number, reached: ReadonlySet<number>): boolean => {
    if (reached.size >= policyNeeds) return false;
    if (chosen.length === fileNeeds) return true;
    const state = `${from}|${chosen.length}|${[...reached].sort((a, b) => a - b).join(",")}`;
    if (fruitless.has(state)) return false;
    for (let gi = from; gi <= candidates.length - (fileNeeds - chosen.length); gi++) {
      for (const { key, reach } of candidates[gi]!) {
        if (--budget < 0) {
          exhausted = true;
          return false;
        }
        chosen.push(key);
        if (search(gi + 1, new Set([...reached, ...reach]))) return true;
        chosen.pop();
      }
    }
    if (!exhausted) fruitless.add(state);
    return false;
  };

  const plural = (n: number): string => (n === 1 ? "key group" : "key groups");
  const counts = `(the file: ${fileNeeds} of its ${groups.length} ${plural(groups.length)}; .sops.yaml: ${policyNeeds} of its ${policyGroups.length})`;
  if (search(0, new Set())) {
    const unique = [...new Map(chosen.map((key) => [comparableKeyId(key), key])).values()];
    return `${unique.map(describe).join(" with ")} ${unique.length === 1 ? "opens it alone" : "open it together"} ${counts}`;
  }
  // Too many groups and recipients to search through: say so rather than let it pass.
  if (exhausted) return `the file's key groups are not .sops.yaml's and too many to compare ${counts}`;
  return undefined;
}
