/**
 * Access tokens for Cloud KMS from the user's own Google credentials, over the OAuth 2.0 wire
 * protocol Google's libraries speak: a service account's RS256 JWT assertion (RFC 7523) or an
 * authorized user's refresh token, exchanged at the credential's `token_uri`; or the GCE metadata
 * server's token. Each token is kept in memory for this process only.
 */
import { createPrivateKey, sign } from "node:crypto";
import { HushError, printable } from "@hush/core";
import { localFailure, notJsonText, requireHttpsOrLoopback, sendTokenRequest, TokenCache, tokenEndpointName, tokenExpiry, type HttpAnswer, type IssuedToken } from "@hush/key-http";

/** The scope Cloud KMS clients ask for (Google's KMS client's default scopes include it). */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** Google's token endpoint, the default `token_uri`. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** How one credential obtains a token. */
export type TokenGrant =
  | { readonly type: "service_account"; readonly clientEmail: string; readonly privateKey: string; readonly privateKeyId: string; readonly tokenUri: string }
  | { readonly type: "authorized_user"; readonly clientId: string; readonly clientSecret: string; readonly refreshToken: string; readonly tokenUri: string }
  | { readonly type: "gce_metadata"; readonly host: string };

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** A service account's signed JWT assertion for the token endpoint (RFC 7523 §2.1). */
export function serviceAccountAssertion(grant: Extract<TokenGrant, { type: "service_account" }>, nowSeconds: number): string {
  const header = { alg: "RS256", typ: "JWT", ...(grant.privateKeyId === "" ? {} : { kid: grant.privateKeyId }) };
  const claims = { iss: grant.clientEmail, scope: CLOUD_PLATFORM_SCOPE, aud: grant.tokenUri, iat: nowSeconds, exp: nowSeconds + 3600 };
  const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  let key;
  try {
    key = createPrivateKey(grant.privateKey);
  } catch {
    throw localFailure("CredentialsUnloadable", `the private_key of service account ${printable(grant.clientEmail)} is not a PEM private key`, "create a new key for the service account and use its file");
  }
  return `${signed}.${sign("sha256", Buffer.from(signed), key).toString("base64url")}`;
}

/**
 * What the token endpoint said, as one phrase (`invalid_grant (Invalid JWT Signature.)`), escaped;
 * `HTTP 502 (the answer is not JSON (text/html): …)` for a page that is not its own.
 */
function tokenErrorText(answer: HttpAnswer): string {
  const body = answer.body as { error?: unknown; error_description?: unknown } | undefined;
  const code = typeof body?.error === "string" ? body.error : `HTTP ${answer.status}`;
  const why = typeof body?.error_description === "string" ? ` (${body.error_description})` : "";
  const notJson = notJsonText(answer);
  return notJson === undefined ? printable(`${code}${why}`, 160) : `${code} (${notJson})`;
}

/**
 * One credential's tokens: fetched on first need, reused until a minute before they expire
 * (key-http's TokenCache). Concurrent callers share one request.
 */
export class TokenSource {
  readonly #grant: TokenGrant;
  readonly #timeoutMs: number;
  /** The user's environment, for its HTTPS proxy settings. */
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #cache = new TokenCache();

  constructor(grant: TokenGrant, timeoutMs: number, env: Readonly<Record<string, string | undefined>>) {
    this.#grant = grant;
    this.#timeoutMs = timeoutMs;
    this.#env = env;
  }

  /** A usable access token. @throws HushError KEY_SOURCE_FAILED saying which endpoint refused and why */
  accessToken(): Promise<string> {
    return this.#cache.get("", () => this.#fetch());
  }

  /** Drops the cached token (after the service refused it). */
  forget(): void {
    this.#cache.forget("");
  }

  async #fetch(): Promise<IssuedToken> {
    const grant = this.#grant;
    let url: URL;
    let answer: HttpAnswer;
    if (grant.type === "gce_metadata") {
      // The metadata server is link-local plain http by design; nothing secret is sent to it.
      url = new URL(`http://${grant.host}/computeMetadata/v1/instance/service-accounts/default/token`);
      answer = await sendTokenRequest({ method: "GET", url, headers: { "Metadata-Flavor": "Google" }, timeoutMs: this.#timeoutMs, env: this.#env });
    } else {
      // The token endpoint comes from the user's own credential (file or environment), never from
      // an encrypted file or a repository; still, a refresh token or assertion crosses the network
      // only over https.
      requireHttpsOrLoopback(grant.tokenUri, "the credential's token_uri", "OAuth token endpoint");
      url = new URL(grant.tokenUri);
      const form =
        grant.type === "service_account"
          ? { grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: serviceAccountAssertion(grant, Math.floor(Date.now() / 1000)) }
          : { grant_type: "refresh_token", client_id: grant.clientId, client_secret: grant.clientSecret, refresh_token: grant.refreshToken };
      answer = await sendTokenRequest({ method: "POST", url, body: { form }, timeoutMs: this.#timeoutMs, env: this.#env });
    }
    const where = tokenEndpointName(url);
    if (answer.status >= 300 && answer.status < 400) {
      throw new HushError("KEY_SOURCE_FAILED", `no access token: the token endpoint ${where} answered HTTP ${answer.status}, a redirect hush does not follow`);
    }
    // A 5xx is the endpoint's failure, not a refusal of the credential.
    if (answer.status !== 200) throw new HushError("KEY_SOURCE_FAILED", `no access token: the token endpoint ${where} ${answer.status >= 500 ? "failed" : "refused"}: ${tokenErrorText(answer)}`);
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== "string" || !/^[\x21-\x7e]{1,4096}$/.test(body.access_token)) {
      throw new HushError("KEY_SOURCE_FAILED", `no access token: the token endpoint ${where} answered without one`);
    }
    // Google's token endpoints give expires_in; an hour is what their tokens last.
    return { token: body.access_token, expiresAt: tokenExpiry(body, Date.now(), 3_600_000) };
  }
}
