import { decodeMetadata, formatFromPath, readForDecrypt, readWhole, sniffFormats, type FileFormat, type ParsedDocument } from "@hush/core";

/**
 * Which format a file is in, for places where the name may not tell: git hands diff drivers
 * temporary copies, and users name files freely. The extension decides when it is known;
 * otherwise the content is sniffed and the likely stores are tried until one finds SOPS metadata.
 */

export interface DetectedFormat {
  readonly format: FileFormat;
  /** True when the file has a `sops` section in this format. */
  readonly encrypted: boolean;
  /** The parse, when it succeeded (saves parsing again). */
  readonly parsed: ParsedDocument | undefined;
}

/** How {@link detectFormat} reads a text. */
export interface DetectOptions {
  /**
   * Give the store's whole parse (every leaf, comments included: `readWhole`) rather than the
   * decrypt reader's, which may leave out what decryption does not need, such as a plaintext
   * comment. For `hush check`, which judges every leaf and then needs no second parse.
   */
  readonly whole?: boolean;
}

function metadataDecodes(raw: unknown): boolean {
  try {
    decodeMetadata(raw);
    return true;
  } catch {
    return false;
  }
}

async function tryParse(format: FileFormat, text: string, options: DetectOptions): Promise<ParsedDocument | undefined> {
  try {
    // The span scanner where it reads the file (whole, when asked), else the format's parser.
    return options.whole === true ? await readWhole(text, format) : (await readForDecrypt(text, format)).doc;
  } catch {
    return undefined;
  }
}

/**
 * The format of a file. `path` may be a temporary copy's name (its extension is kept by git) or
 * absent. Undefined when the format is unknown and no store finds metadata in it.
 */
export async function detectFormat(path: string | undefined, text: string, options: DetectOptions = {}): Promise<DetectedFormat | undefined> {
  const byName = path === undefined ? undefined : formatFromPath(path);
  if (byName !== undefined) {
    const parsed = await tryParse(byName, text, options);
    if (parsed?.metadata !== undefined) return { format: byName, encrypted: true, parsed };
  }
  for (const format of sniffFormats(text)) {
    if (format === byName) continue;
    const parsed = await tryParse(format, text, options);
    // Where the name gives a format, another one counts only with metadata it can read: INI reads
    // a TOML file that TOML refuses, and its [sops] table as metadata that never decodes, which
    // would hide TOML's reason (a duplicate key, and its line) behind "no keys found".
    if (parsed?.metadata !== undefined && (byName === undefined || metadataDecodes(parsed.metadata))) return { format, encrypted: true, parsed };
  }
  if (byName !== undefined) return { format: byName, encrypted: false, parsed: await tryParse(byName, text, options) };
  return undefined;
}
