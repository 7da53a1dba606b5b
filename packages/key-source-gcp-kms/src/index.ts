/**
 * Google Cloud KMS key source for hush: wraps data keys with Cloud KMS's REST encrypt and decrypt
 * methods, authenticated with the user's own Google credentials, at an endpoint the environment
 * names.
 */
export { GcpKmsKeySource, type GcpKmsKeySourceOptions } from "./source.ts";
export { checkGcpKmsResourceId, isGcpKmsResourceId, parseGcpKmsResourceId } from "./resource-id.ts";
export { findGoogleCredential, parseCredentialJson, type GoogleCredential } from "./credentials.ts";
export { gcpKmsEndpoint, DEFAULT_GCP_KMS_ENDPOINT } from "./transport.ts";
export type { GcpKmsKeyEntry, GcpKmsKeyRecipient } from "./entry.ts";
