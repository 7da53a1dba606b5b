import {
  formatHasComments,
  HushError,
  isHushError,
  formatKeyPath,
  MAX_KEYS_PER_FILE,
  openText,
  storeFor,
  readMetadata,
  reencryptText,
  type FileFormat,
  type FileMetadata,
  type KeySourceResolver,
  type OpenedFile,
} from "@hush/core";
import { mergeKeys, sameKey } from "./key-merge.ts";
import { describeKey } from "./recipient-merge.ts";
import { placedEnvelopes, retypedBetween } from "./retyped-values.ts";
import { conflictBlock, mergeLines, splitLines } from "./sequence-merge.ts";
import { mergePlaintexts, renderConflicts } from "./text-merge.ts";
import { describeConflict, type MergeConflict } from "./tree-merge.ts";

/**
 * The merge of three versions of an encrypted file: decrypt, merge by key path, re-encrypt,
 * write a fresh MAC. The data key and key entries come from `mergeKeys` (neither side's are
 * trusted); when they are kept, every unchanged ciphertext is reused.
 */

/**
 * The longest a merge's note can be, for whoever prints it: a note may name every key of a file
 * (at most MAX_KEYS_PER_FILE, each shown in about 200 characters at most). Print notes whole:
 * cut shorter, a recipient a branch added could hide behind others it added first.
 */
export const MERGE_NOTE_MAX_CHARS = MAX_KEYS_PER_FILE * 256 + 1024;

/** The three versions, decrypted. */
export interface OpenedSides {
  readonly format: FileFormat;
  readonly ours: OpenedFile;
  readonly theirs: OpenedFile;
  /** The base, when it exists and could be decrypted (or was plaintext). */
  readonly base: OpenedFile | undefined;
  /** The base's plaintext: decrypted, or the file itself when the base was not encrypted. */
  readonly basePlaintext: string | undefined;
  /** The base's metadata, readable without keys; for merging recipient lists. */
  readonly baseMetadata: FileMetadata | undefined;
  /** An encrypted base exists but could not be decrypted: `base` and `basePlaintext` are undefined. */
  readonly baseUnread: boolean;
  /** What the reader should know (base not decryptable, …). */
  readonly notes: readonly string[];
}

export interface OpenSidesInput {
  readonly format: FileFormat;
  /** The base text; undefined or empty when both sides added the file. */
  readonly base: string | undefined;
  readonly ours: string;
  readonly theirs: string;
  readonly keySources: KeySourceResolver;
}

/**
 * Opens a version, trying data keys already recovered first: a branch usually shares the data
 * key, and this saves a KMS round trip or a passphrase prompt per version.
 */
async function openWithKnownKeys(text: string, format: FileFormat, known: readonly Uint8Array[], keySources: KeySourceResolver): Promise<OpenedFile> {
  for (const dataKey of known) {
    try {
      return await openText(text, { format, keySources, dataKey });
    } catch {
      // not this key (or damaged: the key-source attempt below reports that properly)
    }
  }
  return openText(text, { format, keySources });
}

/**
 * Why the sides cannot be merged because one holds a ciphertext of the base, or of the other side,
 * under another type label or at another depth of lists (no MAC covers either: merging would
 * re-encrypt the value and hide the edit), or undefined. Read without keys. The other side counts
 * too: a branch can copy main's newer file, whose MAC holds, and relabel a value main added.
 */
async function retypedSide(input: OpenSidesInput): Promise<string | undefined> {
  const paths = (problems: ReturnType<typeof retypedBetween>): string => problems.map((p) => p.keyPath).join(", ");
  // Each version is read once for the three comparisons: a file of 60,000 values takes a second.
  const theirs = await placedEnvelopes(input.format, input.theirs);
  const ours = await placedEnvelopes(input.format, input.ours);
  const base = input.base === undefined ? undefined : await placedEnvelopes(input.format, input.base);
  if (base !== undefined) {
    for (const [side, read] of [["their", theirs], ["our", ours]] as const) {
      const retyped = read === undefined ? [] : retypedBetween(read, base, "the merge base");
      if (retyped.length > 0) return `${side} version changed the type label (or the lists around) ${paths(retyped)} without re-encrypting it`;
    }
  }
  const across = theirs === undefined || ours === undefined ? [] : retypedBetween(theirs, ours, "our version");
  if (across.length > 0) return `the two versions hold one ciphertext at ${paths(across)} under another type label (or lists around) each, which no tool writes: one was edited without the key`;
  return undefined;
}

