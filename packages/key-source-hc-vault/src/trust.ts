/**
 * Which Vault servers may receive the reader's token.
 *
 * A file's `vault_address` is untrusted: anyone who can put a file in a repository (a branch, a
 * pull request, a clone) chooses it, and SOPS sends the reader's Vault token there (advisory
 * GHSA-jgf3-f6rg-8x3h). hush sends the token only to the address in `VAULT_ADDR` or one listed
 * in `HUSH_VAULT_ADDRS` (comma-separated), both from the environment, never from a repository's
 * `.sops.yaml` or the file. When encrypting, an address named on the command line
 * (`--hc-vault-transit`, `--add-hc-vault-transit`, `SOPS_VAULT_URIS`) was chosen by the user and
 * may receive it too; one from a `.sops.yaml` rule may not unless allowed, since a cloned
 * repository brings its own `.sops.yaml`. Plain http is refused except to loopback, where the
 * token cannot cross a network.
 */
import { HushError, printable, type ErrorCode } from "@hush/core";
import { requireHttpsOrLoopback } from "@hush/key-http/addresses";
import { normaliseVaultAddress } from "./uri.ts";

/** The addresses (normalised) that may receive the token. */
export interface VaultTrust {
  readonly addresses: readonly string[];
}

function tryNormalise(address: string): string | undefined {
  try {
    return normaliseVaultAddress(address.trim().replace(/(?<!\/)\/+$/, ""));
  } catch {
    return undefined;
  }
}

/** `VAULT_ADDR` and `HUSH_VAULT_ADDRS`; malformed items are ignored (they can match nothing). */
export function vaultTrustFromEnv(env: Readonly<Record<string, string | undefined>>): VaultTrust {
  const items = [env["VAULT_ADDR"] ?? "", ...(env["HUSH_VAULT_ADDRS"] ?? "").split(",")];
  return { addresses: items.filter((s) => s.trim() !== "").flatMap((s) => tryNormalise(s) ?? []) };
}

/** Throws unless `address` uses https, or http to a loopback host. */
export function checkVaultScheme(address: string, what: string, code: ErrorCode = "KEY_SOURCE_FAILED"): void {
  requireHttpsOrLoopback(address, what, "Vault", code);
}

/**
 * Throws, before any network call, unless the token may go to `address` (a file's
 * `vault_address`, or a key from `.sops.yaml`): https (or loopback) and allowed by
 * {@link VaultTrust}. `origin` says where the address came from, for the message.
 */
export function checkVaultAddress(trust: VaultTrust, address: string, what: string, origin = "the file names"): string {
  const normal = normaliseVaultAddress(address, "METADATA_INVALID");
  checkVaultScheme(normal, what);
  if (!trust.addresses.includes(normal)) {
    throw new HushError(
      "KEY_SOURCE_FAILED",
      `${what}: ${origin} the Vault server ${printable(normal)}; hush sends your Vault token only to a server you allow: set VAULT_ADDR=${printable(normal)} or add it to HUSH_VAULT_ADDRS`,
    );
  }
  return normal;
}
