/**
 * The public API of `@hush/core` for a Node program: open, decrypt, encrypt, verify and change
 * encrypted files and texts, resolve `.sops.yaml` creation rules, and the types they use. Every
 * function throws HushError (see its `@throws`); messages name files, key paths and lines, never
 * values. Key sources come from the caller (`defaultKeySources()` of `@hush/cli` finds keys as the
 * `hush` command does, and registers hush's key backends; a program with its own key sources
 * registers the backends of the kinds it reads with `registerKeyBackends`). Stores, metadata codec
 * and crypto primitives are in `@hush/core/advanced`.
 */
export { HushError, isHushError, printable, type ErrorCode, type ErrorLocation } from "./errors.ts";
export { encryptText, type EncryptOptions } from "./secret-file.ts";
export { decryptText, openText, verifyText, readMetadata, type DecryptOptions, type OpenedFile, type ValuePlace } from "./open-text.ts";
export { SecretDocument, type OpenDocumentOptions, type WriteOptions } from "./document/secret-document.ts";
export type { PlainEditResult } from "./document/plain-edit.ts";
export { decryptFile, verifyFile, openFile, encryptForPath, type FileOptions, type OpenFileOptions, type EncryptForPathOptions } from "./api/files.ts";
export type { WritePolicy } from "./document/write-policy.ts";
export { loadSopsConfig, type LoadedConfig } from "./config/config-file.ts";
export { resolveCreation, type CreationOverrides, type CreationSettings } from "./config/creation.ts";
export { parseSopsConfig, type SopsConfig, type CreationRule } from "./config/sops-config.ts";
export { parseTreePath, getAtPath } from "./tree/tree-path.ts";
export { parseSetValue } from "./document/tree-edit.ts";
export { formatFromPath, parseFormat, type FileFormat } from "./stores/registry.ts";
export type { KeySourceResolver, KeyGroupRecipients } from "./crypto/data-key.ts";
export type { KeySource, MasterKeyRecipient, MasterKeyEntry } from "./key-source.ts";
export { registerKeyBackends } from "./keys/registry.ts";
export type { KeyBackend, KeyBackendConfig, KeyBackendFlags, KeyFlagOption, KeySourceContext, ConfigContext } from "./keys/key-backend.ts";
export type { EntryFields } from "./metadata/entry-fields.ts";
export type { EncryptionRule, EncryptionRuleKind, FileMetadata } from "./metadata/file-metadata.ts";
export type { KeyPath, PathSegment, TreeNode, TreeMap, ScalarValue } from "./tree/values.ts";
