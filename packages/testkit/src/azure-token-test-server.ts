/**
 * A fake Microsoft Entra ID for tests, on https://127.0.0.1 (with a certificate from
 * `makeTestCertificate`, trusted by a child through NODE_EXTRA_CA_CERTS). It speaks the protocols
 * Azure's credentials use and issues opaque tokens bound to one audience, which the Key Vault test
 * server checks:
 * - `POST /TENANT/oauth2/v2.0/token`, client credentials grant with `client_secret` (a service
 *   principal), a `client_assertion` signed by the principal's certificate (RS256 JWT, `x5t`,
 *   `aud` the token endpoint) or workload identity's federated token, OAuth error bodies
 *   (`invalid_client`, AADSTS codes) otherwise;
 * - `GET /metadata/identity/oauth2/token` with `Metadata: true` (the instance metadata service);
 * - `GET /msi/token` with `X-IDENTITY-HEADER` (App Service's `IDENTITY_ENDPOINT`).
 * Every request is logged with the credential it carried, so a test can prove where secrets went.
 */
import { createHash, randomBytes, randomUUID, verify, X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

export interface AzureTokenTestServerOptions {
  readonly tls: { readonly key: string; readonly cert: string };
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** The federated token workload identity presents as `client_assertion`. */
  readonly federatedToken?: string;
  /** The service principal's certificate (PEM), for certificate assertions. */
  readonly clientCertificate?: string;
  /** The secret App Service puts in IDENTITY_HEADER. */
  readonly identityHeader?: string;
}

/** How a token was asked for. */
export type AzureGrant = "client_secret" | "client_assertion" | "client_certificate" | "imds" | "app_service" | "unknown";

/** One request as the server saw it. */
export interface AzureTokenCall {
  readonly method: string;
  readonly path: string;
  readonly grant: AzureGrant;
  /** The secret, assertion or identity header it carried ("" when none). */
  readonly credential: string;
  /** The audience asked for (`scope` minus `/.default`, or `resource`). */
  readonly resource: string;
  readonly status: number;
}

export interface AzureTokenTestServer {
  /** `https://127.0.0.1:PORT`: AZURE_AUTHORITY_HOST, AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  readonly address: string;
  /** IDENTITY_ENDPOINT for App Service's managed identity. */
  readonly identityEndpoint: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly federatedToken: string;
  readonly identityHeader: string;
  /** Issues a token for `resource` without a request (what `az login` would have cached). */
  issue(resource: string): string;
  /** The audience of a token this server issued, or undefined. */
  audienceOf(token: string): string | undefined;
  readonly calls: readonly AzureTokenCall[];
  stop(): Promise<void>;
}

/** Why a certificate's client assertion is not valid for `audience`, or undefined when it is. */
function certificateAssertionFault(assertion: string, certificatePem: string, clientId: string, audience: string): string | undefined {
  const [header = "", payload = "", signature = ""] = assertion.split(".");
  const cert = new X509Certificate(certificatePem);
  let h: { alg?: unknown; x5t?: unknown };
  let p: { aud?: unknown; iss?: unknown; sub?: unknown; exp?: unknown; jti?: unknown };
  try {
    h = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as typeof h;
    p = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof p;
  } catch {
    return "not a JWT";
  }
  if (h.alg !== "RS256") return "alg";
  if (h.x5t !== createHash("sha1").update(cert.raw).digest("base64url")) return "x5t";
  if (!verify("sha256", Buffer.from(`${header}.${payload}`), cert.publicKey, Buffer.from(signature, "base64url"))) return "signature";
  if (p.aud !== audience) return "aud";
  if (p.iss !== clientId || p.sub !== clientId) return "iss/sub";
  if (typeof p.exp !== "number" || p.exp * 1000 < Date.now() || typeof p.jti !== "string") return "exp/jti";
  return undefined;
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startAzureTokenTestServer(options: AzureTokenTestServerOptions): Promise<AzureTokenTestServer> {
  const tenantId = options.tenantId ?? randomUUID();
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? `secret~${randomBytes(12).toString("base64url")}`;
  const federatedToken = options.federatedToken ?? `eyJ.${randomBytes(24).toString("base64url")}.sig`;
  const identityHeader = options.identityHeader ?? randomUUID();
  const issued = new Map<string, string>();
  const calls: AzureTokenCall[] = [];
  let address = "";

  const issue = (resource: string): string => {
    const token = `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString("base64url")}.test`;
    issued.set(token, resource);
    return token;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const log = { method: req.method ?? "", path: url.pathname, grant: "unknown" as AzureGrant, credential: "", resource: "" };
    const reply = (status: number, body: unknown): void => {
      calls.push({ ...log, status });
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
      res.end(JSON.stringify(body));
    };
    const oauthError = (status: number, error: string, description: string): void =>
      reply(status, { error, error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] });

    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (req.method === "POST" && tokenPath !== null) {
      const form = new URLSearchParams(raw);
      const scope = form.get("scope") ?? "";
      log.resource = scope.replace(/\/\.default$/, "");
      const assertion = form.get("client_assertion");
      log.grant = assertion !== null ? "client_assertion" : "client_secret";
      log.credential = assertion ?? form.get("client_secret") ?? "";
      if (tokenPath[1] !== tenantId) return oauthError(400, "invalid_request", `AADSTS90002: Tenant '${tokenPath[1]}' not found.`);
      if (form.get("grant_type") !== "client_credentials") return oauthError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
      if (!scope.endsWith("/.default")) return oauthError(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.");
      if (form.get("client_id") !== clientId) return oauthError(400, "unauthorized_client", `AADSTS700016: Application with identifier '${form.get("client_id") ?? ""}' was not found.`);
      if (assertion !== null && assertion !== federatedToken && options.clientCertificate !== undefined) {
        log.grant = "client_certificate";
        const why = certificateAssertionFault(assertion, options.clientCertificate, clientId, `${address}${url.pathname}`);
        if (why !== undefined) return oauthError(401, "invalid_client", `AADSTS700027: Client assertion failed signature validation (${why}).`);
      } else if (assertion !== null) {
        if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || assertion !== federatedToken) {
          return oauthError(401, "invalid_client", "AADSTS700211: No matching federated identity record found for presented assertion.");
        }
      } else if (form.get("client_secret") !== clientSecret) {
        return oauthError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
      }
      return reply(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: issue(log.resource) });
    }
    if (req.method === "GET" && (url.pathname === "/metadata/identity/oauth2/token" || url.pathname === "/msi/token")) {
      const imds = url.pathname.startsWith("/metadata/");
      log.grant = imds ? "imds" : "app_service";
      log.resource = url.searchParams.get("resource") ?? "";
      const header = imds ? req.headers["metadata"] : req.headers["x-identity-header"];
      log.credential = typeof header === "string" ? header : "";
      if (imds ? header !== "true" : header !== identityHeader) return reply(400, { error: "invalid_request", error_description: "Required metadata header not specified" });
      if (log.resource === "") return reply(400, { error: "invalid_request", error_description: "Required query variable 'resource' is missing" });
      const expires = String(Math.floor(Date.now() / 1000) + 3600);
      return reply(200, { access_token: issue(log.resource), expires_on: expires, resource: log.resource, token_type: "Bearer", client_id: clientId });
    }
    reply(404, { error: "not_found", error_description: "no such endpoint" });
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  const listening = await listenOnLoopback(server);
  address = `https://127.0.0.1:${listening.port}`;
  return {
    address,
    identityEndpoint: `${address}/msi/token`,
    tenantId,
    clientId,
    clientSecret,
    federatedToken,
    identityHeader,
    issue,
    audienceOf: (token) => issued.get(token),
    calls,
    stop: listening.stop,
  };
}
