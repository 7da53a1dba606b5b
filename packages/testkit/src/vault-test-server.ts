/**
 * A small HashiCorp Vault (and OpenBao) transit engine for tests, on 127.0.0.1, over HTTP or
 * HTTPS (with a certificate from {@link makeTestCertificate}).
 *
 * Like the KMS test server it checks what a real Vault checks: the `X-Vault-Token` header
 * (403 `permission denied` otherwise), the namespace when one is required, per-key denial, the
 * request's JSON and base64 (400 with Vault's messages). Keys are real: AES-256-GCM over the
 * plaintext, ciphertexts `vault:v1:base64(iv‖ciphertext‖tag)`, so a ciphertext opens only with the
 * key that made it. Every request is logged with the token it carried, so a test can prove where
 * tokens went. Encrypt creates a missing key, as Vault's transit engine does (upsert).
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { join } from "node:path";
import { listenOnLoopback } from "./loopback.ts";

export interface VaultTestServerOptions {
  /** The accepted token; random when absent (see `token`). */
  readonly token?: string;
  /** When set, requests must carry this `X-Vault-Namespace`. */
  readonly namespace?: string;
  /** Serve HTTPS with this certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Wait this long before answering (to test clients' time limits). */
  readonly latencyMs?: number;
  /** Answer every request with this redirect (307 to the URL) instead. */
  readonly redirectTo?: string;
  /**
   * Mounts of a KV version 1 engine (e.g. `team-kv`): a PUT under one stores its JSON body at
   * that path and answers 204, as Vault does (see `kvData`), and the mount lookup says `kv`.
   * Every other path is a transit engine's.
   */
  readonly kvMounts?: readonly string[];
  /**
   * How the mount lookup (`GET sys/internal/ui/mounts/…`) is answered when not as Vault answers
   * it: `not-found` (404, as a server without it would), `redirect` (307 to this server's root,
   * as a proxy sending unknown paths to a login page would), `no-data` (200 with an empty object).
   */
  readonly mountLookup?: "not-found" | "redirect" | "no-data";
  /**
   * Child namespaces (Vault Enterprise) named at the start of a path (`team/kv/…` is mount `kv`
   * of namespace `team`): the mount lookup sees a mount only from its own namespace
   * (`GET /v1/team/sys/internal/ui/mounts/kv`), and answers 404 from the one above.
   */
  readonly pathNamespaces?: readonly string[];
}

/** One request as the server saw it. */
export interface VaultTestCall {
  readonly method: string;
  readonly path: string;
  /** The `X-Vault-Token` header ("" when absent). */
  readonly token: string;
  readonly namespace: string;
  readonly status: number;
}

export interface VaultTestServer {
  /** `http://127.0.0.1:PORT` (or https). */
  readonly address: string;
  readonly token: string;
  /** `ADDRESS/v1/ENGINE/keys/NAME`, the URI form of `--hc-vault-transit`. */
  uri(keyName: string, engine?: string): string;
  /** Creates a transit key (no network call). */
  createKey(keyName: string, engine?: string): void;
  /** Refuses (403) encrypt and decrypt with a key. */
  deny(keyName: string, engine?: string): void;
  /** Answers encrypt and decrypt with a key with a server error (`status`, e.g. 500 or 503). */
  failWith(keyName: string, status: number, engine?: string): void;
  /** What KV version 1 writes stored, by path after `/v1/` (`team-kv/app/encrypt/x`). */
  kvData(path: string): unknown;
  /** Every request received, oldest first. */
  readonly calls: readonly VaultTestCall[];
  stop(): Promise<void>;
}

class VaultError extends Error {
  readonly status: number;
  readonly errors: readonly string[];
  constructor(status: number, errors: readonly string[]) {
    super(errors.join("; "));
    this.status = status;
    this.errors = errors;
  }
}

/** A self-signed certificate for `127.0.0.1` and `localhost`, made with openssl in `dir`. */
export function makeTestCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, "vault-test.key");
  const certFile = join(dir, "vault-test.crt");
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
  } catch (err) {
    throw new Error(`openssl is needed to make a test certificate (apt-get install openssl): ${(err as Error).message}`);
  }
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

function sealed(key: Buffer, plaintext: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `vault:v1:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64")}`;
}

function opened(key: Buffer, ciphertext: string): Buffer {
  const m = /^vault:v(\d+):([A-Za-z0-9+/]+={0,2})$/.exec(ciphertext);
  if (m === null) throw new VaultError(400, ["invalid ciphertext: no prefix"]);
  if (m[1] !== "1") throw new VaultError(400, ["invalid ciphertext: key version not found"]);
  const raw = Buffer.from(m[2] ?? "", "base64");
  if (raw.length < 28) throw new VaultError(400, ["invalid ciphertext: too short"]);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
  } catch {
    throw new VaultError(400, ["cipher: message authentication failed"]);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The endpoint that tells a path's mount (the Vault CLI's `vault kv` asks it too). */
const MOUNT_LOOKUP = "/v1/sys/internal/ui/mounts/";

