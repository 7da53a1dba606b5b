/**
 * Parsing and strict validation of KMS key ARNs, role ARNs, profile names and encryption
 * contexts. Everything here runs before any network call: the region of a key ARN becomes part
 * of the KMS host name the SDK connects to (kms.<region>.amazonaws.com), so an ARN taken from a
 * file must not be able to steer signed requests to another host.
 */
import { HushError, type ErrorCode } from "@hush/core";
import type { KmsKeyRecipient } from "./entry.ts";

/** The parts of a validated KMS key ARN. */
export interface ParsedKmsArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly resourceType: "key" | "alias";
  readonly resource: string;
}

/** AWS partitions known to have KMS; an unknown one is more likely a typo or an attack. */
const PARTITIONS: ReadonlySet<string> = new Set([
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
]);

/** The regular expression SOPS uses to find the region; kept so that both accept the same ARNs. */
const SOPS_ARN = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;
const KMS_ARN = /^arn:([a-z-]+):kms:([^:]*):([^:]*):(key|alias)\/(.*)$/;
/** `eu-west-1`, `us-gov-west-1`, `us-isob-east-1`, and the European Sovereign Cloud's `eusc-de-east-1`. */
const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d+$/;
const ACCOUNT = /^\d{12}$/;
/** Key ids (UUID or mrk-…) and alias names use only these characters. */
const RESOURCE = /^[A-Za-z0-9/_-]{1,256}$/;
const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
const PROFILE = /^[A-Za-z0-9_.+=,@:/-]{1,128}$/;
// C0/C1 control characters and the line/paragraph separators that break log lines.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_ARN = 2048;
const MAX_CONTEXT_PAIRS = 64;
const MAX_CONTEXT_CHARS = 8192;

