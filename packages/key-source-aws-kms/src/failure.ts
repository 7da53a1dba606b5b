/**
 * Turns whatever the AWS SDK throws into one HushError("KEY_SOURCE_FAILED") that names the key
 * ARN and a reason class. Only AWS service error messages are quoted: other errors (a JSON parse
 * failure, say) can carry fragments of the answer body, and a Decrypt answer holds the key.
 */
import { HushError } from "@hush/core";

/** Reason classes, stable words that tests and users can search for. */
export type KmsFailureReason =
  | "AccessDenied"
  | "InvalidCiphertext"
  | "IncorrectKey"
  | "KeyNotFound"
  | "KeyUnavailable"
  | "InvalidCredentials"
  | "NoCredentials"
  | "CredentialsUnloadable"
  | "BadConfiguration"
  | "Throttled"
  | "NetworkTimeout"
  | "NetworkError"
  | "MalformedResponse"
  | "ServiceError";

const BY_TYPE: Readonly<Record<string, KmsFailureReason>> = {
  AccessDeniedException: "AccessDenied",
  AccessDenied: "AccessDenied",
  InvalidCiphertextException: "InvalidCiphertext",
  IncorrectKeyException: "IncorrectKey",
  NotFoundException: "KeyNotFound",
  DisabledException: "KeyUnavailable",
  KMSInvalidStateException: "KeyUnavailable",
  KeyUnavailableException: "KeyUnavailable",
  UnrecognizedClientException: "InvalidCredentials",
  InvalidSignatureException: "InvalidCredentials",
  IncompleteSignatureException: "InvalidCredentials",
  MissingAuthenticationTokenException: "InvalidCredentials",
  InvalidClientTokenId: "InvalidCredentials",
  SignatureDoesNotMatch: "InvalidCredentials",
  ExpiredTokenException: "InvalidCredentials",
  ExpiredToken: "InvalidCredentials",
  CredentialsProviderError: "NoCredentials",
  ThrottlingException: "Throttled",
  Throttling: "Throttled",
  LimitExceededException: "Throttled",
  TimeoutError: "NetworkTimeout",
  RequestTimeout: "NetworkTimeout",
  RequestTimeoutException: "NetworkTimeout",
  AbortError: "NetworkTimeout",
};

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "EPROTO",
]);

/** OpenSSL's certificate verification codes, as Node reports them. */
const CERTIFICATE_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
]);

/** Whether `code` says the TLS handshake with the endpoint failed (`ERR_TLS_…`, `ERR_SSL_…`, a certificate check). */
function isTlsFailureCode(code: string): boolean {
  return /^ERR_(TLS|SSL)_[A-Z0-9_]+$/.test(code) || CERTIFICATE_CODES.has(code);
}

const HINTS: Readonly<Record<KmsFailureReason, string>> = {
  AccessDenied: "the AWS identity in use is not allowed to use this key (check the key policy, IAM policy, role and profile)",
  InvalidCiphertext: "the encryption context differs from the one used when the key was wrapped, or the wrapped key is damaged",
  IncorrectKey: "the wrapped key was made with a different KMS key than the ARN names",
  KeyNotFound: "the key does not exist in this account and region (or the endpoint points elsewhere)",
  KeyUnavailable: "the key is disabled, pending deletion or otherwise unusable",
  InvalidCredentials: "the AWS credentials were rejected (wrong secret, expired session or unknown access key)",
  NoCredentials: "no AWS credentials were found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or log in)",
  CredentialsUnloadable:
    "the AWS credentials could not be loaded, so no request was sent (check the files and programs your AWS settings name: AWS_WEB_IDENTITY_TOKEN_FILE, the profile's web_identity_token_file or credential_process, the SSO cache)",
  BadConfiguration: "the AWS SDK refused its settings before sending any request (check the AWS_* variables and the profile's settings in the AWS config file)",
  Throttled: "AWS KMS throttled the request; try again later",
  NetworkTimeout: "AWS KMS did not answer in time; check network access to the endpoint (AWS_ENDPOINT_URL_KMS or the region's endpoint)",
  NetworkError: "AWS KMS could not be reached; check network access to the endpoint (AWS_ENDPOINT_URL_KMS or the region's endpoint)",
  MalformedResponse: "the KMS endpoint gave an answer that is not a valid KMS response",
  ServiceError: "AWS KMS reported an error",
};

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; attempts?: unknown };
  cause?: unknown;
  /** Set on a proxy tunnel's error (TunnelError) that timed out. */
  timedOut?: unknown;
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === "object" && err !== null ? (err as SdkErrorShape) : {};
}