/**
 * Decrypts ours, theirs and the base. Throws VALUE_TAMPERED, before any key is asked, when a side
 * relabels a value of the base (see retypedSide), whoever merges (the driver, `hush git resolve`
 * with or without a favoured side); NO_MATCHING_KEY, MAC_MISMATCH, … when ours or theirs cannot be
 * opened.
 */
export async function openSides(input: OpenSidesInput): Promise<OpenedSides> {
  const { format, keySources } = input;
  const retyped = await retypedSide(input);
  if (retyped !== undefined) {
    throw new HushError("VALUE_TAMPERED", retyped, {
      hint: "take the side that did not relabel it (`git checkout --ours FILE` or `--theirs FILE`), make the other side's changes again with `hush edit FILE`, then `git add FILE`; a value's type changes with hush set",
    });
  }
  const notes: string[] = [];
  const ours = await openSide("our", () => openText(input.ours, { format, keySources }));
  const theirs = await openSide("their", () => openWithKnownKeys(input.theirs, format, [ours.dataKey], keySources));
  let base: OpenedFile | undefined;
  let basePlaintext: string | undefined;
  let baseMetadata: FileMetadata | undefined;
  let baseUnread = false;
  if (input.base !== undefined && input.base.trim() !== "") {
    try {
      baseMetadata = await readMetadata(input.base, format);
    } catch {
      baseMetadata = undefined;
    }
    if (baseMetadata === undefined) {
      // The common ancestor was not encrypted yet (or unreadable): use it as plaintext if it parses.
      basePlaintext = input.base;
    } else {
      try {
        base = await openWithKnownKeys(input.base, format, [ours.dataKey, theirs.dataKey], keySources);
        basePlaintext = base.plaintext;
      } catch (err) {
        baseUnread = true;
        notes.push(`the common ancestor could not be decrypted (${reason(err)}); ${BASE_UNREAD_EFFECT}`);
      }
    }
  }
  return { format, ours, theirs, base, basePlaintext, baseMetadata, baseUnread, notes };
}

/** What a merge without its common ancestor does, for the note that says why it has none. */
const BASE_UNREAD_EFFECT = "every key whose value differs between the sides, or that one side lacks, conflicts (whether a side added, changed or deleted it cannot be told)";

/**
 * Opens one side, naming it when it is not encrypted at all (a branch decrypted the file in
 * place): "sops metadata not found" said neither which version nor what to do.
 */
async function openSide(side: "our" | "their", open: () => Promise<OpenedFile>): Promise<OpenedFile> {
  try {
    return await open();
  } catch (err) {
    if (!isHushError(err, "METADATA_MISSING")) throw err;
    const other = side === "our" ? "theirs" : "ours";
    throw new HushError("METADATA_MISSING", `${side} version is not encrypted (it holds no sops metadata): a merge by key path needs both versions encrypted`, {
      hint: `take the encrypted version as it is (\`git checkout --${other} FILE\`), make the other version's changes again with \`hush edit FILE\`, then \`git add FILE\``,
    });
  }
}

