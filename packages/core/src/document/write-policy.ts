import { checkObject, checkString, invalidArgument, isArray } from "../arguments.ts";
import type { KeyGroupRecipients } from "../crypto/data-key.ts";
import type { MasterKeyRecipient } from "../key-source.ts";
import { comparableKeyId, masterKeyIdentity } from "../keys/registry.ts";
import { effectiveRule, ruleLeaf } from "../leaf-rules.ts";
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

/** What `.sops.yaml` vouches for one file: its creation rule's recipients and encryption rule. */
export interface WritePolicy {
  /** The recipients the rule names (flattened over its groups); empty: nothing to compare with. */
  readonly recipients: readonly MasterKeyRecipient[];
  /** The rule's encryption rule; undefined: SOPS's default (everything but `_unencrypted` keys). */
  readonly rule?: EncryptionRule | undefined;
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

function checkPolicy(policy: WritePolicy): void {
  checkObject(policy, "the policy");
  if (!isArray(policy.recipients)) throw invalidArgument("the policy's recipients must be a list");
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
