/**
 * \@hush/git: the logic behind hush's git integration, with no I/O: the diff view (textconv),
 * three-way merges of encrypted files by key path, `.gitattributes`/config entries for setup,
 * and the keyless `check`.
 */
export { renderDiffView, renderTooLargeView, tooLargeSummary, TOO_LARGE_SUMMARY_MAX_BYTES, encryptedMarker, DEFAULT_TEXTCONV_MAX_BYTES, TEXTCONV_MAX_BYTES_ENV, type DiffView, type DiffViewOptions, type DiffViewStatus } from "./diff-view.ts";
export { detectFormat, type DetectedFormat, type DetectOptions } from "./detect-format.ts";
export { BatchReader, type BatchObject } from "./cat-file-batch.ts";
export {
  mergeTrees,
  treesEqual,
  canonicalKey,
  describeConflict,
  type ConflictKind,
  type MergeConflict,
  type TreeMergeResult,
  type TreeMergeOptions,
} from "./tree-merge.ts";
export {
  diffHunks,
  mergeRegions,
  mergeLines,
  splitLines,
  conflictBlock,
  hasConflictMarkers,
  type Hunk,
  type MergeRegion,
  type LineMergeOptions,
  type LineMergeResult,
} from "./sequence-merge.ts";
export { mergePlaintexts, renderConflicts, type PlaintextMergeInput, type PlaintextMergeResult, type ConflictRenderInput } from "./text-merge.ts";
export {
  openSides,
  planMerge,
  mergeEncryptedTexts,
  sealMerge,
  metadataEmitOptions,
  conflictLines,
  MERGE_NOTE_MAX_CHARS,
  type OpenedSides,
  type OpenSidesInput,
  type MergePlan,
  type MergePlanOptions,
  type EncryptedMergeInput,
  type EncryptedMergeOutcome,
} from "./secret-merge.ts";
export {
  ATTRIBUTES_BEGIN,
  ATTRIBUTES_END,
  HOOK_MARKER,
  DRIVER,
  driverConfig,
  attributeLine,
  managedPatterns,
  removeManagedBlock,
  withManagedBlock,
  preCommitHook,
  exactPattern,
  globPattern,
  hasControlCharacter,
  quoteAttributePattern,
  globsForRegex,
  attributePatternMatches,
  rootRelativePattern,
  type ConfigEntry,
} from "./setup.ts";
export { programWords, readDriverCommand, textconvCommand, mergeDriverCommand, type DriverCommand } from "./driver-command.ts";
export { checkFile, checkPassed, type CheckCode, type CheckProblem, type FileCheckInput, type FileCheckResult } from "./check.ts";
export { retypedValues } from "./retyped-values.ts";
export { isRecipientFindingCode, recipientFindings, recipientFindingSeverity, type BaseRule, type RecipientFinding } from "./recipient-check.ts";
export { findLikelySecrets, isScannable, ALLOW_MARKER, type LikelySecret } from "./leak-scan.ts";
export { DRIVER_ATTRIBUTES, hasManagedBlock, parseCheckAttr, driverOverrideProblem, routedToHush, routedPlaintextProblem } from "./attribute-check.ts";
export { rewritePatch, unquotePath, type PatchSide, type RewriteOptions } from "./review/patch-rewrite.ts";
export { unifiedHunks, type UnifiedOptions } from "./review/unified.ts";
