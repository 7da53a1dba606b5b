import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHushError, loadSopsConfig, parseSopsConfig } from "@hush/core";
import { registerHushKeyBackends } from "../src/backends.ts";

/**
 * `.sops.yaml` values SOPS reads otherwise than hush would. A pull request can change the file,
 * and every `sops updatekeys`/`encrypt`/`rotate` by a key holder follows it after the merge, while
 * `hush check` and `hush access` compare files with the rule as hush reads it. Each config below
 * is one SOPS 3.13 (go-yaml v3 into config/config.go's structs) reads with other recipients, another
 * threshold or another MAC mode than hush did; hush refuses it, naming the line and the key.
 */

const A = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const B = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
const FP = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
const KMS = "arn:aws:kms:eu-west-1:111122223333:key/abcd";

beforeAll(() => registerHushKeyBackends());

async function refusal(text: string): Promise<string> {
  try {
    await parseSopsConfig(text);
  } catch (err) {
    expect(isHushError(err, "CONFIG_INVALID"), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`accepted:\n${text}`);
}

describe("values SOPS reads otherwise are refused, naming the line and the key", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    // config.go parseKeyField joins a list's items with "," and MasterKeysFromRecipients splits them again.
    ["a comma in an age list item", `creation_rules:\n  - age:\n      - ${A}\n      - "${A},${B}"\n`, "line 4: creation_rules[0].age[1] holds a comma"],
    // extractMasterKeys: age.MasterKeysFromRecipients(k) for each item of a group's age list.
    ["a comma in a key group's age item", `creation_rules:\n  - key_groups:\n      - age: ["${A},${B}"]\n`, "line 3: creation_rules[0].key_groups[0].age[0] holds a comma"],
    ["a comma in a pgp list item", `creation_rules:\n  - pgp: ["${FP},${FP.replace("F", "E")}"]\n`, "line 2: creation_rules[0].pgp[0] holds a comma"],
    ["a comma in a kms list item", `creation_rules:\n  - kms: ["${KMS},${KMS}2"]\n`, "line 2: creation_rules[0].kms[0] holds a comma"],
    // getKeyGroupsFromCreationRule: len(cRule.KeyGroups) > 0, else the rule's own keys.
    ["an empty key_groups beside the rule's own keys", `creation_rules:\n  - age: ${B}\n    key_groups: []\n`, "line 3: creation_rules[0].key_groups is empty"],
    // go-yaml resolves 010 with strconv.ParseInt(s, 0, 64): octal 8.
    ["a threshold with a leading zero", `creation_rules:\n  - shamir_threshold: 010\n    key_groups: [{age: [${A}]}, {age: [${B}]}]\n`, "line 2: creation_rules[0].shamir_threshold"],
    // Plain decimal, but no threshold: SOPS fails to split the key with it, or ignores it for one group.
    ["a negative threshold", `creation_rules:\n  - shamir_threshold: -1\n    key_groups: [{age: [${A}]}, {age: [${B}]}]\n`, "line 2: creation_rules[0].shamir_threshold is negative: write 0 (all groups) or a number of groups from 2"],
    ["a tagged threshold", `creation_rules:\n  - shamir_threshold: !!int 010\n    key_groups: [{age: [${A}]}, {age: [${B}]}]\n`, "line 2: creation_rules[0].shamir_threshold"],
    // go-yaml decodes y, yes, on (any case listed in decode.go) into a bool as true.
    ["mac_only_encrypted: yes", `creation_rules:\n  - mac_only_encrypted: yes\n    age: ${A}\n`, "line 2: creation_rules[0].mac_only_encrypted"],
    ["mac_only_encrypted: !!str on", `creation_rules:\n  - mac_only_encrypted: !!str on\n    age: ${A}\n`, "line 2: creation_rules[0].mac_only_encrypted"],
    // creationRule has no hc_vault field: SOPS ignores it in a rule (it is a key group's list).
    ["hc_vault in a rule", `creation_rules:\n  - age: ${A}\n    hc_vault: [https://vault.example.com/v1/transit/keys/k]\n`, 'line 3: unknown key "hc_vault" in creation_rules[0]'],
    // pgp.NewMasterKeyFromFingerprint removes spaces only; kms and gcpkms likewise.
    ["a tab inside a fingerprint", `creation_rules:\n  - pgp: "FBC7B9E2\\tA4F9289AC0C1D4843D16CEE4A27381B4"\n`, "line 2: creation_rules[0].pgp holds a tab, a line break or other blank or invisible character"],
    ["a no-break space inside a list item", `creation_rules:\n  - pgp: ["FBC7B9E2\\u00a0A4F9289AC0C1D4843D16CEE4A27381B4"]\n`, "line 2: creation_rules[0].pgp[0] holds a tab, a line break or other blank or invisible character"],
    // Go's strings.TrimSpace trims U+0085; JavaScript's trim does not (and trims U+FEFF, which Go keeps).
    ["a next-line character after a recipient", `creation_rules:\n  - age: "${A}\\u0085"\n`, "line 2: creation_rules[0].age holds a tab, a line break or other blank or invisible character"],
    // go-yaml gives a string field the scalar's text, decoding !!binary; hush read strings only.
    ["a KMS role under !!binary", `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${KMS}\n            role: !!binary ${Buffer.from("arn:aws:iam::111122223333:role/x").toString("base64")}\n`, "line 5: creation_rules[0].key_groups[0].kms[0].role must be a string"],
    ["a KMS profile written as a number", `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${KMS}\n            aws_profile: 123\n`, "line 5: creation_rules[0].key_groups[0].kms[0].aws_profile must be a string"],
    ["a KMS context value go-yaml reads as 1.0", `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${KMS}\n            context: {app: 1.0}\n`, "line 5: creation_rules[0].key_groups[0].kms[0].context.app must be a string"],
    // A context's key is the file's own text: escaped in the message.
    ["a KMS context key with a terminal escape", `creation_rules:\n  - key_groups:\n      - kms:\n          - arn: ${KMS}\n            context: {"a\\e[31m": 1.0}\n`, "line 5: creation_rules[0].key_groups[0].kms[0].context.a\\x1b[31m must be a string"],
    // A merged map is read by both; its values are held to the same rules.
    ["a threshold merged in", `t: &t\n  shamir_threshold: 010\ncreation_rules:\n  - <<: *t\n    key_groups: [{age: [${A}]}, {age: [${B}]}]\n`, "line 2: creation_rules[0].shamir_threshold"],
    ["a key SOPS does not read, merged in", `t: &t\n  agee: ${B}\ncreation_rules:\n  - <<: *t\n    age: ${A}\n`, 'line 2: unknown key "agee" in creation_rules[0]'],
    // go-yaml decodes a store's indent into an int: a string is an error to SOPS, 4.5 is 4, 010 is 8.
    ["an indent written as a string", `stores:\n  yaml:\n    indent: "4"\n`, "line 3: stores.yaml.indent must be a whole number written in decimal"],
    ["an indent with a fraction", `stores:\n  json:\n    indent: 4.5\n`, "line 3: stores.json.indent must be a whole number written in decimal"],
    ["an indent with a leading zero", `stores:\n  json_binary:\n    indent: 010\n`, "line 3: stores.json_binary.indent must be a whole number written in decimal"],
    // stores/yaml getIndentation: "YAML Negative indentation not accepted"; stores/json reindentJSON: below -1 is an error.
    ["a negative YAML indent", `stores:\n  yaml:\n    indent: -1\n`, "line 3: stores.yaml.indent must be from 0 to 100"],
    ["a JSON indent below -1", `stores:\n  json:\n    indent: -2\n`, "line 3: stores.json.indent must be from -1 (a tab) to 100"],
    // A hundred million spaces a line: hush ran out of string length, SOPS out of memory.
    ["a JSON indent past any screen", `stores:\n  json:\n    indent: 100000000\n`, "line 3: stores.json.indent must be from -1 (a tab) to 100"],
    ["a misspelt indent", `stores:\n  yaml:\n    indnet: 2\n`, 'line 3: unknown key "indnet" in stores.yaml; did you mean "indent"?'],
    // Shapes go-yaml cannot decode into SOPS's structs, named by their line like every refusal.
    ["creation_rules that are not a list", `creation_rules:\n  age: ${A}\n`, "line 2: creation_rules must be a list"],
    ["a rule that is not a map", `creation_rules:\n  - ${A}\n`, "line 2: creation_rules[0] must be a map"],
    ["a path_regex that is a list", `creation_rules:\n  - age: ${A}\n    path_regex: [a, b]\n`, "line 3: creation_rules[0].path_regex must be a string"],
    ["an encrypted_regex that is a map", `creation_rules:\n  - age: ${A}\n    encrypted_regex: {a: b}\n`, "line 3: creation_rules[0].encrypted_regex must be a string"],
    ["stores written as an empty list", `stores: []\n`, "line 1: stores must be a map"],
    ["stores that are not a map", `stores: 4\n`, "line 1: stores must be a map"],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      expect(await refusal(text)).toContain(message);
    });
  }
});

