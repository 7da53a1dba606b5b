/**
 * Azure tokens from the environment, in DefaultAzureCredential's order: a service principal's
 * client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`) or certificate
 * (`AZURE_CLIENT_CERTIFICATE_PATH`, a PEM file), workload identity
 * (`AZURE_FEDERATED_TOKEN_FILE`, a client assertion), managed identity (`IDENTITY_ENDPOINT` and
 * `IDENTITY_HEADER`, else the instance metadata service), then the Azure CLI
 * (`az account get-access-token`, run without a shell, found only in PATH's absolute directories).
 *
 * Secrets and assertions go only to the authority host from the environment
 * (`AZURE_AUTHORITY_HOST`, default https://login.microsoftonline.com), never to a host a vault's
 * challenge names. This speaks the OAuth wire protocol through \@hush/key-http rather than
 * loading \@azure/identity: its pipeline follows redirects and retries on its own terms, which
 * hush's trust rules forbid, and it weighs megabytes.
 */
import { execFile } from "node:child_process";
import { endWithHush, findProgramOnPath, HushError, keyProgramDirectory, keyProgramEnvironment, printable } from "@hush/core";
import { requireHttpsOrLoopback } from "@hush/key-http/addresses";
import {
  headerValueFromSetting,
  localFailure,
  notJsonText,
  readSettingFile,
  sendRequest,
  sendTokenRequest,
  TokenCache,
  tokenExpiry,
  urlFromSetting,
  type HttpAnswer,
  type IssuedToken,
} from "@hush/key-http";

type Env = Readonly<Record<string, string | undefined>>;

/** A credential that is not set up here: the chain moves on to the next one. */
class Unavailable extends Error {}

const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const IMDS_HOST = "http://169.254.169.254";
/** The metadata service answers within milliseconds on Azure; elsewhere nothing answers at all. */
const IMDS_PROBE_MS = 2000;

const fail = (why: string): HushError => new HushError("KEY_SOURCE_FAILED", why);
const set = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

/** An OAuth or managed-identity error answer, escaped and shortened (`invalid_client: AADSTS7000215: …`). */
function tokenErrorText(answer: HttpAnswer): string {
  const body = answer.body as { error?: unknown; error_description?: unknown; message?: unknown } | undefined;
  const code = typeof body?.error === "string" ? body.error : "";
  const description = typeof body?.error_description === "string" ? body.error_description : typeof body?.message === "string" ? body.message : "";
  const text = [code, description.split(/\r?\n/)[0] ?? ""].filter((s) => s !== "").join(": ");
  return text === "" ? (notJsonText(answer) ?? "no error message") : printable(text, 200);
}

