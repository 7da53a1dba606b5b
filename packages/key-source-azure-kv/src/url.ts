/**
 * Azure Key Vault key names: the URL form of `--azure-kv` and `.sops.yaml`
 * (`https://NAME.vault.azure.net/keys/KEY[/VERSION]`, parsed as SOPS's
 * azkv.NewMasterKeyFromURL does), the identity SOPS prints, and the checks on the parts a file
 * may carry. No Node imports: this module is loaded at start-up through backend.ts.
 */
import { HushError, quoted, type ErrorCode } from "@hush/core";
import type { AzureKeyRecipient } from "./entry.ts";

const EXAMPLE = "https://myvault.vault.azure.net/keys/mykey/0123456789abcdef0123456789abcdef";
/** Key Vault key names: letters, digits and dashes, up to 127. */
const KEY_NAME = /^[A-Za-z0-9-]{1,127}$/;
/** Key versions Key Vault issues are 32 hex digits; any short alphanumeric word is accepted. */
const KEY_VERSION = /^[A-Za-z0-9]{0,64}$/;

/** SOPS's identity: `VAULT_URL/keys/NAME/VERSION`. */
export function azureKeyIdentity(key: Pick<AzureKeyRecipient, "vaultUrl" | "name" | "version">): string {
  return `${key.vaultUrl}/keys/${key.name}/${key.version}`;
}

/**
 * The origin a vault URL names (`https://host[:port]`, lower case, default port dropped), or
 * throws `code` for anything else: a path, a query, credentials, another scheme.
 */
export function vaultOrigin(vaultUrl: string, code: ErrorCode = "INVALID_ARGUMENT"): URL {
  let url: URL;
  try {
    url = new URL(vaultUrl);
  } catch {
    throw new HushError(code, `Invalid Azure Key Vault URL ${quoted(vaultUrl)}: not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new HushError(code, `Invalid Azure Key Vault URL ${quoted(vaultUrl)}: must be https`);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || (url.pathname !== "/" && url.pathname !== "")) {
    throw new HushError(code, `Invalid Azure Key Vault URL ${quoted(vaultUrl)}: must be https://host only`);
  }
  return new URL(url.origin);
}

/** Checks a key name and version from a flag, `.sops.yaml` or a file. */
export function checkAzureKeyName(name: string, version: string, code: ErrorCode = "INVALID_ARGUMENT"): void {
  if (!KEY_NAME.test(name)) throw new HushError(code, `Invalid Azure Key Vault key name ${quoted(name)}: letters, digits and '-'`);
  if (!KEY_VERSION.test(version)) throw new HushError(code, `Invalid Azure Key Vault key version ${quoted(version)}: letters and digits`);
}

/** A recipient from its parts (`.sops.yaml`'s `{vaultUrl, key, version}`), checked. */
export function azureKey(vaultUrl: string, name: string, version: string): AzureKeyRecipient {
  vaultOrigin(vaultUrl);
  checkAzureKeyName(name, version);
  return { kind: "azure_kv", vaultUrl, name, version };
}

/**
 * `https://NAME.vault.azure.net/keys/KEY[/VERSION]` → recipient, as SOPS's regular expression
 * `^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$` reads it (after trimming spaces). A missing version
 * means the key's latest version, which wrapping records.
 */
export function parseAzureKeyUrl(text: string): AzureKeyRecipient {
  const m = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/.exec(text.trim());
  if (m === null) throw new HushError("INVALID_ARGUMENT", `Invalid Azure Key Vault key URL ${quoted(text)}: should be like ${EXAMPLE}`);
  return azureKey(m[1] ?? "", m[2] ?? "", (m[3] ?? "").slice(1));
}
