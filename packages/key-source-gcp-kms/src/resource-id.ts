/**
 * Cloud KMS key names (`projects/P/locations/L/keyRings/R/cryptoKeys/K`), checked before they go
 * into a request URL. A file's `resource_id` is untrusted: it is pasted into the path of
 * `POST {endpoint}/v1/{resource_id}:decrypt`, so anything beyond Google's own character sets could
 * add path segments (`..`), a query (`?`), a fragment (`#`), or escapes (`%2F`, `\`) to the
 * request that carries the user's token. SOPS accepts `[^/]+` per segment; hush accepts what Google
 * does, which is narrower. No Node imports: this module is loaded at start-up through backend.ts.
 */
import { HushError, quoted, type ErrorCode } from "@hush/core";

/**
 * Project: an id (`my-project`), a number, or a domain-scoped id (`example.com:my-project`);
 * location: `global`, `us-east1`, `europe`…; key ring and key ids: Google's `[a-zA-Z0-9_-]{1,63}`.
 * SOPS's own pattern has no `cryptoKeyVersions` suffix, so neither has this one.
 */
const RESOURCE_ID = /^projects\/[A-Za-z0-9][A-Za-z0-9.:-]{0,127}\/locations\/[A-Za-z0-9-]{1,63}\/keyRings\/[A-Za-z0-9_-]{1,63}\/cryptoKeys\/[A-Za-z0-9_-]{1,63}$/;

const EXAMPLE = "projects/my-project/locations/global/keyRings/my-ring/cryptoKeys/my-key";

/** Whether `resourceId` is a Cloud KMS crypto key name hush will put in a URL. */
export function isGcpKmsResourceId(resourceId: string): boolean {
  return RESOURCE_ID.test(resourceId);
}

/**
 * Throws `code` (INVALID_ARGUMENT for a flag, METADATA_INVALID for a file) unless `resourceId`
 * is a crypto key name; the message shows the value escaped.
 */
export function checkGcpKmsResourceId(resourceId: string, code: ErrorCode = "INVALID_ARGUMENT"): string {
  if (!RESOURCE_ID.test(resourceId)) {
    throw new HushError(code, `Invalid GCP KMS resource ID ${quoted(resourceId, 200)}: should be like ${EXAMPLE} (letters, digits, '_' and '-' in each name)`);
  }
  return resourceId;
}

/** A resource ID as SOPS reads one from a flag or `.sops.yaml` (spaces removed), checked. */
export function parseGcpKmsResourceId(text: string): string {
  return checkGcpKmsResourceId(text.replace(/ /g, ""));
}
