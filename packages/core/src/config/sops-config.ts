import { appendAll } from "../arrays.ts";
import { canonicalJson } from "../canonical-json.ts";
import type { Document } from "yaml";
import { checkObject, checkString } from "../arguments.ts";
import { HushError, isHushError } from "../errors.ts";
import type { KeyGroupRecipients } from "../crypto/data-key.ts";
import type { MasterKeyRecipient } from "../key-source.ts";
import type { ConfigContext } from "../keys/key-backend.ts";
import { keyBackends } from "../keys/registry.ts";
import { ENCRYPTION_RULE_KINDS, type EncryptionRule } from "../metadata/file-metadata.ts";
import { compileRe2 } from "../rules/encryption-rules.ts";
import { globAsRegex } from "../rules/glob-as-regex.ts";
import { yamlReason } from "../stores/parse-reasons.ts";
import { checkConfigKeys } from "./config-keys.ts";
import { RECIPIENT_NAMES_KEY, readRecipientNames, type RecipientNames } from "./recipient-names.ts";

/**
 * `.sops.yaml` (spec 8): creation rules, evaluated in order, first match wins; `path_regex` is
 * an unanchored RE2 search in the path relative to the config file's directory. Pure: the CLI
 * finds and reads the file. Everything here is untrusted input and is type-checked.
 */

export interface CreationRule {
  readonly pathRegex: string;
  readonly keyGroups: KeyGroupRecipients;
  readonly shamirThreshold: number;
  readonly rule: EncryptionRule | undefined;
  readonly macOnlyEncrypted: boolean;
}

export interface SopsConfig {
  readonly creationRules: readonly CreationRule[];
  /**
   * `creation_rules` is a list, even an empty one (`creation_rules: []`): SOPS then wants a rule
   * matching every new file, key flags or not, where an absent or null `creation_rules` is no
   * rules at all (Go reads `[]` as an empty list and null as none).
   */
  readonly listsCreationRules?: true;
  /** `stores`: the indent of new YAML and JSON files and of an encrypted binary file's JSON envelope (`json_binary`). */
  readonly stores: { readonly yamlIndent?: number; readonly jsonIndent?: number; readonly jsonBinaryIndent?: number };
  /** People's names for recipients (`hush_recipient_names`, anchors), for reports; see recipient-names.ts. */
  readonly recipientNames?: RecipientNames;
  /**
   * The `destination_rules`; absent when there are none. Only `sops publish` reads them (hush has
   * no such command): it sends the files they cover re-encrypted to the keys they name, or in
   * clear to a Vault, so they are for review (`hush check --base`) and audit (`hush access`) even
   * though hush never acts on them.
   */
  readonly destinationRules?: DestinationRules;
}

/** `destination_rules` as `sops publish` would use them. */
export interface DestinationRules {
  /** The rules as JSON text with sorted keys, aliases and merge keys resolved: equal texts are equal rules. */
  readonly source: string;
  readonly rules: readonly DestinationRule[];
}

/** One destination rule. Text from the file, untrusted: shown, never acted on. */
export interface DestinationRule {
  readonly pathRegex: string;
  /**
   * Where a published file goes: `s3://BUCKET/PREFIX`, `gcs://BUCKET/PREFIX`,
   * `Vault ADDRESS MOUNT/PATH` (several joined with " and "), or why the rule names none.
   */
  readonly destination: string;
  /** Whether the file's values go there decrypted (a Vault KV destination). */
  readonly inClear: boolean;
  /** The keys the published copy is re-encrypted to (its `recreation_rule`); empty when it keeps the file's own. */
  readonly recipients: readonly MasterKeyRecipient[];
}

type Raw = Record<string, unknown>;

function fail(message: string): HushError {
  return new HushError("CONFIG_INVALID", `invalid .sops.yaml: ${message}`);
}

