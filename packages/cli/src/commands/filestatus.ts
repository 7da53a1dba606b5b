import { HushError, plaintextEncoding, readMetadata, WHOLE_FILE_FORMAT } from "@hush/core";
import { inputFormat } from "../formats.ts";
import { readAll, readInputFile, writeOut, type CliIo } from "../io.ts";

/** How every encrypted value (and the MAC) starts. */
const ENVELOPE_START = "ENC[AES256_GCM,";

/**
 * SOPS's `filestatus`: `{"encrypted":true}` when the file has metadata with a version and a MAC,
 * `{"encrypted":false}` when it has none; `-` reads standard input.
 * @throws HushError PARSE_FAILED / METADATA_INVALID (exit 2) for a file with encrypted values
 *   that cannot be read as its format or whose metadata is broken
 */
export async function runFilestatus(io: CliIo, file: string, flags: { inputType?: string }): Promise<number> {
  const stdin = file === "-";
  // Standard input has no name to take the format from: read as binary, an encrypted YAML
  // document would be reported as not encrypted.
  if (stdin && flags.inputType === undefined) throw new HushError("CONFLICTING_OPTIONS", "filestatus of standard input (-) needs --input-type", { located: true });
  const format = inputFormat(flags.inputType, stdin ? undefined : file, WHOLE_FILE_FORMAT);
  const text = (stdin ? await readAll(io.stdin) : readInputFile(file)).toString(plaintextEncoding(format));
  // An encrypted file that cannot be read as its format, or whose `sops` section is broken, is an
  // error (as SOPS's filestatus fails on it), not "not encrypted": one left with conflict markers
  // would be reported as plaintext, to a script that then copies it as such or encrypts it again.
  // A file without a single encrypted value is not encrypted, however it reads (a list of tool
  // versions with a top-level `sops: 3.9.2`).
  let metadata;
  try {
    metadata = await readMetadata(text, format);
  } catch (err) {
    if (!(err instanceof HushError)) throw err;
    if (text.includes(ENVELOPE_START)) throw err.withFile(stdin ? "stdin" : file);
    metadata = undefined;
  }
  const encrypted = metadata !== undefined && metadata.version !== "" && metadata.mac !== "";
  await writeOut(io.stdout, `${JSON.stringify({ encrypted })}\n`);
  return 0;
}
