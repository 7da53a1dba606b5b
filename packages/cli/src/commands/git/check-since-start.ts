import { extname, join } from "node:path";
import { armorBody, comparableKeyId, parseEnvelope, printable, readMetadata, type CreationRule, type FileFormat, type FileMetadata, type MasterKeyEntry } from "@hush/core";
import { recipientFindings, recipientFindingSeverity, retypedValues, type BaseRule, type CheckProblem } from "@hush/git";
import { gitBlobId, ObjectReader } from "../../git-objects.ts";
import { gitOutput } from "../../git-run.ts";
import type { CliIo } from "../../io.ts";
import { RepoPaths } from "./check-rules.ts";
import { encryptedDataBody } from "./pgp-data-packet.ts";
import { branchStart } from "./branch-start.ts";
import type { Repo } from "./repo.ts";

/**
 * `hush check --base REV`: what a branch did to encrypted files since it started (the merge base
 * of HEAD and REV) that only the earlier version shows, without a key:
 * - `rolled-back`: the file put back to an older version. Restoring an old blob needs no key, and
 *   it brings back that version's data key, which a recipient removed since (with a fresh data
 *   key, as `hush updatekeys` and `hush rotate --rm-*` draw) still holds: every value added to the
 *   file afterwards would be theirs to read. Only the metadata tells: `lastmodified`, which the
 *   MAC binds (no one can set it without the data key), earlier than where the branch started,
 *   and key entries that are not the ones there. Reverting a value's change (`git revert`) keeps
 *   the key entries, and is not reported.
 * - `retyped-value`: a value's ciphertext kept under another type label, at another depth of
 *   lists or in another YAML document (retyped-values.ts in the git package); a file new at its
 *   path is compared with the file it copies or was renamed from, found by its MAC or its wrapped data keys.
 * - for such a copy, or a file written over with another's text, its recipients held to the base's
 *   rule for the file whose wrapped keys it holds (the branch could otherwise move a file under a
 *   rule of its own, or to a path the base lets more people read, to add a recipient, or to have a
 *   key holder's `updatekeys` add one).
 * - a recipient entry the branch added (none for that recipient in the earlier version, or the
 *   file copied; every entry of a file new and copying none) that the base's rule does not name:
 *   its `unexpected-recipient` finding becomes an error. Merged, the entry is the base branch's,
 *   and the next re-key by a key holder gives it the data key.
 */

/** A covered encrypted file as the branch has it. */
export interface BranchFile {
  readonly abs: string;
  readonly format: FileFormat;
  readonly text: string;
  /** The branch's creation rule for it. */
  readonly rule: CreationRule | undefined;
  /** Whether the base revision has a rule for its path (its recipients were held to that rule). */
  readonly baseCovered: boolean;
}

/** The base revision's creation rule for a file (by absolute path in the work tree), if any. */
export type BaseRuleAt = (abs: string) => Promise<BaseRule | undefined>;

async function metadataOf(text: string, format: FileFormat): Promise<FileMetadata | undefined> {
  try {
    return await readMetadata(text, format);
  } catch {
    // The branch's file is checked on its own; an unreadable old version says nothing here.
    return undefined;
  }
}

/** What the start of the branch says about one of its files. */
export interface SinceStart {
  /** Problems to add to the file's. */
  readonly problems: CheckProblem[];
  /**
   * For a copy (or a file written over with another's text): its recipient findings as the base's
   * rule for the file whose wrapped keys it holds has them, in place of those against the rules
   * for its own path. For a file with an entry the branch added that the base's rule does not
   * name: its findings with that entry's an error.
   */
  readonly recipients?: readonly CheckProblem[];
}

/**
 * The `rolled-back` (a warning; an error with `strict`) and `retyped-value` problems of each file
 * in `files` against its version at the merge base of HEAD and `rev`, and the recipient findings
 * of copies and of files with an entry the branch added that the base's rule does not name (see
 * {@link SinceStart}), by absolute path. Nothing without such files.
 * @throws HushError INVALID_ARGUMENT when HEAD and `rev` have no common commit (a shallow clone)
 */
