import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeMetadata,
  decryptText,
  encodeMetadata,
  encryptText,
  isHushError,
  keyBackend,
  parseSopsConfig,
  readMetadata,
  registerKeyBackends,
  resolveCreation,
  unregisterKeyBackend,
  unwrapDataKey,
  type KeyBackend,
  type KeySource,
  type KeySourceResolver,
  type MasterKeyEntry,
  type MasterKeyRecipient,
} from "@hush/core";

/**
 * A key backend written entirely in this test file: registering its descriptor is all it takes
 * for files, `.sops.yaml` rules and key sources to use it (no core edit). The "toy" kind wraps
 * the data key by XOR with a pad derived from the recipient's name: fine for a test, never for
 * secrets.
 */

type ToyEntry = { readonly kind: "toy"; readonly name: string; readonly enc: string };
type ToyRecipient = { readonly kind: "toy"; readonly name: string };

const pad = (name: string, length: number): Buffer => {
  const out = Buffer.alloc(length);
  for (let i = 0; i * 32 < length; i++) createHash("sha256").update(`${name}/${i}`).digest().copy(out, i * 32);
  return out;
};
const xor = (data: Uint8Array, name: string): Buffer => {
  const p = pad(name, data.length);
  return Buffer.from(data.map((b, i) => b ^ p[i]!));
};

/** A key source that holds the names it can open (its "identities"). */
function toySource(names: readonly string[]): KeySource {
  return {
    kind: "toy",
    async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<MasterKeyEntry> {
      const { name } = recipient as ToyRecipient;
      return { kind: "toy", name, enc: xor(dataKey, name).toString("base64") };
    },
    async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
      if (entry.kind !== "toy") return null;
      const toy = entry as ToyEntry;
      return names.includes(toy.name) ? new Uint8Array(xor(Buffer.from(toy.enc, "base64"), toy.name)) : null;
    },
    describeSearch: () => [`toy names ${names.join(", ")}`],
  };
}

const toyBackend: KeyBackend<ToyEntry, ToyRecipient> = {
  kind: "toy",
  decodeEntry: (f) => ({ kind: "toy", name: f.text("name"), enc: f.text("enc") }),
  encodeEntry: (e) => ({ enc: e.enc, name: e.name }),
  identity: (k) => k.name,
  recipientOf: (e) => ({ kind: "toy", name: e.name }),
  config: {
    ruleKeys: ["toy"],
    groupKeys: ["toy"],
    parse: (value, key, c) => c.stringList(value, `${c.where}.${key}`).map((name) => ({ kind: "toy", name })),
  },
  flags: {
    name: "toy",
    valueName: "names",
    help: "toy key names, comma separated",
    parse: (items) => items.map((name) => ({ kind: "toy", name })),
  },
  load: async (context) => toySource((context.env["TOY_NAMES"] ?? "").split(",")),
};

const resolverFor = (names: readonly string[]): KeySourceResolver => async (kind) =>
  kind === "toy" ? keyBackend("toy")?.load?.({ env: { TOY_NAMES: names.join(",") }, homeDir: "", chosen: [] }) : undefined;

