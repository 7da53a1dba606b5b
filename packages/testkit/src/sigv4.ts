/**
 * AWS Signature Version 4 for the test KMS/STS servers: verification (server side) and signing
 * (for test helpers that talk to a server without the AWS SDK). Both sides share the canonical
 * request code, and the AWS SDK itself signs the requests the key source sends, so a mistake here
 * shows up as a rejected SDK request rather than hiding behind a matching signer.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** An access key the server accepts; `sessionToken` is set for temporary (assumed-role) keys. */
export interface SigV4Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What a verified request was signed with. */
export interface SigV4Verified {
  readonly ok: true;
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** Why a request was rejected; `code` is the AWS error type to send back. */
export interface SigV4Rejected {
  readonly ok: false;
  readonly code:
    | "MissingAuthenticationTokenException"
    | "IncompleteSignatureException"
    | "UnrecognizedClientException"
    | "InvalidSignatureException";
  readonly message: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_SKEW_MS = 15 * 60 * 1000;

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, "%20"));
  } catch {
    return s;
  }
}

/** Non-S3 services encode each path segment twice (the first encoding is the URL's own). */
function canonicalPath(path: string): string {
  if (path === "" || path === "/") return "/";
  return path
    .split("/")
    .map((seg) => uriEncode(uriEncode(safeDecode(seg))))
    .join("/");
}

function canonicalQuery(query: string): string {
  if (query === "") return "";
  const pairs = query
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const i = p.indexOf("=");
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? "" : p.slice(i + 1);
      return [uriEncode(safeDecode(k)), uriEncode(safeDecode(v))] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function canonicalHeaderValue(v: string): string {
  return v.trim().replace(/\s+/g, " ");
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secret}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, "aws4_request");
}

interface RequestParts {
  readonly method: string;
  /** Path plus optional "?query". */
  readonly url: string;
  /** Header names in any case; values already joined. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

function stringToSign(req: RequestParts, signedHeaders: readonly string[], amzDate: string, scope: string): string {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) lower[k.toLowerCase()] = v;
  const q = req.url.indexOf("?");
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? "" : req.url.slice(q + 1);
  const payloadHeader = lower["x-amz-content-sha256"];
  const payloadHash = payloadHeader === "UNSIGNED-PAYLOAD" ? payloadHeader : sha256Hex(req.body);
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(path),
    canonicalQuery(query),
    signedHeaders.map((h) => `${h}:${canonicalHeaderValue(lower[h] ?? "")}\n`).join(""),
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join("\n");
}

/**
 * Verifies the Authorization header of a request against the known credentials.
 * `now` is injectable so tests of the verifier can pin the clock.
 */
export function verifySigV4(
  req: RequestParts,
  credentials: readonly SigV4Credentials[],
  now: Date = new Date(),
): SigV4Verified | SigV4Rejected {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) lower[k.toLowerCase()] = v;
  const auth = lower["authorization"];
  if (auth === undefined) {
    return { ok: false, code: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
  }
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (m === null) {
    return { ok: false, code: "IncompleteSignatureException", message: "Authorization header is malformed" };
  }
  const [, credential = "", signedList = "", signature = ""] = m;
  const scopeParts = credential.split("/");
  if (scopeParts.length !== 5 || scopeParts[4] !== "aws4_request") {
    return { ok: false, code: "IncompleteSignatureException", message: "Credential scope is malformed" };
  }
  const [accessKeyId = "", date = "", region = "", service = ""] = scopeParts;
  const amzDate = lower["x-amz-date"];
  const signedHeaders = signedList.split(";");
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    return { ok: false, code: "IncompleteSignatureException", message: "X-Amz-Date is missing or does not match the scope" };
  }
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) {
    return { ok: false, code: "IncompleteSignatureException", message: "host and x-amz-date must be signed" };
  }
  const sorted = [...signedHeaders].sort();
  if (sorted.join(";") !== signedList || new Set(signedHeaders).size !== signedHeaders.length) {
    return { ok: false, code: "IncompleteSignatureException", message: "SignedHeaders must be sorted and unique" };
  }
  const when = Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
  if (Math.abs(now.getTime() - when) > MAX_SKEW_MS) {
    return { ok: false, code: "InvalidSignatureException", message: "Signature expired" };
  }
  const cred = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (cred === undefined) {
    return { ok: false, code: "UnrecognizedClientException", message: "The security token included in the request is invalid." };
  }
  if (cred.sessionToken !== undefined) {
    const token = lower["x-amz-security-token"];
    if (token === undefined || !signedHeaders.includes("x-amz-security-token") || !equalStrings(token, cred.sessionToken)) {
      return { ok: false, code: "UnrecognizedClientException", message: "The security token included in the request is invalid." };
    }
  }
  const scope = `${date}/${region}/${service}/aws4_request`;
  const expected = hmac(signingKey(cred.secretAccessKey, date, region, service), stringToSign(req, signedHeaders, amzDate, scope));
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    return {
      ok: false,
      code: "InvalidSignatureException",
      message: "The request signature we calculated does not match the signature you provided.",
    };
  }
  return { ok: true, accessKeyId, region, service };
}

function equalStrings(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Headers (including Authorization) that sign `req` for `service` in `region`. */
export function signSigV4(
  req: Omit<RequestParts, "headers"> & { readonly headers: Readonly<Record<string, string>> },
  credentials: SigV4Credentials,
  region: string,
  service: string,
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers["x-amz-date"] = amzDate;
  if (credentials.sessionToken !== undefined) headers["x-amz-security-token"] = credentials.sessionToken;
  const signedHeaders = Object.keys(headers).sort();
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = stringToSign({ ...req, headers }, signedHeaders, amzDate, scope);
  const signature = hmac(signingKey(credentials.secretAccessKey, date, region, service), toSign).toString("hex");
  headers["authorization"] =
    `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`;
  return headers;
}