export async function sinceStartProblems(io: CliIo, rev: string, files: readonly BranchFile[], strict: boolean, baseRuleAt: BaseRuleAt): Promise<Map<string, SinceStart>> {
  const found = new Map<string, SinceStart>();
  if (files.length === 0) return found;
  const { openRepo, resolveCommit, treeEntries } = await import("./repo.ts");
  const repo = await openRepo(io);
  const base = await resolveCommit(repo, rev);
  if (base === undefined) return found;
  const start = await branchStart(repo, rev, base);
  // Every blob of the start commit by path.
  const blobAt = new Map<string, string>();
  for (const entry of await treeEntries(repo, start)) if (entry.type === "blob") blobAt.set(entry.path, entry.object);
  // A copy's source may also be a file of the base revision the branch never had: its text is
  // there for anyone to copy, from a file the base branch added or re-keyed since the start.
  const baseBlobAt = new Map<string, string>();
  if (base !== start) for (const entry of await treeEntries(repo, base)) if (entry.type === "blob") baseBlobAt.set(entry.path, entry.object);
  const treeBlobs = (tree: string): Map<string, string> => (tree === start ? blobAt : baseBlobAt);
  const repoPaths = new RepoPaths(repo.root);
  const wanted: Array<{ file: BranchFile; blob: string; from?: string; fromTree?: string; exact?: boolean }> = [];
  const added: BranchFile[] = [];
  /** Files the branch changed at their path, by their path: one may now hold another file's data key. */
  const changed = new Map<BranchFile, string>();
  for (const file of files) {
    const path = repoPaths.of(file.abs);
    const blob = path === undefined ? undefined : blobAt.get(path);
    if (blob !== undefined) wanted.push({ file, blob });
    else if (path !== undefined) added.push(file);
    if (blob !== undefined && gitBlobId(file.text, start.length) !== blob) changed.set(file, path!);
  }
  const reader = new ObjectReader(repo.root, repo.env);
  const before = new Map<string, string>();
  const recipientSources = new Map<BranchFile, string[]>();
  const readBefore = (entries: typeof wanted): Promise<void> =>
    reader.read(
      entries.map((w) => w.blob),
      (object, i) => {
        if ("content" in object && object.type === "blob") before.set(entries[i]!.file.abs, object.content.toString("utf8"));
      },
    );
  try {
    // The files at their own paths first: one the branch changed can hold another file's data key
    // only if its key entries changed (an edit keeps them), and only those are looked for.
    await readBefore(wanted);
    const rekeyed: Searched[] = [];
    for (const file of changed.keys()) {
      const earlier = before.get(file.abs);
      if (!(await sameKeyEntries(file, earlier))) rekeyed.push({ file, earlier });
    }
    const atOwnPaths = wanted.length;
    for (const [file, { sources, keySources, foundIn }] of await copiedFrom(repo, base === start ? [start] : [start, base], [...added.map((file) => ({ file })), ...rekeyed])) {
      const ownPath = changed.get(file);
      if (ownPath !== undefined) {
        // Written over with another file's text: held to that file's rule too, as a copy is; its
        // own earlier version is what the other findings compare it with.
        const others = keySources.filter((path) => path !== ownPath);
        if (others.length > 0) recipientSources.set(file, others);
        continue;
      }
      // An exact copy of a file at the start relabels nothing (that file may differ from another
      // copy of the same source); else the source is the file of the same kind, before a text that
      // merely quotes the MAC.
      const own = gitBlobId(file.text, start.length);
      const blobOf = (path: string): string | undefined => treeBlobs(foundIn.get(path) ?? start).get(path);
      const exact = sources.find((path) => blobOf(path) === own);
      const from = exact ?? sources.find((path) => extname(path) === extname(file.abs)) ?? sources[0]!;
      const blob = blobOf(from);
      if (blob !== undefined) wanted.push({ file, blob, from, fromTree: foundIn.get(from) ?? start, exact: exact !== undefined });
      // The data key is the one of the files whose wrapped keys it holds: a MAC, anyone can paste.
      recipientSources.set(file, keySources.length > 0 ? keySources : [from]);
    }
    await readBefore(wanted.slice(atOwnPaths));
  } finally {
    reader.close();
  }
  const short = start.slice(0, 10);
  for (const { file, from, fromTree, exact } of wanted) {
    const earlier = before.get(file.abs);
    // A file the branch did not change has nothing to report, and most of a branch's files are.
    if (earlier === undefined || (earlier === file.text && from === undefined)) continue;
    const problems = exact === true ? [] : await retypedValues(file.format, file.text, earlier, from === undefined ? short : `${(fromTree ?? start).slice(0, 10)}:${printable(from, 1000)}`);
    const rolledBack = from === undefined ? await rollback(file, earlier, short, strict) : undefined;
    if (rolledBack !== undefined) problems.push(rolledBack);
    const sources = from === undefined ? recipientSources.get(file) : (recipientSources.get(file) ?? [from]);
    const startRecipients = await recipientIds(earlier, file.format);
    const recipients = sources !== undefined ? await sourceRuleFindings(file, sources, baseRuleAt, repo.root, strict, startRecipients) : await addedRecipientFindings(file, startRecipients, baseRuleAt, strict);
    if (problems.length > 0 || recipients !== undefined) found.set(file.abs, { problems, ...(recipients === undefined ? {} : { recipients }) });
  }
  // A file new at its path that copies none: every entry is the branch's.
  const compared = new Set(wanted.map((w) => w.file));
  for (const file of added) {
    if (compared.has(file) || recipientSources.has(file)) continue;
    const recipients = await addedRecipientFindings(file, new Set(), baseRuleAt, strict);
    if (recipients !== undefined) found.set(file.abs, { problems: [], recipients });
  }
  return found;
}