describe("a key backend defined outside core", () => {
  beforeAll(() => registerKeyBackends([toyBackend]));
  afterAll(() => unregisterKeyBackend("toy"));

  it("encrypts per a .sops.yaml rule naming its keys, writes its entries, and decrypts", async () => {
    const config = await parseSopsConfig("creation_rules:\n  - path_regex: \\.yaml$\n    key_groups:\n      - toy: [alice]\n      - toy: bob,carol\n    shamir_threshold: 2\n");
    const settings = await resolveCreation(config, "app.yaml");
    expect(settings.keyGroups).toEqual([[{ kind: "toy", name: "alice" }], [{ kind: "toy", name: "bob" }, { kind: "toy", name: "carol" }]]);
    const plain = "host: db.local\npassword: hunter2\n";
    const text = await encryptText(plain, { format: "yaml", keyGroups: settings.keyGroups, shamirThreshold: settings.shamirThreshold, keySources: resolverFor(["alice", "bob", "carol"]) });

    // SOPS's layout: inside key_groups, `age` and `hc_vault` are always listed, then the kinds in bytewise order.
    expect(text).toMatch(/key_groups:\n {8}- age: \[\]\n {10}hc_vault: \[\]\n {10}toy:\n {12}- enc: \S+\n {14}name: alice\n/);
    const metadata = await readMetadata(text, "yaml");
    expect(metadata?.keyGroups.map((g) => g.map((e) => (e as ToyEntry).name))).toEqual([["alice"], ["bob", "carol"]]);

    expect(await decryptText(text, { format: "yaml", keySources: resolverFor(["alice", "carol"]) })).toBe(plain);
    const denied = await decryptText(text, { format: "yaml", keySources: resolverFor(["alice"]) }).catch((e: unknown) => e);
    expect(isHushError(denied, "NO_MATCHING_KEY")).toBe(true);
    const lines = [(denied as Error).message, ...((denied as { details?: string[] }).details ?? [])].join("\n");
    expect(lines).toContain("1 of 2 key groups opened, 2 needed");
    expect(lines).toContain("group 1: toy bob: no matching identity");
  });

  it("is refused by strict .sops.yaml checking once unregistered, with the closest known key", async () => {
    unregisterKeyBackend("toy");
    try {
      const err = await parseSopsConfig("creation_rules:\n  - toy: alice\n").catch((e: unknown) => e);
      expect(isHushError(err, "CONFIG_INVALID")).toBe(true);
      expect((err as Error).message).toContain('unknown key "toy"');
    } finally {
      registerKeyBackends([toyBackend]);
    }
  });
});

describe("SOPS key kinds hush does not implement (and hc_vault, gcp_kms and azure_kv, kept the same way)", () => {
  const raw = {
    key_groups: [
      {
        age: [],
        azure_kv: [{ created_at: "2024-01-01T00:00:00Z", enc: "c2VjcmV0", name: "k", vault_url: "https://v.vault.azure.net", version: "1" }],
        gcp_kms: [{ created_at: "2024-01-01T00:00:00Z", enc: "Z2Nw", resource_id: "projects/p/locations/l/keyRings/r/cryptoKeys/k" }],
        hc_vault: [{ created_at: "2024-01-01T00:00:00Z", enc: "vault:v1:abc", engine_path: "sops", key_name: "k", vault_address: "https://vault.example" }],
        hckms: [{ created_at: "2024-01-01T00:00:00Z", enc: "aGM=", key_id: "tr-west-1:k" }],
      },
      { age: [], gcp_kms: [{ created_at: "2024-01-01T00:00:00Z", enc: "Z2NwMg==", resource_id: "projects/p/locations/l/keyRings/r/cryptoKeys/k2" }], hc_vault: [] },
    ],
    lastmodified: "2024-01-01T00:00:00Z",
    mac: "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",
    version: "3.13.0",
  };

  it("keep their entries, fields and SOPS's order through decoding and encoding", () => {
    const encoded = encodeMetadata(decodeMetadata(raw));
    expect(JSON.stringify(encoded)).toBe(JSON.stringify(raw));
  });

  it("cannot open a file: each entry says its kind is not supported", async () => {
    const metadata = decodeMetadata(raw);
    const err = await unwrapDataKey(metadata.keyGroups, 0, async () => undefined).catch((e: unknown) => e);
    expect(isHushError(err, "NO_MATCHING_KEY")).toBe(true);
    const text = [(err as Error).message, ...((err as { details?: string[] }).details ?? [])].join("\n");
    for (const kind of ["hckms"]) expect(text).toMatch(new RegExp(`${kind} .*this key type is not supported by hush`));
    // hc_vault, gcp_kms and azure_kv are implemented: without their key sources they are simply not available.
    expect(text).toContain("group 0: hc_vault https://vault.example/v1/sops/keys/k: no hc_vault key source available");
    expect(text).toContain("group 0: gcp_kms projects/p/locations/l/keyRings/r/cryptoKeys/k: no gcp_kms key source available");
    expect(text).toContain("group 0: azure_kv https://v.vault.azure.net/keys/k/1: no azure_kv key source available");
  });
});
