import { isUtf8 } from "node:buffer";
import { statSync } from "node:fs";
import { printable, shellPath, type FileFormat } from "@hush/core";
import { conflictLines, detectFormat, MERGE_NOTE_MAX_CHARS, mergeEncryptedTexts, mergeLines } from "@hush/git";
import { readInputFile, writeFileAtomic, type CliIo } from "../../io.ts";
import { exitCancelled } from "../../workflows/interrupt.ts";
import { onTerminationSignals, tryWriteErr } from "../../workflows/private-dir.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import { gitTakesForBinary } from "./git-binary.ts";
import { holdsEncryptedValue, MERGE_MAX_BYTES_ENV, mergeSizeLimit, oversizedVersion, writeWholeVersionsConflict } from "./merge-bounds.ts";

/** The longest conflict marker written (git's default is 7; code that nests merges uses a few more). */
const MAX_MARKER_SIZE = 100;

/** How the messages name the versions, in the order they are read (ours, theirs, base). */
const VERSION_NAMES = ["ours", "theirs", "the common ancestor"] as const;

/** git's conflict marker size when the `conflict-marker-size` attribute does not set one. */
const DEFAULT_MARKER_SIZE = 7;

/**
 * `hush git merge %O %A %B %L %P`: git's merge driver. Writes the result over %A and exits 0 for
 * a clean merge, 1 for a conflict (git then marks the file conflicted). The conflicted file holds
 * markers around encrypted values only; `hush git resolve` finishes the merge.
 */
export async function runMergeDriver(io: CliIo, basePath: string, oursPath: string, theirsPath: string, markerSize: string | undefined, path: string | undefined): Promise<number> {
  const name = path ?? oursPath;
  // git's %P, recipients and key paths come from the repository: escape control characters.
  const shown = printable(name, 1000);
  // The name in a command to paste: a branch's file name may hold `$(…)` or `;`.
  const word = shellPath(name, 1000);
  const say = (line: string, max = 4000): void => {
    tryWriteErr(io.stderr, `hush: ${shown}: ${printable(line, max)}\n`);
  };
  const progress = { written: false };
  // git takes a driver that a signal ended for one that found a conflict, and says only
  // "CONFLICT (content)": ours stays in the file without a marker, and `git add` of it would
  // drop theirs. The signal's handler says so and what to run; written results are whole (the
  // write holds signals off until its rename).
  const stop = onTerminationSignals((signal) => {
    say(
      progress.written
        ? `stopped by ${signal} after the merge was written; git lists the file as conflicted: look at it and \`git add ${word}\`, or run \`hush git resolve ${word}\``
        : `stopped by ${signal} before the merge was written: the file holds our version alone, theirs not merged in, and git lists it as conflicted; next: \`hush git resolve ${word}\``,
    );
    exitCancelled(signal);
  });
  try {
    return await mergeVersions({ io, basePath, oursPath, theirsPath, markerSize, name, word, say, progress });
  } finally {
    stop();
  }
}

/** What {@link mergeVersions} works with; `progress.written` is set once %A holds its result. */
interface MergeRun {
  readonly io: CliIo;
  readonly basePath: string;
  readonly oursPath: string;
  readonly theirsPath: string;
  readonly markerSize: string | undefined;
  readonly name: string;
  readonly word: string;
  readonly say: (line: string, max?: number) => void;
  readonly progress: { written: boolean };
}

