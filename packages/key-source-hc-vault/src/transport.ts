/**
 * One JSON request to Vault's HTTP API with node:http/node:https: the token in `X-Vault-Token`,
 * the namespace in `X-Vault-Namespace`, TLS trust from `VAULT_CACERT` (and a client certificate
 * from `VAULT_CLIENT_CERT`/`VAULT_CLIENT_KEY`), a time limit, a bounded answer, and no redirect
 * followed (a redirect would carry the token to an address nobody allowed).
 */
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { HushError, printable } from "@hush/core";

/** Vault answers of transit calls are small; anything larger is not Vault. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** What a request needs beyond its URL and body. */
export interface VaultRequestOptions {
  readonly token: string;
  readonly namespace?: string | undefined;
  readonly timeoutMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A Vault answer: status and parsed JSON body (undefined when not JSON). */
export interface VaultAnswer {
  readonly status: number;
  readonly body: unknown;
}

function readPem(env: Readonly<Record<string, string | undefined>>, name: string): Buffer | undefined {
  const path = env[name];
  if (path === undefined || path === "") return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new HushError("KEY_SOURCE_FAILED", `cannot read ${name} ${printable(path)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

/** PUTs `body` as JSON to `url` and returns the answer; throws KEY_SOURCE_FAILED on network failure or timeout. */
export function vaultPut(url: URL, body: unknown, options: VaultRequestOptions): Promise<VaultAnswer> {
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  const headers: Record<string, string | number> = {
    "Content-Type": "application/json",
    "Content-Length": payload.length,
    "X-Vault-Token": options.token,
    "X-Vault-Request": "true",
  };
  if (options.namespace !== undefined && options.namespace !== "") headers["X-Vault-Namespace"] = options.namespace;
  const tls = url.protocol === "https:";
  const ca = tls ? readPem(options.env, "VAULT_CACERT") : undefined;
  const cert = tls ? readPem(options.env, "VAULT_CLIENT_CERT") : undefined;
  const key = tls ? readPem(options.env, "VAULT_CLIENT_KEY") : undefined;
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new HushError("KEY_SOURCE_FAILED", why));
    const req = send(
      url,
      { method: "PUT", headers, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy();
            fail(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
          } else chunks.push(c);
        });
        res.on("end", () => {
          clearTimeout(deadline);
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status, body: parsed });
        });
        res.on("error", (err) => fail(`NetworkError (${printable(err.message)})`));
      },
    );
    // One deadline for the whole exchange: a server that sends its answer a byte at a time never
    // trips the socket's idle timeout.
    const deadline = setTimeout(() => {
      req.destroy();
      fail(`NetworkTimeout (no answer within ${options.timeoutMs} ms)`);
    }, options.timeoutMs);
    req.on("close", () => clearTimeout(deadline));
    req.on("error", (err: NodeJS.ErrnoException) => fail(`NetworkError (${printable(err.code ?? err.message)})`));
    req.end(payload);
  });
}

/** Vault's error text (`{"errors": ["permission denied"]}`), escaped and shortened. */
export function vaultErrorText(answer: VaultAnswer): string {
  const errors = (answer.body as { errors?: unknown } | undefined)?.errors;
  const text = Array.isArray(errors) ? errors.filter((e): e is string => typeof e === "string").join("; ") : "";
  return printable(text === "" ? "no error message" : text, 160);
}
