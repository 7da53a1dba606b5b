import { type ConfigContext, type KeyBackend } from "@hush/core";
import type { VaultKeyEntry, VaultKeyRecipient } from "./entry.ts";
import { checkVaultScheme } from "./trust.ts";
import { normaliseVaultAddress, parseVaultUri, vaultIdentity } from "./uri.ts";

/**
 * The Vault transit key backend's descriptor (`@hush/key-source-hc-vault/backend`): metadata
 * entries, `.sops.yaml` keys, flags and identity of `hc_vault` keys. Cheap to import: node:http,
 * node:https and the key source are loaded by `load`, when a file has Vault keys.
 */

export type { VaultKeyEntry, VaultKeyRecipient };

const TRANSIT_FORM = /^vault:v\d{1,9}:[A-Za-z0-9+/]+={0,2}$/;

/** The identity with the address as requests use it (lower-case host, no default port), else as written. */
function canonicalIdentity(key: VaultKeyRecipient): string {
  let vaultAddress = key.vaultAddress;
  try {
    vaultAddress = normaliseVaultAddress(vaultAddress);
  } catch {
    // Not an address requests can use: compared as written.
  }
  return vaultIdentity({ ...key, vaultAddress });
}

/** `.sops.yaml`: `hc_vault_transit_uri` (comma-separated string or list) in rules, `hc_vault` (list) in groups. */
function configKeys(value: unknown, key: string, c: ConfigContext): VaultKeyRecipient[] {
  const where = `${c.where}.${key}`;
  return c.stringList(value, where).map((uri) => {
    try {
      return parseVaultUri(uri);
    } catch (err) {
      throw c.fail(`${where}: ${(err as Error).message}`);
    }
  });
}

/** The Vault transit backend (HashiCorp Vault, OpenBao): register it to read, write and open `hc_vault` keys. */
export const vaultTransitBackend: KeyBackend<VaultKeyEntry, VaultKeyRecipient> = {
  kind: "hc_vault",
  // SOPS writes `hc_vault: []` in every key group that has none.
  listedWhenEmpty: true,
  decodeEntry: (f) => ({
    kind: "hc_vault",
    vaultAddress: f.text("vault_address"),
    enginePath: f.text("engine_path"),
    keyName: f.text("key_name"),
    createdAt: f.time("created_at"),
    enc: f.text("enc"),
  }),
  // SOPS 3.13 writes every metadata map with its keys sorted.
  encodeEntry: (e) => ({ created_at: e.createdAt, enc: e.enc, engine_path: e.enginePath, key_name: e.keyName, vault_address: e.vaultAddress }),
  identity: vaultIdentity,
  // SOPS writes vault_address as the `.sops.yaml` URI spells it (`https://Vault:443`), hush as
  // requests go (`https://vault`): one server either way.
  comparable: canonicalIdentity,
  // So `updatekeys` keeps an entry SOPS wrote for the rule's key rather than wrapping again.
  resolves: (named, entry) => canonicalIdentity(named) === canonicalIdentity(entry),
  recipientOf: (e) => ({ kind: "hc_vault", vaultAddress: e.vaultAddress, enginePath: e.enginePath, keyName: e.keyName }),
  wrappedKeyForm: TRANSIT_FORM,
  wrappedKeyFault: (e) => (TRANSIT_FORM.test(e.enc) ? undefined : "not a vault:vN transit ciphertext"),
  config: {
    ruleKeys: ["hc_vault_transit_uri"],
    groupKeys: ["hc_vault"],
    parse: configKeys,
  },
  flags: {
    name: "hc-vault-transit",
    valueName: "uris",
    help: "HashiCorp Vault / OpenBao transit key URIs (https://vault:8200/v1/transit/keys/NAME), comma separated",
    env: "SOPS_VAULT_URIS",
    parse: (items) => items.map((item) => parseVaultUri(item.trim())),
    validate: async (keys) => {
      for (const k of keys) checkVaultScheme(k.vaultAddress, `Vault transit key ${vaultIdentity(k)}`, "INVALID_ARGUMENT");
    },
  },
  async load(context) {
    const { VaultTransitKeySource } = await import("./source.ts");
    // Keys the user named on the command line (the CLI passes only those as chosen): their servers
    // may receive the token when wrapping; a file's or .sops.yaml's never count (trust.ts).
    const chosen = context.chosen.filter((k): k is VaultKeyRecipient => k.kind === "hc_vault");
    return new VaultTransitKeySource({ env: context.env, homeDir: context.homeDir, chosen });
  },
};

