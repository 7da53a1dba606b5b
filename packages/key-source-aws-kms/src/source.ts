/**
 * The AWS KMS key source: wraps a data key with kms:Encrypt and unwraps it with kms:Decrypt,
 * as SOPS does (never GenerateDataKey). The AWS SDK is imported on first use so that commands
 * that never touch KMS do not pay for loading it.
 */
import { devNull, homedir, hostname } from "node:os";
import { isAbsolute, sep } from "node:path";
import type { KMSClient, KMSClientConfig } from "@aws-sdk/client-kms";
import {
  HushError,
  isHushError,
  printable,
  setForHushOnly,
  type KeySource,
  type MasterKeyEntry,
  type MasterKeyRecipient,
} from "@hush/core";
import { requireHttpsOrLoopback } from "@hush/key-http/addresses";
import type { KmsKeyEntry, KmsKeyRecipient } from "./entry.ts";
import { parseKmsArn, validateContext, validateProfile, validateRoleArn } from "./arn.ts";
import { classifyKmsError, credentialsLoadFailure, credentialsNotSoughtAgain, kmsFailure, malformedAnswer, notAskedAgain } from "./failure.ts";
import { awsTrustFromEnv, checkAwsTrust, mergeAwsTrust, type AwsTrust } from "./trust.ts";