/** Starts the server on a free port of 127.0.0.1. */
export async function startVaultTestServer(options: VaultTestServerOptions = {}): Promise<VaultTestServer> {
  const token = options.token ?? `hvs.${randomBytes(18).toString("base64url")}`;
  const keys = new Map<string, Buffer>();
  const denied = new Set<string>();
  const failing = new Map<string, number>();
  const calls: VaultTestCall[] = [];
  const kv = new Map<string, unknown>();
  const kvMount = (path: string): boolean => (options.kvMounts ?? []).some((m) => path.startsWith(`/v1/${m}/`));

  /**
   * What `GET /v1/sys/internal/ui/mounts/PATH` says of a path, as Vault answers a token with a
   * capability on the mount: a KV mount's type and version, else transit (the engine path whole).
   */
  const mountOf = (path: string): Record<string, unknown> => {
    const kvName = (options.kvMounts ?? []).find((m) => path === m || path.startsWith(`${m}/`));
    if (kvName !== undefined) return { type: "kv", path: `${kvName}/`, options: { version: "1" }, local: false, seal_wrap: false };
    return { type: "transit", path: `${path.replace(/\/+$/, "")}/`, options: null, local: false, seal_wrap: false };
  };

  const transit = (path: string, body: Record<string, unknown>): Record<string, unknown> => {
    const m = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/.exec(path);
    if (m === null) throw new VaultError(404, []);
    const [, engine = "", op, name = ""] = m;
    const id = `${engine}/${name}`;
    if (denied.has(id)) throw new VaultError(403, ["1 error occurred:\n\t* permission denied\n\n"]);
    const failure = failing.get(id);
    if (failure !== undefined) throw new VaultError(failure, ["local node not active but active cluster node not found"]);
    if (op === "encrypt") {
      const plaintext = body["plaintext"];
      if (typeof plaintext !== "string" || !BASE64.test(plaintext)) throw new VaultError(400, ["failed to base64-decode plaintext"]);
      if (!keys.has(id)) keys.set(id, randomBytes(32));
      return { ciphertext: sealed(keys.get(id)!, Buffer.from(plaintext, "base64")), key_version: 1 };
    }
    const key = keys.get(id);
    if (key === undefined) throw new VaultError(400, ["encryption key not found"]);
    const ciphertext = body["ciphertext"];
    if (typeof ciphertext !== "string") throw new VaultError(400, ["missing ciphertext to decrypt"]);
    return { plaintext: opened(key, ciphertext).toString("base64") };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const sent = req.headers["x-vault-token"];
    const ns = req.headers["x-vault-namespace"];
    const call = { method: req.method ?? "", path, token: typeof sent === "string" ? sent : "", namespace: typeof ns === "string" ? ns : "" };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      calls.push({ ...call, status });
      res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (options.redirectTo !== undefined) return reply(307, undefined, { Location: `${options.redirectTo}${req.url ?? ""}` });
    try {
      if (call.token !== token) throw new VaultError(403, ["permission denied"]);
      if (options.namespace !== undefined && call.namespace !== options.namespace) throw new VaultError(403, ["permission denied"]);
      if (req.method === "GET" && path.startsWith(MOUNT_LOOKUP) && options.mountLookup === "not-found") throw new VaultError(404, []);
      if (req.method === "GET" && path.startsWith(MOUNT_LOOKUP) && options.mountLookup === "redirect") return reply(307, undefined, { Location: "/ui/login" });
      if (req.method === "GET" && path.startsWith(MOUNT_LOOKUP) && options.mountLookup === "no-data") return reply(200, {});
      if (req.method === "GET" && path.startsWith(MOUNT_LOOKUP)) {
        const asked = path.slice(MOUNT_LOOKUP.length);
        if ((options.pathNamespaces ?? []).some((ns) => asked.startsWith(`${ns}/`))) throw new VaultError(404, []);
        return reply(200, { request_id: randomUUID(), data: mountOf(asked) });
      }
      const inNamespace = (options.pathNamespaces ?? []).find((ns) => req.method === "GET" && path.startsWith(`/v1/${ns}${MOUNT_LOOKUP.slice("/v1".length)}`));
      if (inNamespace !== undefined) return reply(200, { request_id: randomUUID(), data: mountOf(`${inNamespace}/${path.slice(`/v1/${inNamespace}${MOUNT_LOOKUP.slice("/v1".length)}`.length)}`) });
      if (req.method !== "PUT" && req.method !== "POST") throw new VaultError(405, ["unsupported operation"]);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new VaultError(400, ["failed to parse JSON input: invalid character"]);
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new VaultError(400, ["failed to parse JSON input"]);
      if (kvMount(path)) {
        kv.set(path.slice("/v1/".length), body);
        return reply(204, undefined);
      }
      const data = transit(path, body as Record<string, unknown>);
      reply(200, { request_id: randomUUID(), lease_id: "", renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, mount_type: "transit" });
    } catch (err) {
      if (!(err instanceof VaultError)) throw err;
      reply(err.status, { errors: err.errors });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (): void => handle(req, res, Buffer.concat(chunks));
      if (options.latencyMs === undefined) answer();
      else setTimeout(answer, options.latencyMs);
    });
  };
  const server: Server = options.tls === undefined ? createHttpServer(listener) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  const listening = await listenOnLoopback(server);
  const port = listening.port;
  const address = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  return {
    address,
    token,
    uri: (keyName, engine = "transit") => `${address}/v1/${engine}/keys/${keyName}`,
    createKey: (keyName, engine = "transit") => void keys.set(`${engine}/${keyName}`, randomBytes(32)),
    deny: (keyName, engine = "transit") => void denied.add(`${engine}/${keyName}`),
    failWith: (keyName, status, engine = "transit") => void failing.set(`${engine}/${keyName}`, status),
    kvData: (path) => kv.get(path),
    calls,
    stop: listening.stop,
  };
}
