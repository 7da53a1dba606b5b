import { checkObject } from "./arguments.ts";
import { HushError, isHushError } from "./errors.ts";
import { DEFAULT_RULE, type EncryptionRule } from "./metadata/file-metadata.ts";
import { EncryptionDecider } from "./rules/encryption-rules.ts";
import type { Leaf } from "./stores/store.ts";
import { isWholeFileFormat, type FileFormat } from "./stores/registry.ts";
import { aadPath, formatKeyPath } from "./tree/values.ts";

/**
 * What encrypting and decrypting a file both ask of a leaf: the selection rule it is under, its
 * SOPS AAD, and errors that name where it is.
 */

/** The selection rule a file of `format` is encrypted with: none for binary files, else `rule` or the default. */
export function effectiveRule(format: FileFormat, rule: EncryptionRule | undefined): EncryptionRule | undefined {
  return isWholeFileFormat(format) ? undefined : rule ?? DEFAULT_RULE;
}

export async function deciderFor(format: FileFormat, rule: EncryptionRule | undefined): Promise<EncryptionDecider | undefined> {
  const r = effectiveRule(format, rule);
  return r === undefined ? undefined : EncryptionDecider.create(r);
}

/** The SOPS AAD: map keys joined by ":" plus a trailing ":"; a top-level comment gets ":" (spec 2.2). */
export function aadString(leaf: Leaf): string {
  return aadPath(leaf.path).map((k) => `${k}:`).join("") || (leaf.kind === "comment" ? ":" : "");
}

/** What an {@link EncryptionDecider} asks of `leaf`: whether it is a comment, its path, a comment's text. */
export function ruleLeaf(leaf: Leaf): { kind: "scalar" | "comment"; path: Leaf["path"]; comment?: string } {
  checkObject(leaf, "the leaf");
  return leaf.kind === "comment" ? { kind: "comment", path: leaf.path, comment: leaf.value?.text ?? "" } : { kind: "scalar", path: leaf.path };
}

/** An error about one leaf, with its key path and line (unless it names a place already). */
export function withLocation(err: unknown, leaf: Leaf): unknown {
  if (!isHushError(err) || err.location?.keyPath !== undefined) return err;
  return new HushError(err.code, `${err.message} at ${formatKeyPath(leaf.path)} (line ${leaf.line})`, {
    location: { keyPath: formatKeyPath(leaf.path), line: leaf.line },
    cause: err,
  });
}
