/**
 * Key Vault's bearer challenge. A request without a token is answered 401 with
 * `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/TENANT", resource="https://vault.azure.net"`
 * (or `scope="https://vault.azure.net/.default"`): the challenge says which token the vault wants. Both parts are untrusted (any server can answer a
 * 401): the resource must belong to the vault's own domain, as the Azure SDK's
 * `verifyChallengeResource` requires, so that a host cannot ask for a token meant for another
 * service; of the authorization URL only the tenant id is used, and the token is always asked
 * of the authority host from the environment.
 */
import { HushError, printable } from "@hush/core";
import { isKeyVaultUrl, KEY_VAULT_DOMAINS } from "./trust.ts";

/** What a verified challenge asks for. */
export interface VaultChallenge {
  /** The token's audience, e.g. `https://vault.azure.net` (an origin, no path). */
  readonly resource: string;
  /** The tenant named by the challenge, when it names one. */
  readonly tenantId: string | undefined;
}

/** A tenant id: a GUID or a domain name (`contoso.onmicrosoft.com`). */
const TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;

/** The `key="value"` parameters of a `Bearer` challenge, or undefined when there is none. */
function bearerParameters(header: string): Map<string, string> | undefined {
  const m = /^\s*Bearer\s+(.*)$/is.exec(header);
  if (m === null) return undefined;
  const params = new Map<string, string>();
  for (const p of (m[1] ?? "").matchAll(/(?<![A-Za-z_])([A-Za-z_]+)\s*=\s*"([^"]*)"/g)) params.set((p[1] ?? "").toLowerCase(), p[2] ?? "");
  return params;
}

/** Whether a token for `resource` may be sent to `vault`. */
function resourceFitsVault(resource: URL, vault: URL): boolean {
  const host = resource.hostname;
  // A vault on a Key Vault domain takes only that domain's token (`vault.azure.net` for
  // `x.vault.azure.net`): a suffix check alone would let `https://net` through.
  if (isKeyVaultUrl(vault)) return KEY_VAULT_DOMAINS.includes(host) && vault.hostname.endsWith(`.${host}`);
  return vault.hostname === host || (host.includes(".") && vault.hostname.endsWith(`.${host}`));
}

/**
 * Reads and verifies the challenge of a 401 answer from `vault`.
 *
 * @throws HushError KEY_SOURCE_FAILED when there is no bearer challenge, or it asks for a token
 *   of another domain or names a malformed tenant (no token is requested then)
 */
export function readChallenge(header: string | string[] | undefined, vault: URL, what: string): VaultChallenge {
  const text = Array.isArray(header) ? header.join(", ") : (header ?? "");
  const params = bearerParameters(text);
  const raw = params?.get("scope") ?? params?.get("resource");
  if (params === undefined || raw === undefined || raw === "") throw new HushError("KEY_SOURCE_FAILED", `${what}: the vault answered 401 without a bearer challenge`);
  let resource: URL;
  try {
    resource = new URL(raw.replace(/\/?\.default$/, ""));
  } catch {
    throw new HushError("KEY_SOURCE_FAILED", `${what}: the vault's challenge names an invalid resource ${printable(raw)}`);
  }
  if (resource.protocol !== "https:" || !resourceFitsVault(resource, vault)) {
    throw new HushError(
      "KEY_SOURCE_FAILED",
      `${what}: the vault ${printable(vault.origin)} asked for a token of ${printable(resource.origin)}, which is not its own domain; no token was sent`,
    );
  }
  const authorization = params.get("authorization") ?? params.get("authorization_uri") ?? "";
  let tenantId: string | undefined;
  if (authorization !== "") {
    let path: string;
    try {
      path = new URL(authorization).pathname;
    } catch {
      throw new HushError("KEY_SOURCE_FAILED", `${what}: the vault's challenge names an invalid authority ${printable(authorization)}`);
    }
    const tenant = path.split("/").filter((s) => s !== "")[0] ?? "";
    if (!TENANT.test(tenant)) throw new HushError("KEY_SOURCE_FAILED", `${what}: the vault's challenge names an invalid tenant ${printable(tenant)}`);
    tenantId = tenant;
  }
  return { resource: resource.origin, tenantId };
}