describe("what SOPS and hush read alike is still accepted", () => {
  it("comma strings with spaces, lists, folded and literal blocks, plain thresholds, booleans", async () => {
    const config = await parseSopsConfig(
      [
        "creation_rules:",
        `  - path_regex: a`,
        `    age: "${A} , ${B},"`,
        `    pgp: FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4`,
        `    mac_only_encrypted: TRUE`,
        `  - path_regex: b`,
        `    age: |`,
        `      ${A},`,
        `      ${B}`,
        `    shamir_threshold: 0`,
        `  - path_regex: c`,
        `    shamir_threshold: 2`,
        `    key_groups: []`,
        `  - path_regex: d`,
        `    shamir_threshold: ~`,
        `    mac_only_encrypted: false`,
        `    key_groups:`,
        `      - age: [${A}, " ${B} "]`,
        `      - kms: [{arn: ${KMS}, role: ~, context: {version: 2, live: true, app: web}}]`,
        "",
      ].join("\n"),
    );
    const recipients = config.creationRules.map((r) => r.keyGroups.map((g) => g.map((k) => ("recipient" in k ? k.recipient : "fp" in k ? k.fp : k.kind))));
    expect(recipients).toEqual([[[A, B, FP]], [[A, B]], [], [[A, B], ["kms"]]]);
    expect(config.creationRules.map((r) => [r.shamirThreshold, r.macOnlyEncrypted])).toEqual([[0, true], [0, false], [2, false], [0, false]]);
  });
});

