import { createHash } from "node:crypto";
import { isWholeFileFormat, masterKeyIdentity, printable, shamirThresholdProblem, type FileFormat, type FileMetadata, type MasterKeyEntry } from "@hush/core";
import { escapeMixedScripts } from "./mixed-scripts.ts";
import { otherReaders } from "./recipient-check.ts";

/**
 * The metadata summary at the top of the review view (`hush git textconv`): who can read the file
 * and under which rules, one fact per line so that a diff shows exactly what changed. Every line
 * is a comment starting with `# hush: `; recipients and rule values come from the file and are
 * escaped. The format is documented in docs/git.md ("What a review shows") and kept stable.
 */

/** Prefix of every summary line. */
export const SUMMARY_PREFIX = "# hush: ";

/** Identities and rule values are kept whole up to this length (post-quantum age recipients are ~2000 characters). */
const MAX_IDENTITY = 4096;

/** Hex digits kept of each hash: 64 bits, too many to grind a colliding wrapped key. */
const HASH_HEX = 16;

/** A short domain-separated hash of `data`, as the summary lines show them. */
export function shortHash(domain: string, data: string | Uint8Array): string {
  return createHash("sha256").update(domain).update("\0").update(data).digest("hex").slice(0, HASH_HEX);
}

/**
 * A short hash of a recipient's wrapped data key (its `enc`, or all fields of a key kind hush
 * does not implement), so re-wrapping the key for a recipient changes its summary line.
 */
export function wrappedKeyHash(entry: MasterKeyEntry): string {
  const enc = entry["enc"];
  return shortHash("hush wrapped key v1", typeof enc === "string" ? enc : (JSON.stringify(entry["fields"]) ?? ""));
}

/**
 * `text` (from the file) escaped, whole up to `max` characters; past that, cut, with its length
 * and a hash of the whole. A line is what a diff compares: cut alone, two texts alike up to the
 * cut showed the same line, so a branch could change the end of a long encrypted_regex (the names
 * it leaves in plaintext at the next edit) or of a long identity without a changed line.
 */
function shownWhole(text: string, max: number): string {
  // A lookalike letter (a Cyrillic о in a Vault address's host) is escaped too, as in the document.
  const shown = (cut: number): string => escapeMixedScripts(printable(text, cut)).text;
  const escaped = shown(Number.POSITIVE_INFINITY);
  if (escaped.length <= max) return escaped;
  return `${shown(max)} (${text.length} characters, hash ${shortHash("hush long summary text v1", text)})`;
}

/** A fingerprint of a data key: a domain-separated hash that reveals nothing about the key. */
export function dataKeyFingerprint(dataKey: Uint8Array): string {
  return shortHash("hush data key fingerprint v1", dataKey);
}

function thresholdLine(metadata: FileMetadata): string {
  const groups = metadata.keyGroups.length;
  if (groups <= 1) return "shamir threshold: not used (1 key group)";
  const needed = metadata.shamirThreshold === 0 ? groups : metadata.shamirThreshold;
  const unmeetable = shamirThresholdProblem(groups, metadata.shamirThreshold);
  return `shamir threshold: ${needed} of ${groups} key groups${unmeetable === undefined ? "" : ` (no one can open the file: ${unmeetable})`}`;
}

function ruleLine(metadata: FileMetadata, format: FileFormat): string {
  if (metadata.rule !== undefined) return `encryption rule: ${metadata.rule.kind} ${shownWhole(JSON.stringify(metadata.rule.value), MAX_IDENTITY)}`;
  return isWholeFileFormat(format) ? "encryption rule: none (the whole file is one value)" : 'encryption rule: unencrypted_suffix "_unencrypted" (default)';
}

/** One line per recipient: key group, kind, escaped identity and the hash of its wrapped key. */
export function recipientLines(metadata: FileMetadata): string[] {
  const lines: string[] = [];
  metadata.keyGroups.forEach((group, gi) => {
    if (group.length === 0) lines.push(`key group ${gi}: no recipients`);
    for (const entry of group) {
      const identity = shownWhole(masterKeyIdentity(entry), MAX_IDENTITY);
      lines.push(`key group ${gi}: ${entry.kind} ${identity} wrapped key ${wrappedKeyHash(entry)}`);
      const others = otherReaders(entry);
      if (others !== undefined) lines.push(`WARNING: key group ${gi}: the wrapped key of ${entry.kind} ${identity} opens for a key the entry does not name: ${printable(others, 400)}`);
    }
  });
  if (metadata.keyGroups.length === 0) lines.push("no key groups");
  return lines;
}

/** Maximum length of an unknown field's name as shown (the hash covers its value; a longer name gets one of its own). */
const MAX_FIELD_NAME = 200;

/**
 * Lines for what the file holds that no tool reads: SOPS ignores `key_groups` when the flat lists
 * are not empty and ignores unknown fields, so neither shows anywhere else, yet an edit there is
 * an edit a reviewer must see (a rewrite by another tool could pick it up).
 */
export function unreadLines(metadata: FileMetadata): string[] {
  const unread = metadata.unread;
  if (unread === undefined) return [];
  const lines: string[] = [];
  if (unread.ignoredKeyGroups > 0) {
    lines.push(`ignored: key_groups with ${unread.ignoredKeyGroups} group(s) next to the flat recipient lists (SOPS and hush read only the flat lists)`);
  }
  for (const field of unread.lookalikeFields) {
    lines.push(`sops field ${shownWhole(field.where, MAX_FIELD_NAME)} that SOPS reads as ${field.reads} (hush does not: \`hush check\` refuses it)`);
  }
  for (const field of unread.unknownFields) {
    lines.push(`unknown sops field ${shownWhole(field.name, MAX_FIELD_NAME)}, value hash ${shortHash("hush unknown metadata field v1", field.value)}`);
  }
  return lines;
}

/**
 * The summary block, ending with a newline. `dataKey` (when the reader holds a key) adds the data
 * key's fingerprint, so a changed data key is a visible line even when every value is unchanged.
 * `hidden`: lines for text in the metadata blocks that no tool reads (metadata-text.ts).
 */
export function metadataSummary(metadata: FileMetadata, format: FileFormat, dataKey?: Uint8Array, hidden: readonly string[] = []): string {
  const facts = [
    ...recipientLines(metadata),
    thresholdLine(metadata),
    ruleLine(metadata, format),
    `mac_only_encrypted: ${metadata.macOnlyEncrypted}`,
    ...unreadLines(metadata),
    ...hidden,
    ...(dataKey === undefined ? [] : [`data key fingerprint: ${dataKeyFingerprint(dataKey)}`]),
    "end of metadata summary",
  ];
  return facts.map((f) => `${SUMMARY_PREFIX}${f}\n`).join("");
}
