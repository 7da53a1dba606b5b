/**
 * Which Google credential Cloud KMS requests use, found as SOPS finds it (gcpkms/keysource.go):
 * `GOOGLE_CREDENTIALS` (a file's path, or the JSON itself), then `GOOGLE_OAUTH_ACCESS_TOKEN`, then
 * application default credentials as Google's libraries find them: `GOOGLE_APPLICATION_CREDENTIALS`,
 * gcloud's `application_default_credentials.json` (in `CLOUDSDK_CONFIG` or `~/.config/gcloud`),
 * and last the GCE metadata server (`GCE_METADATA_HOST`, or on a Google Compute Engine machine
 * unless `METADATA_SERVER_DETECTION=none`).
 * All of these are the user's own settings; nothing here is read from a file being decrypted.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { HushError, printable } from "@hush/core";
import { headerValueFromSetting, localFailure, readSettingFile } from "@hush/key-http";
import { GOOGLE_TOKEN_URI, TokenSource, type TokenGrant } from "./oauth.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** A credential ready to give access tokens. */
export interface GoogleCredential {
  /** Where it was found, for messages (`GOOGLE_APPLICATION_CREDENTIALS (service account a@b)`). */
  readonly origin: string;
  /** The credential file's `quota_project_id`, if any. */
  readonly quotaProject: string | undefined;
  accessToken(): Promise<string>;
  /** Drops a cached token. */
  forget(): void;
}

const NEXT_STEP = "set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`";

function staticToken(token: string, origin: string): GoogleCredential {
  return { origin, quotaProject: undefined, accessToken: async () => token, forget: () => undefined };
}

function fromGrant(grant: TokenGrant, origin: string, quotaProject: string | undefined, timeoutMs: number, env: Env): GoogleCredential {
  const source = new TokenSource(grant, timeoutMs, env);
  return { origin, quotaProject, accessToken: () => source.accessToken(), forget: () => source.forget() };
}

/**
 * A credential that cannot be used, before any request: where it came from and why, never its
 * content. The next step is to correct the setting that names it, or to log in again.
 */
function unusable(origin: Origin, why: string): HushError {
  return localFailure("CredentialsUnloadable", `${origin.name}${why}`, origin.next);
}

/** Where a credential came from: how messages name it, and what the user can do about it. */
interface Origin {
  readonly name: string;
  readonly next: string;
}

function field(json: Record<string, unknown>, name: string, origin: Origin): string {
  const v = json[name];
  if (typeof v !== "string" || v === "") throw unusable(origin, ` holds a Google credential without ${name}`);
  return v;
}

/** How the credential set in the variable `variable` is named, as a file (`path`) or as its JSON. */
function fromVariable(variable: string, path?: string): Origin {
  return { name: path === undefined ? variable : `${variable} file ${printable(path, 120)}`, next: `correct or unset ${variable}` };
}