describe("plain scalars are typed as go-yaml v3 types them", () => {
  it("a 0x fingerprint too long for a 64-bit number is text, as SOPS reads it", async () => {
    const config = await parseSopsConfig(`creation_rules:\n  - pgp: 0x${FP}\n  - pgp: [0x${FP}, 0x${FP.replace("F", "E")}]\n`);
    expect(config.creationRules.map((r) => r.keyGroups[0]!.map((k) => ("fp" in k ? k.fp : k.kind)))).toEqual([[`0x${FP}`], [`0x${FP}`, `0x${FP.replace("F", "E")}`]]);
  });

  it("a key list holding what Go reads as a number is refused with the advice to quote it", async () => {
    expect(await refusal(`creation_rules:\n  - pgp: 0x0123456789ABCDEF\n`)).toBe(
      "invalid .sops.yaml: creation_rules[0].pgp must be a string or a list (a key that YAML reads as a number must be quoted)",
    );
    expect(await refusal(`creation_rules:\n  - key_groups:\n      - pgp: [0x0123456789ABCDEF]\n`)).toBe(
      "invalid .sops.yaml: creation_rules[0].key_groups[0].pgp must list strings (a key that YAML reads as a number must be quoted)",
    );
  });
});

describe("store settings SOPS reads are kept", () => {
  it("each store's indent, empty stores and stores without settings", async () => {
    const config = await parseSopsConfig("stores:\n  yaml: {indent: 2}\n  json: {indent: -1}\n  json_binary: {indent: 100}\n  dotenv: {}\n  ini: ~\n  toml:\n");
    expect(config.stores).toEqual({ yamlIndent: 2, jsonIndent: -1, jsonBinaryIndent: 100 });
    expect((await parseSopsConfig("stores:\ncreation_rules: []\n")).stores).toEqual({});
  });
});

describe("the refusal names the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "hush-config-readings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("hush's reading of a config on disk", async () => {
    const path = join(dir, "sops.yaml");
    writeFileSync(path, `creation_rules:\n  - key_groups:\n      - age: ["${A},${B}"]\n`);
    await expect(loadSopsConfig(dir, path)).rejects.toThrow(`${path}: invalid .sops.yaml: line 3: creation_rules[0].key_groups[0].age[0] holds a comma`);
  });
});

describe("destination_rules, described as `sops publish` reads them", () => {
  it("a Vault destination is a vault_path; a rule naming several destinations shows all of them", async () => {
    const config = await parseSopsConfig(
      `destination_rules:\n  - path_regex: ^a/\n    vault_address: https://vault.example\n    recreation_rule:\n      age: ${A}\n  - path_regex: ^b/\n    s3_bucket: backups\n    vault_path: app/\n`,
    );
    expect(config.destinationRules?.rules).toEqual([
      // config.go parseDestinationRuleForFile: no vault_path, no Vault destination.
      { pathRegex: "^a/", destination: "(no destination)", inClear: false, recipients: [{ kind: "age", recipient: A }] },
      // SOPS refuses (or, before it counted them, publishes to the last of) several destinations.
      { pathRegex: "^b/", destination: "s3://backups/ and Vault $VAULT_ADDR secret/app/", inClear: true, recipients: [] },
    ]);
  });
  it("a recreation_rule whose first key group is empty leaves the file's own keys, as `sops publish` does", async () => {
    const config = await parseSopsConfig(
      `destination_rules:\n  - path_regex: ^a/\n    s3_bucket: backups\n    recreation_rule:\n      key_groups:\n        - age: []\n        - age: [${A}]\n  - path_regex: ^b/\n    s3_bucket: backups\n    recreation_rule:\n      key_groups:\n        - age: [${A}]\n        - age: [${B}]\n`,
    );
    expect(config.destinationRules?.rules.map((r) => r.recipients)).toEqual([[], [{ kind: "age", recipient: A }, { kind: "age", recipient: B }]]);
  });
  it("the same rules with their keys in another order are the same rules (`hush check --base` compares them)", async () => {
    const one = await parseSopsConfig(`destination_rules:\n  - path_regex: ^a/\n    s3_bucket: backups\n    s3_prefix: p/\n`);
    const other = await parseSopsConfig(`destination_rules:\n  - s3_prefix: p/\n    s3_bucket: backups\n    path_regex: ^a/\n`);
    expect(other.destinationRules?.source).toBe(one.destinationRules?.source);
  });
});
