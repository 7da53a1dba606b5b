import { timingSafeEqual } from "node:crypto";
import {
  HushError,
  isHushError,
  IvStash,
  formatKeyPath,
  masterKeyIdentity,
  openText,
  storeFor,
  readMetadata,
  reencryptText,
  type FileFormat,
  type FileMetadata,
  type KeySourceResolver,
  type MasterKeyEntry,
  type MasterKeyRecipient,
  type OpenedFile,
} from "@hush/core";
import { mergeLines } from "./sequence-merge.ts";
import { mergePlaintexts, renderConflicts } from "./text-merge.ts";
import { describeConflict, type MergeConflict } from "./tree-merge.ts";

/**
 * The merge of three versions of an encrypted file: decrypt, merge by key path, re-encrypt
 * reusing every unchanged ciphertext, write a fresh MAC. Metadata differences (recipients, a
 * rotated data key) are merged where that is safe and reported otherwise.
 */

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

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
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

/** Decrypts ours, theirs and the base. Throws (NO_MATCHING_KEY, MAC_MISMATCH, …) when ours or theirs cannot be opened. */
export async function openSides(input: OpenSidesInput): Promise<OpenedSides> {
  const { format, keySources } = input;
  const notes: string[] = [];
  const ours = await openText(input.ours, { format, keySources });
  const theirs = await openWithKnownKeys(input.theirs, format, [ours.dataKey], keySources);
  let base: OpenedFile | undefined;
  let basePlaintext: string | undefined;
  let baseMetadata: FileMetadata | undefined;
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
        notes.push(`the common ancestor could not be decrypted (${reason(err)}); merged as if both sides had added every key`);
      }
    }
  }
  return { format, ours, theirs, base, basePlaintext, baseMetadata, notes };
}

