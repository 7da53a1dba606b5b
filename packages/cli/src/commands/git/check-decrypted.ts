import type { CheckProblem } from "@hush/git";
import { blobSizes, ObjectReader } from "../../git-objects.ts";
import { gitOutput } from "../../git-run.ts";
import { MAX_CHECKED_SIZE } from "./check-read.ts";
import { branchStart } from "./branch-start.ts";
import { isEncryptedWithValues } from "./encrypted-version.ts";
import type { Repo } from "./repo.ts";

/**
 * `hush check --base REV`: a file that was encrypted where the branch started stays encrypted,
 * whatever the branch's `.sops.yaml` and `.gitattributes` say. A file no creation rule names
 * (encrypted with key flags) is held to being encrypted only by the line `hush git setup` writes
 * for it in `.gitattributes`, and the pull request that stores it in clear can drop that line
 * too. Only a file encrypted both in REV and where the branch started counts: one the base
 * branch encrypted since the branch started is in clear in the branch's past, not by its doing,
 * and one the base branch has in clear by now is in clear there too.
 */

/** A file of the branch that may be in clear: where it is (from the top) and, when known, git's name for its bytes. */
export interface PlainOnBranch {
  readonly path: string;
  /**
   * The name of bytes known to be in clear (the tip's file, read): a commit whose version has it
   * was in clear there too, and is not read. Undefined for bytes not known to be in clear (a version a commit of the
   * branch wrote, which may be the start's encrypted file put back; a file too large to read):
   * the commit's version is read.
   */
  readonly blob?: string | undefined;
}

/** Which files were encrypted where the branch started, and that commit (undefined when none was). */
export interface EncryptedAtStart {
  readonly start: string | undefined;
  readonly paths: ReadonlySet<string>;
}

/**
 * Which of `files` (in clear on the branch) are encrypted files at the same path both in `base`
 * (REV's commit) and where the branch started (the merge base of HEAD and `base`). A version
 * named by a file's `blob` (bytes in clear) is not read, nor one above the size `hush check`
 * reads; the start is looked for only when REV has such a file, so a shallow clone needs no
 * history otherwise.
 * @throws HushError INVALID_ARGUMENT when the start is needed and HEAD and `base` have no common commit
 */
export async function encryptedAtStart(repo: Repo, rev: string, base: string, files: readonly PlainOnBranch[]): Promise<EncryptedAtStart> {
  const atBase = await encryptedIn(repo, base, files);
  if (atBase.size === 0) return { start: undefined, paths: atBase };
  const start = await branchStart(repo, rev, base);
  if (start === base) return { start, paths: atBase };
  return { start, paths: await encryptedIn(repo, start, files.filter((f) => atBase.has(f.path))) };
}

/** The paths of `files` whose version in `commit`'s tree is an encrypted file other than theirs. */
async function encryptedIn(repo: Repo, commit: string, files: readonly PlainOnBranch[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (files.length === 0) return found;
  const wanted = new Map(files.map((f) => [f.path, f.blob]));
  for (const c of await readTreeFiles(repo, commit, (path, blob) => wanted.has(path) && wanted.get(path) !== blob)) {
    if (await isEncryptedWithValues(c.path, c.text)) found.add(c.path);
  }
  return found;
}

/** A regular file of a commit's tree, read. */
export interface TreeFile {
  readonly path: string;
  readonly blob: string;
  readonly text: string;
}

/**
 * The regular files of `commit`'s tree that `select` picks (by path from the top and blob name),
 * read as UTF-8; those above the size `hush check` reads are left out. Links and submodules are
 * never picked: a link's blob is its target's name, a submodule's entry a commit.
 */
export async function readTreeFiles(repo: Repo, commit: string, select: (path: string, blob: string) => boolean): Promise<TreeFile[]> {
  const picked: Array<{ path: string; blob: string }> = [];
  for (const line of (await gitOutput(repo.root, repo.env, ["ls-tree", "-r", "-z", "--full-tree", commit])).split("\0")) {
    const m = /^100(?:644|755) blob ([0-9a-f]{40,64})\t([\s\S]+)$/.exec(line);
    if (m !== null && select(m[2]!, m[1]!)) picked.push({ path: m[2]!, blob: m[1]! });
  }
  if (picked.length === 0) return [];
  const sizes = await blobSizes(repo.root, repo.env, picked.map((c) => c.blob));
  const readable = picked.filter((c) => (sizes.get(c.blob) ?? Infinity) <= MAX_CHECKED_SIZE);
  const texts: string[] = [];
  const reader = new ObjectReader(repo.root, repo.env);
  try {
    await reader.read(
      readable.map((c) => c.blob),
      (object, i) => {
        if ("content" in object && object.type === "blob") texts[i] = object.content.toString("utf8");
      },
    );
  } finally {
    reader.close();
  }
  return readable.flatMap((c, i) => (texts[i] === undefined ? [] : [{ ...c, text: texts[i] }]));
}

/**
 * The finding for a file that was encrypted at `start` and that the branch has in a form
 * `hush check` does not read (`why`: larger than it reads, say): not checked is not passed.
 */
export function unreadOnBranchProblem(start: string, why: string): CheckProblem {
  return {
    severity: "error",
    code: "unreadable",
    message: `cannot check the file: ${why}; it was encrypted where this branch started (commit ${start.slice(0, 10)}), and must stay encrypted; next: encrypt it again with \`hush encrypt -i\` (under a creation rule that covers it, or with the key flags it had)`,
  };
}

/** The finding for a file that was encrypted at `start` and that the branch stores in clear. */
export function decryptedOnBranchProblem(start: string): CheckProblem {
  return {
    severity: "error",
    code: "not-encrypted",
    message: `the file was encrypted where this branch started (commit ${start.slice(0, 10)}), and the branch stores it in clear; next: encrypt it again with \`hush encrypt -i\` (under a creation rule that covers it, or with the key flags it had); to make it plain on purpose, delete it on the base branch first and add it back in clear in a change of its own (and change what it held)`,
  };
}
