import { checkObject, checkString, invalidArgument, isArray } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { MasterKeyEntry, MasterKeyRecipient } from "../key-source.ts";
import type { KeyBackend } from "./key-backend.ts";

/**
 * The registered key backends, by kind. The CLI registers its list at start-up (packages/cli/
 * src/backends.ts); a Node program registers the backends it uses, or calls the CLI's
 * `defaultKeySources()`, which registers hush's. Metadata of a kind nobody registered is
 * "unknown" to the codec, as any other field SOPS does not read.
 */
const backends = new Map<string, KeyBackend>();

/**
 * Registers backends; registering the same descriptor again changes nothing.
 * @throws HushError INVALID_ARGUMENT when another descriptor already has the kind.
 */
export function registerKeyBackends(list: readonly KeyBackend[]): void {
  if (!isArray(list)) throw invalidArgument("the key backends must be an array");
  for (const backend of list) {
    const known = backends.get(backend.kind);
    if (known !== undefined && known !== backend) throw new HushError("INVALID_ARGUMENT", `a key backend for ${backend.kind} keys is already registered`);
    backends.set(backend.kind, backend);
  }
}

/** Removes a registered backend (for tests that register their own). */
export function unregisterKeyBackend(kind: string): void {
  checkString(kind, "the key kind");
  backends.delete(kind);
}

/** The backend of `kind`, or undefined when none is registered. */
export function keyBackend(kind: string): KeyBackend | undefined {
  checkString(kind, "the key kind");
  return backends.get(kind);
}

/**
 * Why `entry`'s wrapped key also (or only) opens for a key the entry does not name, as its
 * backend reads the wrapped key's structure without a key (see `KeyBackend.otherReaders`), or
 * undefined: also for a recipient with no wrapped key yet and for kinds that cannot tell.
 */
export function otherReadersOf(entry: MasterKeyEntry | MasterKeyRecipient): string | undefined {
  checkObject(entry, "the key entry");
  const enc = (entry as { readonly enc?: unknown }).enc;
  return typeof enc === "string" && enc !== "" ? keyBackend(entry.kind)?.otherReaders?.(entry as MasterKeyEntry) : undefined;
}

/** Every registered backend, in registration order (the order keys are read and listed). */
export function keyBackends(): readonly KeyBackend[] {
  return [...backends.values()];
}

/** Whether hush can open and wrap to keys of `kind` (a registered backend with an implementation). */
export function canUseKind(kind: string): boolean {
  checkString(kind, "the key kind");
  return backends.get(kind)?.load !== undefined;
}

/** Stable identity of a master key, as SOPS prints it for `--rm-*` and updatekeys diffs. */
export function masterKeyIdentity(key: MasterKeyEntry | MasterKeyRecipient): string {
  const backend = backends.get(key.kind);
  if (backend !== undefined) return backend.identity(key);
  return `${key.kind}:${JSON.stringify(key["fields"] ?? {})}`;
}

/** The identity as compared between a file and `.sops.yaml` (fingerprints in one case, say). */
export function comparableIdentity(key: MasterKeyEntry | MasterKeyRecipient): string {
  const backend = backends.get(key.kind);
  return backend?.comparable?.(key) ?? masterKeyIdentity(key);
}

/** A key as one string for sets and maps: its kind and {@link comparableIdentity}. */
export function comparableKeyId(key: MasterKeyEntry | MasterKeyRecipient): string {
  return `${key.kind} ${comparableIdentity(key)}`;
}

/** A key as a reader, for sets of who can open a file: its kind and the backend's `reader` identity (default {@link comparableIdentity}). */
export function readerKeyId(key: MasterKeyEntry | MasterKeyRecipient): string {
  return `${key.kind} ${backends.get(key.kind)?.reader?.(key) ?? comparableIdentity(key)}`;
}

/**
 * The recipient a wrapped key was made for: what a key source needs to wrap a new data key to
 * the same key. Undefined for a kind hush cannot wrap to (gcp_kms, azure_kv, hc_vault, …).
 */
export function recipientOf(entry: MasterKeyEntry): MasterKeyRecipient | undefined {
  const backend = backends.get(entry.kind);
  return backend?.load === undefined ? undefined : backend.recipientOf?.(entry);
}
