import { HushError, plaintextEncoding, readMetadata, WHOLE_FILE_FORMAT } from "@hush/core";
import { inputFormat } from "../formats.ts";
import { readAll, readInputFile, writeOut, type CliIo } from "../io.ts";

/**
 * SOPS's `filestatus`: `{"encrypted":true}` when the file has metadata with a version and a MAC,
 * `{"encrypted":false}` when it has none; `-` reads standard input.
 * @throws HushError PARSE_FAILED / METADATA_INVALID (exit 2) for a file that cannot be read as
 *   its format or whose metadata is broken
 */
export async function runFilestatus(io: CliIo, file: string, flags: { inputType?: string }): Promise<number> {
  const stdin = file === "-";
  // Standard input has no name to take the format from: read as binary, an encrypted YAML
  // document would be reported as not encrypted.
  if (stdin && flags.inputType === undefined) throw new HushError("CONFLICTING_OPTIONS", "filestatus of standard input (-) needs --input-type", { located: true });
  const format = inputFormat(flags.inputType, stdin ? undefined : file, WHOLE_FILE_FORMAT);
  const text = (stdin ? await readAll(io.stdin) : readInputFile(file)).toString(plaintextEncoding(format));
  // A file that cannot be read as its format, or whose `sops` section is broken, is an error (as
  // SOPS's filestatus fails on it), not "not encrypted": an encrypted file with conflict markers
  // would be reported as plaintext, to a script that then copies it as such or encrypts it again.
  let metadata;
  try {
    metadata = await readMetadata(text, format);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(stdin ? "stdin" : file) : err;
  }
  const encrypted = metadata !== undefined && metadata.version !== "" && metadata.mac !== "";
  await writeOut(io.stdout, `${JSON.stringify({ encrypted })}\n`);
  return 0;
}
