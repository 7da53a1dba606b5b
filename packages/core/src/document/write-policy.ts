import { checkObject, checkString, invalidArgument, isArray } from "../arguments.ts";
import type { KeyGroupRecipients } from "../crypto/data-key.ts";
import type { MasterKeyRecipient } from "../key-source.ts";
import { comparableKeyId, masterKeyIdentity, otherReadersOf } from "../keys/registry.ts";
import { effectiveRule, ruleLeaf } from "../leaf-rules.ts";
import type { CreationRule } from "../config/sops-config.ts";
import type { EncryptionRule } from "../metadata/file-metadata.ts";
import { printable } from "../printable.ts";
import { EncryptionDecider } from "../rules/encryption-rules.ts";
import { storeFor, type FileFormat } from "../stores/registry.ts";
import type { Leaf } from "../stores/store.ts";
import { formatKeyPath } from "../tree/values.ts";

/**
 * What a write into an existing file would give away that its owner never vouched for. A file's
 * `sops` metadata (its recipients, which values it encrypts) is not covered by its MAC: a branch,
 * pull request or clone can change it without any key. Anyone can make a whole file (age and PGP
 * recipients are public) that opens for its victim with a data key and recipients of the maker's,
 * and can narrow a real file's rule (`encrypted_regex: ^password$` in a file holding only
 * `password`, its MAC still good). A key holder's next write then goes to the maker, or into
 * clear. `.sops.yaml`'s creation rule for the file (reviewed as plain text) is what the owner
 * vouches for; these functions compare a write with it.
 */

/**
 * What `.sops.yaml` vouches for one file: its creation rule's recipients, how they must agree,
 * its encryption rule and what its MAC covers.
 *
 * A rule that names no recipients (only `path_regex` and an encryption rule, say) vouches for no
 * reader: its files' keys come from the command line or the environment when they are made (as
 * with SOPS), and then from the file itself, so there is nothing to compare a file's recipients
 * or key groups with. Its encryption rule and `mac_only_encrypted` are still compared.
 */
export interface WritePolicy {
  /** The recipients the rule names (flattened over its groups); empty: nothing to compare with. */
  readonly recipients: readonly MasterKeyRecipient[];
  /** The rule's encryption rule; undefined: SOPS's default (everything but `_unencrypted` keys). */
  readonly rule?: EncryptionRule | undefined;
  /** The rule's `mac_only_encrypted`; undefined: false, SOPS's default (the MAC covers values in clear too). */
  readonly macOnlyEncrypted?: boolean | undefined;
  /**
   * The rule's key groups; undefined: `recipients` as one group (any one of them opens a file),
   * which no file's groups can be weaker than.
   */
  readonly keyGroups?: KeyGroupRecipients | undefined;
  /** The rule's `shamir_threshold` over `keyGroups`; 0 or undefined: every group. */
  readonly shamirThreshold?: number | undefined;
}

/** What a `.sops.yaml` creation rule vouches for: every field of it a write is compared with. */
export function writePolicyOf(rule: CreationRule): WritePolicy {
  checkObject(rule, "the creation rule");
  return { recipients: rule.keyGroups.flat(), rule: rule.rule, macOnlyEncrypted: rule.macOnlyEncrypted, keyGroups: rule.keyGroups, shamirThreshold: rule.shamirThreshold };
}

/**
 * The recipients of `groups` (what the data key is, or is about to be, wrapped to) that `policy`
 * does not name and `given` (keys the caller named itself) does not hold, as `group 0: age age1…`
 * escaped for a terminal. Empty when the policy names no recipients.
 */