/** The comparable ids of the recipients of a file's earlier text (none when it has no readable metadata: plaintext then). */
async function recipientIds(earlier: string | undefined, format: FileFormat): Promise<Set<string>> {
  const metadata = earlier === undefined ? undefined : await metadataOf(earlier, format);
  return new Set((metadata?.keyGroups ?? []).flat().map(comparableKeyId));
}

/**
 * A file's recipient findings against the base's rule for its path, in place of those
 * `hush check` found without knowing where the branch started, when the branch added an entry
 * that rule does not name (an error); undefined otherwise, or when the base has no rule for the file.
 */
async function addedRecipientFindings(file: BranchFile, startRecipients: ReadonlySet<string>, baseRuleAt: BaseRuleAt, strict: boolean): Promise<CheckProblem[] | undefined> {
  if (!file.baseCovered) return undefined;
  const [metadata, base] = [await metadataOf(file.text, file.format), await baseRuleAt(file.abs)];
  if (metadata === undefined || base === undefined) return undefined;
  // The findings the check made, with the base's rule (which is the file's own rule where the
  // branch's rules do not cover it: held to it twice, it finds nothing more).
  const findings = recipientFindings(metadata, file.rule, { ...base, startRecipients });
  if (!findings.some((f) => f.addedByBranch === true)) return undefined;
  return findings.map((f) => ({ severity: recipientFindingSeverity(f, strict), code: f.code, message: f.message }));
}

/** A file to find the sources of: new at its path, or changed there (`earlier`: its version where the branch started). */
interface Searched {
  readonly file: BranchFile;
  readonly earlier?: string | undefined;
}

/**
 * For files new at their path since the start commit (copied or renamed there by the branch), the
 * paths of the files of `trees` (the start commit's, then the base revision's) with the same MAC or a wrapped data key of theirs, in
 * git's order: a copy keeps its source's `sops` block, and no one can write a MAC or wrap a data
 * key anew without the data key, so a file that holds one already in the repository is a copy of
 * one of those. The wrapped keys count on their own, since anyone can change a MAC (only a
 * decryption checks it, `updatekeys` does not), and the key entries are what a key holder's
 * `updatekeys` reads the data key from. Found with `git grep -o` on those trees (fixed
 * strings; ciphertexts are random, so only copies hold them), which names each match with its
 * path: no file is read (`foundIn`: the tree each path was first found in). A search that fails finds no copy.
 */