/** The merge itself: writes its result over %A and returns the driver's status. */
async function mergeVersions(run: MergeRun): Promise<number> {
  const { io, basePath, oursPath, theirsPath, markerSize, name, word, say, progress } = run;
  const size = markerSize === undefined ? undefined : Number.parseInt(markerSize, 10);
  // %L is the repository's `conflict-marker-size` attribute, a branch's to set: a size of 300
  // million would have every marker line take 300 MB and the merge run out of memory.
  const sizeOption = size !== undefined && Number.isInteger(size) && size > 0 ? { markerSize: Math.min(size, MAX_MARKER_SIZE) } : {};
  // Decided from the sizes alone, before any version is read: a branch's file can be of any size.
  const limit = mergeSizeLimit(io);
  const oversized = oversizedVersion(
    [
      { name: "ours", path: oursPath },
      { name: "theirs", path: theirsPath },
      { name: "the common ancestor", path: basePath },
    ],
    limit,
  );
  if (oversized !== undefined) {
    const base = (await baseShownWhole(basePath, name, limit)) ? basePath : undefined;
    writeWholeVersionsConflict({ ours: oursPath, base, theirs: theirsPath }, sizeOption.markerSize ?? DEFAULT_MARKER_SIZE);
    progress.written = true;
    say(
      `not merged: ${oversized.name} is ${oversized.size} bytes, above the merge limit of ${limit}; the file holds both sides whole as one conflict (nothing decrypted); next: \`hush git resolve ${word}\`, or raise the limit (${MERGE_MAX_BYTES_ENV}=<bytes>) and run \`git checkout -m ${word}\``,
    );
    return 1;
  }
  // Read within the limit too: a version that grew after its size was looked at is refused.
  const versions = [oursPath, theirsPath, basePath].map((p) => readInputFile(p, { maxBytes: limit }));
  // Text that is not UTF-8 is read byte for byte (latin1), so that merging lines keeps its bytes:
  // read as UTF-8, each such byte would become U+FFFD in the merged file.
  const encoding = versions.every((bytes) => isUtf8(bytes)) ? "utf8" : "latin1";
  const [ours, theirs, base] = versions.map((bytes) => bytes.toString(encoding)) as [string, string, string];
  const oursDetected = await detectFormat(name, ours);
  const theirsDetected = await detectFormat(name, theirs);
  if (oursDetected?.encrypted !== true && theirsDetected?.encrypted !== true) {
    // git merges no lines of a binary file: merged line by line, an image or a key store that
    // both sides changed came out "clean" and broken. As git does, ours stays and it conflicts.
    const binary = versions.findIndex(gitTakesForBinary);
    if (binary >= 0) {
      say(
        `not merged: ${VERSION_NAMES[binary]} is binary (a NUL byte among its first 8000 bytes, git's test), and a binary file's lines do not merge; ours is kept as it is, as git keeps it; next: keep ours with \`git add ${word}\`, or take theirs with \`git checkout --theirs ${word}\` and \`git add ${word}\``,
      );
      return 1;
    }
    // Not encrypted on either side (a pattern can cover plain files too): merge lines as git does.
    const lines = mergeLines(base, ours, theirs, { onConflict: "markers", ...sizeOption, labels: { ours: "ours", base: "base", theirs: "theirs" } });
    // A file encrypted on neither side: no secrets were decrypted into it.
    writeFileAtomic(oursPath, Buffer.from(lines.text, encoding), { plaintext: false });
    progress.written = true;
    return lines.conflicts > 0 ? 1 : 0;
  }
  if (encoding !== "utf8") {
    writeWholeVersionsConflict({ ours: oursPath, base: (await encryptedOrEmpty(name, base)) ? basePath : undefined, theirs: theirsPath }, sizeOption.markerSize ?? DEFAULT_MARKER_SIZE);
    progress.written = true;
    say(`not merged: a version is not UTF-8, which an encrypted text file must be; the file holds both sides whole as one conflict (nothing decrypted); next: keep one side whole (\`git checkout --ours ${word}\` or --theirs, then \`git add ${word}\`) and make your changes again with hush edit`);
    return 1;
  }
  // Encrypted on at least one side (checked above): that side's format.
  const format: FileFormat = (oursDetected?.encrypted === true ? oursDetected : theirsDetected)!.format;
  const outcome = await mergeEncryptedTexts({
    format,
    base: base === "" ? undefined : base,
    ours,
    theirs,
    keySources: createKeySourceResolver(io.env),
    ...sizeOption,
    labels: { ours: "ours", base: "base", theirs: "theirs" },
  });
  writeFileAtomic(oursPath, outcome.text, { plaintext: false });
  progress.written = true;
  for (const note of outcome.notes) say(note, MERGE_NOTE_MAX_CHARS);
  switch (outcome.status) {
    case "merged":
      say("merged by key path");
      return 0;
    case "conflict":
      for (const line of conflictLines(outcome.conflicts)) say(`conflict at ${line}`);
      say(`the file holds conflict markers around encrypted values; run \`hush git resolve ${word}\` to resolve them in your editor`);
      return 1;
    case "fallback":
      if (outcome.reason === "the file is not encrypted") return outcome.conflicted ? 1 : 0;
      say(`cannot merge by key path: ${outcome.reason}`);
      if (outcome.hint !== undefined) say(`hint: ${outcome.hint}`);
      say(`fell back to a line merge of the encrypted text (no value was decrypted into it); once the cause above is dealt with, \`hush git resolve ${word}\` finishes it`);
      return 1;
  }
}

/**
 * Whether a version may be shown whole in a conflict of an encrypted file: it is encrypted (or
 * empty). A common ancestor from before the file was encrypted holds its values in clear, and
 * the conflicted file must hold ciphertext only (it is often staged as it is).
 */
async function encryptedOrEmpty(name: string, text: string): Promise<boolean> {
  return text === "" || (await detectFormat(name, text))?.encrypted === true;
}

/**
 * Whether the common ancestor goes into a conflict of the whole versions. One within the size
 * limit is read to tell (one from before the file was encrypted is left out); one above it is
 * looked through in pieces for an encrypted value, and left out without one: a large file
 * committed in clear before it was encrypted held its secrets in clear, and the conflicted file
 * is often staged as it is. One that cannot be read is left out.
 */
async function baseShownWhole(path: string, name: string, limit: number): Promise<boolean> {
  try {
    if (statSync(path).size > limit) return holdsEncryptedValue(path);
    return await encryptedOrEmpty(name, readInputFile(path, { maxBytes: limit }).toString("utf8"));
  } catch {
    return false;
  }
}
