import { formatFromPath, printable, type FileFormat } from "@hush/core";
import { conflictLines, detectFormat, mergeEncryptedTexts, mergeLines } from "@hush/git";
import { readInputFile, writeFileAtomic, type CliIo } from "../../io.ts";
import { createKeySourceResolver } from "../../key-sources.ts";

/**
 * `hush git merge %O %A %B %L %P`: git's merge driver. Writes the result over %A and exits 0 for
 * a clean merge, 1 for a conflict (git then marks the file conflicted). The conflicted file holds
 * markers around encrypted values only; `hush git resolve` finishes the merge.
 */
export async function runMergeDriver(io: CliIo, basePath: string, oursPath: string, theirsPath: string, markerSize: string | undefined, path: string | undefined): Promise<number> {
  const ours = readInputFile(oursPath).toString("utf8");
  const theirs = readInputFile(theirsPath).toString("utf8");
  const base = readInputFile(basePath).toString("utf8");
  const name = path ?? oursPath;
  const size = markerSize === undefined ? undefined : Number.parseInt(markerSize, 10);
  const sizeOption = size !== undefined && Number.isInteger(size) && size > 0 ? { markerSize: size } : {};
  const oursDetected = await detectFormat(name, ours);
  const theirsDetected = await detectFormat(name, theirs);
  if (oursDetected?.encrypted !== true && theirsDetected?.encrypted !== true) {
    // Not encrypted on either side (a pattern can cover plain files too): merge lines as git does.
    const lines = mergeLines(base, ours, theirs, { onConflict: "markers", ...sizeOption, labels: { ours: "ours", base: "base", theirs: "theirs" } });
    writeFileAtomic(oursPath, lines.text);
    return lines.conflicts > 0 ? 1 : 0;
  }
  const format: FileFormat = (oursDetected?.encrypted === true ? oursDetected.format : theirsDetected?.format) ?? formatFromPath(name) ?? "yaml";
  const outcome = await mergeEncryptedTexts({
    format,
    base: base === "" ? undefined : base,
    ours,
    theirs,
    keySources: createKeySourceResolver(io.env),
    ...sizeOption,
    labels: { ours: "ours", base: "base", theirs: "theirs" },
  });
  writeFileAtomic(oursPath, outcome.text);
  // %P is a path from the repository and notes can quote the files: escaped, one line each.
  const say = (line: string): void => {
    io.stderr.write(`hush: ${printable(name, 4096)}: ${printable(line, 4096)}\n`);
  };
  for (const note of outcome.notes) say(note);
  switch (outcome.status) {
    case "merged":
      say("merged by key path");
      return 0;
    case "conflict":
      for (const line of conflictLines(outcome.conflicts)) say(`conflict at ${line}`);
      say(`the file holds conflict markers around encrypted values; run \`hush git resolve ${name}\` to resolve them in your editor`);
      return 1;
    case "fallback":
      if (outcome.reason === "the file is not encrypted") return outcome.conflicted ? 1 : 0;
      say(`cannot merge by key path: ${outcome.reason}`);
      say("fell back to a line merge of the encrypted text; someone with a key can finish it with `hush git resolve " + name + "`");
      return 1;
  }
}
