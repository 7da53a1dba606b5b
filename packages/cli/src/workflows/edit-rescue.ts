import { lstatSync } from "node:fs";
import { encryptText, exampleDocument, HushError, isHushError, printable, shellPath, WHOLE_FILE_FORMAT, type FileFormat, type OpenedFile } from "@hush/core";
import { checkWritableFile, readFileBounded, writeFileAtomic, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { writeEncrypted } from "./reencrypt.ts";

/**
 * Helpers of `hush edit` (and `hush git resolve`) for the moments a newcomer meets first: the
 * text a new file starts with, the header shown when the editor is reopened after an error, and
 * keeping the user's text (encrypted, never in plaintext) when they give up on a text hush
 * cannot parse, or when it cannot be saved over the file (changed on disk meanwhile, a link now,
 * the disk full).
 */

/** Lines hush puts on top of the text; removed before parsing. */
export const HEADER_MARK = "#! hush:";

/** The example a new file starts with (SOPS shows one too); the `#! hush:` lines are removed. */
export function newFileTemplate(format: FileFormat): string {
  const intro = `${HEADER_MARK} new file: replace the example below with your values; they are encrypted when you save.\n${HEADER_MARK} quit without changing anything to create no file. Lines starting with "#! hush:" are removed.\n`;
  const example = exampleDocument(format);
  return example === "" ? "" : `${intro}${example}`;
}

/** Removes the `#! hush:` lines hush put on top. */
export function stripHeader(text: string): string {
  let rest = text;
  while (rest.startsWith(HEADER_MARK)) {
    const nl = rest.indexOf("\n");
    rest = nl < 0 ? "" : rest.slice(nl + 1);
  }
  return rest;
}

/**
 * How many times `edit` and `git resolve` reopen the editor on a text they refuse. A person gives
 * up long before; an editor that is a script and changes the text each time (appending a line)
 * was reopened forever, printing a line per round. Past this, the command gives up as when the
 * text is saved unchanged: the text is kept encrypted in FILE.unsaved.
 */
export const MAX_EDITOR_REOPENS = 20;

/** The detail line of a command that gave up after {@link MAX_EDITOR_REOPENS} rounds. */
export const TOO_MANY_REOPENS = `the editor was reopened ${MAX_EDITOR_REOPENS} times and each text was refused; giving up`;

/** What `hush edit`'s header says about giving up. */
const EDIT_GIVE_UP = [
  "fix the text below and save to encrypt it. To give up, save it unchanged: hush keeps your text encrypted",
  "in a .unsaved file; to give up and keep nothing, delete all the text and save.",
];

/**
 * The header shown above a rejected text (`giveUp`: the lines saying how to give up). Line
 * numbers in the message count lines of the text below the header, so they are moved down by the
 * header's length to match what the editor shows.
 */
export function reopenHeader(file: string, message: string, giveUp: readonly string[] = EDIT_GIVE_UP): string {
  const lines = [`${file}: ${message}`, ...giveUp, 'lines starting with "#! hush:" are removed when you save.'].flatMap((l) => l.split("\n"));
  const shift = lines.length;
  lines[0] = lines[0]!.replace(/\bline (\d+)/g, (_, n: string) => `line ${Number(n) + shift}`);
  return lines.map((l) => `${HEADER_MARK} ${l}\n`).join("");
}

/** Where {@link keepUnsavedCopy} kept the user's text (`name`, for messages), or why it could not. */
export type KeptCopy = { readonly kept: true; readonly name: string } | { readonly kept: false; readonly reason: string };

/** Whether anything is at `path`, a dangling link included (a path that cannot be looked at: no; the write says why). */
function taken(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Keeps a text hush could not parse, encrypted as a binary-format file (one encrypted value)
 * with the file's own data key and key entries, next to the file: `FILE.unsaved`, or
 * `FILE.unsaved.N` when that exists. Never overwrites; a write that fails (the disk full, the
 * directory not writable) leaves no part of the copy. Names the copy as `shownAs` names the
 * file, or says why no copy was kept. The plaintext never touches the disk.
 */
export async function keepUnsavedCopy(io: CliIo, file: string, text: string, opened: OpenedFile, shownAs = file): Promise<KeptCopy> {
  const out = await encryptText(text, {
    format: WHOLE_FILE_FORMAT,
    dataKey: opened.dataKey,
    wrappedKeys: opened.metadata.keyGroups.map((g) => [...g]),
    shamirThreshold: opened.metadata.shamirThreshold,
    keySources: createKeySourceResolver(io.env),
  });
  for (let i = 0; i < 10; i++) {
    const path = i === 0 ? `${file}.unsaved` : `${file}.unsaved.${i}`;
    const name = shownAs + path.slice(file.length);
    if (taken(path)) continue;
    try {
      writeFileAtomic(path, out, { plaintext: false, mode: 0o600, newFileOnly: true });
      return { kept: true, name };
    } catch (err) {
      // Another program took the name meanwhile: try the next one.
      if (taken(path)) continue;
      const message = err instanceof Error ? err.message : String(err);
      const written = printable(path);
      return { kept: false, reason: message.startsWith(written) ? printable(name) + message.slice(written.length) : message };
    }
  }
  return { kept: false, reason: "no free FILE.unsaved name" };
}

/**
 * What an error says about the user's text kept by {@link keepUnsavedCopy} (`copy`), and what to
 * do next (`next`: how to make the change again, e.g. "fix it in hush edit FILE").
 */
export function keptCopyDetails(copy: KeptCopy, next: string): string[] {
  if (!copy.kept) return [`your text could not be kept: ${copy.reason}`];
  return [`your text is kept encrypted in ${copy.name}`, `next: see it with hush decrypt --input-type binary ${shellPath(copy.name)}, ${next}, then delete ${copy.name}`];
}

/** Whether the file is still what `read` holds (undefined: it did not exist). Refuses a link. */
function unchangedOnDisk(file: string, read: Buffer | undefined): boolean {
  const now = checkWritableFile(file) === undefined ? undefined : readFileBounded(file);
  return now === undefined || read === undefined ? now === read : now.equals(read);
}

/** How {@link saveEdit} names things in its messages. */
export interface SaveEditOptions {
  /** How to make the change again (default: "make your change again in hush edit FILE"). */
  readonly redo?: string;
  /** The file's name in messages (default: the path written). */
  readonly shownAs?: string;
}

/**
 * Writes the edit's result (`output`, encrypted) over `file`, unless another program changed the
 * file while the editor was open (a `git pull`, a checkout, a sync tool: writing over it would
 * silently undo their change; the lock only keeps other hush commands out) or the write fails
 * (the file became a link, the disk is full). Then the user's `text` is kept encrypted in
 * FILE.unsaved with `opened`'s data key and key entries, and the error says where and what next.
 * `read` is the file as it was read, undefined when it did not exist.
 */
export async function saveEdit(io: CliIo, file: string, output: Buffer, read: Buffer | undefined, text: string, opened: OpenedFile, options: SaveEditOptions = {}): Promise<void> {
  const shown = options.shownAs ?? file;
  let failure: HushError;
  try {
    if (unchangedOnDisk(file, read)) return writeEncrypted(file, output);
    failure = new HushError("CHANGED_ON_DISK", `${shown}: changed on disk while the editor was open (another program wrote it); your edit was not saved over that change`, { located: true });
  } catch (err) {
    if (!isHushError(err)) throw err;
    failure = err;
  }
  const copy = await keepUnsavedCopy(io, file, text, opened, shown);
  throw new HushError(failure.code, failure.message, { located: true, details: keptCopyDetails(copy, options.redo ?? `make your change again in hush edit ${shellPath(shown)}`) });
}
