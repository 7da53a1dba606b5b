import { formatFromPath, readForDecrypt, type FileFormat, type ParsedDocument } from "@hush/core";

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

/** Formats worth trying for a text, most likely first (cheap checks only). */
export function sniffFormats(text: string): FileFormat[] {
  const out: FileFormat[] = [];
  const head = text.trimStart();
  if (head.startsWith("{")) {
    out.push(looksLikeBinaryEnvelope(text) ? "binary" : "json");
    out.push(out[0] === "binary" ? "json" : "binary");
  }
  if (/^sops:[ \t]*\r?$/m.test(text)) out.push("yaml");
  if (/^sops_(?:version|mac|lastmodified)=/m.test(text)) out.push("dotenv");
  if (/^\[sops\][ \t]*\r?$/m.test(text)) {
    // TOML quotes its strings; INI does not.
    out.push(/^version[ \t]*=[ \t]*"/m.test(text) ? "toml" : "ini", /^version[ \t]*=[ \t]*"/m.test(text) ? "ini" : "toml");
  }
  return [...new Set(out)];
}

/** `{"data": "ENC[…]", "sops": {…}}` and nothing else: SOPS's binary envelope. */
function looksLikeBinaryEnvelope(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const keys = Object.keys(v).sort();
    return keys.length === 2 && keys[0] === "data" && keys[1] === "sops";
  } catch {
    return false;
  }
}

async function tryParse(format: FileFormat, text: string): Promise<ParsedDocument | undefined> {
  try {
    // The decrypt reader: the span scanner where it reads the file, else the format's parser.
    return (await readForDecrypt(text, format)).doc;
  } catch {
    return undefined;
  }
}

/**
 * The format of a file. `path` may be a temporary copy's name (its extension is kept by git) or
 * absent. Undefined when the format is unknown and no store finds metadata in it.
 */
export async function detectFormat(path: string | undefined, text: string): Promise<DetectedFormat | undefined> {
  const byName = path === undefined ? undefined : formatFromPath(path);
  if (byName !== undefined) {
    const parsed = await tryParse(byName, text);
    if (parsed?.metadata !== undefined) return { format: byName, encrypted: true, parsed };
  }
  for (const format of sniffFormats(text)) {
    if (format === byName) continue;
    const parsed = await tryParse(format, text);
    if (parsed?.metadata !== undefined) return { format, encrypted: true, parsed };
  }
  if (byName !== undefined) return { format: byName, encrypted: false, parsed: await tryParse(byName, text) };
  return undefined;
}