async function copiedFrom(repo: Repo, trees: readonly string[], searched: readonly Searched[]): Promise<Map<BranchFile, { sources: string[]; keySources: string[]; foundIn: Map<string, string> }>> {
  // Several files may copy one: each is compared with it.
  const byTerm = new Map<string, BranchFile[]>();
  const macs = new Set<string>();
  const look = (term: string, file: BranchFile): void => {
    const files = byTerm.get(term) ?? [];
    if (!files.includes(file)) byTerm.set(term, [...files, file]);
  };
  for (const { file, earlier } of searched) {
    const metadata = await metadataOf(file.text, file.format);
    if (metadata === undefined) continue;
    // A MAC is a well-formed envelope of about 200 characters: anything else (`ENC[` alone would
    // match every encrypted file) is reported by the check and looked for nowhere. A file at its
    // own path is compared with its own earlier version, and needs no MAC to find it.
    if (earlier === undefined && metadata.mac.length <= 1024 && isEnvelope(metadata.mac)) {
      look(metadata.mac, file);
      macs.add(metadata.mac);
    }
    // The entries it already had are its own data key's (one git grep costs time per term).
    const own = new Set(earlier === undefined ? [] : ((await metadataOf(earlier, file.format))?.keyGroups.flat() ?? []).flatMap(wrappedKeyPieces));
    for (const entry of metadata.keyGroups.flat()) for (const piece of wrappedKeyPieces(entry)) if (!own.has(piece)) look(piece, file);
  }
  const found = new Map<BranchFile, { sources: string[]; keySources: string[]; foundIn: Map<string, string> }>();
  const terms = [...byTerm.keys()];
  if (terms.length === 0) return found;
  let out: string;
  try {
    // One git for every term and tree: the terms on its standard input (`-f -`), where no command
    // line limits them. The options a user's grep.lineNumber or grep.column would add to each
    // match are turned off. --text: a file the work tree's .gitattributes (the branch's) mark
    // binary or -diff would otherwise say only "Binary file … matches", without the match, and be
    // no copy's source.
    out = await gitOutput(repo.root, repo.env, ["grep", "-z", "-o", "-F", "--text", "--no-line-number", "--no-column", "--no-color", "-f", "-", ...trees, "--"], `${terms.join("\n")}\n`);
  } catch {
    // No match is exit status 1.
    return found;
  }
  // Each match is `TREE:PATH` NUL `MATCH` newline, the trees in order; a path may hold a newline, a term neither.
  for (let at = 0; at < out.length; ) {
    const nul = out.indexOf("\0", at);
    const end = nul < 0 ? -1 : out.indexOf("\n", nul);
    if (end < 0) break;
    const name = out.slice(at, nul);
    const tree = trees.find((t) => name.startsWith(`${t}:`));
    const path = tree === undefined ? undefined : name.slice(tree.length + 1);
    // A YAML stream repeats its MAC in every document: each path once.
    const term = out.slice(nul + 1, end);
    for (const file of path === undefined ? [] : (byTerm.get(term) ?? [])) {
      const paths = found.get(file) ?? { sources: [], keySources: [], foundIn: new Map<string, string>() };
      if (!paths.sources.includes(path!)) paths.sources.push(path!);
      // The start's file first, which the branch may have changed since: the text it copies.
      if (!paths.foundIn.has(path!)) paths.foundIn.set(path!, tree!);
      if (!macs.has(term) && !paths.keySources.includes(path!)) paths.keySources.push(path!);
      found.set(file, paths);
    }
    at = end + 1;
  }
  return found;
}

/**
 * The recipient findings of a copy, held to the base revision's rule for each file whose data key
 * it holds, `sources` (see the module comment); undefined when the base has a rule for none. A
 * copy at a path the base covers too is held to that rule as well, but a recipient its rule names
 * and the sources' do not is no reason to re-key: a branch can move a file to where the base lets
 * more people read, and `updatekeys` would hand them the source's data key.
 */
async function sourceRuleFindings(file: BranchFile, sources: readonly string[], baseRuleAt: BaseRuleAt, root: string, strict: boolean, startRecipients: ReadonlySet<string>): Promise<CheckProblem[] | undefined> {
  const metadata = await metadataOf(file.text, file.format);
  if (metadata === undefined) return undefined;
  let found: CheckProblem[] | undefined;
  for (const source of sources) {
    const base = await baseRuleAt(join(root, source));
    if (base === undefined) continue;
    found ??= [];
    for (const f of recipientFindings(metadata, file.rule, { ...base, source, startRecipients })) {
      if (!found.some((p) => p.code === f.code && p.message === f.message)) found.push({ severity: recipientFindingSeverity(f, strict), code: f.code, message: f.message });
    }
  }
  const own = found !== undefined && file.baseCovered ? await baseRuleAt(file.abs) : undefined;
  if (own !== undefined) {
    // Missing recipients are the same against either base rule; the advice about them is the sources'.
    for (const f of recipientFindings(metadata, file.rule, { ...own, startRecipients })) {
      if (f.code !== "missing-recipient" && !found!.some((p) => p.code === f.code && p.message === f.message)) found!.push({ severity: recipientFindingSeverity(f, strict), code: f.code, message: f.message });
    }
  }
  return found;
}

