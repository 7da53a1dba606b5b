import { describe, expect, it } from "vitest";
import { findCreationRule, parseSopsConfig, unvouchedReaders, valuesLeftInClear, valuesOutsideMac, weakerQuorum, writePolicyOf, type MasterKeyRecipient, type WritePolicy } from "@hush/core";

/**
 * A write compared with `.sops.yaml`, field by field of a file's `sops` metadata: which of them
 * let the next write by a key holder send a secret or a data key elsewhere, leave a value in
 * clear or out of the MAC, or let fewer recipients open it than the rule asks.
 */

const ALICE: MasterKeyRecipient = { kind: "age", recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p" };
const BOB: MasterKeyRecipient = { kind: "age", recipient: "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj" };
const CAROL: MasterKeyRecipient = { kind: "age", recipient: "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg" };

async function policyOf(sopsYaml: string): Promise<WritePolicy> {
  const rule = await findCreationRule(await parseSopsConfig(sopsYaml), "app.yaml");
  if (rule === undefined) throw new Error("no rule");
  return writePolicyOf(rule);
}

describe("per-key fields: a changed address, role, context, profile or resource is a recipient .sops.yaml does not name", () => {
  const rules = `creation_rules:
  - path_regex: app
    kms: "arn:aws:kms:us-east-1:111122223333:key/abc+arn:aws:iam::111122223333:role/r"
    aws_profile: prod
    hc_vault_transit_uri: "https://vault.example.com:8200/v1/transit/keys/k"
    azure_keyvault: "https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef"
    gcp_kms: "projects/p/locations/global/keyRings/r/cryptoKeys/k"
    pgp: "85D77543B3D624B63CEA9E6DBC17301B491B3F21"
    age: ${ALICE.recipient}
`;
  const changes: Array<[string, string, (k: MasterKeyRecipient) => MasterKeyRecipient | undefined]> = [
    ["kms role", "kms", (k) => ({ ...k, role: "arn:aws:iam::999999999999:role/attacker" })],
    ["kms context", "kms", (k) => ({ ...k, context: { team: "other" } })],
    ["kms aws_profile", "kms", (k) => ({ ...k, awsProfile: "attacker" })],
    ["kms arn", "kms", (k) => ({ ...k, arn: "arn:aws:kms:us-east-1:999999999999:key/abc" })],
    ["vault address", "hc_vault", (k) => ({ ...k, vaultAddress: "https://vault.attacker.example:8200" })],
    ["vault engine path", "hc_vault", (k) => ({ ...k, enginePath: "other" })],
    ["azure vault URL", "azure_kv", (k) => ({ ...k, vaultUrl: "https://attacker.vault.azure.net" })],
    ["gcp resource", "gcp_kms", (k) => ({ ...k, resourceId: "projects/attacker/locations/global/keyRings/r/cryptoKeys/k" })],
    ["age recipient", "age", () => BOB],
    ["pgp fingerprint", "pgp", (k) => ({ ...k, fp: "0000000000000000000000000000000000000000" })],
  ];
  for (const [name, kind, change] of changes) {
    it(`${name}: listed, and nothing else`, async () => {
      const policy = await policyOf(rules);
      const group = policy.keyGroups![0]!.map((k) => (k.kind === kind ? change(k)! : k));
      const listed = unvouchedReaders([group], policy);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatch(new RegExp(`^group 0: ${kind} `));
      expect(unvouchedReaders(policy.keyGroups!, policy)).toEqual([]);
    });
  }

  it("an Azure key's version, which picks no other key, is not a different recipient", async () => {
    const policy = await policyOf(rules);
    const group = policy.keyGroups![0]!.map((k) => (k.kind === "azure_kv" ? { ...k, version: "fedcba9876543210fedcba9876543210" } : k));
    expect(unvouchedReaders([group], policy)).toEqual([]);
  });
});

describe("key_groups and shamir_threshold: fewer recipients together open the data key than the rule asks", () => {
  const twoOfTwo = `creation_rules:\n  - path_regex: app\n    shamir_threshold: 2\n    key_groups:\n      - age: [${ALICE.recipient}]\n      - age: [${BOB.recipient}]\n`;
  const twoOfThree = `creation_rules:\n  - path_regex: app\n    shamir_threshold: 2\n    key_groups:\n      - age: [${ALICE.recipient}]\n      - age: [${BOB.recipient}]\n      - age: [${CAROL.recipient}]\n`;

  it("one group [alice, bob] where the rule asks both: alice alone opens it, with both counts", async () => {
    expect(weakerQuorum([[ALICE, BOB]], 0, await policyOf(twoOfTwo))).toBe(`age ${ALICE.recipient} opens it alone (the file: 1 of its 1 key group; .sops.yaml: 2 of its 2)`);
  });

  it("the rule's groups in another order, or a stricter threshold, are not weaker", async () => {
    expect(weakerQuorum([[BOB], [ALICE]], 2, await policyOf(twoOfTwo))).toBeUndefined();
    expect(weakerQuorum([[ALICE], [BOB], [CAROL]], 3, await policyOf(twoOfThree))).toBeUndefined();
    // Two of three groups, with bob and carol in one: every pair that opens it has two of the rule's groups.
    expect(weakerQuorum([[ALICE], [BOB, CAROL]], 2, await policyOf(twoOfThree))).toBeUndefined();
  });

  it("a file that names fewer of the rule's recipients (not yet updated) is not weaker", async () => {
    const anyOf = `creation_rules:\n  - path_regex: app\n    age: ${ALICE.recipient},${BOB.recipient}\n`;
    expect(weakerQuorum([[ALICE]], 0, await policyOf(anyOf))).toBeUndefined();
  });

  it("a recipient moved into its neighbour's group: the two open it together where the rule needs a third", async () => {
    const all = `creation_rules:\n  - path_regex: app\n    key_groups:\n      - age: [${ALICE.recipient}]\n      - age: [${BOB.recipient}]\n      - age: [${CAROL.recipient}]\n`;
    expect(weakerQuorum([[ALICE, CAROL], [BOB]], 0, await policyOf(all))).toBe(`age ${ALICE.recipient} with age ${BOB.recipient} open it together (the file: 2 of its 2 key groups; .sops.yaml: 3 of its 3)`);
  });

  it("recipients the rule does not name are left to unvouchedReaders; a rule naming no one compares nothing", async () => {
    const stranger: MasterKeyRecipient = { kind: "age", recipient: "age1hq6vtjjlq0hx8wkwjsdp4jpr7ddwcwl0v3arrqykxqe2zdscx8zqv5etfd" };
    expect(weakerQuorum([[stranger], [ALICE]], 1 + 1, await policyOf(twoOfTwo))).toBeUndefined();
    const keyless = await policyOf("creation_rules:\n  - path_regex: app\n    encrypted_regex: ^password$\n");
    expect(keyless.recipients).toEqual([]);
    expect(weakerQuorum([[ALICE, BOB]], 0, keyless)).toBeUndefined();
    expect(unvouchedReaders([[stranger]], keyless)).toEqual([]);
  });

  it("sixteen groups of fifty, as the rule has them, 8 needed: compared in full, nothing reported", () => {
    const groups = Array.from({ length: 16 }, (_, g) => Array.from({ length: 50 }, (_, i) => ({ kind: "age", recipient: `${ALICE.recipient}${g}x${i}` })));
    const policy: WritePolicy = { recipients: groups.flat(), keyGroups: groups, shamirThreshold: 8 };
    expect(weakerQuorum(groups, 8, policy)).toBeUndefined();
    // One recipient of group 3 also in group 4 of the file: it meets two groups' shares alone.
    const doubled = groups.map((g, i) => (i === 4 ? [...g, groups[3]![7]!] : g));
    const found = weakerQuorum(doubled, 8, policy);
    expect(found).toContain(`age ${groups[3]![7]!.recipient} with `);
    expect(found).toMatch(/ open it together \(the file: 8 of its 16 key groups; \.sops\.yaml: 8 of its 16\)$/);
  });

  it("too many groups and recipients to search through are reported, not let through", async () => {
    // Twelve groups of 60 recipients each, any twelve of the 720 enough for the rule: no pick
    // opens the file with fewer, but there are 60^12 picks to look through.
    const groups = Array.from({ length: 12 }, (_, g) => Array.from({ length: 60 }, (_, i) => ({ kind: "age", recipient: `${ALICE.recipient}${g}x${i}` })));
    const policy: WritePolicy = { recipients: groups.flat(), keyGroups: groups.flat().map((k) => [k]), shamirThreshold: 12 };
    expect(weakerQuorum(groups, 12, policy)).toBe("the file's key groups are not .sops.yaml's and too many to compare (the file: 12 of its 12 key groups; .sops.yaml: 12 of its 720)");
  });
});

describe("mac_only_encrypted: values in clear the file's MAC leaves out where the rule's covers them", () => {
  const narrow = `creation_rules:\n  - path_regex: app\n    encrypted_regex: ^password$\n    age: ${ALICE.recipient}\n`;
  const after = { text: "password: x\nreplicas: 3\nempty: ''\nnothing: null\n# a comment\nimage: app:1\n", format: "yaml" } as const;

  it("the file has it and the rule does not: every non-empty value in clear is listed by path and line", async () => {
    expect(await valuesOutsideMac({ rule: { kind: "encrypted_regex", value: "^password$" }, macOnlyEncrypted: true }, await policyOf(narrow), after)).toEqual(['["replicas"] (line 2)', '["image"] (line 6)']);
  });

  it("the rule has it too, or the file has not: nothing to compare", async () => {
    const fileRule = { rule: { kind: "encrypted_regex", value: "^password$" }, macOnlyEncrypted: true } as const;
    expect(await valuesOutsideMac(fileRule, await policyOf(narrow.replace("    age:", "    mac_only_encrypted: true\n    age:")), after)).toBeUndefined();
    expect(await valuesOutsideMac({ ...fileRule, macOnlyEncrypted: false }, await policyOf(narrow), after)).toBeUndefined();
  });

  it("a rule naming no recipients still compares its encryption rule and its MAC", async () => {
    const keyless = await policyOf("creation_rules:\n  - path_regex: app\n");
    const fileRule = { rule: { kind: "encrypted_regex", value: "^password$" }, macOnlyEncrypted: true } as const;
    expect(await valuesOutsideMac(fileRule, keyless, after)).toEqual(['["replicas"] (line 2)', '["image"] (line 6)']);
    expect((await valuesLeftInClear(fileRule.rule, keyless, { before: { text: "password: x\n", format: "yaml" }, after }))?.values).toEqual(['["replicas"] (line 2)', "a comment in (top level) (line 5)", '["image"] (line 6)']);
  });

  it("a binary file, whose whole content is encrypted, leaves nothing out", async () => {
    expect(await valuesOutsideMac({ rule: undefined, macOnlyEncrypted: true }, await policyOf(narrow), { text: "anything", format: "binary" })).toEqual([]);
  });
});
