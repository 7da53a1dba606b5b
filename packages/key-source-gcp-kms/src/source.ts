/**
 * The Google Cloud KMS key source: wraps a data key with `POST {endpoint}/v1/{resource_id}:encrypt`
 * and unwraps it with `:decrypt`, the Cloud KMS REST API SOPS's REST client uses, with a bearer
 * token from the user's Google credentials (credentials.ts).
 *
 * It speaks the wire protocol through `@hush/key-http` rather than Google's client libraries: their
 * HTTP stacks follow redirects and retry on their own terms, which would let an answer carry the
 * token elsewhere, and they weigh megabytes that every `hush` start would pay for.
 */
import { HushError, printable, type KeySource, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import { localFailure, sendRequest, type HttpAnswer } from "@hush/key-http";
import { MAX_CIPHERTEXT_BYTES } from "./ciphertext-size.ts";
import { describeCredentialSearch, findGoogleCredential, type GoogleCredential } from "./credentials.ts";
import type { GcpKmsKeyEntry, GcpKmsKeyRecipient } from "./entry.ts";
import { checkGcpKmsResourceId } from "./resource-id.ts";
import { gcpKmsEndpoint, gcpKmsEndpointSetting, gcpKmsTimeoutMs, googleErrorText } from "./transport.ts";

/** Options of {@link GcpKmsKeySource}. */
export interface GcpKmsKeySourceOptions {
  /** Credentials (see credentials.ts), SOPS_GCP_KMS_ENDPOINT, SOPS_GCP_KMS_UNIVERSE_DOMAIN, GOOGLE_CLOUD_QUOTA_PROJECT, HUSH_GCP_KMS_TIMEOUT. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where gcloud's application default credentials are looked for (`~/.config/gcloud`). */
  readonly homeDir: string;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/**
 * Tries of one call while Cloud KMS answers 503 UNAVAILABLE or 504 DEADLINE_EXCEEDED: Google's
 * KMS clients (SOPS's among them) retry those two on encrypt and decrypt, so a moment's outage
 * did not fail SOPS and must not fail hush. A hang is not retried: the deadline already passed.
 */
const MAX_TRIES = 4;
/** The wait before the second try; each later one is 1.3 times longer, as in Google's clients. */
const FIRST_BACKOFF_MS = 100;
/** A quota project is a project id: it goes into a request header. */
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9.:-]{0,127}$/;

/** RFC 3339 in whole seconds, UTC, as SOPS writes `created_at`. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Google Cloud KMS key source (kind "gcp_kms"). */
export class GcpKmsKeySource implements KeySource {
  readonly kind = "gcp_kms" as const;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #homeDir: string;
  readonly #timeoutMs: number;
  #credential: GoogleCredential | undefined;
  /** A call used all its tries on an unavailable service: later calls try once until one succeeds (a file may list 128 keys). */
  #unavailable = false;

  constructor(options: GcpKmsKeySourceOptions) {
    this.#env = options.env;
    this.#homeDir = options.homeDir;
    this.#timeoutMs = gcpKmsTimeoutMs(options.env);
  }

  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<GcpKmsKeyEntry> {
    if (recipient.kind !== "gcp_kms") throw new HushError("INVALID_ARGUMENT", `The GCP KMS key source cannot wrap to a ${recipient.kind} key`);
    if (dataKey.length !== 32 && dataKey.length !== 33) {
      throw new HushError("INTERNAL", `A data key to wrap must be 32 bytes (or a 33-byte share), got ${dataKey.length}`);
    }
    const resourceId = checkGcpKmsResourceId((recipient as GcpKmsKeyRecipient).resourceId);
    const answer = await this.#call(resourceId, "encrypt", { plaintext: Buffer.from(dataKey).toString("base64") });
    const ciphertext = (answer.body as { ciphertext?: unknown } | undefined)?.ciphertext;
    if (typeof ciphertext !== "string" || !BASE64.test(ciphertext)) {
      throw new HushError("KEY_SOURCE_FAILED", `GCP KMS encrypt failed: MalformedResponse (no base64 ciphertext in the answer)`);
    }
    // Standard base64 with padding, as SOPS writes `enc` (re-encoded in case the answer omitted padding).
    return { kind: "gcp_kms", resourceId, createdAt: nowRfc3339(), enc: Buffer.from(ciphertext, "base64").toString("base64") };
  }

  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "gcp_kms") return null;
    const key = entry as GcpKmsKeyEntry;
    // Everything from the file is checked before any credential is read or request sent.
    const resourceId = checkGcpKmsResourceId(key.resourceId, "METADATA_INVALID");
    if (!BASE64.test(key.enc)) throw new HushError("METADATA_INVALID", `The wrapped key (enc) of GCP KMS key ${printable(resourceId)} is not standard base64`);
    if (Buffer.byteLength(key.enc, "base64") > MAX_CIPHERTEXT_BYTES) {
      throw new HushError("METADATA_INVALID", `The wrapped key (enc) of GCP KMS key ${printable(resourceId)} is longer than a Cloud KMS ciphertext (64 KiB)`);
    }
    const answer = await this.#call(resourceId, "decrypt", { ciphertext: key.enc });
    const plaintext = (answer.body as { plaintext?: unknown } | undefined)?.plaintext;
    if (typeof plaintext !== "string" || !BASE64.test(plaintext)) {
      throw new HushError("KEY_SOURCE_FAILED", "GCP KMS decrypt failed: MalformedResponse (no base64 plaintext in the answer)");
    }
    const bytes = Buffer.from(plaintext, "base64");
    if (bytes.length !== 32 && bytes.length !== 33) {
      bytes.fill(0);
      throw new HushError("KEY_SOURCE_FAILED", `GCP KMS decrypt returned ${bytes.length} bytes, not a data key`);
    }
    return new Uint8Array(bytes);
  }

  describeSearch(): readonly string[] {
    return [describeCredentialSearch(this.#env, this.#homeDir)];
  }

  /** The quota project for `x-goog-user-project`: GOOGLE_CLOUD_QUOTA_PROJECT, else the credential's `quota_project_id` (Google's libraries' order). */
  #quotaProject(credential: GoogleCredential): string | undefined {
    const fromEnv = this.#env["GOOGLE_CLOUD_QUOTA_PROJECT"]?.trim() ?? "";
    const [project, setting] = fromEnv !== "" ? [fromEnv, "GOOGLE_CLOUD_QUOTA_PROJECT"] : [credential.quotaProject, `the quota_project_id of ${credential.origin}`];
    if (project !== undefined && !PROJECT.test(project)) throw localFailure("BadConfiguration", `${setting} ${printable(project, 80)} is not a project id`, "correct it, or set GOOGLE_CLOUD_QUOTA_PROJECT");
    return project;
  }

  async #call(resourceId: string, op: "encrypt" | "decrypt", body: unknown): Promise<HttpAnswer> {
    // Errors reach the user prefixed with the key and its group (core adds them), wrapping and unwrapping alike.
    const what = `GCP KMS ${op}`;
    const fail = (why: string): HushError => new HushError("KEY_SOURCE_FAILED", `${what} failed: ${why}`);
    let credential: GoogleCredential;
    let answer: HttpAnswer;
    try {
      const endpoint = gcpKmsEndpoint(this.#env);
      credential = this.#credential ??= findGoogleCredential(this.#env, this.#homeDir, this.#timeoutMs);
      const headers: Record<string, string> = { Authorization: `Bearer ${await credential.accessToken()}` };
      const quotaProject = this.#quotaProject(credential);
      if (quotaProject !== undefined) headers["x-goog-user-project"] = quotaProject;
      // resourceId matched resource-id.ts's pattern: it adds path segments of safe characters only.
      const url = new URL(`${endpoint}/v1/${resourceId}:${op}`);
      try {
        answer = await this.#sendWithRetries(() => sendRequest({ method: "POST", url, headers, body: { json: body }, timeoutMs: this.#timeoutMs, env: this.#env }));
      } catch (err) {
        // The key's name says nothing of where it was asked (Vault's and Key Vault's addresses
        // are in theirs): the endpoint is named, with the setting that chose it.
        const message = (err as Error).message;
        throw /^Network/.test(message) ? new Error(`${message} at ${endpoint} (${gcpKmsEndpointSetting(this.#env)})`) : err;
      }
    } catch (err) {
      throw fail((err as Error).message);
    }
    if (answer.status >= 300 && answer.status < 400) {
      throw fail(`HTTP ${answer.status} redirect not followed (set SOPS_GCP_KMS_ENDPOINT to the server that answers)`);
    }
    if (answer.status === 401) credential.forget();
    // Say which credential was refused: several are searched, and the user may not know which one won.
    if (answer.status === 401 || answer.status === 403) throw fail(`${googleErrorText(answer)}, using ${credential.origin}`);
    if (answer.status !== 200) throw fail(googleErrorText(answer));
    return answer;
  }

  /** `send` again after a 503 or 504, waiting longer each time, up to {@link MAX_TRIES} tries. */
  async #sendWithRetries(send: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
    const tries = this.#unavailable ? 1 : MAX_TRIES;
    let wait = FIRST_BACKOFF_MS;
    for (let attempt = 1; ; attempt++) {
      const answer = await send();
      const unavailable = answer.status === 503 || answer.status === 504;
      if (!unavailable) this.#unavailable = false;
      if (!unavailable || attempt >= tries) {
        if (unavailable) this.#unavailable = true;
        return answer;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 1.3;
    }
  }
}
