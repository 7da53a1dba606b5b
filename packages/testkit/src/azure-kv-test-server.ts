/**
 * A small Azure Key Vault for tests, on https://127.0.0.1 (with a certificate from
 * `makeTestCertificate`, trusted by a child through NODE_EXTRA_CA_CERTS).
 *
 * It does what Key Vault does: a request without a token gets `401` and the bearer challenge
 * (`WWW-Authenticate: Bearer authorization="…/TENANT", resource="…"`); a token must have been
 * issued by the token test server for this vault's resource; keys are real RSA-2048 key pairs
 * (node:crypto) with versions, `POST /keys/NAME/VERSION/encrypt|decrypt` do RSA-OAEP-256 (so a
 * ciphertext opens only with the key that made it, and node:crypto can check it), and
 * `GET /keys/NAME[/VERSION]` returns the key bundle with its `kid`. Errors have Key Vault's shape
 * (`{"error":{"code":"Forbidden","message":…}}`). Switches: per-key denial (403), a status to fail
 * with (5xx), latency (to hang), a redirect. Every request is logged with the token it carried.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

export interface AzureKvTestServerOptions {
  readonly tls: { readonly key: string; readonly cert: string };
  /** Who issued valid tokens: the token test server's `audienceOf`. */
  readonly audienceOf: (token: string) => string | undefined;
  /** The tenant the challenge names. */
  readonly tenantId: string;
  /** The challenge's resource; the vault's own origin when absent. */
  readonly challengeResource?: string;
  /** Wait this long before answering (to test clients' time limits). */
  readonly latencyMs?: number;
  /** Answer every request with a 307 to this origin instead. */
  readonly redirectTo?: string;
  /** Answer every authenticated request with this status (e.g. 503) instead. */
  readonly failWith?: number;
}

/** One request as the server saw it. */
export interface AzureKvTestCall {
  readonly method: string;
  readonly path: string;
  /** The bearer token it carried ("" when none). */
  readonly token: string;
  readonly status: number;
}

export interface AzureKvTestServer {
  /** `https://127.0.0.1:PORT`: the vault URL. */
  readonly address: string;
  /** `ADDRESS/keys/NAME[/VERSION]`, the URL form of `--azure-kv`. */
  url(name: string, version?: string): string;
  /** Creates a key or a new (latest) version of it; returns the version. */
  createKey(name: string): string;
  /** The versions of a key, oldest first. */
  versions(name: string): readonly string[];
  /** The private key of a version, to check ciphertexts with node:crypto. */
  privateKey(name: string, version: string): KeyObject;
  /** Refuses (403) every operation on a key. */
  deny(name: string): void;
  readonly calls: readonly AzureKvTestCall[];
  stop(): Promise<void>;
}

class KvError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type KeyVersion = { readonly version: string; readonly publicKey: KeyObject; readonly privateKey: KeyObject };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const OAEP_256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" } as const;

