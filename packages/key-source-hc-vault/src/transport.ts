/**
 * One JSON request to Vault's HTTP API: the token in `X-Vault-Token`, the namespace in
 * `X-Vault-Namespace`, TLS trust from `VAULT_CACERT` (and a client certificate from
 * `VAULT_CLIENT_CERT`/`VAULT_CLIENT_KEY`), sent through the shared guarded client (no redirect
 * followed, one deadline, a bounded answer).
 */
import { printable } from "@hush/core";
import { notJsonText, readPemFromEnv, sendRequest, type HttpAnswer } from "@hush/key-http";

/** What a request needs beyond its URL and body. */
export interface VaultRequestOptions {
  readonly token: string;
  readonly namespace?: string | undefined;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A Vault answer: status and parsed JSON body (undefined when not JSON). */
export type VaultAnswer = HttpAnswer;

/**
 * Sends `PUT url` with `body` as JSON, or `GET url` when `body` is undefined, and returns the
 * answer; throws KEY_SOURCE_FAILED on network failure or timeout.
 */
export function vaultRequest(url: URL, body: unknown, options: VaultRequestOptions): Promise<VaultAnswer> {
  const headers: Record<string, string> = { "X-Vault-Token": options.token, "X-Vault-Request": "true" };
  if (options.namespace !== undefined && options.namespace !== "") headers["X-Vault-Namespace"] = options.namespace;
  const tls =
    url.protocol === "https:"
      ? {
          ca: readPemFromEnv(options.env, "VAULT_CACERT"),
          cert: readPemFromEnv(options.env, "VAULT_CLIENT_CERT"),
          key: readPemFromEnv(options.env, "VAULT_CLIENT_KEY"),
        }
      : undefined;
  return sendRequest({ method: body === undefined ? "GET" : "PUT", url, headers, body: body === undefined ? undefined : { json: body }, tls, timeoutMs: options.timeoutMs, env: options.env });
}

/** Vault's error text (`{"errors": ["permission denied"]}`), escaped and shortened. */
export function vaultErrorText(answer: VaultAnswer): string {
  const errors = (answer.body as { errors?: unknown } | undefined)?.errors;
  const text = Array.isArray(errors) ? errors.filter((e): e is string => typeof e === "string").join("; ") : "";
  return text === "" ? (notJsonText(answer) ?? "no error message") : printable(text, 160);
}