export function unvouchedReaders(groups: KeyGroupRecipients, policy: WritePolicy, given: readonly MasterKeyRecipient[] = []): string[] {
  checkPolicy(policy);
  if (!isArray(groups) || !groups.every(isArray)) throw invalidArgument("the key groups must be a list of lists of recipients");
  if (!isArray(given)) throw invalidArgument("the given recipients must be a list");
  if (policy.recipients.length === 0) return [];
  const named = new Set([...policy.recipients, ...given].map(comparableKeyId));
  return groups.flatMap((group, gi) => group.filter((k) => !named.has(comparableKeyId(k))).map((k) => `group ${gi}: ${printable(k.kind, 20)} ${printable(masterKeyIdentity(k), 4096)}`));
}

/**
 * The entries of `groups` whose wrapped key also opens for a key no entry names, as each one's
 * structure shows (a second age stanza or PGP session key; see `otherReadersOf`), as
 * `group 0: age age1…: why`, escaped for a terminal. Whoever wrote such a file reads what is
 * written into it under its data key, whatever the labels and `.sops.yaml` say. Empty for
 * recipients without a wrapped key (a new data key is wrapped afresh for each).
 */
export function hiddenReaders(groups: KeyGroupRecipients): string[] {
  if (!isArray(groups) || !groups.every(isArray)) throw invalidArgument("the key groups must be a list of lists of recipients");
  return groups.flatMap((group, gi) =>
    group.flatMap((k) => {
      const why = otherReadersOf(k);
      return why === undefined ? [] : [`group ${gi}: ${printable(k.kind, 20)} ${printable(masterKeyIdentity(k), 4096)}: ${printable(why, 400)}`];
    }),
  );
}

/** A plaintext in its format. */
export interface PlainText {
  readonly text: string;
  readonly format: FileFormat;
}

/**
 * What was written for a file: its plaintext before and after. `before` may be several versions
 * under the same file rule (a merge's two sides): a value any of them held in clear is public.
 */
export interface PlainVersions {
  readonly before: PlainText | readonly PlainText[];
  readonly after: PlainText;
}

/** The file's rule and the policy's, as each format applies them. */
export interface DifferingRules {
  readonly file: EncryptionRule;
  readonly policy: EncryptionRule;
}

/** Throws INVALID_ARGUMENT for a policy that is not one (a caller's own object, say). */
export function checkPolicy(policy: WritePolicy): void {
  checkObject(policy, "the policy");
  if (!isArray(policy.recipients)) throw invalidArgument("the policy's recipients must be a list");
  if (policy.keyGroups !== undefined && !(isArray(policy.keyGroups) && policy.keyGroups.every(isArray))) throw invalidArgument("the policy's key groups must be a list of lists of recipients");
  if (policy.shamirThreshold !== undefined && !(Number.isInteger(policy.shamirThreshold) && policy.shamirThreshold >= 0)) throw invalidArgument("the policy's shamir threshold must be a whole number, 0 or more");
}

/** One leaf as a comparable string: where it is and what it holds. */
function leafKey(leaf: Leaf): string {
  return JSON.stringify([leaf.kind, leaf.document, leaf.path, leaf.value?.text ?? null]);
}

function sameRule(a: EncryptionRule, b: EncryptionRule): boolean {
  return a.kind === b.kind && a.value === b.value;
}

/** `encrypted_regex: ^password$`, escaped for a terminal. */
export function ruleText(rule: EncryptionRule): string {
  checkObject(rule, "the rule");
  checkString(rule.value, "the rule's value");
  return `${rule.kind}: ${printable(rule.value, 200)}`;
}

/**
 * The values and comments of `versions.after` that the file's rule (`fileRule`, from its
 * metadata) leaves in clear and `policy`'s rule would encrypt, leaving out those the file
 * already held in clear at the same place (anyone could read them already): `api_key (line 2)`,
 * escaped for a terminal, with both rules. Undefined when the two rules are the same (or a
 * format has no rules); `values` is empty when the write leaves nothing new in clear.
 */
