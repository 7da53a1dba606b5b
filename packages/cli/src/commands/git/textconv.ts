import { renderDiffView } from "@hush/git";
import { readInputFile, writeOut, type CliIo } from "../../io.ts";
import { createKeySourceResolver } from "../../key-sources.ts";

/**
 * `hush git textconv FILE`: git's diff driver. Prints the decrypted file, or its structure with
 * markers when no key opens it; always exits 0 for content problems so `git diff` keeps working.
 * Nothing is written to disk.
 */
export async function runTextconv(io: CliIo, file: string): Promise<number> {
  const bytes = readInputFile(file);
  const view = await renderDiffView(bytes, { path: file, keySources: createKeySourceResolver(io.env) });
  await writeOut(io.stdout, view.output);
  return 0;
}