function accessToken(answer: HttpAnswer, from: string): IssuedToken {
  if (answer.status >= 300 && answer.status < 400) throw fail(`${from}: HTTP ${answer.status} redirect not followed`);
  // A 5xx is the endpoint's failure, not a refusal of the credential.
  if (answer.status !== 200) throw fail(`${from} ${answer.status >= 500 ? "failed" : "refused"}: HTTP ${answer.status} (${tokenErrorText(answer)})`);
  const token = (answer.body as { access_token?: unknown } | undefined)?.access_token;
  if (typeof token !== "string" || token === "" || /[\s"]/.test(token)) throw fail(`${from}: the answer holds no access token`);
  return { token, expiresAt: tokenExpiry(answer.body) };
}

/** Where tokens come from, and one token per audience and tenant while it is usable. */
export class AzureCredentials {
  readonly #env: Env;
  readonly #timeoutMs: number;
  readonly #tokens = new TokenCache();

  constructor(env: Env, timeoutMs: number) {
    this.#env = env;
    this.#timeoutMs = timeoutMs;
  }

  /** Which credential the chain starts with, for "where hush looked". */
  describe(): string {
    const env = this.#env;
    if (set(env, "AZURE_CLIENT_SECRET")) return "Azure credential: client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)";
    if (set(env, "AZURE_CLIENT_CERTIFICATE_PATH")) return "Azure credential: client certificate (AZURE_CLIENT_CERTIFICATE_PATH)";
    if (set(env, "AZURE_FEDERATED_TOKEN_FILE")) return "Azure credential: workload identity (AZURE_FEDERATED_TOKEN_FILE)";
    return "Azure credential: managed identity, then `az account get-access-token`";
  }

  /**
   * A bearer token for `resource` (an origin such as https://vault.azure.net), for the tenant a
   * vault's challenge named when the configuration allows it.
   */
  token(resource: string, challengeTenant: string | undefined): Promise<string> {
    const tenant = this.#tenant(challengeTenant);
    return this.#tokens.get(`${resource}\u0000${tenant ?? ""}`, () => this.#chain(resource, tenant));
  }

  /** Drops the token for `resource` and the challenge's tenant: the vault refused it (expired, revoked). */
  forget(resource: string, challengeTenant: string | undefined): void {
    this.#tokens.forget(`${resource}\u0000${this.#tenant(challengeTenant) ?? ""}`);
  }

  /** The tenant to ask: the challenge's, unless AZURE_TENANT_ID names another one not allowed (as the Azure SDK decides). */
  #tenant(challengeTenant: string | undefined): string | undefined {
    const configured = set(this.#env, "AZURE_TENANT_ID");
    if (challengeTenant === undefined || configured === undefined || challengeTenant.toLowerCase() === configured.toLowerCase()) return challengeTenant ?? configured;
    const allowed = (this.#env["AZURE_ADDITIONALLY_ALLOWED_TENANTS"] ?? "").split(/[;,]/).map((s) => s.trim().toLowerCase());
    if (allowed.includes("*") || allowed.includes(challengeTenant.toLowerCase())) return challengeTenant;
    throw fail(`the vault asks for a token of tenant ${printable(challengeTenant)}, not AZURE_TENANT_ID; add it to AZURE_ADDITIONALLY_ALLOWED_TENANTS to allow it`);
  }

  async #chain(resource: string, tenant: string | undefined): Promise<IssuedToken> {
    const env = this.#env;
    const scope = `${resource}/.default`;
    if (set(env, "AZURE_CLIENT_SECRET") !== undefined) {
      return this.#fromAuthority(tenant, () => ({ client_secret: set(env, "AZURE_CLIENT_SECRET") ?? "" }), scope, "client secret");
    }
    const certificate = set(env, "AZURE_CLIENT_CERTIFICATE_PATH");
    if (certificate !== undefined) {
      const { certificateAssertion } = await import("./client-assertion.ts");
      const password = set(env, "AZURE_CLIENT_CERTIFICATE_PASSWORD");
      const form = (clientId: string, tokenUrl: string): Record<string, string> => ({
        client_assertion_type: JWT_BEARER,
        client_assertion: certificateAssertion(certificate, password, clientId, tokenUrl),
      });
      return this.#fromAuthority(tenant, form, scope, "client certificate");
    }
    const federated = set(env, "AZURE_FEDERATED_TOKEN_FILE");
    if (federated !== undefined) {
      const assertion = readSettingFile(federated, "AZURE_FEDERATED_TOKEN_FILE", "CredentialsUnloadable", "correct or unset AZURE_FEDERATED_TOKEN_FILE").toString("utf8").trim();
      return this.#fromAuthority(tenant, () => ({ client_assertion_type: JWT_BEARER, client_assertion: assertion }), scope, "workload identity");
    }
    try {
      return await this.#managedIdentity(resource);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
    }
    try {
      return await this.#azureCli(resource, tenant);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
    }
    throw fail(
      "no Azure credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE), use a managed identity, or log in with `az login`",
    );
  }

  /** Client credentials grant at `AZURE_AUTHORITY_HOST/TENANT/oauth2/v2.0/token`. */
  async #fromAuthority(tenant: string | undefined, secret: (clientId: string, tokenUrl: string) => Record<string, string>, scope: string, what: string): Promise<IssuedToken> {
    const clientId = set(this.#env, "AZURE_CLIENT_ID");
    if (tenant === undefined || clientId === undefined) throw localFailure("BadConfiguration", `Azure ${what} without AZURE_TENANT_ID and AZURE_CLIENT_ID`, "set them too");
    const authority = (set(this.#env, "AZURE_AUTHORITY_HOST") ?? DEFAULT_AUTHORITY).replace(/(?<!\/)\/+$/, "");
    urlFromSetting(authority, "AZURE_AUTHORITY_HOST");
    requireHttpsOrLoopback(authority, "AZURE_AUTHORITY_HOST", "Azure authority");
    const url = new URL(`${authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`);
    const form = { client_id: clientId, ...secret(clientId, url.href), grant_type: "client_credentials", scope };
    const answer = await sendTokenRequest({ method: "POST", url, body: { form }, timeoutMs: this.#timeoutMs, env: this.#env });
    return accessToken(answer, `Azure ${what} token request`);
  }

  /** App Service style (`IDENTITY_ENDPOINT`, `IDENTITY_HEADER`), else the instance metadata service. */
  async #managedIdentity(resource: string): Promise<IssuedToken> {
    const clientId = set(this.#env, "AZURE_CLIENT_ID");
    const endpoint = set(this.#env, "IDENTITY_ENDPOINT");
    const header = set(this.#env, "IDENTITY_HEADER");
    if (endpoint !== undefined && header !== undefined) {
      const url = urlFromSetting(endpoint, "IDENTITY_ENDPOINT");
      url.searchParams.set("api-version", "2019-08-01");
      url.searchParams.set("resource", resource);
      if (clientId !== undefined) url.searchParams.set("client_id", clientId);
      const identityHeader = headerValueFromSetting(header, "IDENTITY_HEADER", "CredentialsUnloadable");
      const answer = await sendTokenRequest({ method: "GET", url, headers: { "X-IDENTITY-HEADER": identityHeader }, timeoutMs: this.#timeoutMs, env: this.#env });
      return accessToken(answer, "Azure managed identity (IDENTITY_ENDPOINT)");
    }
    // The Azure SDK lets AZURE_POD_IDENTITY_AUTHORITY_HOST replace the metadata service's address.
    const host = (set(this.#env, "AZURE_POD_IDENTITY_AUTHORITY_HOST") ?? IMDS_HOST).replace(/(?<!\/)\/+$/, "");
    // A setting that is not a URL is the user's to correct, not a machine without the service.
    const url = new URL(`${urlFromSetting(host, "AZURE_POD_IDENTITY_AUTHORITY_HOST").href.replace(/(?<!\/)\/+$/, "")}/metadata/identity/oauth2/token`);
    url.searchParams.set("api-version", "2018-02-01");
    url.searchParams.set("resource", resource);
    if (clientId !== undefined) url.searchParams.set("client_id", clientId);
    let answer: HttpAnswer;
    try {
      answer = await sendRequest({ method: "GET", url, headers: { Metadata: "true" }, timeoutMs: Math.min(this.#timeoutMs, IMDS_PROBE_MS), env: this.#env });
    } catch {
      throw new Unavailable("no instance metadata service");
    }
    // 400 with "Identity not found": a VM without a managed identity.
    if (answer.status === 400 || answer.status === 404) throw new Unavailable("no managed identity");
    return accessToken(answer, "Azure managed identity (instance metadata service)");
  }

  /**
   * `az account get-access-token --resource R -o json`, without a shell, only an `az` from an
   * absolute PATH directory and never in the working directory: a file with an azure_kv key leads
   * here, and the working directory may be a repository someone else wrote.
   */
  #azureCli(resource: string, tenant: string | undefined): Promise<IssuedToken> {
    const args = ["account", "get-access-token", "--output", "json", "--resource", resource, ...(tenant === undefined ? [] : ["--tenant", tenant])];
    const az = findProgramOnPath("az", this.#env);
    if (az === undefined) return Promise.reject(new Unavailable("no az CLI"));
    return new Promise((resolve, reject) => {
      // az waiting on the network (or a device-code login) outlived a hush ended by a signal. Watched
      // before it starts: a signal between the fork and the watch found no handler and left it.
      let endAz = (): void => undefined;
      const stopWatching = endWithHush(() => endAz());
      // Not from the repository, nor from a directory other users can write: a pip-installed az
      // is `python -m azure.cli`, which imports from the working directory first.
      const child = execFile(az, args, { cwd: keyProgramDirectory(), timeout: this.#timeoutMs, maxBuffer: 256 * 1024, env: keyProgramEnvironment(this.#env) }, (err, stdout, stderr) => {
        stopWatching();
        if (err !== null) {
          const code = (err as NodeJS.ErrnoException).code;
          // Not installed, or not logged in: the next step is the general advice.
          if (code === "ENOENT" || /az login|az account set/.test(stderr)) return reject(new Unavailable("no az CLI login"));
          return reject(fail(`az account get-access-token failed: ${printable(stderr.trim().split("\n")[0] ?? "", 200)}`));
        }
        let printed: { accessToken?: unknown; expires_on?: unknown } | undefined;
        try {
          printed = JSON.parse(stdout) as { accessToken?: unknown; expires_on?: unknown };
        } catch {
          printed = undefined;
        }
        const token = printed?.accessToken;
        if (typeof token !== "string" || token === "") return reject(fail("az account get-access-token printed no accessToken"));
        // az 2.54 and later print `expires_on` (seconds since the epoch).
        resolve({ token, expiresAt: tokenExpiry({ expires_on: printed?.expires_on }) });
      });
      endAz = () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      };
    });
  }
}