export async function valuesLeftInClear(
  fileRule: EncryptionRule | undefined,
  policy: WritePolicy,
  versions: PlainVersions,
): Promise<{ rules: DifferingRules; values: string[] } | undefined> {
  checkPolicy(policy);
  checkObject(versions, "the versions");
  checkObject(versions.after, "the version after");
  checkString(versions.after.text, "the text after");
  const format = versions.after.format;
  const file = effectiveRule(format, fileRule);
  const policyRule = effectiveRule(format, policy.rule);
  if (file === undefined || policyRule === undefined || sameRule(file, policyRule)) return undefined;
  const rules = { file, policy: policyRule };
  const byFile = await EncryptionDecider.create(file);
  const byPolicy = await EncryptionDecider.create(policyRule);
  const alreadyClear = new Set<string>();
  for (const before of "text" in versions.before ? [versions.before] : versions.before) {
    const beforeRule = effectiveRule(before.format, fileRule);
    if (beforeRule === undefined) continue;
    // A fresh decider per version: a comment rule's state must not run on from one into the next.
    const beforeDecider = await EncryptionDecider.create(beforeRule);
    for (const leaf of (await storeFor(before.format)).parse(before.text).leaves) {
      if (!beforeDecider.shouldEncrypt(ruleLeaf(leaf))) alreadyClear.add(leafKey(leaf));
    }
  }
  const found: string[] = [];
  for (const leaf of (await storeFor(format)).parse(versions.after.text).leaves) {
    // Each decider sees every leaf in order: a comment rule follows the comments before a leaf.
    const rl = ruleLeaf(leaf);
    const encryptedByFile = byFile.shouldEncrypt(rl);
    const encryptedByPolicy = byPolicy.shouldEncrypt(rl);
    // Nulls and empty strings are never encrypted; an alias's copy is its anchor's leaf.
    if (leaf.value === null || leaf.value.text === "" || leaf.aliased === true) continue;
    if (encryptedByFile || !encryptedByPolicy || alreadyClear.has(leafKey(leaf))) continue;
    found.push(`${leaf.kind === "comment" ? "a comment in " : ""}${printable(formatKeyPath(leaf.path), 1000)} (line ${leaf.line})`);
  }
  return { rules, values: found };
}

/** What a file's metadata says of its rule and its MAC. */
export interface FileRuleAndMac {
  readonly rule: EncryptionRule | undefined;
  readonly macOnlyEncrypted: boolean;
}

/**
 * The values of `after` that the file's `mac_only_encrypted: true` leaves out of its MAC where
 * `policy` (no `mac_only_encrypted`) has the MAC cover them: the values the file's rule leaves in
 * clear, as `replicas (line 2)`, escaped for a terminal. Out of the MAC, anyone can change them
 * without a key and the file still opens. The flag is bound to the MAC (SOPS seeds the MAC with
 * it), so a file has it because it was made so: copied from a path whose rule has it, say, or
 * made with it from the command line. Undefined when the file's MAC covers all that the
 * policy's would; the list is empty when the write holds no value in clear.
 */
export async function valuesOutsideMac(file: FileRuleAndMac, policy: WritePolicy, after: PlainText): Promise<string[] | undefined> {
  checkObject(file, "the file's rule and MAC");
  checkPolicy(policy);
  checkObject(after, "the version after");
  checkString(after.text, "the text after");
  if (file.macOnlyEncrypted !== true || policy.macOnlyEncrypted === true) return undefined;
  const rule = effectiveRule(after.format, file.rule);
  // A whole-file format encrypts everything: nothing is in clear to leave out.
  if (rule === undefined) return [];
  const decider = await EncryptionDecider.create(rule);
  const found: string[] = [];
  for (const leaf of (await storeFor(after.format)).parse(after.text).leaves) {
    const encrypted = decider.shouldEncrypt(ruleLeaf(leaf));
    // Comments, nulls and empty strings are outside every MAC; an alias's copy is its anchor's leaf.
    if (encrypted || leaf.kind === "comment" || leaf.value === null || leaf.value.text === "" || leaf.aliased === true) continue;
    found.push(`${printable(formatKeyPath(leaf.path), 1000)} (line ${leaf.line})`);
  }
  return found;
}