/** One line, printable, bounded: service messages are still text from a remote party. */
function clean(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    .trim()
    .slice(0, 500);
}

/** The name hush gives a failure of the credentials it set up (a profile or role): see {@link credentialsLoadFailure}. */
const CREDENTIALS_UNLOADABLE = "CredentialsUnloadable";

/**
 * `err`, thrown while the credentials of a profile or role were loaded and before any answer
 * (a token file that is not there, a provider that threw), marked as such: the SDK throws it
 * from the request as it is, with nothing that tells it from a local configuration error. Errors
 * that are classified already (the SDK's own "no credentials", an answer of STS) stay as they are.
 */
export function credentialsLoadFailure(err: unknown): unknown {
  const e = shape(err);
  if (e.name === "CredentialsProviderError" || e.$metadata !== undefined || (typeof err === "object" && err !== null && "$response" in err)) return err;
  const failure = new Error("the AWS credentials could not be loaded", { cause: err });
  failure.name = CREDENTIALS_UNLOADABLE;
  return failure;
}

/**
 * What a failure before any request says: a file's error code, call and path
 * (`ENOENT: open /var/run/token`), or the error's type and the SDK's own message about the
 * user's settings.
 * Never a file's content: Node's file errors carry none.
 */
function localDetail(err: SdkErrorShape & { syscall?: unknown; path?: unknown }): string {
  const code = typeof err.code === "string" ? err.code : "";
  if (typeof err.syscall === "string") return clean(`${code}: ${err.syscall}${typeof err.path === "string" ? ` ${err.path}` : ""}`);
  const name = typeof err.name === "string" && err.name !== "" ? err.name : "Error";
  const message = typeof err.message === "string" ? clean(err.message) : "";
  return message === "" ? name : `${name}: ${message}`;
}

