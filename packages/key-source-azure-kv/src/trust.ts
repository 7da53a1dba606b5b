/**
 * Which vaults may receive the reader's Azure token.
 *
 * A file's `vault_url` is untrusted: anyone who can put a file in a repository (a branch, a pull
 * request, a clone) chooses it, and SOPS sends a Key Vault token to whatever it names. hush sends
 * the token only to an https vault on a Key Vault domain (a single label under one of
 * {@link KEY_VAULT_DOMAINS}, port 443) or to a vault listed in `HUSH_AZURE_KV_URLS`
 * (comma-separated, from the environment, never from a repository's `.sops.yaml` or the file).
 * A vault named on the command line (`--azure-kv`, `--add-azure-kv`, `SOPS_AZURE_KEYVAULT_URLS`)
 * was chosen by the user and needs only https. Plain http is refused except to loopback.
 */
import { HushError, printable, type ErrorCode } from "@hush/core";
import { requireHttpsOrLoopback } from "@hush/key-http/addresses";
import { vaultOrigin } from "./url.ts";

/**
 * The DNS suffixes of Key Vault and Managed HSM in Azure's clouds that are in service (public,
 * China, US Government; the Azure CLI's `keyvault_dns_suffix` and `mhsm_dns_suffix` per cloud).
 * Azure Germany (`vault.microsoftazure.de`) closed in 2021 and is left out; other clouds
 * (Azure Stack, sovereign partners) are allowed through HUSH_AZURE_KV_URLS.
 */
export const KEY_VAULT_DOMAINS: readonly string[] = [
  "vault.azure.net",
  "vault.azure.cn",
  "vault.usgovcloudapi.net",
  "managedhsm.azure.net",
  "managedhsm.azure.cn",
  "managedhsm.usgovcloudapi.net",
];

/** A vault name: one DNS label (Key Vault's rule: 3 to 24 letters, digits and dashes). */
const VAULT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The vault origins (normalised) allowed beyond Key Vault domains. */
export interface AzureVaultTrust {
  readonly origins: readonly string[];
}

/** `HUSH_AZURE_KV_URLS`; malformed items are ignored (they can match nothing). */
export function azureTrustFromEnv(env: Readonly<Record<string, string | undefined>>): AzureVaultTrust {
  const origins: string[] = [];
  for (const item of (env["HUSH_AZURE_KV_URLS"] ?? "").split(",")) {
    if (item.trim() === "") continue;
    try {
      origins.push(vaultOrigin(item.trim().replace(/(?<!\/)\/+$/, "")).origin);
    } catch {
      // Not a vault URL: matches nothing.
    }
  }
  return { origins };
}

/** Whether `url` is https on a Key Vault domain: `https://NAME.vault.azure.net` and its kin. */
export function isKeyVaultUrl(url: URL): boolean {
  if (url.protocol !== "https:" || url.port !== "") return false;
  const host = url.hostname;
  return KEY_VAULT_DOMAINS.some((domain) => host.endsWith(`.${domain}`) && VAULT_LABEL.test(host.slice(0, -domain.length - 1)));
}

/** Throws unless `vaultUrl` is https, or http to a loopback host. */
export function checkAzureScheme(vaultUrl: string, what: string, code: ErrorCode = "KEY_SOURCE_FAILED"): URL {
  const origin = vaultOrigin(vaultUrl, code);
  requireHttpsOrLoopback(origin.origin, what, "Azure Key Vault", code);
  return origin;
}

/**
 * Throws, before any network call, unless the token may go to `vaultUrl` (a file's `vault_url`,
 * or a key from `.sops.yaml`): a Key Vault domain, or allowed by {@link AzureVaultTrust}.
 * `origin` says where the URL came from, for the message. Returns the vault's origin.
 */
export function checkVaultUrl(trust: AzureVaultTrust, vaultUrl: string, what: string, origin = "the file names"): URL {
  const url = checkAzureScheme(vaultUrl, what);
  if (isKeyVaultUrl(url) || trust.origins.includes(url.origin)) return url;
  throw new HushError(
    "KEY_SOURCE_FAILED",
    `${what}: ${origin} the vault ${printable(url.origin)}, which is not on a Key Vault domain (*.vault.azure.net, …); hush sends your Azure token only to Key Vault or a vault you allow: add ${printable(url.origin)} to HUSH_AZURE_KV_URLS`,
  );
}