/** Options of {@link AwsKmsKeySource}. */
export interface AwsKmsKeySourceOptions {
  /**
   * Environment to read AWS settings from (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_STS,
   * AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
   * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE). Defaults to `process.env`. The SDK's default
   * credential chain, used when this holds no access key, still reads `process.env` itself.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Connect and per-request timeout of one attempt, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Attempts per KMS call, the first included (the SDK's standard retry mode). Default 3. */
  readonly maxAttempts?: number;
  /**
   * Profiles and roles that keys may name, beyond what `env` allows (HUSH_AWS_PROFILES,
   * HUSH_AWS_ROLES, AWS_PROFILE): the ones the user gave on the command line. See trust.ts.
   */
  readonly trust?: Partial<AwsTrust>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_ATTEMPTS = 3;
/** How long a region whose endpoint let a call run out of time is not asked again. */
const SILENT_FOR_MS = 60_000;
/** KMS ciphertext blobs are at most 6144 bytes. */
const MAX_CIPHERTEXT = 6144;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Credentials = KMSClientConfig["credentials"];

/** Clients per environment object, then per settings, region, role and profile. */
const CLIENTS = new WeakMap<object, Map<string, Promise<KMSClient>>>();

/** RFC 3339 in whole seconds, UTC, as SOPS writes `created_at`. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** "sops\@" + host name, limited to what STS accepts (SOPS uses the same session name). */
export function roleSessionName(host: string = hostname()): string {
  return `sops@${host.replace(/[^A-Za-z0-9=,.@_-]/g, "")}`.slice(0, 64);
}

/**
 * The endpoint the environment sets for `service` (AWS_ENDPOINT_URL_KMS / _STS, else
 * AWS_ENDPOINT_URL), or undefined. https, or http to this machine only, as every network backend:
 * a signed request carries the session token, Encrypt the data key and Decrypt's answer the data
 * key, all readable on the way over plain http.
 */
function envEndpoint(env: Readonly<Record<string, string | undefined>>, service: "KMS" | "STS"): string | undefined {
  if (env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] === "true") return undefined;
  const specific = `AWS_ENDPOINT_URL_${service}`;
  const name = env[specific] ? specific : "AWS_ENDPOINT_URL";
  const value = env[name] || undefined;
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HushError("INVALID_ARGUMENT", `${name} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new HushError("INVALID_ARGUMENT", `${name} must be an http or https URL`);
  }
  // Not shown: a password in the URL must not reach a message or a log.
  if (url.username !== "" || url.password !== "") throw new HushError("INVALID_ARGUMENT", `${name} must not hold a user name or password`);
  requireHttpsOrLoopback(value, name, "AWS", "INVALID_ARGUMENT");
  return value;
}

/** An endpoint setting for a message: any password (or user name) in it left out, control characters escaped. */
function withoutUserinfo(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = "";
    url.password = "";
    return printable(url.href);
  } catch {
    return "(not a URL)";
  }
}

/**
 * AWS KMS key source (kind "kms").
 *
 * Metadata from a file is validated strictly before any network call; the endpoint comes only
 * from the environment, never from the file. SDK clients (and so assumed-role sessions) are
 * shared per process: one per (region, role, profile) among all sources built on the same `env`
 * object with the same timeouts, so sources created per file do not assume a role again.
 */
export class AwsKmsKeySource implements KeySource {
  readonly kind = "kms" as const;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #clients: Map<string, Promise<KMSClient>>;
  readonly #trust: AwsTrust;
  /**
   * Clients (region, role, profile) whose last call ran out of time, and when: a file may list
   * many keys of one region (up to 128 entries), and each would wait for every attempt again.
   * They are not asked for a minute (a long-lived source must not give up on a region for good).
   */
  readonly #silent = new Map<string, number>();
  /**
   * Profiles ("" for the default chain) whose credentials could not be found, when, and why: the
   * search is the same for every key of the file, and on a machine where the instance metadata
   * address does not answer each search waits seconds. Not searched again for a minute.
   */
  readonly #noCredentials = new Map<string, { readonly at: number; readonly detail: string }>();

  constructor(options: AwsKmsKeySourceOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#trust = mergeAwsTrust(awsTrustFromEnv(this.#env), options.trust ?? {});
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1) {
      throw new HushError("INVALID_ARGUMENT", "AwsKmsKeySource timeoutMs must be a positive integer");
    }
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1 || this.#maxAttempts > 10) {
      throw new HushError("INVALID_ARGUMENT", "AwsKmsKeySource maxAttempts must be an integer from 1 to 10");
    }
    let clients = CLIENTS.get(this.#env);
    if (clients === undefined) {
      clients = new Map();
      CLIENTS.set(this.#env, clients);
    }
    this.#clients = clients;
  }

  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<KmsKeyEntry> {
    if (recipient.kind !== "kms") {
      throw new HushError("INVALID_ARGUMENT", `The AWS KMS key source cannot wrap to a ${recipient.kind} key`);
    }
    const kms = recipient as KmsKeyRecipient;
    const { region } = parseKmsArn(kms.arn, "INVALID_ARGUMENT");
    const role = validateRoleArn(kms.role, "INVALID_ARGUMENT");
    const awsProfile = validateProfile(kms.awsProfile, "INVALID_ARGUMENT");
    const context = validateContext(kms.context, "INVALID_ARGUMENT");
    if (dataKey.length !== 32 && dataKey.length !== 33) {
      throw new HushError("INTERNAL", `A data key to wrap must be 32 bytes (or a 33-byte share), got ${dataKey.length}`);
    }
    const client = await this.#client(kms.arn, region, role, awsProfile, "Encrypt");
    const { EncryptCommand } = await import("@aws-sdk/client-kms");
    const silence = this.#silence(kms.arn, region, role, awsProfile, "Encrypt");
    let blob: unknown;
    try {
      const out = await client.send(
        new EncryptCommand({
          KeyId: kms.arn,
          Plaintext: dataKey,
          ...(Object.keys(context).length > 0 ? { EncryptionContext: context } : {}),
        }),
        { abortSignal: AbortSignal.timeout(this.#deadlineMs()) },
      );
      blob = out.CiphertextBlob;
    } catch (err) {
      throw silence(err);
    }
    if (!(blob instanceof Uint8Array) || blob.length === 0 || blob.length > MAX_CIPHERTEXT) {
      throw malformedAnswer("Encrypt", kms.arn, "missing or invalid CiphertextBlob");
    }
    return {
      kind: "kms",
      arn: kms.arn,
      role,
      context,
      awsProfile,
      createdAt: nowRfc3339(),
      enc: Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString("base64"),
    };
  }

  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "kms") return null;
    return this.#unwrapKms(entry as KmsKeyEntry);
  }

  async #unwrapKms(entry: KmsKeyEntry): Promise<Uint8Array | null> {
    // The entry comes from a file: all of it is untrusted until checked.
    const { region } = parseKmsArn(entry.arn, "METADATA_INVALID");
    const role = validateRoleArn(entry.role, "METADATA_INVALID");
    const awsProfile = validateProfile(entry.awsProfile, "METADATA_INVALID");
    const context = validateContext(entry.context, "METADATA_INVALID");
    const enc: unknown = entry.enc;
    if (typeof enc !== "string" || enc.length % 4 !== 0 || !BASE64.test(enc)) {
      throw new HushError("METADATA_INVALID", `The wrapped key (enc) of AWS KMS key ${entry.arn} is not base64`);
    }
    const blob = Buffer.from(enc, "base64");
    if (blob.length > MAX_CIPHERTEXT) {
      throw new HushError("METADATA_INVALID", `The wrapped key (enc) of AWS KMS key ${entry.arn} is longer than a KMS ciphertext`);
    }
    const client = await this.#client(entry.arn, region, role, awsProfile, "Decrypt");
    const { DecryptCommand } = await import("@aws-sdk/client-kms");
    const silence = this.#silence(entry.arn, region, role, awsProfile, "Decrypt");
    let plaintext: unknown;
    try {
      const out = await client.send(
        new DecryptCommand({
          KeyId: entry.arn,
          CiphertextBlob: blob,
          ...(Object.keys(context).length > 0 ? { EncryptionContext: context } : {}),
        }),
        { abortSignal: AbortSignal.timeout(this.#deadlineMs()) },
      );
      plaintext = out.Plaintext;
    } catch (err) {
      throw silence(err);
    }
    if (!(plaintext instanceof Uint8Array) || (plaintext.length !== 32 && plaintext.length !== 33)) {
      if (plaintext instanceof Uint8Array) plaintext.fill(0);
      throw malformedAnswer("Decrypt", entry.arn, "the plaintext is not a 32-byte key or a 33-byte share");
    }
    const key = Uint8Array.from(plaintext);
    plaintext.fill(0);
    return key;
  }

  describeSearch(): readonly string[] {
    const endpoint = this.#env["AWS_ENDPOINT_URL_KMS"] || this.#env["AWS_ENDPOINT_URL"];
    const lines = [
      endpoint
        ? `AWS KMS endpoint from the environment (AWS_ENDPOINT_URL_KMS/AWS_ENDPOINT_URL): ${withoutUserinfo(endpoint)}`
        : "AWS KMS endpoint of each key's region (set AWS_ENDPOINT_URL_KMS to override)",
    ];
    if (this.#env["AWS_ACCESS_KEY_ID"] && this.#env["AWS_SECRET_ACCESS_KEY"]) {
      lines.push("AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the environment (an allowed aws_profile in the file takes precedence)");
    } else {
      lines.push(
        "AWS credentials: the AWS SDK default chain (AWS_PROFILE, shared credentials and config files, SSO, web identity, container and instance metadata)",
      );
    }
    lines.push("AWS roles (role) and profiles (aws_profile) named in the file's KMS entries, when allowed by HUSH_AWS_ROLES / HUSH_AWS_PROFILES (or AWS_PROFILE)");
    return lines;
  }

  /**
   * Destroys the SDK clients cached for this source's `env` and settings (closing idle
   * connections). Other sources sharing them create new ones on their next call.
   */
  async close(): Promise<void> {
    const prefix = this.#settingsKey();
    const clients: Promise<KMSClient>[] = [];
    for (const [key, client] of this.#clients) {
      if (key.startsWith(prefix)) {
        clients.push(client);
        this.#clients.delete(key);
      }
    }
    for (const c of await Promise.allSettled(clients)) {
      if (c.status === "fulfilled") c.value.destroy();
    }
  }

  #settingsKey(): string {
    return `${this.#timeoutMs}\n${this.#maxAttempts}\n`;
  }

  /** Time for all attempts of one call including back-off, so that nothing hangs forever. */
  #deadlineMs(): number {
    return this.#maxAttempts * (this.#timeoutMs + 1000);
  }

