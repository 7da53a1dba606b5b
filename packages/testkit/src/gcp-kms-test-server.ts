/**
 * A small Google Cloud KMS for tests, on 127.0.0.1, over HTTP or HTTPS (a certificate from
 * {@link makeTestCertificate}), with the OAuth 2.0 token endpoint Google's credentials name.
 *
 * It checks what Google checks: the bearer token (401 UNAUTHENTICATED otherwise), that the key
 * exists (404) and that the caller may use it (403 PERMISSION_DENIED, per key), the request's JSON
 * and base64 (400 INVALID_ARGUMENT), all in Google's error shape
 * `{"error": {"code", "message", "status"}}`. Ciphertexts are real AES-256-GCM with the key's
 * resource name as additional data, so a ciphertext made under one key does not decrypt under
 * another. The token endpoint (`/token`) verifies a service account's RS256 JWT assertion with the
 * public half of a key pair made here, and an authorized user's refresh token; the GCE metadata
 * server's token path answers too (for GCE_METADATA_HOST). Every request is
 * logged with the credential it carried, so a test can prove where tokens went. Switches make
 * it fail (5xx), hang, or redirect.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { listenOnLoopback } from "./loopback.ts";

export interface GcpKmsTestServerOptions {
  /** An accepted bearer token besides those the token endpoint issues; random when absent. */
  readonly token?: string;
  /** Serve HTTPS with this certificate (PEM). */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/**
 * How the server misbehaves: `5xx` answers 503 UNAVAILABLE (to the next `times` requests only,
 * when given: a passing outage), `hang` never answers, `redirect` answers 307 to `redirectTo`.
 */
export type GcpKmsFault = { readonly kind: "5xx"; readonly times?: number } | { readonly kind: "hang" } | { readonly kind: "redirect"; readonly to: string };

/** One request as the server saw it. */
export interface GcpKmsTestCall {
  readonly method: string;
  readonly path: string;
  /** The `Authorization` header ("" when absent). */
  readonly authorization: string;
  /** The `x-goog-user-project` header ("" when absent). */
  readonly userProject: string;
  /** The form fields of a token request (assertion, refresh_token…), empty otherwise. */
  readonly form: Readonly<Record<string, string>>;
  readonly status: number;
}

