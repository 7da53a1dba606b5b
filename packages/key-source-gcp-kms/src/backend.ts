import type { ConfigContext, KeyBackend } from "@hush/core";
import { MAX_CIPHERTEXT_BYTES } from "./ciphertext-size.ts";
import type { GcpKmsKeyEntry, GcpKmsKeyRecipient } from "./entry.ts";
import { isGcpKmsResourceId, parseGcpKmsResourceId } from "./resource-id.ts";

/**
 * The Google Cloud KMS key backend's descriptor (`@hush/key-source-gcp-kms/backend`): metadata
 * entries, `.sops.yaml` keys, flags and identity of `gcp_kms` keys, named as SOPS names them
 * (gcpkms/keysource.go, config/config.go, cmd/sops/main.go). Cheap to import: node:http,
 * node:crypto and the key source are loaded by `load`, when a file has Cloud KMS keys.
 */

export type { GcpKmsKeyEntry, GcpKmsKeyRecipient };

const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function recipient(resourceId: string, where: string, c: ConfigContext): GcpKmsKeyRecipient {
  try {
    return { kind: "gcp_kms", resourceId: parseGcpKmsResourceId(resourceId) };
  } catch (err) {
    throw c.fail(`${where}: ${(err as Error).message}`);
  }
}

/**
 * `.sops.yaml`: a rule's `gcp_kms` is a comma-separated string or a list of strings; a key
 * group's `gcp_kms` is a list of maps with `resource_id` (SOPS's gcpKmsKey), as SOPS reads them.
 */
function configKeys(value: unknown, key: string, c: ConfigContext): GcpKmsKeyRecipient[] {
  const where = `${c.where}.${key}`;
  if (!c.where.includes(".key_groups[")) return c.stringList(value, where).map((id) => recipient(id, where, c));
  if (!Array.isArray(value)) throw c.fail(`${where} must be a list of maps with resource_id`);
  return value.map((item: unknown, i) => {
    const id = typeof item === "object" && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>)["resource_id"] : undefined;
    if (typeof id !== "string") throw c.fail(`${where}[${i}] must be a map with resource_id`);
    return recipient(id, `${where}[${i}]`, c);
  });
}

/**
 * Why an entry cannot give back a data key, or undefined: its `enc` cannot be a Cloud KMS
 * ciphertext of one, or its `resource_id` is not a key name hush would send (so `hush check`
 * reports a planted one before anyone decrypts).
 */
function ciphertextFault(entry: GcpKmsKeyEntry): string | undefined {
  if (!isGcpKmsResourceId(entry.resourceId)) return "its resource_id is not a Cloud KMS key name (projects/P/locations/L/keyRings/R/cryptoKeys/K)";
  if (!STANDARD_BASE64.test(entry.enc)) return "not standard base64";
  const length = Buffer.from(entry.enc, "base64").length;
  // A ciphertext is at least as long as the 32-byte key (or 33-byte share) it holds.
  if (length < 32) return `a Cloud KMS ciphertext of ${length} bytes cannot hold a data key`;
  return length > MAX_CIPHERTEXT_BYTES ? `a Cloud KMS ciphertext of ${length} bytes is longer than Cloud KMS makes (64 KiB)` : undefined;
}

/** The Google Cloud KMS backend: register it to read, write and open `gcp_kms` keys. */
export const gcpKmsBackend: KeyBackend<GcpKmsKeyEntry, GcpKmsKeyRecipient> = {
  kind: "gcp_kms",
  decodeEntry: (f) => ({ kind: "gcp_kms", resourceId: f.text("resource_id"), createdAt: f.time("created_at"), enc: f.text("enc") }),
  // SOPS 3.13 writes every metadata map with its keys sorted.
  encodeEntry: (e) => ({ created_at: e.createdAt, enc: e.enc, resource_id: e.resourceId }),
  // SOPS's MasterKey.ToString: the resource ID.
  identity: (k) => k.resourceId,
  recipientOf: (e) => ({ kind: "gcp_kms", resourceId: e.resourceId }),
  wrappedKeyForm: STANDARD_BASE64,
  wrappedKeyFault: ciphertextFault,
  config: {
    ruleKeys: ["gcp_kms"],
    groupKeys: ["gcp_kms"],
    itemKeys: ["resource_id"],
    parse: configKeys,
  },
  flags: {
    name: "gcp-kms",
    valueName: "resource-ids",
    help: "GCP KMS key resource IDs (projects/P/locations/L/keyRings/R/cryptoKeys/K), comma separated",
    env: "SOPS_GCP_KMS_IDS",
    parse: (items) => items.map((item) => ({ kind: "gcp_kms", resourceId: parseGcpKmsResourceId(item) })),
  },
  async load(context) {
    const { GcpKmsKeySource } = await import("./source.ts");
    return new GcpKmsKeySource({ env: context.env, homeDir: context.homeDir });
  },
};