  /**
   * Throws at once when the client for (region, role, profile) ran out of time before; else
   * returns what turns the call's error into its failure, remembering a timeout.
   */
  #silence(arn: string, region: string, role: string, profile: string, op: "Encrypt" | "Decrypt"): (err: unknown) => HushError {
    const key = `${region}\n${role}\n${profile}`;
    const since = this.#silent.get(key);
    if (since !== undefined && Date.now() - since < SILENT_FOR_MS) throw notAskedAgain(op, arn, this.#timeoutMs);
    const missing = this.#noCredentials.get(profile);
    if (missing !== undefined && Date.now() - missing.at < SILENT_FOR_MS) throw credentialsNotSoughtAgain(op, arn, missing.detail);
    return (err) => {
      const { reason, detail } = classifyKmsError(err);
      if (reason === "NetworkTimeout") this.#silent.set(key, Date.now());
      if (reason === "NoCredentials") this.#noCredentials.set(profile, { at: Date.now(), detail });
      return kmsFailure(op, arn, err, this.#timeoutMs);
    };
  }

  #client(arn: string, region: string, role: string, profile: string, op: "Encrypt" | "Decrypt"): Promise<KMSClient> {
    // Profiles and roles come from files and `.sops.yaml`: untrusted until the user allows them.
    checkAwsTrust(this.#trust, arn, profile, role);
    const cacheKey = `${this.#settingsKey()}${region}\n${role}\n${profile}`;
    let client = this.#clients.get(cacheKey);
    if (client === undefined) {
      client = this.#createClient(region, role, profile);
      this.#clients.set(cacheKey, client);
      // A failed creation must not poison the cache for later calls.
      const created = client;
      created.catch(() => {
        if (this.#clients.get(cacheKey) === created) this.#clients.delete(cacheKey);
      });
    }
    return client.catch((err: unknown) => {
      throw isHushError(err) ? err : kmsFailure(op, arn, err, this.#timeoutMs);
    });
  }

  async #createClient(region: string, role: string, profile: string): Promise<KMSClient> {
    keepSdkOutOfRelativeHome(process.env);
    const env = this.#env;
    const kmsEndpoint = envEndpoint(env, "KMS");
    // HTTPS_PROXY/NO_PROXY as SOPS's Go client reads them: the SDK ignores them, so its https
    // connections (KMS, and STS for roles and profiles) get an agent that tunnels through the proxy.
    const { proxyAgentFromEnv } = await import("@hush/key-http/proxy-agent");
    const httpsAgent = proxyAgentFromEnv(env, this.#timeoutMs);
    const requestHandler = {
      connectionTimeout: this.#timeoutMs,
      requestTimeout: this.#timeoutMs,
      socketTimeout: this.#timeoutMs,
      throwOnRequestTimeout: true,
      ...(httpsAgent === undefined ? {} : { httpsAgent }),
    };
    const common = { region, requestHandler, maxAttempts: this.#maxAttempts, retryMode: "standard" };

    let credentials: Credentials;
    if (profile !== "") {
      const { fromIni } = await import("@aws-sdk/credential-providers");
      const credsFile = env["AWS_SHARED_CREDENTIALS_FILE"];
      const configFile = env["AWS_CONFIG_FILE"];
      credentials = fromIni({
        profile,
        ...(credsFile ? { filepath: credsFile } : {}),
        ...(configFile ? { configFilepath: configFile } : {}),
        clientConfig: common,
      });
    } else {
      const accessKeyId = env["AWS_ACCESS_KEY_ID"];
      const secretAccessKey = env["AWS_SECRET_ACCESS_KEY"];
      const sessionToken = env["AWS_SESSION_TOKEN"];
      if (accessKeyId && secretAccessKey) {
        credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
      }
    }
    if (role !== "") {
      const { fromTemporaryCredentials } = await import("@aws-sdk/credential-providers");
      const stsEndpoint = envEndpoint(env, "STS");
      credentials = fromTemporaryCredentials({
        params: { RoleArn: role, RoleSessionName: roleSessionName() },
        ...(credentials === undefined ? {} : { masterCredentials: credentials }),
        clientConfig: { ...common, ...(stsEndpoint === undefined ? {} : { endpoint: stsEndpoint }) },
      });
    }
    const { KMSClient } = await import("@aws-sdk/client-kms");
    if (typeof credentials === "function") credentials = markedFailures(credentials);
    return new KMSClient({
      ...common,
      ...(kmsEndpoint === undefined ? {} : { endpoint: kmsEndpoint }),
      ...(credentials === undefined ? {} : { credentials }),
    });
  }
}

/**
 * `provider` (a profile's or role's credentials), whose failures before any answer are marked as
 * the credentials' (see credentialsLoadFailure): the SDK throws them from the request unchanged,
 * where a token file that is not there read as an unreadable answer of KMS.
 */
function markedFailures(provider: Exclude<Credentials, undefined>): Exclude<Credentials, undefined> {
  if (typeof provider !== "function") return provider;
  return async (...args: Parameters<typeof provider>) => {
    try {
      return await provider(...args);
    } catch (err) {
      throw credentialsLoadFailure(err);
    }
  };
}

/**
 * The AWS SDK finds `~/.aws/config` and `~/.aws/credentials` under HOME as it is set (it reads
 * `process.env` itself, whatever `env` a key source was given): a relative HOME (`HOME=.`) makes
 * them files of the working directory, a clone, whose default profile's `credential_process` the
 * SDK runs and whose `endpoint_url` it sends the reader's signed requests to. hush counts such a
 * HOME as none (the CLI's key sources look for no file under it); the SDK is told the same, by
 * the variables it reads for those files: none, unless the environment names them. With no home
 * at all (HOME unset for a user the system's user database does not list, as in a container run
 * with an arbitrary uid), the SDK's own lookup throws on every config load, and each KMS call
 * failed as "not a valid KMS response": it is given `/dev/null` as the home it asks for first
 * after HOME (USERPROFILE, which nothing else of hush reads), under which it finds nothing.
 */
function keepSdkOutOfRelativeHome(env: NodeJS.ProcessEnv): void {
  const home = sdkHomeDirectory(env);
  if (isAbsolute(home)) return;
  // hush's guards, not the user's settings: a command hush runs gets the user's (see setForHushOnly).
  for (const name of ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]) if (!env[name]) setForHushOnly(name, devNull);
  if (home === "") setForHushOnly("USERPROFILE", devNull);
}

/**
 * The home directory the SDK's shared-ini loader (its getHomeDir) takes: HOME, USERPROFILE or
 * HOMEDRIVE+HOMEPATH when one is not empty, else Node's `os.homedir()`, which is HOME itself when
 * HOME is set, even empty: `HOME=` gave "" and `.aws/config` of the working directory. "" also
 * when there is none (no user database entry), where the SDK's own call would throw.
 */
function sdkHomeDirectory(env: NodeJS.ProcessEnv): string {
  const home = env["HOME"] || env["USERPROFILE"] || (env["HOMEPATH"] ? `${env["HOMEDRIVE"] ?? `C:${sep}`}${env["HOMEPATH"]}` : "");
  if (home !== "") return home;
  try {
    return homedir();
  } catch {
    return "";
  }
}
