import { checkString, FILE_FORMATS } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { FileFormat, Store } from "./store.ts";

/**
 * Stores are loaded on first use: a deploy script decrypting one YAML file should not pay for
 * the TOML or INI parsers.
 */
export async function storeFor(format: FileFormat): Promise<Store> {
  switch (format) {
    case "yaml":
      return (await import("./yaml-store.ts")).yamlStore;
    case "json":
      return (await import("./json-store.ts")).jsonStore;
    case "dotenv":
      return (await import("./dotenv-store.ts")).dotenvStore;
    case "ini":
      return (await import("./ini-store.ts")).iniStore;
    case "toml":
      return (await import("./toml-store.ts")).tomlStore;
    case "binary":
      return (await import("./binary-store.ts")).binaryStore;
    default:
      throw new HushError("FORMAT_UNSUPPORTED", `unsupported format ${String(format)}`);
  }
}

const FORMATS = FILE_FORMATS;

/** Parses a `--input-type`/`--output-type` value. */
export function parseFormat(name: string): FileFormat {
  checkString(name, "the format name");
  const f = name === "yml" ? "yaml" : name === "env" ? "dotenv" : name;
  if ((FORMATS as readonly string[]).includes(f)) return f as FileFormat;
  throw new HushError("FORMAT_UNSUPPORTED", `unknown file type "${name}" (expected one of ${FORMATS.join(", ")})`);
}

/**
 * The format of a path by its (case-sensitive, like SOPS) extension; undefined when unknown.
 * Unlike SOPS, unknown extensions are not silently treated as binary: the caller asks for
 * `--input-type binary` explicitly.
 */
export function formatFromPath(path: string): FileFormat | undefined {
  checkString(path, "the path");
  if (/\.ya?ml$/.test(path)) return "yaml";
  if (path.endsWith(".json")) return "json";
  if (path.endsWith(".env") || /(^|\/)\.env(\.[^/]*)?$/.test(path)) return "dotenv";
  if (path.endsWith(".ini")) return "ini";
  if (path.endsWith(".toml")) return "toml";
  return undefined;
}