/** A bounded, escaped rendering of an untrusted string for error messages. */
export function describeUntrusted(value: unknown): string {
  if (typeof value !== "string") return `a ${value === null ? "null" : typeof value}`;
  const json = JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  return json.replace(/[\u2028\u2029\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function fail(code: ErrorCode, what: string, value: unknown, why: string): never {
  throw new HushError(code, `Invalid ${what} ${describeUntrusted(value)}: ${why}`);
}

/**
 * Validates a KMS key ARN and returns its parts. Throws HushError with `code` (INVALID_ARGUMENT
 * for user input, METADATA_INVALID for file metadata).
 */
export function parseKmsArn(arn: unknown, code: ErrorCode = "INVALID_ARGUMENT"): ParsedKmsArn {
  const what = "AWS KMS key ARN";
  if (typeof arn !== "string" || arn === "") fail(code, what, arn, "expected a non-empty string");
  if (arn.length > MAX_ARN) fail(code, what, arn, `longer than ${MAX_ARN} characters`);
  if (/\s/.test(arn) || CONTROL.test(arn)) fail(code, what, arn, "contains whitespace or control characters");
  const m = KMS_ARN.exec(arn);
  if (m === null || !SOPS_ARN.test(arn)) {
    fail(code, what, arn, "expected arn:<partition>:kms:<region>:<account>:key/<id> or …:alias/<name>");
  }
  const [, partition = "", region = "", account = "", resourceType = "", resource = ""] = m;
  if (!PARTITIONS.has(partition)) fail(code, what, arn, `unknown partition ${describeUntrusted(partition)}`);
  if (!REGION.test(region)) fail(code, what, arn, `region ${describeUntrusted(region)} is not an AWS region name`);
  if (!ACCOUNT.test(account)) fail(code, what, arn, "the account id must be 12 digits");
  if (!RESOURCE.test(resource) || resource.split("/").some((s) => s === "")) {
    fail(code, what, arn, "the key id or alias name has characters outside A-Z a-z 0-9 / _ -");
  }
  return { partition, region, account, resourceType: resourceType as "key" | "alias", resource };
}

/** Validates an IAM role ARN to assume ("" means none). */
export function validateRoleArn(role: unknown, code: ErrorCode = "INVALID_ARGUMENT"): string {
  const what = "IAM role ARN";
  if (role === "") return role;
  if (typeof role !== "string") fail(code, what, role, "expected a string");
  if (role.length > MAX_ARN) fail(code, what, role, `longer than ${MAX_ARN} characters`);
  const m = ROLE_ARN.exec(role);
  if (m === null) fail(code, what, role, "expected arn:<partition>:iam::<12-digit account>:role/<name>");
  if (!PARTITIONS.has(m[1] ?? "")) fail(code, what, role, `unknown partition ${describeUntrusted(m[1])}`);
  return role;
}

/** Validates a named AWS profile ("" means none). */
export function validateProfile(profile: unknown, code: ErrorCode = "INVALID_ARGUMENT"): string {
  if (profile === "") return profile;
  if (typeof profile !== "string" || !PROFILE.test(profile)) {
    fail(code, "AWS profile name", profile, "expected 1-128 characters from A-Z a-z 0-9 _ . + = , @ : / -");
  }
  return profile;
}

/** Validates an encryption context and returns a plain copy (own string properties only). */
export function validateContext(context: unknown, code: ErrorCode = "INVALID_ARGUMENT"): Record<string, string> {
  if (typeof context !== "object" || context === null || Array.isArray(context)) {
    throw new HushError(code, "Invalid AWS KMS encryption context: expected a map of strings");
  }
  const entries = Object.entries(context as Record<string, unknown>);
  if (entries.length > MAX_CONTEXT_PAIRS) {
    throw new HushError(code, `Invalid AWS KMS encryption context: more than ${MAX_CONTEXT_PAIRS} pairs`);
  }
  let chars = 0;
  for (const [k, v] of entries) {
    if (typeof v !== "string") {
      throw new HushError(code, `Invalid AWS KMS encryption context: the value of ${describeUntrusted(k)} is not a string`);
    }
    if (k === "") throw new HushError(code, "Invalid AWS KMS encryption context: empty key");
    if (CONTROL.test(k) || CONTROL.test(v)) {
      throw new HushError(code, `Invalid AWS KMS encryption context: the pair ${describeUntrusted(k)} contains control characters`);
    }
    chars += k.length + v.length;
  }
  if (chars > MAX_CONTEXT_CHARS) {
    throw new HushError(code, `Invalid AWS KMS encryption context: longer than ${MAX_CONTEXT_CHARS} characters`);
  }
  // fromEntries creates own data properties, so a "__proto__" key stays an ordinary entry.
  return Object.fromEntries(entries as [string, string][]);
}

/**
 * Parses a `--kms` / `SOPS_KMS_ARN` value: a comma-separated list whose items are `ARN` or
 * `ARN+ROLE_ARN` (split at `+arn:`); whitespace is removed and empty items are ignored.
 * Every ARN is validated. Throws HushError("INVALID_ARGUMENT").
 */
export function parseKmsArnList(
  text: string,
  options: { readonly context?: Readonly<Record<string, string>>; readonly awsProfile?: string } = {},
): KmsKeyRecipient[] {
  const context = validateContext(options.context ?? {});
  const awsProfile = validateProfile(options.awsProfile ?? "");
  const out: KmsKeyRecipient[] = [];
  for (const raw of text.replace(/\s+/g, "").split(",")) {
    if (raw === "") continue;
    const plus = raw.indexOf("+arn:");
    const arn = plus > 0 ? raw.slice(0, plus) : raw;
    const role = plus > 0 ? raw.slice(plus + 1) : "";
    parseKmsArn(arn);
    validateRoleArn(role);
    out.push({ kind: "kms", arn, role, context: { ...context }, awsProfile });
  }
  return out;
}

/**
 * Parses `--encryption-context k1:v1,k2:v2` as SOPS does (`kms.ParseKMSContext`): each item splits
 * at ":" into exactly two parts, nothing is trimmed, a later duplicate key wins; "" gives an empty
 * context. Throws HushError("INVALID_ENCRYPTION_CONTEXT") (exit 6, as SOPS) on any other shape.
 */
export function parseEncryptionContext(text: string): Record<string, string> {
  if (text === "") return {};
  const pairs: [string, string][] = [];
  for (const item of text.split(",")) {
    const parts = item.split(":");
    if (parts.length !== 2) {
      throw new HushError(
        "INVALID_ENCRYPTION_CONTEXT",
        `Invalid --encryption-context item ${describeUntrusted(item)}: expected key:value (items separated by commas)`,
      );
    }
    pairs.push([parts[0] ?? "", parts[1] ?? ""]);
  }
  return validateContext(Object.fromEntries(pairs), "INVALID_ENCRYPTION_CONTEXT");
}
