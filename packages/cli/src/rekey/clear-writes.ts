import { effectiveRule, EncryptionDecider, formatKeyPath, isHushError, printable, ruleLeaf, storeFor, type EncryptionRule, type FileFormat, type Leaf } from "@hush/core";
import { creationRuleFor, type LoadedConfig } from "../config.ts";

/**
 * Values a write would leave in clear against `.sops.yaml`. Which values a file encrypts is its
 * own `sops` metadata (`encrypted_regex`, `unencrypted_suffix`, the comment regexes, …), which
 * its MAC does not cover: a branch, pull request or clone can narrow it without any key (an
 * `encrypted_regex: ^password$` added to a file holding only `password`), and a key holder's
 * next `set api_key …`, edit or `encrypt --reuse` wrote the new secret in clear for anyone to
 * read, as SOPS does. The creation rule (reviewed as plain text) is what the user vouches for.
 */

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

/** One leaf as a comparable string: where it is and what it holds. */
function leafKey(leaf: Leaf): string {
  return JSON.stringify([leaf.kind, leaf.document, leaf.path, leaf.value?.text ?? null]);
}

function sameRule(a: EncryptionRule | undefined, b: EncryptionRule | undefined): boolean {
  return a?.kind === b?.kind && a?.value === b?.value;
}

/** `encrypted_regex: ^password$`, escaped for the terminal. */
export function ruleText(rule: EncryptionRule): string {
  return `${rule.kind}: ${printable(rule.value, 200)}`;
}

/** The file's rule and the creation rule's, when a rule covering `target` names another one. */
async function differingRules(
  loaded: LoadedConfig | undefined,
  cwd: string,
  target: { readonly abs: string },
  format: FileFormat,
  fileRule: EncryptionRule | undefined,
): Promise<{ file: EncryptionRule; policy: EncryptionRule } | undefined> {
  let creation;
  try {
    creation = await creationRuleFor(loaded, target.abs, cwd);
  } catch (err) {
    // No rule matches this file: nothing vouches for another rule.
    if (!isHushError(err, "CONFIG_NO_MATCH")) throw err;
  }
  if (creation === undefined) return undefined;
  const file = effectiveRule(format, fileRule);
  const policy = effectiveRule(format, creation.rule);
  if (file === undefined || policy === undefined || sameRule(file, policy)) return undefined;
  return { file, policy };
}

/**
 * The values and comments of `versions.after` that the file's rule leaves in clear and the rule
 * `.sops.yaml` has for `target` would encrypt, leaving out those the file already held in clear
 * at the same place (anyone could read them already): `api_key (line 2)`, escaped for the
 * terminal, with both rules. Undefined when no creation rule covers the file or it names the
 * file's own rule; `values` is empty when the write leaves nothing new in clear.
 */
export async function valuesLeftInClear(
  loaded: LoadedConfig | undefined,
  cwd: string,
  target: { readonly abs: string },
  fileRule: EncryptionRule | undefined,
  versions: PlainVersions,
): Promise<{ rules: { file: EncryptionRule; policy: EncryptionRule }; values: string[] } | undefined> {
  const rules = await differingRules(loaded, cwd, target, versions.after.format, fileRule);
  if (rules === undefined) return undefined;
  const byFile = await EncryptionDecider.create(rules.file);
  const byPolicy = await EncryptionDecider.create(rules.policy);
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
  for (const leaf of (await storeFor(versions.after.format)).parse(versions.after.text).leaves) {
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
