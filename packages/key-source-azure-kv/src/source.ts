/**
 * The Azure Key Vault key source: wraps a data key with the Key Vault REST API's
 * `POST {vault}/keys/{name}/{version}/encrypt` (RSA-OAEP-256, as SOPS's azkv package does) and
 * unwraps it with `/decrypt`; `GET {vault}/keys/{name}` finds the latest version of a key named
 * without one. The token is asked for only after the vault's 401 challenge is verified, and the
 * vault only after its URL is (trust.ts), before any network call.
 */
import { HushError, printable, type KeySource, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import { notJsonText, sendRequest, statusReason, type HttpAnswer } from "@hush/key-http";
import { readChallenge, type VaultChallenge } from "./challenge.ts";
import { AzureCredentials } from "./credentials.ts";
import type { AzureKeyEntry, AzureKeyRecipient } from "./entry.ts";
import { azureTrustFromEnv, checkAzureScheme, checkVaultUrl, type AzureVaultTrust } from "./trust.ts";
import { azureKeyIdentity, checkAzureKeyName } from "./url.ts";

/** Options of {@link AzureKeyVaultKeySource}. */
export interface AzureKeyVaultKeySourceOptions {
  /** AZURE_* credentials, HUSH_AZURE_KV_URLS, HUSH_AZURE_KV_TIMEOUT (seconds). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Vault origins the user named on the command line for encryption: they may receive the token when wrapping. */
  readonly chosenOrigins?: readonly string[];
}

/** The Key Vault REST API version (what SOPS's azkeys client speaks). */
export const KEY_VAULT_API_VERSION = "7.4";
/** The wrapped key: base64url without padding, as SOPS writes it. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;
const WHAT = "Azure Key Vault";

/** RFC 3339 in whole seconds, UTC, as SOPS writes `created_at`. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Key Vault's error (`{"error":{"code":"Forbidden","message":"…"}}`), escaped and shortened. */
function vaultErrorText(answer: HttpAnswer): string {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" ? error.code : "";
  const message = typeof error?.message === "string" ? error.message : "";
  const text = [code, message].filter((s) => s !== "").join(": ");
  return text === "" ? (notJsonText(answer) ?? "no error message") : printable(text, 200);
}

/** Azure Key Vault key source (kind "azure_kv"). */
export class AzureKeyVaultKeySource implements KeySource {
  readonly kind = "azure_kv" as const;
  readonly #trust: AzureVaultTrust;
  readonly #chosen: readonly string[];
  readonly #timeoutMs: number;
  readonly #credentials: AzureCredentials;
  /** The user's environment, for its HTTPS proxy settings. */
  readonly #env: Readonly<Record<string, string | undefined>>;
  /** Verified challenges by vault origin: later requests to the vault carry the token at once. */
  readonly #challenges = new Map<string, VaultChallenge>();

  constructor(options: AzureKeyVaultKeySourceOptions) {
    this.#trust = azureTrustFromEnv(options.env);
    this.#chosen = options.chosenOrigins ?? [];
    const seconds = Number(options.env["HUSH_AZURE_KV_TIMEOUT"] ?? "30");
    this.#timeoutMs = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 30_000;
    this.#credentials = new AzureCredentials(options.env, this.#timeoutMs);
    this.#env = options.env;
  }

  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<AzureKeyEntry> {
    if (recipient.kind !== "azure_kv") throw new HushError("INVALID_ARGUMENT", `The Azure Key Vault key source cannot wrap to a ${recipient.kind} key`);
    if (dataKey.length !== 32 && dataKey.length !== 33) {
      throw new HushError("INTERNAL", `A data key to wrap must be 32 bytes (or a 33-byte share), got ${dataKey.length}`);
    }
    const key = recipient as AzureKeyRecipient;
    checkAzureKeyName(key.name, key.version, "INVALID_ARGUMENT");
    // Named on this command line: the https rule still holds. Otherwise (a `.sops.yaml` rule, or
    // the keys a file lists when rotating) the vault must be allowed as for unwrapping.
    const chosen = checkAzureScheme(key.vaultUrl, WHAT);
    const vault = this.#chosen.includes(chosen.origin) ? chosen : checkVaultUrl(this.#trust, key.vaultUrl, WHAT, "the key to encrypt for (from .sops.yaml or the file) names");
    const version = key.version === "" ? await this.#latestVersion(vault, key.name) : key.version;
    const answer = await this.#call(vault, "POST", `/keys/${key.name}/${version}/encrypt`, { alg: "RSA-OAEP-256", value: Buffer.from(dataKey).toString("base64url") }, "encrypt");
    const value = (answer.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== "string" || !BASE64URL.test(value)) throw new HushError("KEY_SOURCE_FAILED", `${WHAT} encrypt failed: MalformedResponse (no base64url value in the answer)`);
    const enc = Buffer.from(value, "base64url").toString("base64url");
    return { kind: "azure_kv", vaultUrl: key.vaultUrl, name: key.name, version, createdAt: nowRfc3339(), enc };
  }

  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "azure_kv") return null;
    const key = entry as AzureKeyEntry;
    // Everything from the file is checked before any network call or credential read.
    checkAzureKeyName(key.name, key.version, "METADATA_INVALID");
    if (!BASE64URL.test(key.enc)) throw new HushError("METADATA_INVALID", `The wrapped key (enc) of Azure Key Vault key ${printable(azureKeyIdentity(key))} is not base64url`);
    const vault = checkVaultUrl(this.#trust, key.vaultUrl, WHAT);
    const version = key.version === "" ? await this.#latestVersion(vault, key.name) : key.version;
    const answer = await this.#call(vault, "POST", `/keys/${key.name}/${version}/decrypt`, { alg: "RSA-OAEP-256", value: key.enc }, "decrypt");
    const value = (answer.body as { value?: unknown } | undefined)?.value;
    if (typeof value !== "string" || !BASE64URL.test(value)) throw new HushError("KEY_SOURCE_FAILED", `${WHAT} decrypt failed: MalformedResponse (no base64url value in the answer)`);
    const bytes = Buffer.from(value, "base64url");
    if (bytes.length !== 32 && bytes.length !== 33) {
      bytes.fill(0);
      throw new HushError("KEY_SOURCE_FAILED", `${WHAT} decrypt returned ${bytes.length} bytes, not a data key`);
    }
    return new Uint8Array(bytes);
  }

  describeSearch(): readonly string[] {
    return [this.#credentials.describe()];
  }

  /** `GET {vault}/keys/{name}`: the version in the latest key's `kid` (as SOPS's ensureKeyHasVersion). */
  async #latestVersion(vault: URL, name: string): Promise<string> {
    const answer = await this.#call(vault, "GET", `/keys/${name}`, undefined, "get key");
    const kid = (answer.body as { key?: { kid?: unknown } } | undefined)?.key?.kid;
    const prefix = `${vault.origin}/keys/${name}/`;
    const version = typeof kid === "string" && kid.toLowerCase().startsWith(prefix.toLowerCase()) ? kid.slice(prefix.length) : "";
    if (!/^[A-Za-z0-9]{1,64}$/.test(version)) throw new HushError("KEY_SOURCE_FAILED", `${WHAT} get key failed: MalformedResponse (no key id of ${printable(name)} in the answer)`);
    return version;
  }

  /**
   * One Key Vault request. The first request to a vault goes without a token and without a body
   * (as Azure's clients send it): its 401 challenge, once verified, says which token to ask for.
   */
  async #call(vault: URL, method: "GET" | "POST", path: string, body: unknown, op: string): Promise<HttpAnswer> {
    const url = new URL(`${vault.origin}${path}?api-version=${KEY_VAULT_API_VERSION}`);
    const send = async (token: string | undefined): Promise<HttpAnswer> => {
      const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
      const withBody = token !== undefined && body !== undefined ? { body: { json: body } } : {};
      try {
        return await sendRequest({ method, url, headers, ...withBody, timeoutMs: this.#timeoutMs, env: this.#env });
      } catch (err) {
        throw new HushError("KEY_SOURCE_FAILED", `${WHAT} ${op} failed: ${(err as Error).message}`);
      }
    };
    let challenge = this.#challenges.get(vault.origin);
    if (challenge === undefined) {
      const first = await send(undefined);
      // Key Vault answers a request without a token 401, always: a success is not Key Vault's.
      if (first.status >= 200 && first.status < 300) {
        throw new HushError("KEY_SOURCE_FAILED", `${WHAT} ${op} failed: MalformedResponse (HTTP ${first.status} to a request without a token, which Key Vault answers 401: is the vault URL a Key Vault's?)`);
      }
      if (first.status !== 401) this.#refuse(first, op);
      challenge = readChallenge(first.headers["www-authenticate"], vault, `${WHAT} ${op}`);
      this.#challenges.set(vault.origin, challenge);
    }
    let token: string;
    try {
      token = await this.#credentials.token(challenge.resource, challenge.tenantId);
    } catch (err) {
      throw new HushError("KEY_SOURCE_FAILED", `${WHAT} ${op} failed: ${(err as Error).message}`);
    }
    const answer = await send(token);
    // Refused (expired, revoked): the next request asks for a new one, as GCP's key source does.
    if (answer.status === 401) this.#credentials.forget(challenge.resource, challenge.tenantId);
    if (answer.status !== 200) this.#refuse(answer, op);
    return answer;
  }

  #refuse(answer: HttpAnswer, op: string): never {
    if (answer.status >= 300 && answer.status < 400) {
      throw new HushError("KEY_SOURCE_FAILED", `${WHAT} ${op} failed: HTTP ${answer.status} redirect not followed (name the vault that answers)`);
    }
    throw new HushError("KEY_SOURCE_FAILED", `${WHAT} ${op} failed: ${statusReason(answer.status)} (HTTP ${answer.status}: ${vaultErrorText(answer)})`);
  }
}