/** A credential JSON document (`service_account` or `authorized_user`) → credential. */
export function parseCredentialJson(text: string, origin: string | Origin, timeoutMs: number, env: Env): GoogleCredential {
  const from: Origin = typeof origin === "string" ? { name: origin, next: NEXT_STEP } : origin;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw unusable(from, " is not a Google credential: not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw unusable(from, " is not a Google credential: not a JSON object");
  const doc = json as Record<string, unknown>;
  const quota = typeof doc["quota_project_id"] === "string" && doc["quota_project_id"] !== "" ? doc["quota_project_id"] : undefined;
  const tokenUri = typeof doc["token_uri"] === "string" && doc["token_uri"] !== "" ? doc["token_uri"] : GOOGLE_TOKEN_URI;
  const type = doc["type"];
  if (type === "service_account") {
    const clientEmail = field(doc, "client_email", from);
    const privateKeyId = typeof doc["private_key_id"] === "string" ? doc["private_key_id"] : "";
    const grant: TokenGrant = { type, clientEmail, privateKey: field(doc, "private_key", from), privateKeyId, tokenUri };
    return fromGrant(grant, `${from.name} (service account ${printable(clientEmail, 80)})`, quota, timeoutMs, env);
  }
  if (type === "authorized_user") {
    const grant: TokenGrant = { type, clientId: field(doc, "client_id", from), clientSecret: field(doc, "client_secret", from), refreshToken: field(doc, "refresh_token", from), tokenUri };
    return fromGrant(grant, `${from.name} (authorized user)`, quota, timeoutMs, env);
  }
  throw localFailure(
    "CredentialsUnloadable",
    `${from.name} holds a Google credential of type ${printable(String(type), 40)}; hush reads service_account and authorized_user credentials`,
    "for others, set GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)",
  );
}

/** Reads and parses the credential file at `path`, named as `origin` says. */
function readCredentialFile(path: string, setting: string, origin: Origin, timeoutMs: number, env: Env): GoogleCredential {
  const text = readSettingFile(path, setting, "CredentialsUnloadable", origin.next).toString("utf8");
  return parseCredentialJson(text, origin, timeoutMs, env);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The GCE metadata server's host when this is a GCE machine (or GCE_METADATA_HOST says where it is), else undefined. */
function metadataHost(env: Env): string | undefined {
  const configured = env["GCE_METADATA_HOST"]?.trim() ?? "";
  if (configured !== "") {
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$/.test(configured)) {
      throw localFailure("BadConfiguration", `GCE_METADATA_HOST ${printable(configured)} is not host[:port]`, "correct or unset GCE_METADATA_HOST");
    }
    return configured;
  }
  // METADATA_SERVER_DETECTION=none (google-auth-library's setting) turns the detection off.
  if (env["METADATA_SERVER_DETECTION"]?.trim().toLowerCase() === "none") return undefined;
  // Google's libraries recognise a GCE machine by its DMI product name; no network probe.
  try {
    if (/^Google/.test(readFileSync("/sys/class/dmi/id/product_name", "utf8"))) return "169.254.169.254";
  } catch {
    // Not Linux, or no DMI: not a GCE machine as far as hush can tell.
  }
  return undefined;
}

/** Where {@link findGoogleCredential} looks, in order, for the "no key opened this file" message. */
export function describeCredentialSearch(env: Env, homeDir: string): string {
  return `Google credentials: GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, ${gcloudAdcPath(env, homeDir) ?? "gcloud's credentials (no home directory)"}, the GCE metadata server`;
}

/**
 * gcloud's configuration directory: CLOUDSDK_CONFIG, else `%APPDATA%\\gcloud` on Windows, else
 * `~/.config/gcloud`; undefined when there is no home directory to look in (the name would be
 * relative to the working directory, a repository someone else wrote).
 */
function gcloudAdcPath(env: Env, homeDir: string): string | undefined {
  const config = env["CLOUDSDK_CONFIG"]?.trim() ?? "";
  const appData = env["APPDATA"]?.trim() ?? "";
  if (config === "" && !(process.platform === "win32" && appData !== "") && homeDir === "") return undefined;
  const dir = config !== "" ? config : process.platform === "win32" && appData !== "" ? join(appData, "gcloud") : join(homeDir, ".config", "gcloud");
  return join(dir, "application_default_credentials.json");
}

/**
 * The first credential found, in SOPS's order (see the module comment).
 *
 * @throws HushError KEY_SOURCE_FAILED naming the setting that is wrong, or saying what to set
 */
export function findGoogleCredential(env: Env, homeDir: string, timeoutMs: number): GoogleCredential {
  const credentials = env["GOOGLE_CREDENTIALS"] ?? "";
  if (credentials !== "") {
    // As SOPS: a path when such a file exists, else the JSON itself.
    if (isFile(credentials)) return readCredentialFile(credentials, "GOOGLE_CREDENTIALS", fromVariable("GOOGLE_CREDENTIALS", credentials), timeoutMs, env);
    // Not shown: the value may be a credential with a stray character, not a path.
    if (!credentials.trimStart().startsWith("{")) throw unusable(fromVariable("GOOGLE_CREDENTIALS"), " names no file and is not a credential's JSON");
    return parseCredentialJson(credentials, fromVariable("GOOGLE_CREDENTIALS"), timeoutMs, env);
  }
  const token = env["GOOGLE_OAUTH_ACCESS_TOKEN"]?.trim() ?? "";
  if (token !== "") return staticToken(headerValueFromSetting(token, "GOOGLE_OAUTH_ACCESS_TOKEN", "CredentialsUnloadable"), "GOOGLE_OAUTH_ACCESS_TOKEN");
  const adc = env["GOOGLE_APPLICATION_CREDENTIALS"] ?? "";
  if (adc !== "") return readCredentialFile(adc, "GOOGLE_APPLICATION_CREDENTIALS", fromVariable("GOOGLE_APPLICATION_CREDENTIALS", adc), timeoutMs, env);
  const wellKnown = gcloudAdcPath(env, homeDir);
  if (wellKnown !== undefined && isFile(wellKnown)) {
    const origin = { name: printable(wellKnown, 120), next: "run `gcloud auth application-default login` again" };
    return readCredentialFile(wellKnown, "gcloud's application default credentials", origin, timeoutMs, env);
  }
  const host = metadataHost(env);
  if (host !== undefined) return fromGrant({ type: "gce_metadata", host }, `the GCE metadata server ${printable(host)}`, undefined, timeoutMs, env);
  throw new HushError("KEY_SOURCE_FAILED", `no Google credentials: ${NEXT_STEP}`);
}