export interface GcpKmsTestServer {
  /** `http://127.0.0.1:PORT` (or https): the value for SOPS_GCP_KMS_ENDPOINT (and, as `127.0.0.1:PORT`, GCE_METADATA_HOST). */
  readonly address: string;
  /** The token endpoint, `ADDRESS/token`. */
  readonly tokenUri: string;
  /** A bearer token the server accepts (for GOOGLE_OAUTH_ACCESS_TOKEN). */
  readonly token: string;
  /** `projects/hush-test/locations/global/keyRings/ring/cryptoKeys/NAME`. */
  resourceId(keyName: string): string;
  /** Creates a key (no network call); encrypt and decrypt need it. */
  createKey(resourceId: string): void;
  /** Refuses (403 PERMISSION_DENIED) encrypt and decrypt with a key. */
  deny(resourceId: string): void;
  /** A service-account credential (JSON object) whose signatures this server's token endpoint verifies. */
  serviceAccount(extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** An authorized-user credential (JSON object) whose refresh token this server accepts. */
  authorizedUser(extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** Sets (or clears, with undefined) a fault for all following requests. */
  fault(fault: GcpKmsFault | undefined): void;
  /** Every request received, oldest first. */
  readonly calls: readonly GcpKmsTestCall[];
  stop(): Promise<void>;
}

class GoogleError extends Error {
  readonly code: number;
  readonly status: string;
  constructor(code: number, status: string, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

const CRC32C_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC32C as Cloud KMS reports it (a decimal int64 in JSON). */
function crc32c(data: Buffer): string {
  let c = 0xffffffff;
  for (const b of data) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return String((c ^ 0xffffffff) >>> 0);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const KMS_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+):(encrypt|decrypt)$/;
const METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";
const SCOPES = ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/cloudkms"];

function b64(v: unknown, field: string): Buffer {
  if (typeof v !== "string" || !BASE64.test(v)) throw new GoogleError(400, "INVALID_ARGUMENT", `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed for "${String(v).slice(0, 20)}"`);
  return Buffer.from(v, "base64");
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startGcpKmsTestServer(options: GcpKmsTestServerOptions = {}): Promise<GcpKmsTestServer> {
  const staticToken = options.token ?? `ya29.${randomBytes(24).toString("base64url")}`;
  const issued = new Set<string>([staticToken]);
  const master = randomBytes(32);
  const keys = new Set<string>();
  const denied = new Set<string>();
  const calls: GcpKmsTestCall[] = [];
  const serviceKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const serviceKeyId = randomBytes(20).toString("hex");
  const serviceEmail = "hush-test@hush-test.iam.gserviceaccount.com";
  const user = { client_id: `${randomBytes(6).toString("hex")}.apps.googleusercontent.com`, client_secret: randomBytes(12).toString("base64url"), refresh_token: `1//${randomBytes(24).toString("base64url")}` };
  let current: GcpKmsFault | undefined;
  let address = "";

  const issue = (): Record<string, unknown> => {
    const token = `ya29.${randomBytes(24).toString("base64url")}`;
    issued.add(token);
    return { access_token: token, expires_in: 3599, token_type: "Bearer" };
  };

  /** RFC 7523 assertion checks, as Google's token endpoint makes them. */
  const checkAssertion = (assertion: string, publicKey: KeyObject): void => {
    const invalid = (why: string): GoogleError => new GoogleError(400, "invalid_grant", why);
    const [h = "", c = "", s = ""] = assertion.split(".");
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as Record<string, unknown>;
    } catch {
      throw invalid("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
    }
    if (header["alg"] !== "RS256" || !verify("sha256", Buffer.from(`${h}.${c}`), publicKey, Buffer.from(s, "base64url"))) throw invalid("Invalid JWT Signature.");
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims["iat"]);
    const exp = Number(claims["exp"]);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600)) throw invalid("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
    if (claims["iss"] !== serviceEmail) throw invalid("Invalid JWT: No valid verifier found for issuer.");
    if (claims["aud"] !== `${address}/token`) throw invalid("Invalid JWT: Failed audience check.");
    const scopes = String(claims["scope"] ?? "").split(" ");
    if (!scopes.some((x) => SCOPES.includes(x))) throw new GoogleError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  };

  const token = (form: Record<string, string>): Record<string, unknown> => {
    if (form["grant_type"] === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      checkAssertion(form["assertion"] ?? "", serviceKey.publicKey);
      return issue();
    }
    if (form["grant_type"] === "refresh_token") {
      if (form["client_id"] !== user.client_id || form["client_secret"] !== user.client_secret) throw new GoogleError(401, "invalid_client", "Unauthorized");
      if (form["refresh_token"] !== user.refresh_token) throw new GoogleError(400, "invalid_grant", "Bad Request");
      return issue();
    }
    throw new GoogleError(400, "unsupported_grant_type", "Invalid grant_type: ");
  };

  const kms = (path: string, bearer: string, body: Record<string, unknown>): Record<string, unknown> => {
    if (!issued.has(bearer)) {
      throw new GoogleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
    }
    const m = KMS_PATH.exec(path);
    if (m === null) throw new GoogleError(404, "NOT_FOUND", "The requested URL was not found on this server.");
    const [, name = "", op = ""] = m;
    if (denied.has(name)) {
      const permission = op === "encrypt" ? "useToEncrypt" : "useToDecrypt";
      throw new GoogleError(403, "PERMISSION_DENIED", `Permission 'cloudkms.cryptoKeyVersions.${permission}' denied on resource '${name}' (or it may not exist).`);
    }
    if (!keys.has(name)) throw new GoogleError(404, "NOT_FOUND", `CryptoKey ${name} not found.`);
    if (op === "encrypt") {
      const plaintext = b64(body["plaintext"], "plaintext");
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", master, iv).setAAD(Buffer.from(name));
      const ciphertext = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return { name: `${name}/cryptoKeyVersions/1`, ciphertext: ciphertext.toString("base64"), ciphertextCrc32c: crc32c(ciphertext), verifiedPlaintextCrc32c: false, verifiedAdditionalAuthenticatedDataCrc32c: false, protectionLevel: "SOFTWARE" };
    }
    const raw = b64(body["ciphertext"], "ciphertext");
    try {
      if (raw.length < 28) throw new Error("short");
      const decipher = createDecipheriv("aes-256-gcm", master, raw.subarray(0, 12)).setAAD(Buffer.from(name));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plaintext = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      return { plaintext: plaintext.toString("base64"), plaintextCrc32c: crc32c(plaintext), usedPrimary: true, protectionLevel: "SOFTWARE" };
    } catch {
      throw new GoogleError(400, "INVALID_ARGUMENT", "Decryption failed: verify that 'name' refers to the correct CryptoKey.");
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    const path = req.url ?? "";
    const header = (name: string): string => {
      const v = req.headers[name];
      return typeof v === "string" ? v : "";
    };
    const isToken = path === "/token";
    const form = isToken ? Object.fromEntries(new URLSearchParams(raw.toString("utf8"))) : {};
    const call = { method: req.method ?? "", path, authorization: header("authorization"), userProject: header("x-goog-user-project"), form };
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      calls.push({ ...call, status });
      res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (current?.kind === "hang") {
      calls.push({ ...call, status: 0 });
      return;
    }
    if (current?.kind === "redirect") return reply(307, undefined, { Location: `${current.to}${path}` });
    if (current?.kind === "5xx") {
      if (current.times !== undefined) current = current.times > 1 ? { kind: "5xx", times: current.times - 1 } : undefined;
      return reply(503, { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } });
    }
    try {
      if (path === METADATA_TOKEN_PATH && req.method === "GET") {
        // The GCE metadata server answers only requests that say they mean it (SSRF protection).
        if (header("metadata-flavor") !== "Google") throw new GoogleError(403, "PERMISSION_DENIED", "Missing Metadata-Flavor:Google header.");
        return reply(200, issue());
      }
      if (req.method !== "POST") throw new GoogleError(404, "NOT_FOUND", "The requested URL was not found on this server.");
      if (isToken) return reply(200, token(form));
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new GoogleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      }
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new GoogleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      const bearer = /^Bearer (\S+)$/.exec(call.authorization)?.[1] ?? "";
      reply(200, kms(path, bearer, body as Record<string, unknown>));
    } catch (err) {
      if (!(err instanceof GoogleError)) throw err;
      // The token endpoint answers in OAuth's shape, the API in Google's.
      if (isToken) reply(err.code, { error: err.status, error_description: err.message });
      else reply(err.code, { error: { code: err.code, message: err.message, status: err.status } });
    }
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  };
  const server: Server = options.tls === undefined ? createHttpServer(listener) : createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener);
  const listening = await listenOnLoopback(server);
  address = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${listening.port}`;
  const tokenUri = `${address}/token`;
  return {
    address,
    tokenUri,
    token: staticToken,
    resourceId: (keyName) => `projects/hush-test/locations/global/keyRings/ring/cryptoKeys/${keyName}`,
    createKey: (resourceId) => void keys.add(resourceId),
    deny: (resourceId) => void denied.add(resourceId),
    serviceAccount: (extra = {}) => ({
      type: "service_account",
      project_id: "hush-test",
      private_key_id: serviceKeyId,
      private_key: serviceKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      client_email: serviceEmail,
      client_id: "104620431567203489134",
      auth_uri: "https://accounts.google.com/o/oauth2/auth",
      token_uri: tokenUri,
      universe_domain: "googleapis.com",
      ...extra,
    }),
    authorizedUser: (extra = {}) => ({ type: "authorized_user", ...user, token_uri: tokenUri, universe_domain: "googleapis.com", ...extra }),
    fault: (fault) => void (current = fault),
    calls,
    stop: listening.stop,
  };
}
