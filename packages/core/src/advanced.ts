/**
 * `@hush/core/advanced`: the building blocks under the public API, for hush's own packages and
 * programs that need them: stores (parse, render, emit per format), the metadata codec, crypto
 * primitives (data keys, Shamir, value cipher, envelopes), minimal-diff editing, rules and config
 * helpers. These follow the code, not a stability promise.
 */
export * from "./api.ts";
export { HushError, isHushError, printable, quoted, type ErrorCode, type ErrorLocation } from "./errors.ts";
export { safeJson, shellPath, shellQuote, showInvisible } from "./printable.ts";
export { appendAll } from "./arrays.ts";
export { leadsOutside } from "./path-outside.ts";
export { setForHushOnly, userEnvironment } from "./hush-only-environment.ts";
export { findProgramOnPath, isExecutableFile, KEY_PROGRAM_VARIABLE, keyProgramDirectory, keyProgramEnvironment } from "./program-path.ts";
export { readFileBounded, MAX_DOCUMENT_BYTES, tooLargeMessage, type BoundedReadOptions } from "./read-bounded.ts";
export { MAX_TIMER_DELAY_MS } from "./timer-delay.ts";
export { deferSignalCleanups, endWithHush, isCleanupListener, onSignalCleanup } from "./signal-cleanup.ts";
export { firstInvalidUtf8Line, utf8Text } from "./utf8-text.ts";
export type { KeySource, MasterKeyEntry, MasterKeyRecipient, OpaqueKeyEntry } from "./key-source.ts";
export { masterKeyIdentity, comparableIdentity, comparableKeyId, readerKeyId, recipientOf, canUseKind, keyBackend, keyBackends, otherReadersOf, unregisterKeyBackend } from "./keys/registry.ts";
export { unimplementedKeyBackend, type UnimplementedKindSpec } from "./keys/unimplemented-backend.ts";
export type { EntryFields } from "./metadata/entry-fields.ts";
export { armorBody } from "./keys/armor-body.ts";
export { ageRecipientSpelling } from "./keys/age-recipient-case.ts";
export { encryptText, reencryptText, type EncryptOptions } from "./secret-file.ts";
export { decryptText, openText, readPlaintext, verifyText, readMetadata, type DecryptOptions, type OpenedFile, type ReadFile, type ValuePlace } from "./open-text.ts";
export { effectiveRule, ruleLeaf } from "./leaf-rules.ts";
export { remakeUnderRuleAdvice } from "./document/remake-under-rule.ts";
export { hiddenReaders, unvouchedReaders, valuesLeftInClear, valuesOutsideMac, writePolicyOf, ruleText, type PlainText, type PlainVersions, type DifferingRules, type FileRuleAndMac } from "./document/write-policy.ts";
export { weakerQuorum } from "./document/weaker-quorum.ts";
export { IvStash } from "./crypto/iv-stash.ts";
export { generateDataKey, wrapDataKey, unwrapDataKey, type KeySourceResolver, type KeyGroupRecipients } from "./crypto/data-key.ts";
export { splitSecret, combineShares } from "./crypto/shamir.ts";
export { encryptValue, decryptValue, IV_SIZE, type IvSource } from "./crypto/value-cipher.ts";
export { envelopeFields, parseEnvelope, looksEncrypted } from "./crypto/envelope.ts";
export { goFormatFloatF, goFormatFloatG } from "./crypto/go-format.ts";
export {
  DEFAULT_RULE,
  ENCRYPTION_RULE_KINDS,
  SOPS_FORMAT_VERSION,
  type EncryptionRule,
  type EncryptionRuleKind,
  type FileMetadata,
  type LookalikeField,
  type UnreadMetadata,
} from "./metadata/file-metadata.ts";
export { decodeMetadata, encodeMetadata, flattenMetadata, unflattenMetadata } from "./metadata/metadata-codec.ts";
export { MAX_KEY_GROUPS, MAX_KEYS_PER_GROUP, MAX_KEYS_PER_FILE, MAX_FLAT_METADATA_DEPTH, shamirThresholdProblem } from "./metadata/limits.ts";
export {
  storeFor,
  parseFormat,
  formatFromPath,
  registration,
  sniffFormats,
  isWholeFileFormat,
  formatHasComments,
  plaintextEncoding,
  encryptedTextFormat,
  exampleDocument,
  FORMATS,
  WHOLE_FILE_FORMAT,
  type FileFormat,
  type StoreRegistration,
} from "./stores/registry.ts";
export { scanYaml } from "./stores/yaml-scan.ts";
export { yamlBooleanWordValues, type BooleanWordValue } from "./stores/yaml-boolean-words.ts";
export { scanJson } from "./stores/json-scan.ts";
export { readForDecrypt, readTree, readWhole, streamForDecrypt, treeScanner, type DecryptReader } from "./stores/decrypt-reader.ts";
export { applyTextEdits, type TextEdit } from "./stores/text-edits.ts";
export { lineIndex } from "./stores/lines.ts";
export type { Store, Leaf, ParsedDocument, EmitOptions, DocumentLayout, TextEditRequest } from "./stores/store.ts";
export {
  formatKeyPath,
  aadPath,
  type ValueType,
  type ScalarValue,
  type PathSegment,
  type KeyPath,
  type TreeNode,
  type TreeMap,
  type TreeMapEntry,
  type TreeList,
  type TreeScalar,
  type TreeNull,
  type TreeComment,
} from "./tree/values.ts";
export { MAX_INDENT } from "./config/config-readings.ts";
export { parseSopsConfig, findCreationRule, type SopsConfig, type CreationRule, type DestinationRules, type DestinationRule } from "./config/sops-config.ts";
export { EncryptionDecider, compileRe2, type Matcher } from "./rules/encryption-rules.ts";
export { globAsRegex } from "./rules/glob-as-regex.ts";
export { goParseFloat, goParseBool, goAtoi } from "./crypto/go-format.ts";
export { parseTreePath, getAtPath, samePath, pathStartsWith } from "./tree/tree-path.ts";
export { closestName, editDistance } from "./suggest.ts";
export { SecretDocument, newerVersion, type OpenDocumentOptions, type WriteOptions } from "./document/secret-document.ts";
export { convertPlaintext } from "./document/convert.ts";
export { editPlaintext, type PlainEdit, type PlainEditResult } from "./document/plain-edit.ts";
export { parseSetValue, setInTree, unsetInTree, sameTree, landingPath, nodeAt, buildPath, pathText } from "./document/tree-edit.ts";
export { firstVerified } from "./document/candidates.ts";
export { resolveCreation, checkRuleGroups, type GroupsSource, configIndent, type CreationOverrides, type CreationSettings } from "./config/creation.ts";
export { renderExtracted } from "./document/extract.ts";
export { recipientName, RECIPIENT_NAMES_KEY, type RecipientNames } from "./config/recipient-names.ts";
export { loadSopsConfig, configRelativePath, type LoadedConfig } from "./config/config-file.ts";
export { decryptFile, verifyFile, openFile, encryptForPath, type FileOptions, type EncryptForPathOptions } from "./api/files.ts";
