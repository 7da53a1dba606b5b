import { checkObject, checkString } from "../arguments.ts";
import type { KeyGroupRecipients } from "../crypto/data-key.ts";
import { HushError, printable } from "../errors.ts";
import { keyGroupLimitProblem, shamirThresholdProblem } from "../metadata/limits.ts";
import type { MasterKeyRecipient } from "../key-source.ts";
import type { EncryptionRule } from "../metadata/file-metadata.ts";
import { checkFormat, registration, type FileFormat } from "../stores/registry.ts";
import { findCreationRule, type CreationRule, type SopsConfig } from "./sops-config.ts";

/**
 * What a new encrypted file is created with: its keys, key groups, Shamir threshold, selection
 * rule and MAC mode, from `.sops.yaml`'s creation rules and the caller's overrides, with SOPS's
 * precedence (the command-line flags of `encrypt` and `edit`): keys given by the caller form one
 * group that replaces the rule's groups; a given threshold, selection rule or `macOnlyEncrypted`
 * wins over the rule's.
 */

export interface CreationOverrides {
  /** Keys that replace the creation rule's (one key group). Empty or absent: the rule's keys. */
  readonly keys?: readonly MasterKeyRecipient[];
  /** Shamir threshold instead of the rule's. */
  readonly shamirThreshold?: number;
  /** Selection rule (`encrypted_regex` etc.) instead of the rule's. */
  readonly rule?: EncryptionRule;
  /** Authenticate only encrypted values; true here wins over the rule. */
  readonly macOnlyEncrypted?: boolean;
}

export interface CreationSettings {
  readonly keyGroups: KeyGroupRecipients;
  /** 0 for one key group; otherwise the threshold (the number of groups when none is set). */
  readonly shamirThreshold: number;
  /** The selection rule; undefined means the default (`_unencrypted` suffix). */
  readonly rule: EncryptionRule | undefined;
  readonly macOnlyEncrypted: boolean;
  /** The matched creation rule, if any (to say where settings came from). */
  readonly creationRule: CreationRule | undefined;
}

/**
 * Resolves the creation settings for a file.
 * @param config - the parsed `.sops.yaml`, or undefined when there is none.
 * @param relativePath - the file's path relative to the config file's directory, with forward
 *   slashes (what `path_regex` is matched against).
 * @throws HushError CONFIG_NO_MATCH when the config has rules and none matches the path (even
 *   with keys given, as SOPS does), or when neither a rule nor the caller gives keys;
 *   EMPTY_KEY_GROUP when the keys come to no group or an empty group; CONFIG_INVALID for a bad
 *   `path_regex`.
 */
export async function resolveCreation(config: SopsConfig | undefined, relativePath: string, overrides: CreationOverrides = {}): Promise<CreationSettings> {
  checkString(relativePath, "the file path");
  const creationRule = config === undefined ? undefined : await findCreationRule(config, relativePath);
  const keys = overrides.keys ?? [];
  const keyGroups = keys.length > 0 ? [[...keys]] : creationRule?.keyGroups;
  if (keyGroups === undefined) {
    throw new HushError("CONFIG_NO_MATCH", "config file not found, or has no creation rules, and no keys provided through command line options");
  }
  if (keyGroups.length === 0 || keyGroups.some((g) => g.length === 0)) {
    throw new HushError("EMPTY_KEY_GROUP", `Could not generate data key: [${keyGroups.length === 0 ? "no key groups provided" : "empty key group provided"}]`);
  }
  const wanted = overrides.shamirThreshold ?? creationRule?.shamirThreshold ?? 0;
  const shamirThreshold = keyGroups.length > 1 ? wanted || keyGroups.length : 0;
  checkRuleGroups(keyGroups, shamirThreshold, {
    rule: config?.creationRules.indexOf(creationRule!),
    ...(keys.length > 0 ? { keysFlag: "the key flags" } : {}),
    ...(overrides.shamirThreshold !== undefined ? { thresholdFlag: "--shamir-secret-sharing-threshold" } : {}),
    relativePath,
  });
  return {
    keyGroups,
    shamirThreshold,
    rule: overrides.rule ?? creationRule?.rule,
    macOnlyEncrypted: overrides.macOnlyEncrypted === true || creationRule?.macOnlyEncrypted === true,
    creationRule,
  };
}

/** Where a file's key groups and threshold come from, to name it when they cannot be used. */
export interface GroupsSource {
  /** The creation rule's index in `creation_rules`. */
  readonly rule: number | undefined;
  /** The flag that gave the keys instead of the rule's, if any. */
  readonly keysFlag?: string;
  /** The flag that gave the threshold instead of the rule's, if any. */
  readonly thresholdFlag?: string;
  /** The file's path as the rule matched it. */
  readonly relativePath: string;
}

/**
 * Refuses key groups hush would not read, or a threshold (as stored: 0 for one group) no set of
 * them can meet, before any key is asked to wrap, naming where they come from: a flag
 * (INVALID_ARGUMENT), else the creation rule (CONFIG_INVALID, which the CLI prefixes with the
 * config's path).
 * @throws HushError INVALID_ARGUMENT or CONFIG_INVALID
 */
export function checkRuleGroups(keyGroups: KeyGroupRecipients, threshold: number, source: GroupsSource): void {
  checkObject(source, "the source of the key groups");
  const tooMany = keyGroupLimitProblem(keyGroups.map((g) => g.length));
  if (tooMany !== undefined) throw fromSource(`too many keys: ${tooMany}`, source.keysFlag, source.rule, source.relativePath);
  const unmeetable = shamirThresholdProblem(keyGroups.length, threshold);
  if (unmeetable !== undefined) {
    const hint = `use a shamir_threshold ${keyGroups.length === 2 ? "2" : `from 2 to ${keyGroups.length}`}, or 0 for all groups`;
    throw fromSource(unmeetable, source.thresholdFlag, source.rule, source.relativePath, hint);
  }
}

function fromSource(problem: string, flag: string | undefined, rule: number | undefined, relativePath: string, hint?: string): HushError {
  const options = hint === undefined ? {} : { hint };
  if (flag !== undefined || rule === undefined || rule < 0) return new HushError("INVALID_ARGUMENT", `${flag ?? "the keys"}: ${problem}`, options);
  return new HushError("CONFIG_INVALID", `creation_rules[${rule}] (for ${printable(relativePath, 4096)}): ${problem}`, options);
}

/**
 * The indentation `.sops.yaml`'s `stores` section sets for a format, as SOPS writes it: YAML's
 * (`yaml`), JSON's (`json`) and an encrypted binary file's JSON envelope (`json_binary`, not
 * `json`: SOPS's binary store has its own); none for the others.
 */
export function configIndent(stores: SopsConfig["stores"] | undefined, format: FileFormat): number | undefined {
  checkFormat(format);
  const key = registration(format).configIndent;
  const indent = key === undefined ? undefined : stores?.[key];
  return key === "yamlIndent" ? yamlIndentAsWritten(indent) : indent;
}

/**
 * The YAML indent SOPS writes for `stores.yaml.indent`: go-yaml writes 2 spaces for any indent
 * outside 2..9 (emitterc.go yaml_emitter_emit_stream_start), so 12 gives 2; 0 stays SOPS's
 * default (4). Only the config's setting: a file's own layout is kept as it is.
 */
function yamlIndentAsWritten(indent: number | undefined): number | undefined {
  if (indent === undefined || indent <= 0) return indent;
  return indent < 2 || indent > 9 ? 2 : indent;
}
