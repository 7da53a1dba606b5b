import { registerKeyBackends, unimplementedKeyBackend, type KeyBackend } from "@hush/core";
import { ageBackend } from "@hush/key-source-age/backend";
import { awsKmsBackend } from "@hush/key-source-aws-kms/backend";
import { gcpKmsBackend } from "@hush/key-source-gcp-kms/backend";
import { azureKeyVaultBackend } from "@hush/key-source-azure-kv/backend";
import { vaultTransitBackend } from "@hush/key-source-hc-vault/backend";
import { pgpBackend } from "@hush/key-source-pgp/backend";

/**
 * The key backends `hush` knows, in the order keys are read and listed: the one place that names
 * them. Adding a backend is its package (exporting a `KeyBackend` from a light `./backend` entry)
 * and one line here; metadata, `.sops.yaml`, flags, help and messages follow from its descriptor.
 * The descriptors are cheap to import; each loads its implementation when a file needs it.
 */
export const KEY_BACKENDS: readonly KeyBackend[] = [
  ageBackend,
  pgpBackend,
  awsKmsBackend,
  // The other SOPS kinds, in SOPS's order.
  gcpKmsBackend,
  azureKeyVaultBackend,
  vaultTransitBackend,
  // Kinds hush does not implement (unimplementedKeyBackend) are kept verbatim in files and refused
  // as flags and in .sops.yaml.
  unimplementedKeyBackend({ kind: "hckms", ruleKeys: ["hckms"], groupKeys: ["hckms"], flag: "hckms" }),
];

/** Registers {@link KEY_BACKENDS} with core (idempotent). */
export function registerHushKeyBackends(): void {
  registerKeyBackends(KEY_BACKENDS);
}

/** The backends hush can open and wrap to (those with an implementation). */
export function usableKeyBackends(): readonly KeyBackend[] {
  return KEY_BACKENDS.filter((b) => b.load !== undefined);
}