function reason(err: unknown): string {
  if (isHushError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The result of merging opened sides: the plaintext and what to encrypt it with. */
export interface MergePlan {
  readonly plaintext: string;
  /**
   * The common ancestor's plaintext the merge was made from, for showing it between markers:
   * undefined when there was none or it could not be read (`OpenedSides.basePlaintext` may then
   * hold text that is no document of the format, such as a base of conflict markers).
   */
  readonly basePlaintext: string | undefined;
  readonly conflicts: readonly MergeConflict[];
  /** Data key, metadata and IV stash for `sealMerge`. */
  readonly target: OpenedFile;
  readonly notes: readonly string[];
}

export interface MergePlanOptions {
  readonly favour?: "ours" | "theirs";
  /** Used to check key entries and to wrap a fresh data key to the merged recipients. */
  readonly keySources: KeySourceResolver;
}

/** Merges opened sides: plaintext by key path, data key and recipients by `mergeKeys`. */
export async function planMerge(sides: OpenedSides, options: MergePlanOptions): Promise<MergePlan> {
  const notes = [...sides.notes];
  let basePlaintext = sides.basePlaintext;
  let baseUnread = sides.baseUnread;
  if (basePlaintext !== undefined && sides.base === undefined) {
    // A plaintext base (from before the file was encrypted) must parse in the format. One that
    // does not is no base to merge from: git makes one of the merge bases of a criss-cross merge
    // when they conflict, conflict markers and all.
    try {
      (await storeFor(sides.format)).toTree(basePlaintext);
    } catch {
      basePlaintext = undefined;
      baseUnread = true;
      notes.push(`the common ancestor is neither encrypted nor a ${sides.format} document (git makes one with conflict markers for a merge with several merge bases); ${BASE_UNREAD_EFFECT}`);
    }
  }
  const merged = await mergePlaintexts({
    format: sides.format,
    base: basePlaintext,
    ours: sides.ours.plaintext,
    theirs: sides.theirs.plaintext,
    favour: options.favour ?? "ours",
    baseUnread,
  });
  if (merged.overlappingLines > 0 && merged.conflicts.length === 0) {
    notes.push(`comments or layout changed in the same place on both sides; ${options.favour === "theirs" ? "theirs" : "ours"} were kept there`);
  }
  if (merged.method === "emitted" && formatHasComments(sides.format)) {
    notes.push("the merged document was written afresh from its values: comments and layout may differ from ours");
  }
  const target = await mergeKeys({ ...sides, baseUnread }, options.keySources, notes);
  return { plaintext: merged.text, basePlaintext, conflicts: merged.conflicts, target, notes };
}

/**
 * Encrypts the merged plaintext for the plan's target and checks the result the way its next
 * reader will open it: through its own key entries, with the keys at hand, to the target's data
 * key, every value and the MAC verifying. A merged file its merger could not open (a side removed
 * every key they hold, or an entry is not what it claims) is refused: nothing is returned.
 */
export async function sealMerge(target: OpenedFile, plaintext: string, options: { keySources: KeySourceResolver; emit?: { indent?: number }; now?: Date }): Promise<string> {
  const out = await reencryptText(target, plaintext, options);
  let reopened: OpenedFile;
  try {
    reopened = await openText(out, { format: target.format, keySources: options.keySources });
  } catch (err) {
    const detail = isHushError(err, "NO_MATCHING_KEY") ? "" : `: ${reason(err)}`;
    throw new HushError("NO_MATCHING_KEY", `the merged file would not open with your keys (its recipients: ${target.metadata.keyGroups.flat().map(describeKey).join(", ")})${detail}`, {
      hint: "a side removed every key you hold, or its key entries are not what they claim; nothing was written",
    });
  }
  if (!sameKey(reopened.dataKey, target.dataKey)) throw new HushError("NO_MATCHING_KEY", "the merged file's key entries do not hold the data key it is encrypted with; nothing was written");
  return out;
}

/** Outcome of the merge driver. */
export type EncryptedMergeOutcome =
  | { readonly status: "merged"; readonly text: string; readonly notes: readonly string[] }
  | { readonly status: "conflict"; readonly text: string; readonly conflicts: readonly MergeConflict[]; readonly notes: readonly string[] }
  /** Could not merge by key path (no key, damaged file): a line merge of the stored texts with markers. */
  | {
      readonly status: "fallback";
      readonly text: string;
      readonly reason: string;
      /** What to do about the reason, when the error that stopped the merge says (take a side, …). */
      readonly hint?: string;
      readonly conflicted: boolean;
      readonly notes: readonly string[];
    };

export interface EncryptedMergeInput extends OpenSidesInput {
  readonly markerSize?: number;
  readonly labels?: { readonly ours?: string; readonly base?: string; readonly theirs?: string };
  /** Tests: fixed lastmodified. */
  readonly now?: Date;
}

/** Both sides (and the base, diff3 style) as one conflict block: nothing of either is adopted. */
function wholeFileConflict(input: EncryptedMergeInput, base: string | undefined): string {
  const eol = /\r\n/.test(input.ours) ? "\r\n" : "\n";
  return conflictBlock(splitLines(input.ours), base === undefined ? undefined : splitLines(base), splitLines(input.theirs), input.markerSize ?? 7, input.labels ?? {}, eol).join("");
}

/**
 * The base as the working file may show it between conflict markers: only an encrypted one. A
 * base from before the file was encrypted holds its values in clear, and the conflicted file of
 * an encrypted merge must hold ciphertext only (it is often staged as it is).
 */
async function baseToShow(base: string | undefined, format: FileFormat): Promise<string | undefined> {
  if (base === undefined || base.trim() === "") return undefined;
  try {
    return (await readMetadata(base, format)) === undefined ? undefined : base;
  } catch {
    return undefined;
  }
}

/** The indentation of ours' metadata block, so re-encryption does not re-indent it. */
export async function metadataEmitOptions(format: FileFormat, text: string): Promise<{ indent?: number }> {
  const { metadataIndent } = (await storeFor(format)).layout(text);
  return metadataIndent === undefined ? {} : { indent: metadataIndent };
}

/** The merge driver's whole job, on file texts (no I/O). */
export async function mergeEncryptedTexts(input: EncryptedMergeInput): Promise<EncryptedMergeOutcome> {
  const { format } = input;
  const shownBase = await baseToShow(input.base, format);
  const fallback = (why: string, hint?: string): EncryptedMergeOutcome => {
    const lines = mergeLines(shownBase ?? "", input.ours, input.theirs, { onConflict: "markers", ...(input.markerSize === undefined ? {} : { markerSize: input.markerSize }), ...(input.labels === undefined ? {} : { labels: input.labels }) });
    // A line merge of ciphertext that comes out clean still mixes one side's metadata (key
    // entries, MAC) with the other's values, and whether it comes out clean depends on where a
    // diff happens to align random base64 lines. Nothing merged here is adoptable, so the file
    // must always show a conflict: the whole of both sides when the lines did not collide.
    const text = lines.conflicts > 0 ? lines.text : wholeFileConflict(input, shownBase);
    return { status: "fallback", text, reason: why, ...(hint === undefined ? {} : { hint }), conflicted: true, notes: [] };
  };
  let oursMeta: FileMetadata | undefined;
  let theirsMeta: FileMetadata | undefined;
  try {
    oursMeta = await readMetadata(input.ours, format);
    theirsMeta = await readMetadata(input.theirs, format);
  } catch (err) {
    return fallback(`a version cannot be read as ${format} (${reason(err)})`);
  }
  if (oursMeta === undefined && theirsMeta === undefined) {
    // Not encrypted on either side: an ordinary line merge is all there is to do.
    const lines = mergeLines(input.base ?? "", input.ours, input.theirs, { onConflict: "markers", ...(input.markerSize === undefined ? {} : { markerSize: input.markerSize }), ...(input.labels === undefined ? {} : { labels: input.labels }) });
    return { status: "fallback", text: lines.text, reason: "the file is not encrypted", conflicted: lines.conflicts > 0, notes: [] };
  }
  if (oursMeta === undefined || theirsMeta === undefined) return fallback(`the file is encrypted on ${oursMeta === undefined ? "their" : "our"} side only`);
  // A side that relabelled a value of the base is refused by openSides, before any key is asked.
  let sides: OpenedSides;
  try {
    sides = await openSides(input);
  } catch (err) {
    return isHushError(err, "NO_MATCHING_KEY") ? fallback(`no key to decrypt it (${reason(err)})`) : fallback(reason(err), isHushError(err) ? err.hint : undefined);
  }
  let plan: MergePlan;
  let merged: string;
  try {
    plan = await planMerge(sides, { keySources: input.keySources });
    const emit = await metadataEmitOptions(format, input.ours);
    // The result must open through its own key entries and pass its MAC before git sees it.
    merged = await sealMerge(plan.target, plan.plaintext, { keySources: input.keySources, emit, ...(input.now === undefined ? {} : { now: input.now }) });
  } catch (err) {
    // Never leave git without a result: a failure becomes an ordinary conflict on the ciphertext.
    return isHushError(err) ? fallback(reason(err), err.hint) : fallback(`the key-path merge failed (${reason(err)})`);
  }
  if (plan.conflicts.length === 0) return { status: "merged", text: merged, notes: plan.notes };
  let text: string;
  try {
    text = await renderConflicts({
      format,
      merged,
      theirs: input.theirs,
      base: shownBase,
      conflicts: plan.conflicts,
      ...(input.markerSize === undefined ? {} : { markerSize: input.markerSize }),
      ...(input.labels === undefined ? {} : { labels: input.labels }),
    });
  } catch (err) {
    return fallback(`the conflict markers could not be placed (${reason(err)})`);
  }
  return { status: "conflict", text, conflicts: plan.conflicts, notes: plan.notes };
}

/** One line per conflict: key path and why, never a value. */
export function conflictLines(conflicts: readonly MergeConflict[]): string[] {
  return conflicts.map((c) => `${formatKeyPath(c.path)}: ${describeConflict(c.kind)}`);
}