function reason(err: unknown): string {
  if (isHushError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The result of merging opened sides: the plaintext and what to encrypt it with. */
export interface MergePlan {
  readonly plaintext: string;
  readonly conflicts: readonly MergeConflict[];
  /** Data key, metadata and IV stash for `reencryptText`. */
  readonly target: OpenedFile;
  readonly notes: readonly string[];
}

export interface MergePlanOptions {
  readonly favour?: "ours" | "theirs";
  /** Used to wrap the data key for a recipient that only the other side had. */
  readonly keySources: KeySourceResolver;
}

/** Merges opened sides: plaintext by key path, metadata as described in the module comment. */
export async function planMerge(sides: OpenedSides, options: MergePlanOptions): Promise<MergePlan> {
  const notes = [...sides.notes];
  let basePlaintext = sides.basePlaintext;
  if (basePlaintext !== undefined && sides.base === undefined) {
    // A plaintext base must parse in the format; otherwise merge without it.
    try {
      (await storeFor(sides.format)).toTree(basePlaintext);
    } catch {
      basePlaintext = undefined;
    }
  }
  const merged = await mergePlaintexts({
    format: sides.format,
    base: basePlaintext,
    ours: sides.ours.plaintext,
    theirs: sides.theirs.plaintext,
    favour: options.favour ?? "ours",
  });
  if (merged.overlappingLines > 0 && merged.conflicts.length === 0) {
    notes.push(`comments or layout changed in the same place on both sides; ${options.favour === "theirs" ? "theirs" : "ours"} were kept there`);
  }
  if (merged.method === "emitted" && sides.format !== "json" && sides.format !== "binary") {
    notes.push("the merged document was written afresh from its values: comments and layout may differ from ours");
  }
  const target = await mergeMetadata(sides, options.keySources, notes);
  return { plaintext: merged.text, conflicts: merged.conflicts, target, notes };
}

async function mergeMetadata(sides: OpenedSides, keySources: KeySourceResolver, notes: string[]): Promise<OpenedFile> {
  const { ours, theirs } = sides;
  const baseKey = sides.base?.dataKey;
  let chosen: OpenedFile = ours;
  let other: OpenedFile = theirs;
  const shared = sameKey(ours.dataKey, theirs.dataKey);
  if (!shared) {
    const oursRotated = baseKey === undefined || !sameKey(baseKey, ours.dataKey);
    const theirsRotated = baseKey === undefined || !sameKey(baseKey, theirs.dataKey);
    if (theirsRotated && !oursRotated) {
      chosen = theirs;
      other = ours;
      notes.push("their side rotated the data key: the merged file is encrypted with their data key");
    } else {
      const where = oursRotated && theirsRotated && baseKey !== undefined ? "on both sides" : baseKey === undefined ? "between the two sides" : "on our side";
      notes.push(`the data key differs ${where}: the merged file is encrypted with our data key`);
    }
  }
  if (!sameRule(ours.metadata, theirs.metadata)) {
    // Keeping one side's rule could leave a value the other side encrypts in plaintext: refuse.
    throw new HushError(
      "ENCRYPT_FAILED",
      "the two sides use different encryption rules (a value one side encrypts could end up in plaintext); give both branches the same rule first",
    );
  }
  const keyGroups = await mergeKeyGroups(chosen, other, chosen === ours ? "ours" : "theirs", sides.baseMetadata, shared, keySources, notes);
  // Same data key: theirs' (and the base's) ciphertexts are valid here too, so values merged from
  // them keep them. The union never holds one IV twice.
  const sameKeyStashes = shared ? [other.stash, ...(sides.base !== undefined && sameKey(sides.base.dataKey, chosen.dataKey) ? [sides.base.stash] : [])] : [];
  const stash = IvStash.union([chosen.stash, ...sameKeyStashes]);
  return { format: chosen.format, plaintext: chosen.plaintext, metadata: { ...chosen.metadata, keyGroups }, dataKey: chosen.dataKey, stash };
}

function sameRule(a: FileMetadata, b: FileMetadata): boolean {
  return a.rule?.kind === b.rule?.kind && a.rule?.value === b.rule?.value && a.macOnlyEncrypted === b.macOnlyEncrypted;
}

function recipientOf(entry: MasterKeyEntry): MasterKeyRecipient | undefined {
  switch (entry.kind) {
    case "age":
      return { kind: "age", recipient: entry.recipient };
    case "pgp":
      return { kind: "pgp", fp: entry.fp };
    case "kms":
      return { kind: "kms", arn: entry.arn, role: entry.role, context: entry.context, awsProfile: entry.awsProfile };
    default:
      return undefined;
  }
}

/**
 * Recipients, merged three-way by identity: a key stays when both sides kept it, is added when
 * either side added it, and goes when either side removed it. Only for single-group files: with
 * Shamir groups each entry wraps a share, and shares of two splits must not be mixed.
 */
async function mergeKeyGroups(
  chosen: OpenedFile,
  other: OpenedFile,
  chosenName: "ours" | "theirs",
  baseMetadata: FileMetadata | undefined,
  shared: boolean,
  keySources: KeySourceResolver,
  notes: string[],
): Promise<ReadonlyArray<readonly MasterKeyEntry[]>> {
  const chosenGroups = chosen.metadata.keyGroups;
  const otherGroups = other.metadata.keyGroups;
  const ids = (groups: ReadonlyArray<readonly MasterKeyEntry[]>): string[] => groups.flat().map((e) => `${e.kind}:${masterKeyIdentity(e)}`);
  const chosenIds = new Set(ids(chosenGroups));
  const otherIds = new Set(ids(otherGroups));
  if (chosenIds.size === otherIds.size && [...chosenIds].every((i) => otherIds.has(i))) return chosenGroups;
  const single = chosenGroups.length === 1 && otherGroups.length === 1 && (baseMetadata === undefined || baseMetadata.keyGroups.length === 1);
  if (!single) {
    notes.push(`the two sides have different key groups (Shamir); the merged file keeps ${chosenName}: run \`hush updatekeys\` to apply .sops.yaml`);
    return chosenGroups;
  }
  const baseIds = baseMetadata === undefined ? undefined : new Set(ids(baseMetadata.keyGroups));
  const keep = (id: string): boolean => {
    const inChosen = chosenIds.has(id);
    const inOther = otherIds.has(id);
    if (baseIds === undefined) return inChosen || inOther;
    return baseIds.has(id) ? inChosen && inOther : inChosen || inOther;
  };
  const group: MasterKeyEntry[] = [];
  const removed: string[] = [];
  for (const e of chosenGroups[0]!) {
    const id = `${e.kind}:${masterKeyIdentity(e)}`;
    if (keep(id)) group.push(e);
    else removed.push(masterKeyIdentity(e));
  }
  const added: string[] = [];
  for (const e of otherGroups[0]!) {
    const id = `${e.kind}:${masterKeyIdentity(e)}`;
    if (chosenIds.has(id) || !keep(id)) continue;
    if (shared) {
      group.push(e);
      added.push(masterKeyIdentity(e));
      continue;
    }
    // Different data keys: the other side's entry wraps its own key; wrap ours for the recipient.
    const recipient = recipientOf(e);
    const source = recipient === undefined ? undefined : await keySources(recipient.kind);
    if (recipient === undefined || source === undefined) {
      notes.push(`recipient ${masterKeyIdentity(e)} from the other side could not be added (unsupported key type): run \`hush updatekeys\``);
      continue;
    }
    try {
      group.push(await source.wrap(chosen.dataKey, recipient));
      added.push(masterKeyIdentity(e));
    } catch (err) {
      notes.push(`recipient ${masterKeyIdentity(e)} from the other side could not be added (${reason(err)}): run \`hush updatekeys\``);
    }
  }
  if (group.length === 0) {
    notes.push(`merging the recipient lists would leave no key; the merged file keeps ${chosenName}`);
    return chosenGroups;
  }
  if (added.length > 0) notes.push(`recipients merged from the other side: ${added.join(", ")}`);
  if (removed.length > 0) notes.push(`recipients removed by the other side: ${removed.join(", ")}`);
  return [group];
}

/** Outcome of the merge driver. */
export type EncryptedMergeOutcome =
  | { readonly status: "merged"; readonly text: string; readonly notes: readonly string[] }
  | { readonly status: "conflict"; readonly text: string; readonly conflicts: readonly MergeConflict[]; readonly notes: readonly string[] }
  /** Could not merge by key path (no key, damaged file): a line merge of the stored texts with markers. */
  | { readonly status: "fallback"; readonly text: string; readonly reason: string; readonly conflicted: boolean; readonly notes: readonly string[] };

export interface EncryptedMergeInput extends OpenSidesInput {
  readonly markerSize?: number;
  readonly labels?: { readonly ours?: string; readonly base?: string; readonly theirs?: string };
  /** Tests: fixed lastmodified. */
  readonly now?: Date;
}

/** The indentation of ours' `sops:` block, so re-encryption does not re-indent it. */
export function metadataEmitOptions(format: FileFormat, text: string): { indent?: number } {
  if (format !== "yaml") return {};
  const m = /^sops:[ \t]*\r?\n( +)\S/m.exec(text);
  return m === null ? {} : { indent: m[1]!.length };
}

/** The merge driver's whole job, on file texts (no I/O). */
export async function mergeEncryptedTexts(input: EncryptedMergeInput): Promise<EncryptedMergeOutcome> {
  const { format } = input;
  const fallback = (why: string): EncryptedMergeOutcome => {
    const lines = mergeLines(input.base ?? "", input.ours, input.theirs, { onConflict: "markers", ...(input.markerSize === undefined ? {} : { markerSize: input.markerSize }), ...(input.labels === undefined ? {} : { labels: input.labels }) });
    return { status: "fallback", text: lines.text, reason: why, conflicted: true, notes: [] };
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
  let sides: OpenedSides;
  try {
    sides = await openSides(input);
  } catch (err) {
    return fallback(isHushError(err, "NO_MATCHING_KEY") ? `no key to decrypt it (${reason(err)})` : reason(err));
  }
  let plan: MergePlan;
  let merged: string;
  try {
    plan = await planMerge(sides, { keySources: input.keySources });
    const emit = metadataEmitOptions(format, input.ours);
    merged = await reencryptText(plan.target, plan.plaintext, { keySources: input.keySources, emit, ...(input.now === undefined ? {} : { now: input.now }) });
    // The result must open with the merged data key and pass its MAC before git sees it.
    await openText(merged, { format, keySources: input.keySources, dataKey: plan.target.dataKey });
  } catch (err) {
    // Never leave git without a result: an unexpected failure becomes an ordinary conflict.
    return fallback(`the key-path merge failed (${reason(err)})`);
  }
  if (plan.conflicts.length === 0) return { status: "merged", text: merged, notes: plan.notes };
  let text: string;
  try {
    text = await renderConflicts({
      format,
      merged,
      theirs: input.theirs,
      base: input.base,
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
