import { lstatSync } from "node:fs";
import { join } from "node:path";
import { detectFormat, type CheckProblem } from "@hush/git";
import { formatFromPath, looksEncrypted, type ParsedDocument } from "@hush/core";
import { readCheckedFile } from "./check-read.ts";
import { branchStart } from "./branch-start.ts";
import { readTreeFiles } from "./check-decrypted.ts";
import type { Repo } from "./repo.ts";

/**
 * `hush check --base REV`: an encrypted file the branch deletes, whose every encrypted value's
 * key reappears in a file the branch has in clear. `git mv secrets.enc.yaml settings.yaml` with
 * the values decrypted in the same change is a new plain file to every other check (no rule, no
 * `.gitattributes` line and no history name it); the keys, readable in the encrypted file, are
 * what the two share. Only a file encrypted both in REV and where the branch started counts
 * (see check-decrypted.ts), and only when the branch deletes one: the plain files are read again
 * then, not otherwise. A plain file that held the keys in clear where the branch started (an
 * example file) was not moved by the branch.
 */

/** A plain file of the branch that holds the keys of an encrypted file the branch deletes. */
export interface MovedInClear {
  /** The plain file, from the top of the repository. */
  readonly path: string;
  /** The deleted encrypted file, from the top. */
  readonly from: string;
  /** Where the branch started. */
  readonly start: string;
}

/** A scalar's place, as a set member: its document and key path. */
function placeKey(document: number, path: readonly (string | number)[]): string {
  return JSON.stringify([document, ...path]);
}


/** The places of the encrypted values of a parsed encrypted file (none for a whole binary file). */
function encryptedPlaces(parsed: ParsedDocument): Set<string> {
  const places = new Set<string>();
  for (const leaf of parsed.leaves) {
    if (leaf.kind === "scalar" && leaf.value?.type === "str" && looksEncrypted(leaf.value.text)) places.add(placeKey(leaf.document, leaf.path));
  }
  return places;
}

/** Whether `abs` is gone from the work tree (a link counts as there). */
export function missing(abs: string): boolean {
  try {
    lstatSync(abs);
    return false;
  } catch {
    return true;
  }
}

/**
 * The files of `plain` (in clear on the branch, by path from the top, with their place on disk)
 * that hold the key of every encrypted value of a file encrypted in `base` (REV's commit) and
 * where the branch started, which the work tree no longer has.
 * @throws HushError INVALID_ARGUMENT when the start is needed and HEAD and `base` have no common commit
 */
export async function movedInClear(repo: Repo, rev: string, base: string, plain: ReadonlyMap<string, string>): Promise<MovedInClear[]> {
  if (plain.size === 0) return [];
  const gone = await encryptedFiles(repo, base, (path) => !plain.has(path) && missing(join(repo.root, path)));
  if (gone.size === 0) return [];
  const holding: Array<{ path: string; from: string; text: string }> = [];
  // Parsed only when the keys are in its bytes: a branch deleting one encrypted file parsed
  // every plain file of the repository.
  const mayHold = mayHoldKeysOf(gone);
  for (const [path, abs] of plain) {
    // As the check read it (a link only to a file inside the repository); not read: the check of the file itself says why.
    const bytes = readCheckedFile(abs, repo.root);
    if (!Buffer.isBuffer(bytes) || !mayHold(bytes)) continue;
    const text = bytes.toString("utf8");
    const from = await movedFrom(path, text, gone);
    if (from !== undefined) holding.push({ path, from, text });
  }
  // The start is looked for only now: a shallow clone needs no history when no file matches.
  if (holding.length === 0) return [];
  const start = await branchStart(repo, rev, base);
  const atStart = start === base ? gone : await encryptedFiles(repo, start, (path) => holding.some((h) => h.from === path));
  const kept = await heldInClearAtStart(repo, start, holding, gone);
  return holding.filter((h) => atStart.has(h.from) && !kept.has(h.path)).map((h) => ({ path: h.path, from: h.from, start }));
}

/**
 * Which of `gone` (deleted encrypted files by path, each with its values' places) the plain file
 * at `path` holding `text` holds the key of every encrypted value of, not all as stand-ins.
 */
