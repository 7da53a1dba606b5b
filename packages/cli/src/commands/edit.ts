import { existsSync } from "node:fs";
import {
  HushError,
  SOPS_FORMAT_VERSION,
  applyTextEdits,
  decodeMetadata,
  effectiveRule,
  plaintextEncoding,
  printable,
  encodeMetadata,
  generateDataKey,
  isHushError,
  IvStash,
  parseFormat,
  shellPath,
  storeFor,
  wrapDataKey,
  type FileFormat,
  type FileMetadata,
  type OpenedFile,
} from "@hush/core";
import { creationSettingsFor, loadConfig } from "../config.ts";
import { convert, decodeInput, encodeOutput, inputFormat } from "../formats.ts";
import type { CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { creationOverrides, keysFromFlags, parseIndent, type EncryptFlags } from "./encrypt-options.ts";
import { CANCEL_SIGNALS, openEditorSession, type EditorFailure } from "../workflows/editor-session.ts";
import { acquireFileLock, lockWaitMs, type FileLock } from "../workflows/file-lock.ts";
import { tryWriteErr } from "../workflows/private-dir.ts";
import { openEncryptedFile, reencrypt, RESERVED_METADATA_KEY, type OpenedInput } from "../workflows/reencrypt.ts";
import { clearWriteFindings, confirmWrite, writeReaderFindings, type Exposure } from "../rekey/unvouched.ts";
import { keepUnsavedCopy, keptCopyDetails, MAX_EDITOR_REOPENS, newFileTemplate, reopenHeader, saveEdit, stripHeader, TOO_MANY_REOPENS } from "../workflows/edit-rescue.ts";

/**
 * `hush edit FILE` (SOPS's edit flow, spec 9.6): decrypt into a 0600 file inside a private 0700
 * directory, run the editor, re-encrypt with the same data key so unchanged values keep their
 * ciphertext. A new file starts from a small example (saved unchanged: no file, exit 200).
 * Invalid content reopens the editor with the error on top and the text kept, as long as the
 * user changes it (at most MAX_EDITOR_REOPENS times); saved unchanged, hush gives up and keeps
 * the text encrypted in FILE.unsaved (plaintext never stays on disk); emptied, hush gives up and
 * keeps nothing. An unchanged file exits 200; the directory is removed on every exit path.
 */

export interface EditFlags extends EncryptFlags {
  showMasterKeys?: boolean;
  ignoreMac?: boolean;
}

/** Metadata and a fresh, wrapped data key for a file that does not exist yet. */
async function newFile(io: CliIo, file: string, format: FileFormat, flags: EditFlags): Promise<OpenedFile> {
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  const settings = await creationSettingsFor(loaded, file, io.cwd, creationOverrides(flags, keysFromFlags(flags, io.env)));
  const dataKey = generateDataKey();
  // Wrapped before the editor opens, as SOPS does: a key problem shows up before any typing.
  let wrapped: FileMetadata["keyGroups"];
  try {
    wrapped = await wrapDataKey(dataKey, settings.keyGroups, settings.shamirThreshold, createKeySourceResolver(io.env));
  } catch (err) {
    // SOPS's edit, unlike its encrypt, reports this as "could not retrieve key" (exit 128). The
    // message names the file, as encrypt's does; the key source's details stay under it.
    if (!isHushError(err)) throw err;
    const located = err.code !== "KEY_WRAP_FAILED" ? err : new HushError("KEY_SOURCE_FAILED", err.message, {
      located: err.located,
      ...(err.location === undefined ? {} : { location: err.location }),
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      ...(err.details === undefined ? {} : { details: err.details }),
      cause: err,
    });
    throw located.withFile(file);
  }
  const metadata: FileMetadata = {
    keyGroups: wrapped,
    shamirThreshold: settings.shamirThreshold,
    lastModified: "",
    mac: "",
    rule: effectiveRule(format, settings.rule),
    macOnlyEncrypted: settings.macOnlyEncrypted,
    version: SOPS_FORMAT_VERSION,
  };
  return { format, plaintext: "", metadata, dataKey, stash: new IvStash() };
}

/** Errors that mean "the text is not acceptable": the editor is reopened for them. */
function isContentError(err: unknown): boolean {
  return (
    isHushError(err) &&
    ["PARSE_FAILED", "NOT_UTF8", "ALREADY_ENCRYPTED", "NO_DOCUMENT", "ENCRYPT_FAILED", "EMIT_FAILED", "METADATA_INVALID", "METADATA_MISSING", "INVALID_ARGUMENT"].includes(err.code)
  );
}

function contentMessage(err: unknown): string {
  if (isHushError(err, "ALREADY_ENCRYPTED")) return RESERVED_METADATA_KEY;
  if (isHushError(err, "NO_DOCUMENT")) return "the file is empty: write at least one value";
  return err instanceof Error ? err.message : String(err);
}

/** With --show-master-keys the sops section is shown read-only: any change to it is refused. */
function sameMetadata(a: FileMetadata, b: FileMetadata): boolean {
  return JSON.stringify(encodeMetadata(a)) === JSON.stringify(encodeMetadata(b));
}

/** SOPS's errors for an editor run that failed: 201 (`EDITOR_FAILED`), 1 for a cancel, 2 for a file gone. */
function editorFailed(failure: EditorFailure, file: string): HushError {
  switch (failure.kind) {
    case "signal":
      if (CANCEL_SIGNALS.has(failure.signal)) return new HushError("CANCELED", "User canceled operation", { located: true });
      return new HushError("EDITOR_FAILED", `the editor was killed by ${failure.signal}; ${file} was not changed`, { located: true });
    case "status":
      return new HushError("EDITOR_FAILED", `the editor exited with status ${failure.status}; ${file} was not changed`, { located: true });
    case "unreadable":
      return new HushError("READ_FAILED", `cannot read the edited file (${failure.reason}); ${file} was not changed`, { located: true });
  }
}

/** `hush edit FILE`. */
export async function runEdit(io: CliIo, file: string, flags: EditFlags): Promise<number> {
  const format = inputFormat(flags.inputType, file);
  const outFormat = flags.outputType === undefined ? format : parseFormat(flags.outputType);
  const indent = parseIndent(flags.indent);
  let lock: FileLock | undefined;
  // A signal stops the editor too, removes the plaintext and the lock, and writes nothing.
  const session = openEditorSession(io, {
    name: file,
    unchanged: `${file} was not changed`,
    failure: (failure) => editorFailed(failure, file),
    cancelMessage: "hush: User canceled operation\n",
    onCancel: () => lock?.release(),
  });
  try {
    lock = await acquireFileLock(file, { waitMs: lockWaitMs(io.env) });
    let input: OpenedInput;
    let initial: string;
    const isNew = !existsSync(file);
    if (!isNew) {
      input = await openEncryptedFile(io, file, flags);
      // Asked before the editor opens, not after the typing.
      await confirmWrite(io, file, await writeReaderFindings(io, file, input.opened.metadata, flags), { ...flags, command: "edit" });
      initial = outFormat === format ? input.opened.plaintext : await convert(input.opened.plaintext, format, outFormat, indent);
    } else {
      input = { file, format, opened: await newFile(io, file, outFormat, flags), metadataIndent: undefined };
      initial = newFileTemplate(outFormat);
    }
    const target: OpenedInput = outFormat === format ? input : { ...input, format: outFormat, metadataIndent: undefined };
    const store = await storeFor(outFormat);
    if (flags.showMasterKeys === true) {
      const docs = initial === "" ? 1 : store.parse(initial).documentCount;
      initial = store.appendMetadata(initial, encodeMetadata(target.opened.metadata), Math.max(docs, 1), indent === undefined ? {} : { indent });
    }

    let shown = encodeOutput(initial, outFormat);
    // A yes to a write question holds for the session: a text reopened after the answer (its
    // encryption then failed) is not asked it again; what it writes in clear is still listed.
    let agreed: Exposure[] = [];
    const attempt = async (edited: string): Promise<Buffer> => {
      let plain = edited;
      if (flags.showMasterKeys === true) {
        const doc = store.parse(edited);
        if (doc.metadata === undefined) throw new HushError("METADATA_INVALID", "the sops section is missing (with --show-master-keys it must stay in the file)", { located: true });
        if (!sameMetadata(decodeMetadata(doc.metadata), target.opened.metadata)) {
          throw new HushError("METADATA_INVALID", "the sops section is read-only here; change keys with updatekeys, rotate or groups", { located: true });
        }
        plain = applyTextEdits(edited, doc.metadataSpans.map((s) => ({ start: s.start, end: s.end, text: "" })));
      }
      // A new file takes its rule from .sops.yaml; an existing one's rule is its writer's word.
      if (!isNew) {
        const versions = { before: { text: input.opened.plaintext, format: input.opened.format }, after: { text: plain, format: outFormat } };
        try {
          const findings = await clearWriteFindings(io, file, target.opened.metadata, versions, flags);
          agreed = await confirmWrite(io, file, findings, { ...flags, command: "edit", agreed });
        } catch (err) {
          // Declined (or no answer): the file stays as it was, and what was typed is not lost.
          if (!isHushError(err) || (err.code !== "CANCELED" && err.code !== "NO_ANSWER")) throw err;
          throw err.withDetails(keptCopyDetails(await keepUnsavedCopy(io, file, edited, target.opened), `make your change again in hush edit ${shellPath(file)}`));
        }
      }
      return reencrypt(io, target, plain, { bumpVersion: true, ...(indent === undefined ? {} : { indent }) });
    };
    // Opened with --ignore-mac, a MAC that did not hold is the user's to renew by saving.
    const resign = !isNew && input.opened.macHolds === false;
    let rejected: { text: string; error: unknown } | undefined;
    let reopens = 0;
    let output: Buffer | undefined;
    let saved = "";
    // An editor that crashed after the user saved: what it saved is kept encrypted, as a refused
    // text is, instead of going with the private directory. A cancel or an exit status (vim's
    // :cq) is the user's way to throw the text away, and does.
    const keepCrashedText = async (err: unknown): Promise<unknown> => {
      const left = session.crashedText();
      if (!isHushError(err, "EDITOR_FAILED") || left === undefined || left.equals(shown)) return err;
      const text = plaintextEncoding(outFormat) === "latin1" ? left.toString("latin1") : stripHeader(left.toString("utf8"));
      if (text.trim() === "" || text === stripHeader(initial)) return err;
      return err.withDetails(keptCopyDetails(await keepUnsavedCopy(io, file, text, target.opened), `make your change again in hush edit ${shellPath(file)}`));
    };
    while (output === undefined) {
      let bytes: Buffer;
      try {
        bytes = await session.edit(shown);
      } catch (err) {
        throw await keepCrashedText(err);
      }
      let edited: string;
      let failure: unknown;
      if (plaintextEncoding(outFormat) === "latin1") edited = bytes.toString("latin1");
      else {
        try {
          edited = stripHeader(decodeInput(bytes, outFormat, file));
        } catch (err) {
          if (!isContentError(err)) throw err;
          failure = err;
          edited = stripHeader(bytes.toString("utf8"));
        }
      }
      if (rejected !== undefined && edited.trim() === "") {
        throw new HushError("EDIT_ABANDONED", `${file}: the text was emptied, so the edit was given up; ${file} was not changed and no copy was kept`, { located: true });
      }
      // Saved again without a fix (or quit without saving): give up, keep the old file, and keep
      // the user's text, encrypted, so no typing is lost and no plaintext is left.
      const giveUp = async (error: unknown, why: readonly string[] = []): Promise<never> => {
        const code = isHushError(error) ? error.code : "UNCLASSIFIED";
        const copy = await keepUnsavedCopy(io, file, edited, target.opened);
        throw new HushError(code, `${file}: ${contentMessage(error)}; nothing was saved to ${file}`, { located: true, details: [...why, ...keptCopyDetails(copy, `fix it in hush edit ${shellPath(file)}`)] });
      };
      if (rejected !== undefined && edited === rejected.text) await giveUp(rejected.error);
      if (failure === undefined) {
        if (edited === stripHeader(initial) && !resign) {
          // SOPS's line first (scripts match on it); for a new file, say that nothing was made.
          const details = [...(isNew ? [`${file} was not created: replace the example with your values to create it`] : []), ...session.quickReturnDetails()];
          throw new HushError("NOT_MODIFIED", "File has not changed, exiting.", { located: true, ...(details.length === 0 ? {} : { details }) });
        }
        try {
          output = await attempt(edited);
          saved = edited;
          break;
        } catch (err) {
          if (!isContentError(err)) throw err;
          failure = err;
        }
      }
      rejected = { text: edited, error: failure };
      if (++reopens > MAX_EDITOR_REOPENS) await giveUp(failure, [TOO_MANY_REOPENS]);
      const message = contentMessage(failure);
      // Escaped as every message is (see main.ts): the name may come from a repository.
      tryWriteErr(io.stderr, `hush: ${printable(file, 1000)}: ${printable(message, 1000)}; reopening the editor\n`);
      shown = Buffer.from(reopenHeader(file, message) + edited, "utf8");
    }
    await saveEdit(io, file, output, isNew ? undefined : input.bytes, saved, target.opened);
    if (resign) tryWriteErr(io.stderr, `hush: ${printable(file, 1000)}: its MAC did not hold; saved with a new MAC over the values as they are\n`);
    return 0;
  } finally {
    lock?.release();
    // When Ctrl+C ended the editor: SOPS's message, then hush ends as the editor did, so a script stops.
    session.close();
  }
}
