import { printable } from "@hush/core";
import type { AtHead, FileAccess, MatrixRow, PublishTarget, RecipientRef } from "./model.ts";

/**
 * Wording shared by the terminal and HTML renderers. Every string from a file, a commit or
 * `.sops.yaml` goes through `printable` (no control, bidirectional or invisible characters)
 * before it is laid out; the HTML renderer escapes markup on top.
 */

/** An identity cut to its ends when long (post-quantum age recipients run to 2000 characters). */
export function shortIdentity(identity: string, max = 24): string {
  const safe = printable(identity, 4096);
  return safe.length <= max ? safe : `${safe.slice(0, max - 8)}…${safe.slice(-6)}`;
}

/**
 * The identities of the matrix's rows as shown: shortened, except those whose short form another
 * row shares. An identity's middle can be chosen by whoever names the key (a KMS alias, a Vault
 * address), so `arn:aws:kms:us-e…7890ab` may be two keys of two accounts; those are shown whole.
 */
export function matrixIdentities(rows: readonly MatrixRow[]): string[] {
  const short = rows.map((row) => shortIdentity(row.recipient.identity));
  const count = new Map<string, number>();
  for (const s of short) count.set(s, (count.get(s) ?? 0) + 1);
  return rows.map((row, i) => (count.get(short[i]!)! > 1 ? printable(row.recipient.identity, 4096) : short[i]!));
}

/**
 * `alice (age age1qyq…x8f3)`, or `age age1qyq…x8f3` without a name; `whole` keeps the identity
 * whole (drift lines: a shortened identity can be made to look like another one).
 */
export function describeRecipient(r: RecipientRef, whole = false): string {
  const key = `${printable(r.kind, 20)} ${whole ? printable(r.identity, 4096) : shortIdentity(r.identity)}`;
  return r.name === null ? key : `${printable(r.name, 60)} (${key})`;
}

/**
 * A matrix cell: `x` for a file of one key group, `g0,g2` for the groups of a Shamir file whose
 * shares a recipient holds, `x:g0,g2` when those are as many as the threshold (that recipient
 * opens the file alone, which `2 of 3 key groups` alone would hide), `.` for none.
 */
export function matrixCell(groups: readonly number[], file: FileAccess): string {
  if (groups.length === 0) return ".";
  if (file.groups.length <= 1) return "x";
  const shares = groups.map((g) => `g${g}`).join(",");
  return file.thresholdProblem === null && groups.length >= file.threshold ? `x:${shares}` : shares;
}

/** What the matrix's cells that give access mean (terminal and HTML; each says how it shows "none"). */
export const MATRIX_LEGEND = ["x: holds the data key", "x:g0,g1: opens it alone, with the shares of enough key groups", "gN: holds the share of key group N"] as const;

/** `1 of 1 key group`, `2 of 3 key groups`, or `no one: …` when no set of groups can meet the threshold. */
export function thresholdText(file: FileAccess): string {
  if (file.thresholdProblem !== null) return `no one: ${printable(file.thresholdProblem, 200)}`;
  return `${file.threshold} of ${file.groups.length} key group${file.groups.length === 1 ? "" : "s"}`;
}

/**
 * The drift lines of a file (without its path), and a line for each metadata field SOPS reads
 * differently from hush; empty when the file matches its rule and has none.
 */
export function driftLines(file: FileAccess): string[] {
  return [
    ...file.drift.unexpected.map((r) => `not named by the creation rule: ${describeRecipient(r, true)}`),
    ...file.drift.missing.map((r) => `named by the creation rule but cannot open the file: ${describeRecipient(r, true)}`),
    ...(file.drift.groups === null ? [] : [`key groups differ from the creation rule: ${printable(file.drift.groups, 400)}`]),
    ...file.readDifferently.map((l) => `SOPS reads ${printable(l.where, 200)} as ${l.readsAs} and hush does not: SOPS may use recipients not shown here (\`hush check\` refuses the file)`),
    // An entry there is not read, but its wrapped key is the data key for whoever it names: they
    // open the file by unwrapping it themselves, or by moving the entry into the lists (no MAC covers them).
    ...file.ignored.map((where) => `${printable(where, 200)} is ignored by SOPS and hush, but may hold the data key for recipients not shown here: they may open the file (\`hush check\` refuses it; \`hush rotate -i\` drops it)`),
    ...file.otherReaders.map((o) => `the wrapped key of ${describeRecipient(o.recipient, true)} (key group ${o.group}) opens for a key not shown here: ${printable(o.why, 400)} (\`hush check\` refuses the file; \`hush rotate -i\` wraps a new data key to the recipients listed only)`),
  ];
}

/** The date part of an ISO date. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** A short commit hash. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 10);
}

/** The creation rule column: its `path_regex` quoted, `(every file)` for a rule without one, `(none)`. */
export function ruleText(rule: string | null): string {
  return rule === null ? "(none)" : rule === "" ? "(every file)" : printable(JSON.stringify(rule), 200);
}

const AT_HEAD_NOTES: Record<AtHead, string> = { encrypted: "", absent: " (no longer at HEAD)", unencrypted: " (not encrypted at HEAD)", unreadable: " (unreadable at HEAD)" };

/** After a file's path in a finding: what the file is at HEAD, when it is not encrypted there. */
export function atHeadNote(atHead: AtHead): string {
  return AT_HEAD_NOTES[atHead];
}

/** Who could read a file `sops publish` sent to `target`: identities whole, since `.sops.yaml` is anyone's to write. */
export function publishReaders(target: PublishTarget): string {
  if (target.inClear) return "whoever can read that Vault path: the values in clear";
  if (target.recipients.length === 0) return "the file's own recipients";
  return `${target.recipients.map((r) => describeRecipient(r, true)).join(", ")} (re-encrypted to these)`;
}
