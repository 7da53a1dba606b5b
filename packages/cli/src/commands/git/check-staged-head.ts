import { printable } from "@hush/core";
import type { CheckProblem } from "@hush/git";
import type { ObjectReader } from "../../git-objects.ts";
import { MAX_CHECKED_SIZE } from "./check-read.ts";
import { encryptedValuePlaces, heldAlike, mayHoldKeysOf, movedFrom } from "./check-moved.ts";
import { isEncryptedWithValues } from "./encrypted-version.ts";

/**
 * `hush check --staged` (the pre-commit hook) against HEAD: a staged file in clear whose version
 * in HEAD is encrypted, or that holds the key of every encrypted value of an encrypted file the
 * commit deletes (`git mv secrets.enc.yaml settings.yaml` with the values decrypted, or the
 * values pasted into a file HEAD has without those keys), is an
 * error whatever the rules and attributes say. A file encrypted with key flags is covered by
 * neither, and `hush decrypt -i` then `git commit -a` stored its secrets in clear, which only a
 * later `hush check --base` in CI said. HEAD's versions are named by the staged diff git already
 * gives (its old blobs) and read through the git that reads the staged files.
 */

/** A regular file's version in HEAD: its blob, and its path from the top (a renamed file's old one). */
export interface HeadVersion {
  readonly blob: string;
  readonly path: string;
}

/** HEAD's side of the staged changes. */
export interface StagedHead {
  /** The regular files the commit deletes, as HEAD has them. */
  readonly deleted: readonly HeadVersion[];
  /** Reads objects through the git process that reads the staged files. */
  readonly objects: ObjectReader;
  /** Asks git the size of objects (one more git process). */
  readonly sizes: (blobs: readonly string[]) => Promise<ReadonlyMap<string, number>>;
}

/** A staged file in clear, as the check read it (or why it did not). */
export interface StagedPlain {
  readonly abs: string;
  readonly display: string;
  /** From the top of the repository. */
  readonly path: string;
  /** Its blob in the index. */
  readonly blob: string;
  /** The version HEAD has of it (or of the file git saw it renamed or copied from); none for an added file. */
  readonly head?: HeadVersion | undefined;
  /** Added by this commit (not renamed or copied: HEAD has no version of it). */
  readonly added?: boolean | undefined;
  /** Why the staged version was not read (too large, say), when it was not. */
  readonly unread?: string | undefined;
}

/** A finding of a file, for the check's report. */
export interface StagedFinding {
  readonly path: string;
  readonly display: string;
  readonly problem: CheckProblem;
}

/** The findings for `plain` (every staged file in clear) against HEAD's side of the changes. */
export async function stagedAgainstHead(plain: readonly StagedPlain[], head: StagedHead): Promise<StagedFinding[]> {
  const found: Array<{ file: StagedPlain; problem: CheckProblem }> = [];
  const changed = plain.filter((f): f is StagedPlain & { head: HeadVersion } => f.head !== undefined);
  const texts = await readSmall(head, [...changed.map((f) => f.head), ...head.deleted]);
  for (const [i, f] of changed.entries()) {
    const text = texts[i];
    if (text !== undefined && (await isEncryptedWithValues(f.head.path, text))) {
      found.push({ file: f, problem: decryptedProblem(f.head.path, f.unread) });
    }
  }
  const gone = new Map<string, ReadonlySet<string>>();
  for (const [k, version] of head.deleted.entries()) {
    const text = texts[changed.length + k];
    const places = text === undefined ? undefined : await encryptedValuePlaces(version.path, text);
    if (places !== undefined) gone.set(version.path, places);
  }
  if (gone.size > 0) {
    // Added, renamed and modified files alike (the values pasted into a settings file HEAD had);
    // one whose HEAD version held those keys already (an example file beside the encrypted one)
    // was not moved there.
    const flagged = new Set(found.map((x) => x.file));
    const candidates = plain.filter((f) => f.unread === undefined && !flagged.has(f));
    const mayHold = mayHoldKeysOf(gone);
    const texts: Array<string | undefined> = [];
    await head.objects.read(
      candidates.map((f) => f.blob),
      (object, i) => {
        if ("content" in object && object.type === "blob" && object.content.length <= MAX_CHECKED_SIZE && mayHold(object.content)) texts[i] = object.content.toString("utf8");
      },
    );
    for (const [i, f] of candidates.entries()) {
      const text = texts[i];
      const from = text === undefined ? undefined : await movedFrom(f.path, text, gone);
      if (from === undefined || (f.head !== undefined && (await heldInHead(head, f.head, text!, gone.get(from)!)))) continue;
      found.push({ file: f, problem: movedProblem(from) });
    }
  }
  const kept: StagedFinding[] = [];
  for (const { file, problem } of found) {
    if (!(await asTheMergedBranchHasIt(head.objects, file))) kept.push({ path: file.abs, display: file.display, problem });
  }
  return kept;
}

