/**
 * AWS KMS key source for hush: wraps data keys with kms:Encrypt and unwraps them with
 * kms:Decrypt, validating file metadata before any network call.
 */
export { AwsKmsKeySource, roleSessionName } from "./source.ts";
export type { AwsKmsKeySourceOptions } from "./source.ts";
export {
  parseKmsArnList,
  parseEncryptionContext,
  parseKmsArn,
  validateRoleArn,
  validateProfile,
  validateContext,
} from "./arn.ts";
export type { ParsedKmsArn } from "./arn.ts";
export type { KmsKeyEntry, KmsKeyRecipient } from "./entry.ts";
export { classifyKmsError, credentialsLoadFailure } from "./failure.ts";
export { awsTrustFromEnv, checkAwsTrust, type AwsTrust } from "./trust.ts";
export type { KmsFailureReason } from "./failure.ts";
