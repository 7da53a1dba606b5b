/**
 * Vault transit key names: the URI form of `--hc-vault-transit` and `.sops.yaml`
 * (`https://vault:8200/v1/transit/keys/NAME`, parsed as SOPS's hcvault.NewMasterKeyFromURI does),
 * the identity SOPS prints, and the checks on the parts a file may carry. No Node imports: this
 * module is loaded at start-up through backend.ts.
 */
import { HushError, quoted, type ErrorCode } from "@hush/core";
import type { VaultKeyRecipient } from "./entry.ts";

const EXAMPLE = "https://vault.example.com:8200/v1/transit/keys/keyName";
/** One path segment of a mount path or key name: what Vault accepts, and nothing that moves up a level or adds a query. */
const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/** SOPS's identity: `ADDRESS/v1/ENGINE/keys/NAME`. */
export function vaultIdentity(key: Pick<VaultKeyRecipient, "vaultAddress" | "enginePath" | "keyName">): string {
  return `${key.vaultAddress}/v1/${key.enginePath}/keys/${key.keyName}`;
}

/**
 * The canonical form of a Vault address: lower-case scheme and host, the port only when it is not
 * the scheme's default, no path, no trailing slash. Throws `code` for anything else (a path, a
 * query, credentials, another scheme).
 */
export function normaliseVaultAddress(address: string, code: ErrorCode = "INVALID_ARGUMENT"): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new HushError(code, `Invalid Vault address ${quoted(address)}: not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new HushError(code, `Invalid Vault address ${quoted(address)}: must be http or https`);
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || (url.pathname !== "/" && url.pathname !== "")) {
    throw new HushError(code, `Invalid Vault address ${quoted(address)}: must be scheme://host[:port] only`);
  }
  return `${url.protocol}//${url.host}`;
}

/**
 * Segments of an engine path: namespaces and the mount path together. Real ones have a few
 * (`admin/team/transit`); each may cost a mount lookup with the reader's token (source.ts), so a
 * file's path of hundreds of segments would make each of its entries cost hundreds of requests.
 */
const MAX_ENGINE_PATH_SEGMENTS = 16;

/** Checks an engine path (`transit`, `team/transit`) and key name from a flag or a file. */
export function checkVaultPath(enginePath: string, keyName: string, code: ErrorCode = "INVALID_ARGUMENT"): void {
  const segments = enginePath.split("/");
  if (segments.length > MAX_ENGINE_PATH_SEGMENTS) {
    throw new HushError(code, `Invalid Vault transit engine path ${quoted(enginePath, 60)}: ${segments.length} segments; hush reads at most ${MAX_ENGINE_PATH_SEGMENTS}`);
  }
  if (enginePath === "" || segments.some((s) => !SEGMENT.test(s) || s === "." || s === "..")) {
    throw new HushError(code, `Invalid Vault transit engine path ${quoted(enginePath)}: path segments of letters, digits, '_', '-', '.'`);
  }
  if (!SEGMENT.test(keyName) || keyName === "." || keyName === "..") {
    throw new HushError(code, `Invalid Vault transit key name ${quoted(keyName)}: letters, digits, '_', '-', '.'`);
  }
}

/** `https://vault:8200/v1/transit/keys/NAME` → recipient (SOPS's URI rules: `/v1/ENGINE…/keys/NAME`, no prefix before `/v1`). */
export function parseVaultUri(uri: string): VaultKeyRecipient {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new HushError("INVALID_ARGUMENT", `Invalid Vault transit URI ${quoted(uri)}: should be like ${EXAMPLE}`);
  }
  // (?<!\/): a run of slashes is tried from its first one only (from each, quadratic).
  const path = url.pathname.replace(/^\/+/, "").replace(/(?<!\/)\/+$/, "");
  const dirs = path.split("/");
  // SOPS: dirs[0] is the API version, the last two are `keys` and the name, the engine is between.
  if (dirs.length < 4 || !/^v\d+$/.test(dirs[0] ?? "") || dirs[dirs.length - 2] !== "keys") {
    throw new HushError("INVALID_ARGUMENT", `Invalid Vault transit URI ${quoted(uri)}: should be like ${EXAMPLE}`);
  }
  const keyName = dirs[dirs.length - 1] ?? "";
  const enginePath = dirs.slice(1, -2).join("/");
  checkVaultPath(enginePath, keyName);
  const vaultAddress = normaliseVaultAddress(`${url.protocol}//${url.host}`);
  return { kind: "hc_vault", vaultAddress, enginePath, keyName };
}
