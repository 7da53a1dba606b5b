import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readFileSync, statSync } from "node:fs";
import { HushError, printable } from "@hush/core";
import { DEFAULT_TEXTCONV_MAX_BYTES, renderDiffView, renderTooLargeView, TEXTCONV_MAX_BYTES_ENV, TOO_LARGE_SUMMARY_MAX_BYTES, tooLargeSummary } from "@hush/git";
import { readInputFile, writeOutput, type CliIo } from "../../io.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import { byteLimit } from "./byte-limit.ts";
import { nameOnDisk } from "./name-on-disk.ts";

/**
 * `hush git textconv FILE`: git's diff driver. Prints the metadata summary and the decrypted file,
 * or its structure with markers when no key opens it; always exits 0 for content problems so
 * `git diff` keeps working. Files above the size limit are not decrypted (git runs this once per
 * side of every diff, so a huge file would stall `git log -p`). Nothing is written to disk.
 */
export async function runTextconv(io: CliIo, file: string): Promise<number> {
  const limit = sizeLimit(io);
  const target = nameOnDisk(file);
  let size: number | undefined;
  try {
    size = statSync(target).size;
  } catch {
    size = undefined; // readInputFile reports it
  }
  if (size !== undefined && size > limit) {
    if (size > TOO_LARGE_SUMMARY_MAX_BYTES) {
      await writeOutput(io, renderTooLargeView(size, limit, await sha256Of(target)).output);
      return 0;
    }
    // Still who can read it and under which rule: padding must not hide a change of those.
    const bytes = readTarget(target, file);
    await writeOutput(io, renderTooLargeView(bytes.length, limit, createHash("sha256").update(bytes).digest("hex"), await tooLargeSummary(bytes, file)).output);
    return 0;
  }
  const bytes = readTarget(target, file);
  const view = await renderDiffView(bytes, { path: file, keySources: createKeySourceResolver(io.env) });
  await writeOutput(io, view.output);
  return 0;
}

/** The limit from HUSH_TEXTCONV_MAX_BYTES (a byte count, optionally with a K, M or G suffix), else the default. */
export function sizeLimit(io: CliIo): number {
  return byteLimit(io, TEXTCONV_MAX_BYTES_ENV, DEFAULT_TEXTCONV_MAX_BYTES);
}

/**
 * The bytes of the file git named (`target`: its name as {@link nameOnDisk} found it, `file` as
 * given), a regular file only, as readInputFile reads one. A name found as bytes is read by them.
 */
function readTarget(target: string | Buffer, file: string): Buffer {
  if (typeof target === "string") return readInputFile(target);
  const found = lstatSync(target);
  if (!found.isFile()) throw new HushError("READ_FAILED", `${printable(file)}: not a regular file`, { located: true });
  return readFileSync(target);
}

async function sha256Of(file: string | Buffer): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
