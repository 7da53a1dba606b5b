import { relative, resolve, sep } from "node:path";
import { formatFromPath, HushError, isHushError, printable, storeFor, type FileFormat } from "@hush/core";
import { conflictLines, detectFormat, hasConflictMarkers, metadataEmitOptions, openSides, planMerge, renderConflicts, sealMerge } from "@hush/git";
import { writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
import { reopenHeader, stripHeader } from "../../workflows/edit-rescue.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import { editText } from "./editor.ts";
import { openRepo, readBlob } from "./repo.ts";

export interface ResolveFlags {
  ours?: boolean;
  theirs?: boolean;
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
  const stages = new Map<number, string>();
  for (const entry of staged.split("\0")) {
    const m = /^\d+ ([0-9a-f]+) ([123])\t/.exec(entry);
    if (m !== null) stages.set(Number(m[2]), m[1]!);
  }
  if (stages.size === 0) throw new HushError("NOT_RESOLVABLE", `${file}: not in a conflicted merge (nothing to resolve)`, { located: true });
  const oursSha = stages.get(2);
  const theirsSha = stages.get(3);
  if (oursSha === undefined || theirsSha === undefined) {
    throw new HushError("NOT_RESOLVABLE", `${file}: deleted on ${oursSha === undefined ? "our" : "their"} side; keep it with \`git add ${file}\` or remove it with \`git rm ${file}\``, { located: true });
  }
  const text = async (sha: string | undefined): Promise<string | undefined> => (sha === undefined ? undefined : (await readBlob(repo, sha)).toString("utf8"));
  const ours = (await text(oursSha))!;
  const theirs = (await text(theirsSha))!;
  const base = await text(stages.get(1));
  const format: FileFormat = formatFromPath(file) ?? (await detectFormat(undefined, ours))?.format ?? "yaml";
  const keySources = createKeySourceResolver(io.env);
  const favour = flags.theirs === true ? "theirs" : "ours";
  try {
    const sides = await openSides({ format, base, ours, theirs, keySources });
    const plan = await planMerge(sides, { keySources, favour });
    // Notes quote recipients from the branches: escape control characters.
    const displayName = printable(file, 1000);
    for (const note of plan.notes) io.stderr.write(`hush: ${displayName}: ${printable(note, 4000)}\n`);
    let resolution = plan.plaintext;
    if (plan.conflicts.length > 0 && flags.ours !== true && flags.theirs !== true) {
      const shown = await renderConflicts({
        format,
        merged: plan.plaintext,
        theirs: sides.theirs.plaintext,
        base: sides.basePlaintext,
        conflicts: plan.conflicts,
        labels: { ours: "ours", base: "base", theirs: "theirs" },
      });
      io.stderr.write(`hush: ${displayName}: ${plan.conflicts.length} conflict(s): ${printable(conflictLines(plan.conflicts).join("; "), 4000)}\nhush: opening the editor; keep the lines you want and remove the markers\n`);
      resolution = await editUntilResolved(io, file, format, shown);
    }
    // Refused (nothing written) unless the result opens through its own key entries.
    const out = await sealMerge(plan.target, resolution, { keySources, emit: await metadataEmitOptions(format, ours) });
    writeFileAtomic(abs, out, { plaintext: false });
    await repo.git.raw(["add", "--", pathspec]);
    await writeOut(io.stderr, `hush: ${displayName}: resolved, encrypted and staged (git add); commit to finish the merge\n`);
    return 0;
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
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
 * The editor, reopened with the problem on top (line numbers as the editor shows them) until the
 * resolution is acceptable. Saving the same text again, or an empty text, gives up: nothing is
 * written and the merge stays in progress.
 */
async function editUntilResolved(io: CliIo, file: string, format: FileFormat, shown: string): Promise<string> {
  const giveUp = [`fix the text below and save. To give up, save it unchanged: nothing is written and the merge stays in progress.`];
  let text = shown;
  let previous: string | undefined;
  for (;;) {
    const edited = stripHeader(await editText(io, file, text));
    const problem = await resolutionProblem(edited, format);
    if (problem === undefined) return edited;
    if (edited === previous || edited.trim() === "") {
      throw new HushError("RESOLUTION_INVALID", `${file}: ${problem}; nothing was written (the merge is still in progress: run \`hush git resolve ${file}\` again)`, { located: true });
    }
    io.stderr.write(`hush: ${printable(file, 1000)}: ${printable(problem, 1000)}; reopening the editor\n`);
    previous = edited;
    text = reopenHeader(file, problem, giveUp) + edited;
  }
}