/**
 * Pieces of an entry's wrapped data key, one of which is in the text of every file holding that
 * key, in any format: the last whole 64 characters of its base64 (an armored key's body, its lines
 * joined; a Vault ciphertext's after `vault:vN:`) short of its last 4, which are one line of armor
 * (written 64 wide) and a part of a key on one line. Random
 * (the end of a ciphertext), so only copies hold it. A PGP message opens the same with other
 * packets before its encrypted data, or that data framed otherwise (see pgp-data-packet.ts), which
 * moves every line: for it also the base64 of each 24 bytes at the first 24 offsets of the
 * encrypted data, one of which starts where a line or its middle does in any framing of it. None
 * for an entry with no such key.
 */
function wrappedKeyPieces(entry: MasterKeyEntry): string[] {
  const fields = (entry as { fields?: Record<string, unknown> }).fields;
  const enc = typeof entry["enc"] === "string" ? entry["enc"] : typeof fields?.["enc"] === "string" ? fields["enc"] : undefined;
  if (enc === undefined || enc.length > 64 * 1024) return [];
  const lines = enc.trim().split(/\r?\n/);
  // Armor: the lines between BEGIN and END, without headers (`Version: …`) and the CRC (`=…`).
  const body = lines[0]?.startsWith("-----BEGIN ") === true ? lines.slice(1, -1).filter((l) => !/^[A-Za-z-]+: /.test(l) && !l.startsWith("=")) : lines;
  // A Vault transit ciphertext's `vault:vN:` names its version as Vault reads it with Atoi:
  // `v01`, `v+1` and `v1` are one version; only the base64 after it is the key's.
  const joined = body.join("").replace(/\s/g, "").replace(/^vault:v[^:]*:/, "");
  // Not the last 4 characters: base64 decoders that ignore the bits after the last byte (Go's
  // StdEncoding, which SOPS and the KMS clients use) open it with those written otherwise.
  const whole = Math.floor((joined.length - 4) / 64);
  const piece = joined.slice((whole - 1) * 64, whole * 64);
  const pieces = whole > 0 && /^[A-Za-z0-9+/:_-]{64}$/.test(piece) ? [piece] : [];
  const message = entry.kind === "pgp" ? armorBody(enc, "PGP MESSAGE") : undefined;
  const data = message === undefined ? undefined : encryptedDataBody(message);
  if (data !== undefined && data.length >= 2 * PGP_WINDOW - 1) {
    for (let at = 0; at < PGP_WINDOW; at++) pieces.push(data.subarray(at, at + PGP_WINDOW).toString("base64"));
  }
  return pieces;
}

/** Bytes of a PGP message's encrypted data in one of its pieces: 32 base64 characters, half an armor line. */
const PGP_WINDOW = 24;

/** Whether `file` has the key entries it had in `earlier` (its version where the branch started). */
async function sameKeyEntries(file: BranchFile, earlier: string | undefined): Promise<boolean> {
  const [now, then] = [await metadataOf(file.text, file.format), earlier === undefined ? undefined : await metadataOf(earlier, file.format)];
  return now !== undefined && then !== undefined && JSON.stringify(now.keyGroups) === JSON.stringify(then.keyGroups);
}

function isEnvelope(text: string): boolean {
  try {
    parseEnvelope(text);
    return true;
  } catch {
    return false;
  }
}

async function rollback(file: BranchFile, earlier: string, short: string, strict: boolean): Promise<CheckProblem | undefined> {
  const [now, then] = [await metadataOf(file.text, file.format), await metadataOf(earlier, file.format)];
  if (now === undefined || then === undefined) return undefined;
  const [nowTime, thenTime] = [Date.parse(now.lastModified), Date.parse(then.lastModified)];
  if (!(nowTime < thenTime) || JSON.stringify(now.keyGroups) === JSON.stringify(then.keyGroups)) return undefined;
  return {
    severity: strict ? "error" : "warning",
    code: "rolled-back",
    message: `an older version of the file is back: lastmodified ${now.lastModified} is before ${then.lastModified}, which it had where this branch started (${short}), and its key entries are not those; its data key may be one a recipient removed since still holds. Make the change with hush edit or hush rotate instead of restoring an old version`,
  };
}
