import { HushError, plaintextEncoding, readMetadata, WHOLE_FILE_FORMAT } from "@hush/core";
import { inputFormat } from "../formats.ts";
import { readAll, readInputFile, writeOut, type CliIo } from "../io.ts";

/** SOPS's `filestatus`: `{"encrypted":true}` when the file has metadata with a version and a MAC; `-` reads standard input. */
export async function runFilestatus(io: CliIo, file: string, flags: { inputType?: string }): Promise<number> {
  const stdin = file === "-";
  // Standard input has no name to take the format from: read as binary, an encrypted YAML
  // document would be reported as not encrypted.
  if (stdin && flags.inputType === undefined) throw new HushError("CONFLICTING_OPTIONS", "filestatus of standard input (-) needs --input-type", { located: true });
  const format = inputFormat(flags.inputType, stdin ? undefined : file, WHOLE_FILE_FORMAT);
  const text = (stdin ? await readAll(io.stdin) : readInputFile(file)).toString(plaintextEncoding(format));
  let encrypted = false;
  try {
    const m = await readMetadata(text, format);
    encrypted = m !== undefined && m.version !== "" && m.mac !== "";
  } catch {
    encrypted = false;
  }
  await writeOut(io.stdout, `${JSON.stringify({ encrypted })}\n`);
  return 0;
}
