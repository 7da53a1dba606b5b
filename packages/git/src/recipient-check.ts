import { appendAll, comparableKeyId, keyBackend, masterKeyIdentity, otherReadersOf, printable, type CreationRule, type FileMetadata, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import { fewestKeysToOpen } from "./key-quorum.ts";

/**
 * Keyless checks of a file's recipients: entries whose wrapped key cannot be one (checked per
 * kind, only what is cheap and certain), and recipients and key groups that differ from the
 * file's creation rule.
 * Anyone can add a recipient entry to a file without a key; the next `hush rotate` or
 * `updatekeys` by a key holder would then wrap the real data key for it.
 */

export interface RecipientFinding {
  readonly code: RecipientFindingCode;
  readonly message: string;
  /**
   * An entry the branch added (not in the file where it started, see {@link BaseRule.startRecipients})
   * that the base revision's rule does not name: an error whatever `--strict` says.
   */
  readonly addedByBranch?: true;
}

const RECIPIENT_FINDING_CODES = ["wrapped-key-invalid", "other-reader", "unexpected-recipient", "missing-recipient", "key-groups-differ"] as const;
type RecipientFindingCode = (typeof RECIPIENT_FINDING_CODES)[number];

/**
 * A finding's severity in `hush check`: an error with `--strict`, when the branch added the entry
 * (see {@link RecipientFinding.addedByBranch}), or when the wrapped key itself opens for a key
 * its entry does not name (no SOPS or hush writes one); a warning otherwise.
 */
export function recipientFindingSeverity(finding: RecipientFinding, strict: boolean): "error" | "warning" {
  return strict || finding.addedByBranch === true || finding.code === "other-reader" ? "error" : "warning";
}

/** Whether a check problem's `code` is one of {@link recipientFindings}' (to replace them with those against another rule). */
export function isRecipientFindingCode(code: string): code is RecipientFindingCode {
  return (RECIPIENT_FINDING_CODES as readonly string[]).includes(code);
}

/** Whether an entry's wrapped key has at least the outer form of its kind (armor, base64); kinds without a registered form pass. */
export function hasWrappedKeyArmor(entry: MasterKeyEntry): boolean {
  if (!("enc" in entry)) return true;
  const form = keyBackend(entry.kind)?.wrappedKeyForm;
  return typeof entry.enc === "string" && entry.enc !== "" && (form === undefined || form.test(entry.enc));
}

/** Why `entry` cannot be a wrapped data key (its backend's keyless check), or undefined when it looks like one. */
function wrappedKeyFault(entry: MasterKeyEntry): string | undefined {
  return keyBackend(entry.kind)?.wrappedKeyFault?.(entry);
}

/** Why `entry`'s wrapped key opens for a key the entry does not name (its backend's keyless check), or undefined. */
export function otherReaders(entry: MasterKeyEntry): string | undefined {
  return hasWrappedKeyArmor(entry) ? otherReadersOf(entry) : undefined;
}


function groupText(sizes: readonly number[]): string {
  return `${sizes.length} key group(s) of ${sizes.join(", ")} recipient(s)`;
}

/** The number of groups needed to open a file: as `updatekeys` computes it (0 or more than the groups means all). */
export function neededGroups(groups: number, threshold: number): number {
  return groups <= 1 ? 1 : threshold === 0 || threshold > groups ? groups : threshold;
}

/** A group's members as one comparable string (order within a group does not matter). */
function groupSignature(ids: readonly string[]): string {
  return [...new Set(ids)].sort().join("\n");
}

/**
 * How the file's groups and threshold differ from the rule's, when they have the same recipients.
 * Groups are compared as sets of members, in any order (share i goes to group i either way). The
 * threshold is compared only when the rule sets one: `updatekeys` keeps the file's otherwise.
 */
function groupStructureFault(metadata: FileMetadata, rule: CreationRule): string | undefined {
  const fileGroups = metadata.keyGroups.map((g) => groupSignature(g.map(comparableKeyId))).sort();
  const ruleGroups = rule.keyGroups.filter((g) => g.length > 0).map((g) => groupSignature(g.map(comparableKeyId))).sort();
  const fileShape = groupText(metadata.keyGroups.map((g) => g.length));
  const ruleShape = groupText(rule.keyGroups.filter((g) => g.length > 0).map((g) => g.length));
  if (fileGroups.join("\0") !== ruleGroups.join("\0")) return `the file has ${fileShape}, the creation rule asks for ${ruleShape} (same recipients, grouped differently)`;
  if (rule.shamirThreshold === 0) return undefined;
  const fileNeeds = neededGroups(metadata.keyGroups.length, metadata.shamirThreshold);
  const ruleNeeds = neededGroups(ruleGroups.length, rule.shamirThreshold);
  if (fileNeeds === ruleNeeds) return undefined;
  return `the file's shamir threshold needs ${fileNeeds} of ${metadata.keyGroups.length} key groups, the creation rule's threshold needs ${ruleNeeds}`;
}

/** How a file's recipients differ from its creation rule's, as data (see {@link recipientFindings}). */
export interface RecipientDrift {
  /** Entries of the file the rule does not name, with their key group. */
  readonly unexpected: ReadonlyArray<{ readonly entry: MasterKeyEntry; readonly group: number }>;
  /** Recipients the rule names that have no wrapped key in the file (each once). */
  readonly missing: readonly MasterKeyRecipient[];
  /** With the same recipients: how the key groups or threshold differ, or undefined. */
  readonly structure: string | undefined;
}

/**
 * How `metadata`'s recipients differ from `rule`'s, or undefined when no rule covers the file or
 * it names no recipients. Recipients are compared by kind and identity (PGP in any case), of any
 * kind, including kinds hush cannot wrap to: a key holder running SOPS would send the data key there.
 */
export function recipientDrift(metadata: FileMetadata, rule: CreationRule | undefined): RecipientDrift | undefined {
  const ruleRecipients = (rule?.keyGroups ?? []).flat();
  if (rule === undefined || ruleRecipients.length === 0) return undefined;
  const named = new Set(ruleRecipients.map(comparableKeyId));
  const present = new Set(metadata.keyGroups.flat().map(comparableKeyId));
  const unexpected = metadata.keyGroups.flatMap((group, gi) => group.filter((entry) => !named.has(comparableKeyId(entry))).map((entry) => ({ entry, group: gi })));
  const reported = new Set<string>();
  const missing = ruleRecipients.filter((recipient) => {
    const id = comparableKeyId(recipient);
    if (present.has(id) || reported.has(id)) return false;
    reported.add(id);
    return true;
  });
  const structure = unexpected.length === 0 && missing.length === 0 ? groupStructureFault(metadata, rule) : undefined;
  return { unexpected, missing, structure };
}

/**
 * Findings for every recipient of `metadata`, checked against `rule` when one covers the file and
 * names recipients: entries the rule does not name, recipients the rule names that the file
 * lacks, and key groups or a threshold that differ from the rule's (see {@link recipientDrift}).
 * With `base` (a trusted revision's rule for the file), also those of {@link baseRecipientFindings},
 * and no advice to re-key for a recipient only `rule` names.
 */
export function recipientFindings(metadata: FileMetadata, rule: CreationRule | undefined, base?: BaseRule): RecipientFinding[] {
  const out: RecipientFinding[] = [];
  metadata.keyGroups.forEach((group, gi) => {
    for (const entry of group) {
      // An entry without the outer form is already a metadata error; the deeper checks add nothing.
      const fault = hasWrappedKeyArmor(entry) ? wrappedKeyFault(entry) : undefined;
      if (fault !== undefined) out.push({ code: "wrapped-key-invalid", message: `the wrapped data key of ${describe(entry, gi)} cannot be a wrapped key: ${fault}` });
      const others = fault === undefined ? otherReaders(entry) : undefined;
      if (others !== undefined) {
        out.push({
          code: "other-reader",
          message: `the wrapped data key of ${describe(entry, gi)} opens for a key the entry does not name: ${others}; whoever wrote it may read the file, and what a key holder adds to it; run \`hush rotate -i\` on the file (with a key that opens it) for a new data key wrapped to the recipients listed only`,
        });
      }
    }
  });
  const drift = recipientDrift(metadata, rule);
  if (rule === undefined || drift === undefined) return out;
  const where = `the creation rule for this file (path_regex ${printable(JSON.stringify(rule.pathRegex))})`;
  const fix = "run `hush updatekeys` on the file (with a key that opens it) to re-key it as the rule says";
  for (const { entry, group } of drift.unexpected) {
    out.push(
      base !== undefined && addedByBranch(entry, base)
        ? addedByBranchFinding(entry, group, base)
        : { code: "unexpected-recipient", message: `${describe(entry, group)} is not named by ${where}; ${fix}, unless it belongs there (then add it to the rule)` },
    );
  }
  // With a trusted base revision, a recipient only this branch's rule names must not be given the
  // data key on the branch's word: no advice to re-key for it.
  const baseNamed = base === undefined ? undefined : new Set(base.rule.keyGroups.flat().map(comparableKeyId));
  const copied = base?.source === undefined ? "" : ` for ${baseRuleSubject(base)}`;
  // A copy holds its source's data key: the way out is a file of its own, whichever rule changed.
  const notHere =
    base?.source === undefined
      ? "`hush updatekeys` would give it one: add it on the base branch first (a change of .sops.yaml alone), or take it out of this branch's rule"
      : `\`hush updatekeys\` would give it the data key of ${printable(base.source)}: encrypt this file anew (\`hush encrypt\` draws a new data key) instead of copying that one, or name the recipient in that file's rule on the base branch first`;
  for (const recipient of drift.missing) {
    const onlyHere = baseNamed !== undefined && !baseNamed.has(comparableKeyId(recipient));
    out.push({
      code: "missing-recipient",
      message: onlyHere
        ? `${recipient.kind} recipient ${printable(masterKeyIdentity(recipient))} is named by ${where} but not by the creation rule in ${printable(base!.where)}${copied}, and has no wrapped key in this file; ${notHere}`
        : `${recipient.kind} recipient ${printable(masterKeyIdentity(recipient))} is named by ${where} but has no wrapped key in this file, so it cannot open it; ${fix}`,
    });
  }
  if (drift.structure !== undefined) out.push({ code: "key-groups-differ", message: `the key groups differ from ${where}: ${drift.structure}; ${fix}` });
  if (base !== undefined) appendAll(out, baseRecipientFindings(metadata, rule, base));
  const quorum = base === undefined ? undefined : weakerQuorumFinding(metadata, rule, base);
  if (quorum !== undefined) out.push(quorum);
  return out;
}

/** Each rule's quorum by the threshold it is computed with (a rule without one takes the file's): hush check asks once per file and commit. */
const quorums = new WeakMap<CreationRule, Map<number, { keys: number; shared: string[] }>>();

/** The fewest keys that open a file re-keyed under `rule` (its threshold, else the file's, as `updatekeys` does), and the keys in several groups. */
function ruleQuorum(metadata: FileMetadata, rule: CreationRule): { keys: number; shared: string[] } {
  const threshold = rule.shamirThreshold || metadata.shamirThreshold;
  let byThreshold = quorums.get(rule);
  if (byThreshold === undefined) quorums.set(rule, (byThreshold = new Map()));
  const known = byThreshold.get(threshold);
  if (known !== undefined) return known;
  const groups = rule.keyGroups.filter((g) => g.length > 0);
  const ids = groups.map((g) => [...new Set(g.map(comparableKeyId))]);
  const seen = new Map<string, { count: number; name: string }>();
  groups.forEach((g) => {
    for (const [id, r] of new Map(g.map((r) => [comparableKeyId(r), r]))) seen.set(id, { count: (seen.get(id)?.count ?? 0) + 1, name: `${r.kind} ${masterKeyIdentity(r)}` });
  });
  const quorum = { keys: fewestKeysToOpen(ids, neededGroups(groups.length, threshold)), shared: [...seen.values()].filter((v) => v.count > 1).map((v) => v.name) };
  byThreshold.set(threshold, quorum);
  return quorum;
}

/**
 * With a trusted base revision: the branch's rule lets fewer keys open the file than the base's
 * rule does, by listing a key in several key groups (see key-quorum.ts). The file may still be as
 * the base made it; merged, the next `updatekeys` by a key holder re-keys it under the branch's
 * rule. A warning (an error with `--strict`) that says so, where `key-groups-differ` said only
 * that the groups differ: the change is in `.sops.yaml`, which a reviewer reads, and a team may
 * lower its quorum on purpose, in a pull request of its own.
 */
function weakerQuorumFinding(metadata: FileMetadata, rule: CreationRule, base: BaseRule): RecipientFinding | undefined {
  const own = ruleQuorum(metadata, rule);
  const trusted = ruleQuorum(metadata, base.rule);
  if (own.keys >= trusted.keys) return undefined;
  const shared = own.shared.length === 0 ? "" : ` (${own.shared.slice(0, 3).map((n) => printable(n)).join(", ")}${own.shared.length > 3 ? ", …" : ""} in more than one key group)`;
  return {
    code: "key-groups-differ",
    message: `the creation rule of this branch lets ${own.keys} key${own.keys === 1 ? "" : "s"} open the file${shared}, the creation rule in ${printable(base.where)} needs ${trusted.keys}; merged, the next \`hush updatekeys\` would re-key it so; if that is not meant, ${own.shared.length > 0 ? "list each key in one group" : `keep the key groups and threshold of ${printable(base.where)}`}`,
  };
}

/**
 * With a trusted base revision (`hush check --base`): entries of the file that this branch's rule
 * names but the base revision's rule (`base.where`, e.g. `main:.sops.yaml`) does not. A branch
 * without a key can name a recipient of its own in `.sops.yaml` and add an entry for it to a file;
 * by the branch's rule the file is then in order, and the next `updatekeys` or `rotate` by a key
 * holder wraps the data key to it. Entries neither rule names are {@link recipientFindings}' own.
 */
function baseRecipientFindings(metadata: FileMetadata, ownRule: CreationRule | undefined, base: BaseRule): RecipientFinding[] {
  const drift = recipientDrift(metadata, base.rule);
  if (drift === undefined) return [];
  const ownNamed = new Set((ownRule?.keyGroups ?? []).flat().map(comparableKeyId));
  return drift.unexpected
    .filter(({ entry }) => ownNamed.has(comparableKeyId(entry)))
    .map(({ entry, group }) =>
      addedByBranch(entry, base)
        ? addedByBranchFinding(entry, group, base)
        : {
            code: "unexpected-recipient" as const,
            message: `${describe(entry, group)} is not named by the creation rule in ${printable(base.where)} for ${baseRuleSubject(base)}, only by this branch's; add it on the base branch first (a change of .sops.yaml alone), or remove it from the file with \`hush updatekeys\``,
          },
    );
}

/** Whether the branch added `entry` (see {@link BaseRule.startRecipients}) and the base's rule does not name it. */
function addedByBranch(entry: MasterKeyEntry, base: BaseRule): boolean {
  const id = comparableKeyId(entry);
  return base.startRecipients !== undefined && !base.startRecipients.has(id) && !base.rule.keyGroups.some((g) => g.some((r) => comparableKeyId(r) === id));
}

/**
 * An entry the branch added for a recipient the base's rule does not name. Merged, it is the
 * base branch's file: a key holder's next `rotate` or `updatekeys` under a rule that keeps it (or
 * SOPS's re-wrap) hands it the data key, and a warning in a CI log is all the review showed.
 */
function addedByBranchFinding(entry: MasterKeyEntry, group: number, base: BaseRule): RecipientFinding {
  return {
    code: "unexpected-recipient",
    addedByBranch: true,
    message: `${describe(entry, group)} was added to the file by this branch and is not named by the creation rule in ${printable(base.where)} for ${baseRuleSubject(base)}; merged, the next re-key by a key holder would give it the data key: name it in .sops.yaml on the base branch first (a change of its own), then re-key; or remove it from the file with \`hush updatekeys\``,
  };
}

/** A trusted revision's creation rule for a file, and where it is (e.g. `main:.sops.yaml`). */
export interface BaseRule {
  readonly rule: CreationRule;
  readonly where: string;
  /**
   * The path the rule is for, when it is not the file's own: a file the branch copied or moved to
   * a path the base revision has no rule for is held to the rule of the file it copies.
   */
  readonly source?: string | undefined;
  /**
   * The comparable ids of the recipients the file had where the branch started (its version at
   * the merge base, or the file it copies; empty for a file new on the branch), when known: an
   * entry not among them that this rule does not name is {@link RecipientFinding.addedByBranch}.
   */
  readonly startRecipients?: ReadonlySet<string> | undefined;
}

/** What a base rule is the rule for, in a finding: this file, or the file it copies. */
function baseRuleSubject(base: BaseRule): string {
  return base.source === undefined ? "this file" : `${printable(base.source)}, the file this one copies`;
}

function describe(entry: MasterKeyEntry, group: number): string {
  return `${entry.kind} recipient ${printable(masterKeyIdentity(entry))} in key group ${group}`;
}