function isMap(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A key list: comma-separated string or (since SOPS 3.11) a YAML list. */
function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (typeof x !== "string") throw fail(`${where} must list strings${numberHint(x)}`);
      return x.trim();
    }).filter((s) => s !== "");
  }
  throw fail(`${where} must be a string or a list${numberHint(v)}`);
}

/** A key YAML read as a number (a short PGP key ID `0x0123456789ABCDEF`, digits only): quoting it keeps its text. */
function numberHint(v: unknown): string {
  return typeof v === "number" || typeof v === "bigint" ? " (a key that YAML reads as a number must be quoted)" : "";
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

/** The keys a rule (`level` ruleKeys) or one of its groups names, read by each key backend. */
function groupFrom(raw: Raw, where: string, rule: Raw, level: "ruleKeys" | "groupKeys"): MasterKeyRecipient[] {
  const keys: MasterKeyRecipient[] = [];
  const context: ConfigContext = { where, rule, fail, stringList };
  for (const backend of keyBackends()) {
    for (const key of backend.config[level]) {
      if (!isEmpty(raw[key])) appendAll(keys, backend.config.parse(raw[key], key, context));
    }
  }
  if (raw["merge"] !== undefined) {
    const merged = raw["merge"];
    if (!Array.isArray(merged)) throw fail(`${where}.merge must be a list`);
    merged.forEach((g, i) => {
      if (!isMap(g)) throw fail(`${where}.merge[${i}] must be a map`);
      appendAll(keys, groupFrom(g, `${where}.merge[${i}]`, rule, "groupKeys"));
    });
  }
  // De-duplicate by identity, as SOPS does per group.
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = JSON.stringify(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function parseRule(raw: unknown, i: number): CreationRule {
  return parseRuleAt(raw, `creation_rules[${i}]`);
}

function parseRuleAt(raw: unknown, where: string): CreationRule {
  if (!isMap(raw)) throw fail(`${where} must be a map`);
  let keyGroups: MasterKeyRecipient[][];
  if (raw["key_groups"] !== undefined) {
    const groups = raw["key_groups"];
    if (!Array.isArray(groups)) throw fail(`${where}.key_groups must be a list`);
    keyGroups = groups.map((g, gi) => {
      if (g === null) return [];
      if (!isMap(g)) throw fail(`${where}.key_groups[${gi}] must be a map`);
      return groupFrom(g, `${where}.key_groups[${gi}]`, raw, "groupKeys");
    });
  } else {
    const flat = groupFrom(raw, where, raw, "ruleKeys");
    keyGroups = [flat];
  }
  let rule: EncryptionRule | undefined;
  for (const kind of ENCRYPTION_RULE_KINDS) {
    const v = raw[kind];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") throw fail(`${where}.${kind} must be a string`);
    if (rule !== undefined) throw fail(`${where}: cannot use more than one of ${rule.kind} and ${kind} for the same rule`);
    rule = { kind, value: v };
  }
  const threshold = raw["shamir_threshold"];
  if (threshold !== undefined && threshold !== null && (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0)) {
    throw fail(`${where}.shamir_threshold must be a non-negative integer`);
  }
  const pathRegex = raw["path_regex"];
  if (pathRegex !== undefined && pathRegex !== null && typeof pathRegex !== "string") throw fail(`${where}.path_regex must be a string`);
  return {
    pathRegex: pathRegex ?? "",
    keyGroups,
    shamirThreshold: typeof threshold === "number" ? threshold : 0,
    rule,
    macOnlyEncrypted: raw["mac_only_encrypted"] === true,
  };
}

/**
 * Aliases a `.sops.yaml` may hold. Reading it to plain data costs the `yaml` package time
 * quadratic in the number of aliases (each is looked up in a list of every one before it), and a
 * real configuration names its keys a few times per rule.
 */
export const MAX_CONFIG_ALIASES = 1_000;

/**
 * Parses a `.sops.yaml`. Unlike SOPS, unknown keys are an error naming their line (a typo would
 * otherwise change which files a rule covers, or leave it without keys); see config-keys.ts.
 */
export async function parseSopsConfig(text: string): Promise<SopsConfig> {
  checkString(text, "the config text");
  // Loaded here rather than at module load: a JSON-only user never pays for the YAML parser.
  const { parseDocument, LineCounter } = await import("yaml");
  const { aliasTargets, assertAliasBudget } = await import("../stores/yaml-alias-budget.ts");
  const { typeScalarsAsGo } = await import("./go-typed-scalars.ts");
  let raw: unknown;
  let doc: Document;
  try {
    const lines = new LineCounter();
    // merge: `<<: *defaults` works as in go-yaml, which SOPS reads its config with.
    doc = parseDocument(text, { lineCounter: lines, logLevel: "error", merge: true });
    const first = doc.errors[0];
    if (first !== undefined) throw first;
    const targets = aliasTargets(doc as Document.Parsed);
    if (targets.size > MAX_CONFIG_ALIASES) {
      const line = lines.linePos([...targets.keys()][MAX_CONFIG_ALIASES]!.range?.[0] ?? 0).line;
      throw fail(`more than ${MAX_CONFIG_ALIASES.toLocaleString("en-US")} aliases (line ${line}); write the rules out instead`);
    }
    // Aliases of aliases (a "billion laughs"): refused by the copies they make, with the line,
    // before the yaml package expands them (which refused them as only "not valid YAML").
    try {
      assertAliasBudget([doc as Document.Parsed], () => targets, (offset) => lines.linePos(offset).line, false);
    } catch (err) {
      throw isHushError(err, "PARSE_FAILED") ? fail(err.message) : err;
    }
    checkConfigKeys(doc, lines, targets);
    typeScalarsAsGo(doc);
    // The copies are bounded above; the package's own bound (an anchor aliased at most 100 times)
    // refused a key named in a hundred rules, which SOPS reads, as "not valid YAML".
    raw = doc.toJS({ maxAliasCount: -1 });
  } catch (err) {
    if (err instanceof HushError) throw err;
    const parseError = err as { linePos?: Array<{ line: number }>; code?: unknown; message?: unknown };
    const line = parseError.linePos?.[0]?.line;
    const reason = typeof parseError.code === "string" ? `: ${yamlReason(parseError.code, String(parseError.message))}` : "";
    throw new HushError("CONFIG_INVALID", `invalid .sops.yaml: not valid YAML${line === undefined ? "" : ` (line ${line})`}${reason}`);
  }
  if (raw === null || raw === undefined) return { creationRules: [], stores: {} };
  if (!isMap(raw)) throw fail("the top level must be a map");
  const rules = raw["creation_rules"];
  if (rules !== undefined && rules !== null && !Array.isArray(rules)) throw fail("creation_rules must be a list");
  const stores = isMap(raw["stores"]) ? raw["stores"] : {};
  const indentOf = (name: string): number | undefined => {
    const s = stores[name];
    return isMap(s) && typeof s["indent"] === "number" ? s["indent"] : undefined;
  };
  const yamlIndent = indentOf("yaml");
  const jsonIndent = indentOf("json");
  const jsonBinaryIndent = indentOf("json_binary");
  const recipientNames = readRecipientNames(doc, raw[RECIPIENT_NAMES_KEY]);
  const destinationRules = raw["destination_rules"];
  return {
    creationRules: (rules ?? []).map(parseRule),
    ...(Array.isArray(rules) ? { listsCreationRules: true as const } : {}),
    ...(recipientNames.size === 0 ? {} : { recipientNames }),
    ...(isEmpty(destinationRules) ? {} : { destinationRules: readDestinationRules(destinationRules) }),
    stores: {
      ...(yamlIndent === undefined ? {} : { yamlIndent }),
      ...(jsonIndent === undefined ? {} : { jsonIndent }),
      ...(jsonBinaryIndent === undefined ? {} : { jsonBinaryIndent }),
    },
  };
}

/**
 * `destination_rules`, read to be shown. `sops publish` refuses a malformed rule when it runs;
 * hush, which never runs one, describes it instead of refusing the whole `.sops.yaml`.
 */
function readDestinationRules(raw: unknown): DestinationRules {
  const items = Array.isArray(raw) ? raw : [raw];
  return { source: canonicalJson(raw), rules: items.map(readDestinationRule) };
}

function readDestinationRule(raw: unknown, i: number): DestinationRule {
  const where = `destination_rules[${i}]`;
  if (!isMap(raw)) return { pathRegex: "", destination: `(${where} is not a map)`, inClear: false, recipients: [] };
  const text = (key: string): string => (typeof raw[key] === "string" ? raw[key] : "");
  // As config.go parseDestinationRuleForFile: a destination is a bucket or a vault_path. Several
  // are all shown: SOPS refuses such a rule, or, before it counted them, publishes to the last.
  const vault = text("vault_path") !== "";
  const destinations = [
    text("s3_bucket") === "" ? [] : [`s3://${text("s3_bucket")}/${text("s3_prefix")}`],
    text("gcs_bucket") === "" ? [] : [`gcs://${text("gcs_bucket")}/${text("gcs_prefix")}`],
    // SOPS's defaults: the address from VAULT_ADDR, the KV mount `secret/`.
    vault ? [`Vault ${text("vault_address") || "$VAULT_ADDR"} ${text("vault_kv_mount_name") || "secret/"}${text("vault_path")}`] : [],
  ].flat();
  const destination = destinations.length === 0 ? "(no destination)" : destinations.join(" and ");
  let recipients: MasterKeyRecipient[] = [];
  if (!vault && isMap(raw["recreation_rule"])) {
    try {
      // `sops publish` re-encrypts (to every group) only when the first group names a key
      // (cmd/sops/subcommand/publish/publish.go, `len(conf.KeyGroups[0]) != 0`).
      const groups = parseRuleAt(raw["recreation_rule"], `${where}.recreation_rule`).keyGroups;
      recipients = (groups[0]?.length ?? 0) === 0 ? [] : groups.flat();
    } catch (err) {
      return { pathRegex: text("path_regex"), destination: `${destination} (its recreation_rule cannot be read: ${err instanceof HushError ? err.message : "invalid"})`, inClear: false, recipients: [] };
    }
  }
  return { pathRegex: text("path_regex"), destination, inClear: vault, recipients };
}

/**
 * The first rule whose `path_regex` matches `relativePath` (forward slashes), or undefined.
 * Throws CONFIG_NO_MATCH when the config lists rules (even none) and none matches (SOPS's behaviour).
 */
export async function findCreationRule(config: SopsConfig, relativePath: string): Promise<CreationRule | undefined> {
  checkObject(config, "the config");
  checkString(relativePath, "the file path");
  if (config.creationRules.length === 0 && config.listsCreationRules !== true) return undefined;
  for (const [i, rule] of config.creationRules.entries()) {
    if (rule.pathRegex === "") return rule;
    const match = await compileRe2(rule.pathRegex, `creation_rules[${i}].path_regex`);
    if (match(relativePath)) return rule;
  }
  const globbed = await globbedRule(config.creationRules, relativePath);
  throw new HushError("CONFIG_NO_MATCH", `no matching creation rules found for ${relativePath}`, globbed === undefined ? {} : { details: [globbed] });
}

/** Why no rule matched, when one was written as a glob that would have: the regex to write instead. */
async function globbedRule(rules: readonly CreationRule[], relativePath: string): Promise<string | undefined> {
  for (const [i, rule] of rules.entries()) {
    const glob = globAsRegex(rule.pathRegex);
    if (glob !== undefined && (await compileRe2(glob, `creation_rules[${i}].path_regex as a glob`))(relativePath)) {
      return `creation_rules[${i}].path_regex ${JSON.stringify(rule.pathRegex)} is RE2 syntax, not a glob: ${JSON.stringify(glob)} matches ${relativePath}`;
    }
  }
  return undefined;
}