/** Starts the vault on a free port of 127.0.0.1. */
export async function startAzureKvTestServer(options: AzureKvTestServerOptions): Promise<AzureKvTestServer> {
  const keys = new Map<string, KeyVersion[]>();
  const denied = new Set<string>();
  const calls: AzureKvTestCall[] = [];
  let address = "";

  const createKey = (name: string): string => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const version = randomBytes(16).toString("hex");
    keys.set(name, [...(keys.get(name) ?? []), { version, publicKey, privateKey }]);
    return version;
  };
  const find = (name: string, version: string): KeyVersion => {
    const list = keys.get(name) ?? [];
    const found = version === "" ? list[list.length - 1] : list.find((k) => k.version === version);
    if (found === undefined) throw new KvError(404, "KeyNotFound", `A key with (name/id) ${name}${version === "" ? "" : `/${version}`} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`);
    return found;
  };
  const kid = (name: string, k: KeyVersion): string => `${address}/keys/${name}/${k.version}`;

  const operate = (method: string, path: string, body: Record<string, unknown> | undefined): unknown => {
    const m = /^\/keys\/([A-Za-z0-9-]+)(?:\/([A-Za-z0-9]*))?(?:\/(encrypt|decrypt))?$/.exec(path);
    if (m === null) throw new KvError(404, "NotFound", "The requested resource was not found.");
    const [, name = "", version = "", op] = m;
    if (denied.has(name)) {
      throw new KvError(403, "Forbidden", `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/keys/${op ?? "read"}/action' Resource: '/keys/${name}'`);
    }
    const key = find(name, version);
    if (op === undefined) {
      if (method !== "GET") throw new KvError(405, "MethodNotAllowed", "The requested method is not allowed.");
      const jwk = key.publicKey.export({ format: "jwk" });
      return { key: { kid: kid(name, key), kty: "RSA", key_ops: ["encrypt", "decrypt", "wrapKey", "unwrapKey"], n: jwk.n, e: jwk.e }, attributes: { enabled: true, created: 1733270400, updated: 1733270400, recoveryLevel: "Recoverable+Purgeable" } };
    }
    if (method !== "POST") throw new KvError(405, "MethodNotAllowed", "The requested method is not allowed.");
    if (body?.["alg"] !== "RSA-OAEP-256") throw new KvError(400, "BadParameter", "Property 'alg' is missing or not a supported algorithm.");
    const value = body["value"];
    if (typeof value !== "string" || !BASE64URL.test(value)) throw new KvError(400, "BadParameter", "Property 'value' is not base64url.");
    const input = Buffer.from(value, "base64url");
    if (op === "encrypt") return { kid: kid(name, key), value: publicEncrypt({ key: key.publicKey, ...OAEP_256 }, input).toString("base64url") };
    try {
      return { kid: kid(name, key), value: privateDecrypt({ key: key.privateKey, ...OAEP_256 }, input).toString("base64url") };
    } catch {
      throw new KvError(400, "BadParameter", "Bad Request");
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const auth = req.headers["authorization"];
    const token = typeof auth === "string" && auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const resource = options.challengeResource ?? address;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      calls.push({ method: req.method ?? "", path: url.pathname, token, status });
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "x-ms-keyvault-service-version": "1.9.2060.1", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    const challenge = { "WWW-Authenticate": `Bearer authorization="https://login.microsoftonline.com/${options.tenantId}", resource="${resource}"` };
    if (options.redirectTo !== undefined) return reply(307, undefined, { Location: `${options.redirectTo}${req.url ?? ""}` });
    try {
      if (token === "") return reply(401, { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } }, challenge);
      const audience = options.audienceOf(token);
      if (audience === undefined) return reply(401, { error: { code: "Unauthorized", message: "AKV10032: Invalid issuer." } }, challenge);
      if (audience !== resource) return reply(401, { error: { code: "Unauthorized", message: `AKV10022: Invalid audience. Expected ${resource}, found: ${audience}.` } }, challenge);
      if (options.failWith !== undefined) throw new KvError(options.failWith, "ServiceUnavailable", "The service is temporarily unavailable.");
      if (url.searchParams.get("api-version") === null) throw new KvError(400, "BadParameter", "The 'api-version' query parameter is missing.");
      let body: Record<string, unknown> | undefined;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
        } catch {
          throw new KvError(400, "BadParameter", "The request body is not valid JSON.");
        }
      }
      reply(200, operate(req.method ?? "", url.pathname, body));
    } catch (err) {
      if (!(err instanceof KvError)) throw err;
      reply(err.status, { error: { code: err.code, message: err.message } });
    }
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (): void => handle(req, res, Buffer.concat(chunks));
      if (options.latencyMs === undefined) answer();
      else setTimeout(answer, options.latencyMs);
    });
  });
  const listening = await listenOnLoopback(server);
  address = `https://127.0.0.1:${listening.port}`;
  return {
    address,
    url: (name, version) => `${address}/keys/${name}${version === undefined ? "" : `/${version}`}`,
    createKey,
    versions: (name) => (keys.get(name) ?? []).map((k) => k.version),
    privateKey: (name, version) => find(name, version).privateKey,
    deny: (name) => void denied.add(name),
    calls,
    stop: listening.stop,
  };
}
