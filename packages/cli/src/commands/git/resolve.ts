import { relative, resolve, sep } from "node:path";
import { formatFromPath, HushError, isHushError, printable, shellPath, storeFor, utf8Text, type FileFormat, type OpenedFile } from "@hush/core";
import { conflictLines, detectFormat, hasConflictMarkers, MERGE_NOTE_MAX_CHARS, metadataEmitOptions, openSides, planMerge, renderConflicts, sealMerge } from "@hush/git";
import { checkWritableFile, readFileBounded, writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
import { keepUnsavedCopy, keptCopyDetails, MAX_EDITOR_REOPENS, reopenHeader, saveEdit, stripHeader, TOO_MANY_REOPENS } from "../../workflows/edit-rescue.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import { openEditorSession, type EditorFailure, type EditorSession } from "../../workflows/editor-session.ts";
import { acquireFileLock, lockWaitMs, type FileLock } from "../../workflows/file-lock.ts";
import { clearWriteFindings, confirmWrite, writeReaderFindings } from "../../rekey/unvouched.ts";
import { gitWrite } from "../../git-write.ts";
import { openRepo, readBlob, type Repo } from "./repo.ts";

export interface ResolveFlags {
  ours?: boolean;
  theirs?: boolean;
  /** Do not ask before writing a resolution that a recipient only the file names can read (it is still listed). */
  yes?: boolean;
  /** `.sops.yaml` to hold the recipients to (the global `--config`, else SOPS_CONFIG or the search). */
  config?: string;
}

/**
 * `hush git resolve FILE`: finishes a conflicted merge of an encrypted file. The three versions
 * come from the index (stages 1, 2, 3), so whatever is in the working file does not matter. Both
 * sides are shown decrypted in the editor with conflict markers; the saved resolution is
 * encrypted (reusing unchanged ciphertext), written over FILE and staged with `git add`.
 */
export async function runResolve(io: CliIo, file: string, flags: ResolveFlags): Promise<number> {
  if (flags.ours === true && flags.theirs === true) throw new HushError("CONFLICTING_OPTIONS", "--ours and --theirs cannot be used together", { located: true });
  const repo = await openRepo(io);
  const abs = resolve(io.cwd, file);
  const rel = relative(repo.root, abs).split(sep).join("/");
  // A name is a pathspec to git: `secrets/[ab].yaml` would also match `secrets/a.yaml` (and
  // `git add` would stage that file, plaintext or not). Literal, always.
  const pathspec = `:(top,literal)${rel}`;
  const staged = await repo.git.raw(["ls-files", "-u", "-z", "--", pathspec]);
  const stages = conflictStages(staged, rel);
  if (stages.size === 0) throw new HushError("NOT_RESOLVABLE", `${file}: not in a conflicted merge (nothing to resolve)`, { located: true });
  const oursSha = stages.get(2);
  const theirsSha = stages.get(3);
  if (oursSha === undefined || theirsSha === undefined) {
    throw new HushError("NOT_RESOLVABLE", `${file}: deleted on ${oursSha === undefined ? "our" : "their"} side; keep it with \`git add ${shellPath(file)}\` or remove it with \`git rm ${shellPath(file)}\``, { located: true });
  }
  const text = async (sha: string | undefined, version: string): Promise<string | undefined> => {
    if (sha === undefined) return undefined;
    try {
      // Read otherwise, a byte that is not UTF-8 would become U+FFFD in the merged file.
      return utf8Text(await readBlob(repo, sha), "an encrypted text file is UTF-8");
    } catch (err) {
      if (!isHushError(err, "NOT_UTF8")) throw err;
      throw new HushError("NOT_UTF8", `${file}: ${version}: ${err.message}`, {
        located: true,
        hint: `nothing was merged; keep one side whole (\`git checkout --ours ${shellPath(file)}\` or --theirs, then \`git add ${shellPath(file)}\`) and make your changes again with hush edit`,
      });
    }
  };
  const ours = (await text(oursSha, "our version (stage 2)"))!;
  const theirs = (await text(theirsSha, "their version (stage 3)"))!;
  const base = await text(stages.get(1), "the merge base's version (stage 1)");
  const format: FileFormat = formatFromPath(file) ?? (await detectFormat(undefined, ours))?.format ?? "yaml";
  const keySources = createKeySourceResolver(io.env);
  const favour = flags.theirs === true ? "theirs" : "ours";
  let lock: FileLock | undefined;
  try {
    // One writer at a time, as in hush edit: another resolve or edit of the file waits or is refused.
    lock = await acquireFileLock(abs, { waitMs: lockWaitMs(io.env), shownAs: file });
    // The working file as it is now: a link is refused before anyone types, and a change made to
    // it while the editor is open is not written over.
    const read = checkWritableFile(abs) === undefined ? undefined : readFileBounded(abs);
    const sides = await openSides({ format, base, ours, theirs, keySources });
    const plan = await planMerge(sides, { keySources, favour });
    const emit = await metadataEmitOptions(format, ours);
    // Notes quote recipients from the branches: escape control characters.
    const displayName = printable(file, 1000);
    for (const note of plan.notes) io.stderr.write(`hush: ${displayName}: ${printable(note, MERGE_NOTE_MAX_CHARS)}\n`);
    // The resolution is written for the merged file's recipients: asked about once the merged
    // file is shown to open with your keys, and before the editor opens.
    const askReaders = async (): Promise<void> => {
      await confirmWrite(io, file, await writeReaderFindings(io, file, plan.target.metadata, flags), { ...flags, command: "git resolve" });
    };
    if (plan.conflicts.length === 0 || flags.ours === true || flags.theirs === true) {
      // Refused (nothing written) unless the result opens through its own key entries.
      const sealed = await sealMerge(plan.target, plan.plaintext, { keySources, emit });
      await askReaders();
      writeFileAtomic(abs, sealed, { plaintext: false });
    } else {
      // The merged file must open with your keys before the editor opens, not after the typing:
      // this also proves that a resolution kept in FILE.unsaved opens with them.
      await sealMerge(plan.target, plan.plaintext, { keySources, emit });
      await askReaders();
      const shown = await renderConflicts({
        format,
        merged: plan.plaintext,
        theirs: sides.theirs.plaintext,
        base: plan.basePlaintext,
        conflicts: plan.conflicts,
        labels: { ours: "ours", base: "base", theirs: "theirs" },
      });
      io.stderr.write(`hush: ${displayName}: ${plan.conflicts.length} conflict(s): ${printable(conflictLines(plan.conflicts).join("; "), 4000)}\nhush: opening the editor; keep the lines you want and remove the markers\n`);
      // A signal stops the editor too, removes the plaintext and the lock, and writes nothing.
      const session = openEditorSession(io, {
        name: file,
        unchanged: "nothing was written",
        failure: (failure) => editorFailed(failure, file),
        cancelMessage: "hush: canceled; nothing was written\n",
        onCancel: () => lock?.release(),
      });
      let resolution: string;
      try {
        resolution = await editUntilResolved(io, session, abs, file, format, shown, plan.target);
      } finally {
        session.close();
      }
      let out: string;
      try {
        // What was typed is sealed under the sides' own rule, which a branch can narrow without a
        // key: a value .sops.yaml encrypts and neither side already held in clear is asked about.
        const sidesText = [sides.ours, sides.theirs].map((side) => ({ text: side.plaintext, format: side.format }));
        const findings = await clearWriteFindings(io, file, plan.target.metadata, { before: sidesText, after: { text: resolution, format } }, flags);
        await confirmWrite(io, file, findings, { ...flags, command: "git resolve" });
        out = await sealMerge(plan.target, resolution, { keySources, emit });
      } catch (err) {
        if (!isHushError(err)) throw err;
        throw err.withDetails(keptCopyDetails(await keepUnsavedCopy(io, abs, resolution, plan.target, file), redoResolution(file)));
      }
      // Written unless the file changed meanwhile or cannot be written; then the resolution is kept.
      await saveEdit(io, abs, Buffer.from(out, "utf8"), read, resolution, plan.target, { redo: redoResolution(file), shownAs: file });
    }
    await stageResolution(io, repo, pathspec, file);
    await writeOut(io.stderr, `hush: ${displayName}: resolved, encrypted and staged (git add); commit to finish the merge\n`);
    return 0;
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  } finally {
    lock?.release();
  }
}

/**
 * Stages the resolution written to `file` (`git add`), waiting for another git command that holds
 * the index's lock. When it cannot, the error says that the file holds the resolution and is not
 * staged: run again, resolve would take the sides from the index and open the editor anew, and
 * what was typed would be typed again.
 */
async function stageResolution(io: CliIo, repo: Repo, pathspec: string, file: string): Promise<void> {
  const failed = await gitWrite(repo.root, repo.env, ["add", "--", pathspec], lockWaitMs(io.env));
  if (failed === undefined) return;
  const why = failed.busy ? "another git command holds the index's lock" : "git add failed";
  throw new HushError(failed.busy ? "FILE_BUSY" : "UNCLASSIFIED", `${file}: resolved and written encrypted, but not staged: ${why} (${failed.line})`, {
    located: true,
    details: [
      `next: stage it with \`git add ${shellPath(file)}\`${failed.busy ? " once that command ends (if none runs, git left the lock behind: remove the lock file it names)" : ""}; running hush git resolve again would start the resolution over`,
    ],
  });
}

/**
 * The blob of each stage (1 base, 2 ours, 3 theirs) of the conflicted file `rel`, from
 * `git ls-files -u -z` output. A literal pathspec still matches a directory's files, and with
 * `core.ignorecase` names of another case: only the file itself is taken (the one name that
 * differs from `rel` in case alone, when none is `rel`), or `resolve dir` would merge one file's
 * side with another's and write the result as `dir`. Empty when there is no such single file.
 */
function conflictStages(lsFiles: string, rel: string): Map<number, string> {
  const entries = lsFiles.split("\0").flatMap((entry) => {
    const m = /^\d+ ([0-9a-f]+) ([123])\t(.*)$/s.exec(entry);
    return m === null || m[3]!.toLowerCase() !== rel.toLowerCase() ? [] : [{ blob: m[1]!, stage: Number(m[2]), path: m[3]! }];
  });
  const exact = entries.filter((e) => e.path === rel);
  const chosen = exact.length > 0 ? exact : entries;
  if (new Set(chosen.map((e) => e.path)).size !== 1) return new Map();
  return new Map(chosen.map((e) => [e.stage, e.blob]));
}

/**
 * An editor that failed gives up the resolution (status 1, where hush edit has SOPS's 201):
 * nothing is written, and the message names the file and how to go on.
 */
function editorFailed(failure: EditorFailure, file: string): HushError {
  const what =
    failure.kind === "signal"
      ? `the editor was stopped by ${failure.signal}`
      : failure.kind === "status"
        ? `the editor exited with status ${failure.status}`
        : `cannot read the edited file (${failure.reason})`;
  return new HushError("RESOLUTION_ABANDONED", `${what}; nothing was written`, {
    details: [`next: the merge is still in progress; run \`hush git resolve ${shellPath(file)}\` again`],
  });
}

/** What a message says to do with a resolution kept in FILE.unsaved. */
function redoResolution(file: string): string {
  return `run hush git resolve ${shellPath(file)} again and make your change there`;
}

/** What is wrong with a resolution (markers left, a syntax error, a sops section), or undefined. */
async function resolutionProblem(text: string, format: FileFormat): Promise<string | undefined> {
  if (hasConflictMarkers(text)) {
    const line = text.split("\n").findIndex((l) => /^(?:<{7}|={7}|>{7}|\|{7})(?: |$)/.test(l)) + 1;
    return `conflict markers are still in the resolution${line > 0 ? ` at line ${line}` : ""}: keep the lines you want and remove the markers`;
  }
  try {
    if ((await storeFor(format)).parse(text).metadata !== undefined) return "the resolution must not contain a sops section";
  } catch (err) {
    if (isHushError(err, "PARSE_FAILED")) return err.message;
    throw err;
  }
  return undefined;
}

/**
 * The editor of `session`, reopened with the problem on top (line numbers as the editor shows
 * them) until the resolution is acceptable, at most MAX_EDITOR_REOPENS times. Saving the same
 * text again (or a refused text after that many rounds) gives up: nothing is written, the merge
 * stays in progress, and a text the user changed is kept encrypted in FILE.unsaved (next to
 * `abs`, with `target`'s data key and key entries); an emptied text gives up keeping nothing.
 */
async function editUntilResolved(io: CliIo, session: EditorSession, abs: string, file: string, format: FileFormat, shown: string, target: OpenedFile): Promise<string> {
  const giveUp = [
    "fix the text below and save. To give up, save it unchanged: nothing is written, the merge stays in progress,",
    "and hush keeps your text encrypted in a .unsaved file; to give up and keep nothing, delete all the text and save.",
  ];
  let text = shown;
  let previous: string | undefined;
  for (let reopens = 0; ; reopens++) {
    let saved: Buffer;
    try {
      saved = await session.edit(text);
    } catch (err) {
      // An editor that crashed after the user saved: what it saved is kept, as a refused text is.
      const left = session.crashedText();
      if (!isHushError(err, "RESOLUTION_ABANDONED") || left === undefined || left.equals(Buffer.from(text, "utf8"))) throw err;
      const typed = stripHeader(left.toString("utf8"));
      if (typed.trim() === "" || typed === shown) throw err;
      throw err.withDetails(keptCopyDetails(await keepUnsavedCopy(io, abs, typed, target, file), redoResolution(file)));
    }
    const edited = stripHeader(saved.toString("utf8"));
    const problem = await resolutionProblem(edited, format);
    if (problem === undefined) return edited;
    const tooMany = reopens >= MAX_EDITOR_REOPENS;
    if (edited === previous || edited.trim() === "" || tooMany) {
      // Only what the user typed is worth keeping: the text hush showed comes back with a new run.
      const typed = edited.trim() !== "" && edited !== shown;
      const kept = typed ? keptCopyDetails(await keepUnsavedCopy(io, abs, edited, target, file), redoResolution(file)) : [];
      const details = [...(tooMany ? [TOO_MANY_REOPENS] : []), ...(edited === previous ? session.quickReturnDetails() : []), ...kept];
      throw new HushError("RESOLUTION_INVALID", `${file}: ${problem}; nothing was written (the merge is still in progress: run \`hush git resolve ${shellPath(file)}\` again)`, {
        located: true,
        ...(details.length === 0 ? {} : { details }),
      });
    }
    io.stderr.write(`hush: ${printable(file, 1000)}: ${printable(problem, 1000)}; reopening the editor\n`);
    previous = edited;
    text = reopenHeader(file, problem, giveUp) + edited;
  }
}
