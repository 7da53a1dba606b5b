import { type ConfigContext, type KeyBackend } from "@hush/core";
import type { AzureKeyEntry, AzureKeyRecipient } from "./entry.ts";
import { checkAzureScheme } from "./trust.ts";
import { azureKey, azureKeyIdentity, parseAzureKeyUrl, vaultOrigin } from "./url.ts";

/**
 * The Azure Key Vault key backend's descriptor (`@hush/key-source-azure-kv/backend`): metadata
 * entries, `.sops.yaml` keys, flags and identity of `azure_kv` keys. Cheap to import: node:http,
 * node:https, node:child_process and the key source are loaded by `load`, when a file has Azure keys.
 */

export type { AzureKeyEntry, AzureKeyRecipient };

/** base64url without padding, as SOPS writes the RSA-OAEP-256 ciphertext. */
const WRAPPED_FORM = /^[A-Za-z0-9_-]+$/;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** One item: a key URL, or a group's map `{vaultUrl, key, version}` (SOPS's config.azureKVKey). */
function configEntry(item: unknown, where: string, c: ConfigContext): AzureKeyRecipient {
  try {
    if (typeof item === "string") return parseAzureKeyUrl(item);
    if (!isMap(item) || typeof item["vaultUrl"] !== "string" || typeof item["key"] !== "string") throw c.fail(`${where} needs vaultUrl and key`);
    const version = item["version"] ?? "";
    if (typeof version !== "string") throw c.fail(`${where}.version must be a string`);
    return azureKey(item["vaultUrl"], item["key"], version);
  } catch (err) {
    throw c.fail(`${where}: ${(err as Error).message.replace(/^invalid \.sops\.yaml: /, "")}`);
  }
}

/** `.sops.yaml`: `azure_keyvault` (comma-separated URLs or a list) in rules, a list of `{vaultUrl, key, version}` in groups. */
function configKeys(value: unknown, key: string, c: ConfigContext): AzureKeyRecipient[] {
  const where = `${c.where}.${key}`;
  if (typeof value === "string") return c.stringList(value, where).map((item) => configEntry(item, where, c));
  if (Array.isArray(value)) return value.map((item, i) => configEntry(item, `${where}[${i}]`, c));
  throw c.fail(`${where} must be a string or a list`);
}

/** Why `enc` cannot be an RSA-OAEP ciphertext (RSA 1024 to 8192 bits), or undefined. */
function ciphertextFault(entry: AzureKeyEntry): string | undefined {
  if (!WRAPPED_FORM.test(entry.enc)) return "not base64url without padding";
  const length = Buffer.from(entry.enc, "base64url").length;
  return length < 128 || length > 1024 ? `an RSA ciphertext of ${length} bytes cannot come from a Key Vault key` : undefined;
}

/** The vault's origin as requests use it (lower case, default port dropped), else the text as written. */
const originOf = (vaultUrl: string): string => {
  try {
    return vaultOrigin(vaultUrl).origin;
  } catch {
    return vaultUrl;
  }
};

const sameVault = (a: string, b: string): boolean => originOf(a) === originOf(b);

/** Whether `named` (a version, or none: any) is `key`'s vault and name. */
const namesKey = (key: AzureKeyRecipient, named: AzureKeyRecipient): boolean =>
  sameVault(key.vaultUrl, named.vaultUrl) && key.name === named.name && (named.version === "" || named.version === key.version);

/** The Azure Key Vault backend: register it to read, write and open `azure_kv` keys. */
export const azureKeyVaultBackend: KeyBackend<AzureKeyEntry, AzureKeyRecipient> = {
  kind: "azure_kv",
  decodeEntry: (f) => ({
    kind: "azure_kv",
    vaultUrl: f.text("vault_url"),
    name: f.text("name"),
    version: f.optionalText("version"),
    createdAt: f.time("created_at"),
    enc: f.text("enc"),
  }),
  // SOPS 3.13 writes every metadata map with its keys sorted; `version` is always written.
  encodeEntry: (e) => ({ created_at: e.createdAt, enc: e.enc, name: e.name, vault_url: e.vaultUrl, version: e.version }),
  identity: azureKeyIdentity,
  // Who can read is decided per key, not per version (Key Vault's access policies and roles name
  // keys), and a `.sops.yaml` key without a version names every one: the file's entry records the
  // version wrapping resolved, which must not make it a recipient .sops.yaml does not name.
  comparable: (k) => `${originOf(k.vaultUrl)}/keys/${k.name}`,
  resolves: (named, entry) => named.version === "" && namesKey(entry, named),
  recipientOf: (e) => ({ kind: "azure_kv", vaultUrl: e.vaultUrl, name: e.name, version: e.version }),
  wrappedKeyForm: WRAPPED_FORM,
  wrappedKeyFault: ciphertextFault,
  config: {
    ruleKeys: ["azure_keyvault"],
    groupKeys: ["azure_keyvault"],
    itemKeys: ["vaultUrl", "key", "version"],
    parse: configKeys,
  },
  flags: {
    name: "azure-kv",
    valueName: "urls",
    help: "Azure Key Vault key URLs (https://VAULT.vault.azure.net/keys/NAME[/VERSION]), comma separated",
    env: "SOPS_AZURE_KEYVAULT_URLS",
    parse: (items) => items.map((item) => parseAzureKeyUrl(item)),
    validate: async (keys) => {
      for (const k of keys) checkAzureScheme(k.vaultUrl, `Azure Key Vault key ${azureKeyIdentity(k)}`, "INVALID_ARGUMENT");
    },
    // `--rm-azure-kv URL` without a version names every version of the key.
    removes: namesKey,
  },
  async load(context) {
    const { AzureKeyVaultKeySource } = await import("./source.ts");
    // Vaults of keys the user named on the command line (the CLI passes only those as chosen)
    // may receive the token when wrapping to them; a file's or .sops.yaml's must be allowed (trust.ts).
    const chosenOrigins = context.chosen.filter((k): k is AzureKeyRecipient => k.kind === "azure_kv").flatMap((k) => {
      try {
        return [vaultOrigin(k.vaultUrl).origin];
      } catch {
        return [];
      }
    });
    return new AzureKeyVaultKeySource({ env: context.env, chosenOrigins });
  },
};