/** The reason class and, for AWS service errors only, the error type and message. */
export function classifyKmsError(err: unknown, timeoutMs?: number): { reason: KmsFailureReason; detail: string } {
  const e = shape(err);
  const name = typeof e.name === "string" ? e.name : "";
  const code = typeof e.code === "string" ? e.code : "";
  const cause = shape(e.cause);
  const causeCode = typeof cause.code === "string" ? cause.code : "";
  const mapped = BY_TYPE[name] ?? BY_TYPE[code];
  const isService = (e.$fault === "client" || e.$fault === "server") && e.$metadata !== undefined;
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;

  if (mapped === "NetworkTimeout" || code === "ETIMEDOUT" || causeCode === "ETIMEDOUT") {
    return { reason: "NetworkTimeout", detail: timeoutMs === undefined ? "no answer in time" : `no answer within ${timeoutMs} ms` };
  }
  // A proxy's tunnel that did not open: its message names the proxy (never its password) and the
  // host. A proxy that never answered is a timeout, so that the other keys of the endpoint are
  // not each made to wait for it again.
  const tunnel = name === "TunnelError" ? e : cause.name === "TunnelError" ? cause : undefined;
  if (tunnel !== undefined) {
    const detail = typeof tunnel.message === "string" ? clean(tunnel.message) : "proxy tunnel not opened";
    return { reason: tunnel.timedOut === true ? "NetworkTimeout" : "NetworkError", detail };
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(causeCode)) {
    return { reason: "NetworkError", detail: NETWORK_CODES.has(code) ? code : causeCode };
  }
  // The endpoint's certificate was not accepted (another name, an unknown issuer: often a TLS-
  // inspecting proxy or firewall): no answer was read, so it is not a malformed one.
  const tlsCode = [code, causeCode].find(isTlsFailureCode);
  if (tlsCode !== undefined) return { reason: "NetworkError", detail: tlsCode };
  if (mapped === "NoCredentials") {
    return { reason: "NoCredentials", detail: typeof e.message === "string" ? clean(e.message) : "" };
  }
  if (isService && name !== "" && name !== "Unknown" && /^[A-Za-z0-9.]+$/.test(name)) {
    const message = typeof e.message === "string" && e.message !== "UnknownError" ? clean(e.message) : "";
    const detail = message === "" ? name : `${name}: ${message}`;
    if (mapped !== undefined) return { reason: mapped, detail };
    return { reason: "ServiceError", detail };
  }
  // No answer was read (an answer's error carries it as $response, and its status): the SDK
  // failed here, loading credentials or checking its settings, not the endpoint.
  if (status === undefined && !(typeof err === "object" && err !== null && "$response" in err)) {
    if (name === CREDENTIALS_UNLOADABLE) return { reason: "CredentialsUnloadable", detail: localDetail(shape(e.cause)) };
    // A file the SDK's own credential search reads (a web identity token, an SSO cache).
    if (typeof (err as { syscall?: unknown }).syscall === "string") return { reason: "CredentialsUnloadable", detail: localDetail(e) };
    return { reason: "BadConfiguration", detail: localDetail(e) };
  }
  if (status !== undefined && status >= 500) return { reason: "ServiceError", detail: `HTTP ${status}` };
  if (status !== undefined && status !== 200) return { reason: "MalformedResponse", detail: `HTTP ${status}` };
  return { reason: "MalformedResponse", detail: name === "" ? "unreadable answer" : `unreadable answer (${clean(name)})` };
}

/** The error a failed Encrypt/Decrypt call becomes. No cause is attached: it may hold the answer body. */
export function kmsFailure(operation: "Encrypt" | "Decrypt", arn: string, err: unknown, timeoutMs?: number): HushError {
  const { reason, detail } = classifyKmsError(err, timeoutMs);
  const attempts = shape(err).$metadata?.attempts;
  const tries = typeof attempts === "number" && attempts > 1 ? ` after ${attempts} attempts` : "";
  return new HushError("KEY_SOURCE_FAILED", `AWS KMS ${operation} with ${arn} failed${tries}: ${reason} (${detail})`, {
    hint: HINTS[reason],
  });
}

/** A failure found by checking a KMS answer ourselves. */
export function malformedAnswer(operation: "Encrypt" | "Decrypt", arn: string, what: string): HushError {
  return new HushError("KEY_SOURCE_FAILED", `AWS KMS ${operation} with ${arn} failed: MalformedResponse (${what})`, {
    hint: HINTS.MalformedResponse,
  });
}

/** The failure of a call not made because an earlier one to the same endpoint ran out of time. */
export function notAskedAgain(operation: "Encrypt" | "Decrypt", arn: string, timeoutMs: number): HushError {
  return new HushError("KEY_SOURCE_FAILED", `AWS KMS ${operation} with ${arn} failed: NetworkTimeout (not asked: the region's endpoint gave no answer within ${timeoutMs} ms to an earlier request)`, {
    hint: HINTS.NetworkTimeout,
  });
}

/**
 * The failure of a call not made because finding credentials failed for an earlier key with the
 * same profile: the search (environment, files, SSO, container and instance metadata) is the
 * same for every key, and each try may wait on an instance metadata address that never answers.
 */
export function credentialsNotSoughtAgain(operation: "Encrypt" | "Decrypt", arn: string, detail: string): HushError {
  return new HushError("KEY_SOURCE_FAILED", `AWS KMS ${operation} with ${arn} failed: NoCredentials (not looked for again: ${detail}, for an earlier key)`, {
    hint: HINTS.NoCredentials,
  });
}