export async function movedFrom(path: string, text: string, gone: ReadonlyMap<string, ReadonlySet<string>>): Promise<string | undefined> {
  const parsed = (await detectFormat(path, text, { whole: true }))?.parsed;
  return parsed === undefined ? undefined : heldFrom(parsed, gone);
}

/**
 * Which of `gone` a parsed plain file holds the key of every encrypted value of, not all as
 * stand-ins. Its scalars are read once for all of them: a commit may delete hundreds of encrypted
 * files beside hundreds of plain ones, and reading them again for each held the hook minutes.
 */
export function heldFrom(parsed: ParsedDocument, gone: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const own = scalarTexts(parsed);
  return [...gone].find(([, encrypted]) => holdsAll(own, encrypted))?.[0];
}

/**
 * A cheap test of a file's bytes before it is parsed, for the many files one commit may change:
 * whether each place of some file of `gone` has its last key written in them as is. A key written
 * with escapes (JSON's `\u0074oken`) is not seen there; only someone hiding from their own hook
 * writes one.
 */
export function mayHoldKeysOf(gone: ReadonlyMap<string, ReadonlySet<string>>): (bytes: Buffer) => boolean {
  const words = [...gone.values()].map((places) => [...new Set([...places].map((p) => String((JSON.parse(p) as unknown[]).at(-1))))]);
  return (bytes) => words.some((all) => all.every((w) => bytes.includes(w)));
}

/**
 * A value that stands in for a secret rather than being one: empty, a reference to a variable
 * (`${DB_PASSWORD}`, `$TOKEN`, `{{ .Values.token }}`, `%(token)s`), or a placeholder word. A file
 * whose values at the encrypted places are all such is an example, or the secrets moved elsewhere
 * (to the environment, to Vault), not the secrets in clear.
 */
const STAND_IN = /^(?:\$\{[^}]{0,200}\}|\$[A-Za-z_]\w{0,200}|\{\{[^}]{0,200}\}\}|%\([^)]{0,200}\)s|<[^>]{0,200}>|changeme|change-me|change_me|replaceme|replace-me|replace_me|todo|tbd|xxx+|\*+|secret|password|example|placeholder)?$/i;

/**
 * A key whose name ends saying its value is a secret (`password`, `db_password`, `clientSecret`,
 * `api_key`); not one that only mentions it (`token_url`, `secret_name`).
 */
const SECRET_KEY_NAME = /(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|credentials?)$/i;

/**
 * Whether a file whose scalars are `own` has one at each of `places`, some of them holding a
 * value: the keys of the deleted file, with its values. SOPS encrypts every value by default, the
 * host and port with the password; a settings file that took them all over, its secrets written
 * as `${DB_PASSWORD}` ({@link STAND_IN}), was written by hand (the secrets moved to the
 * environment), not decrypted, though its host and port are values: unless a value whose key
 * names a secret is still there in clear (`password: ${DB_PASSWORD}` beside `api_key: sk-…`: one
 * secret moved, the other pasted). An empty value is no stand-in: decrypted files have them.
 */
function holdsAll(own: ReadonlyMap<string, string>, places: ReadonlySet<string>): boolean {
  const held: Array<readonly [string, string]> = [];
  for (const p of places) {
    const text = own.get(p);
    if (text === undefined) return false;
    held.push([p, text]);
  }
  const inClear = held.filter(([, t]) => !STAND_IN.test(t));
  if (inClear.length === 0) return false;
  if (!held.some(([, t]) => writtenInstead(t))) return true;
  return inClear.some(([p]) => SECRET_KEY_NAME.test(String((JSON.parse(p) as unknown[]).at(-1))));
}

/**
 * A stand-in someone wrote in place of a secret: not empty, and a bare `$name` only in a
 * variable's upper case (`$DB_PASSWORD`), as a password may start with `$` (`$ecret1`).
 */