/**
 * Whether HEAD's version of a plain file (staged as `staged`) held every one of `places` (a deleted
 * file's keys) already, with the values staged there; one too large to read counts as holding
 * them, so that no ordinary commit is stopped for what the check cannot see.
 */
async function heldInHead(head: StagedHead, version: HeadVersion, staged: string, places: ReadonlySet<string>): Promise<boolean> {
  const bytes = await head.objects.blob(version.blob);
  return bytes === undefined || bytes.length > MAX_CHECKED_SIZE || (await heldAlike(version.path, bytes.toString("utf8"), staged, places));
}

/**
 * Whether `file` is staged exactly as the branch being merged (MERGE_HEAD) has it at its path: that
 * branch stored it in clear in a commit of its own, the way the findings' message asks, and the
 * merge commit only brings it in; a conflicted merge's `git commit` ran the hook and was refused.
 * Asked only of a finding, through the git that reads the staged files (no merge: "missing").
 */
async function asTheMergedBranchHasIt(objects: ObjectReader, file: StagedPlain): Promise<boolean> {
  return (await objects.blobNameAt("MERGE_HEAD", file.path)) === file.blob;
}

/**
 * The texts of `versions` (by index) that may be encrypted files (they hold "sops"); those above
 * the size `hush check` reads, and every other, left undefined as they arrive: a commit that
 * changes thousands of plain files holds none of their old versions.
 */
async function readSmall(head: StagedHead, versions: readonly HeadVersion[]): Promise<Array<string | undefined>> {
  const texts: Array<string | undefined> = versions.map(() => undefined);
  if (versions.length === 0) return texts;
  const sizes = await head.sizes(versions.map((v) => v.blob));
  const readable = versions.flatMap((v, i) => ((sizes.get(v.blob) ?? Infinity) <= MAX_CHECKED_SIZE ? [i] : []));
  await head.objects.read(
    readable.map((i) => versions[i]!.blob),
    (object, k) => {
      if (!("content" in object) || object.type !== "blob" || !object.content.includes("sops")) return;
      texts[readable[k]!] = object.content.toString("utf8");
    },
  );
  return texts;
}

const NEXT = "next: encrypt it again with `hush encrypt -i` (under a creation rule that covers it, or with the key flags it had) and `git add` it";

/** A staged file in clear whose version in HEAD (at `headPath`) is encrypted; `unread`: why the staged version was not read. */
function decryptedProblem(headPath: string, unread: string | undefined): CheckProblem {
  const inHead = `HEAD has ${printable(headPath, 4096)} encrypted`;
  const onPurpose = "to store it in clear on purpose, commit its deletion first and add it back in clear in a commit of its own";
  return unread === undefined
    ? { severity: "error", code: "not-encrypted", message: `staged in clear, but ${inHead}; ${NEXT}; ${onPurpose}` }
    : { severity: "error", code: "unreadable", message: `cannot check the staged file: ${unread}; ${inHead}, and it must stay encrypted; ${NEXT}; ${onPurpose}` };
}

/** An added file in clear holding the keys of `from`, an encrypted file the commit deletes. */
function movedProblem(from: string): CheckProblem {
  const name = printable(from, 4096);
  return {
    severity: "error",
    code: "not-encrypted",
    message: `staged in clear, and it holds the key of every encrypted value of ${name}, which HEAD has encrypted and this commit deletes: it looks moved and decrypted; ${NEXT}; if it holds other values on purpose, commit the deletion of ${name} first, in a commit of its own`,
  };
}
