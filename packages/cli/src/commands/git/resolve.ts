import { relative, resolve, sep } from "node:path";
import { formatFromPath, HushError, printable, storeFor, type FileFormat } from "@hush/core";
import { conflictLines, detectFormat, hasConflictMarkers, metadataEmitOptions, openSides, planMerge, renderConflicts, sealMerge } from "@hush/git";
import { CliError, EXIT } from "../../exit-codes.ts";
import { writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
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
  if (flags.ours === true && flags.theirs === true) throw new CliError(EXIT.conflictingParameters, "--ours and --theirs cannot be used together");
  const repo = await openRepo(io);
  const abs = resolve(io.cwd, file);
  const rel = relative(repo.root, abs).split(sep).join("/");
  const staged = await repo.git.raw(["ls-files", "-u", "-z", "--", rel]);
  const stages = new Map<number, string>();
  for (const entry of staged.split("\0")) {
    const m = /^\d+ ([0-9a-f]+) ([123])\t/.exec(entry);
    if (m !== null) stages.set(Number(m[2]), m[1]!);
  }
  if (stages.size === 0) throw new CliError(EXIT.generic, `${file}: not in a conflicted merge (nothing to resolve)`);
  const oursSha = stages.get(2);
  const theirsSha = stages.get(3);
  if (oursSha === undefined || theirsSha === undefined) {
    throw new CliError(EXIT.generic, `${file}: deleted on ${oursSha === undefined ? "our" : "their"} side; keep it with \`git add ${file}\` or remove it with \`git rm ${file}\``);
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
      resolution = await editText(io, file, shown);
      if (hasConflictMarkers(resolution)) {
        throw new CliError(EXIT.generic, `${file}: conflict markers are still in the resolution; nothing was written (run \`hush git resolve ${file}\` again)`);
      }
      const doc = (await storeFor(format)).parse(resolution);
      if (doc.metadata !== undefined) throw new CliError(EXIT.generic, `${file}: the resolution must not contain a sops section; nothing was written`);
    }
    // Refused (nothing written) unless the result opens through its own key entries.
    const out = await sealMerge(plan.target, resolution, { keySources, emit: await metadataEmitOptions(format, ours) });
    writeFileAtomic(abs, out, { plaintext: false });
    await repo.git.raw(["add", "--", rel]);
    await writeOut(io.stderr, `hush: ${displayName}: resolved, encrypted and staged (git add); commit to finish the merge\n`);
    return 0;
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
}