function writtenInstead(text: string): boolean {
  return text !== "" && STAND_IN.test(text) && !/^\$(?!\{)(?![A-Z_][A-Z0-9_]*$)/.test(text);
}

/** A parsed file's scalars: text (trimmed) by place. */
function scalarTexts(parsed: ParsedDocument): Map<string, string> {
  return new Map(parsed.leaves.filter((l) => l.kind === "scalar").map((l) => [placeKey(l.document, l.path), l.value?.text.trim() ?? ""]));
}

/**
 * The files of `holding` that already held those keys in clear where the branch started: an
 * example file kept beside the encrypted one (`app.example.yaml`, placeholders for values) was
 * not moved there by the branch, which may delete the encrypted file it mirrors.
 */
async function heldInClearAtStart(repo: Repo, start: string, holding: ReadonlyArray<{ path: string; from: string; text: string }>, gone: ReadonlyMap<string, ReadonlySet<string>>): Promise<Set<string>> {
  const byPath = new Map(holding.map((h) => [h.path, h]));
  const kept = new Set<string>();
  for (const f of await readTreeFiles(repo, start, (path) => byPath.has(path))) {
    const now = byPath.get(f.path)!;
    if (await heldAlike(f.path, f.text, now.text, gone.get(now.from)!)) kept.add(f.path);
  }
  return kept;
}

/**
 * Whether `earlier`, an earlier version of the plain file at `path` (now holding `later`), had a
 * scalar at each of `places` (a deleted file's keys) with the value it has now: an example file
 * kept beside the encrypted one. One whose values there changed (the secrets written into the
 * example file's placeholders as the encrypted file goes) was not.
 */
export async function heldAlike(path: string, earlier: string, later: string, places: ReadonlySet<string>): Promise<boolean> {
  const before = await detectFormat(path, earlier, { whole: true });
  if (before === undefined || before.encrypted || before.parsed === undefined) return false;
  const now = (await detectFormat(path, later, { whole: true }))?.parsed;
  if (now === undefined) return false;
  const [was, is] = [scalarTexts(before.parsed), scalarTexts(now)];
  return [...places].every((p) => was.has(p) && was.get(p) === is.get(p));
}

/** The encrypted files (with at least one encrypted value) of `commit` that `select` picks, with their values' places. */
async function encryptedFiles(repo: Repo, commit: string, select: (path: string) => boolean): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  for (const f of await readTreeFiles(repo, commit, (path) => select(path))) {
    const places = await encryptedValuePlaces(f.path, f.text);
    if (places !== undefined) found.set(f.path, places);
  }
  return found;
}

/**
 * The places of the encrypted values of the file at `path` holding `text`; undefined when it is
 * no encrypted file or has none, or is an encrypted whole file.
 */
export async function encryptedValuePlaces(path: string, text: string): Promise<Set<string> | undefined> {
  if (!text.includes("sops")) return undefined;
  const detected = await detectFormat(path, text, { whole: true });
  if (detected?.encrypted !== true || detected.parsed === undefined) return undefined;
  const places = encryptedPlaces(detected.parsed);
  return places.size > 0 && !isWholeFileEnvelope(path, places) ? places : undefined;
}

/**
 * Whether `places` are those of an encrypted whole file (a certificate, a key, any name that
 * gives no format): SOPS's one `data` value, a key of the envelope, not of the file. Decrypted,
 * the file has no keys to recognise; taken as its keys, every plain file with a `data` key (a
 * Kubernetes ConfigMap, a fixture) that a commit deleting such a file added looked like it.
 */
function isWholeFileEnvelope(path: string, places: ReadonlySet<string>): boolean {
  return formatFromPath(path) === undefined && places.size === 1 && places.has(placeKey(0, ["data"]));
}

/** The finding for a plain file holding the keys of `from`, an encrypted file the branch deletes. */
export function movedInClearProblem(moved: MovedInClear): CheckProblem {
  return {
    severity: "error",
    code: "not-encrypted",
    message: `the file holds the key of every encrypted value of ${moved.from}, which was encrypted where this branch started (commit ${moved.start.slice(0, 10)}) and which the branch deletes: it looks moved and decrypted; next: encrypt it with \`hush encrypt -i\` (under a creation rule that covers it); if it holds other values on purpose, delete ${moved.from} on the base branch first, in a change of its own`,
  };
}
