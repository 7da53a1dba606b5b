import { checkString, describeKind } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { SopsConfig } from "../config/sops-config.ts";
import type { FastReader, Store } from "./store.ts";

/**
 * Every format hush reads and writes, in one table: its name, the names and paths that select it,
 * the facts programs around the stores need before any store is loaded, and how to load its
 * store. Adding a format is its store module(s) in this folder and one entry here; no other code
 * names a format.
 */
export interface StoreRegistration {
  /** The name `--input-type`/`--output-type` take and `FileFormat` holds. */
  readonly format: string;
  /** Other names the type flags accept. */
  readonly aliases: readonly string[];
  /** True when a path's name (case-sensitive, like SOPS) says it is in this format. */
  readonly matchesPath?: (path: string) => boolean;
  /** How its plaintext is held in a string: byte for byte (latin1) or UTF-8 text. */
  readonly plaintextEncoding: "latin1" | "utf8";
  /**
   * True when the whole file is one value (SOPS's binary store): no encryption rule applies, and
   * the encrypted file is written in `encryptedAs`.
   */
  readonly wholeFile: boolean;
  /** The format an encrypted file is written in, when not this one. */
  readonly encryptedAs?: string;
  /** True when the format has comments, which writing a document afresh would lose. */
  readonly comments: boolean;
  /** The document a new file starts with. */
  readonly example: string;
  /** The `.sops.yaml` `stores` setting that gives its indentation, if any. */
  readonly configIndent?: keyof SopsConfig["stores"];
  /**
   * How likely an encrypted text of unknown name is in this format, from cheap checks (0: not;
   * higher is tried first). Used where git hands over temporary copies.
   */
  readonly sniff: (text: string) => number;
  /** The store, loaded on first use (a deploy script decrypting YAML never loads the TOML parser). */
  readonly load: () => Promise<Store>;
  /** A reader for decryption that needs no general parser (see `FastReader`), loaded on first use. */
  readonly loadFastReader?: () => Promise<FastReader>;
}

/** `{"data": "ENC[…]", "sops": {…}}` and nothing else: SOPS's binary envelope. */
function looksLikeBinaryEnvelope(text: string): boolean {
  if (!text.trimStart().startsWith("{")) return false;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const keys = Object.keys(v).sort();
    return keys.length === 2 && keys[0] === "data" && keys[1] === "sops";
  } catch {
    return false;
  }
}

const sectionMetadata = /^\[sops\][ \t]*\r?$/m;
/** In a `[sops]` section TOML quotes its strings; INI does not. */
const quotedVersion = /^version[ \t]*=[ \t]*"/m;

const REGISTRY = [
  {
    format: "yaml",
    aliases: ["yml"],
    matchesPath: (path) => /\.ya?ml$/.test(path),
    plaintextEncoding: "utf8",
    wholeFile: false,
    comments: true,
    example: "example_key: example_value\n",
    configIndent: "yamlIndent",
    sniff: (text) => (/^sops:[ \t]*\r?$/m.test(text) ? 1 : 0),
    load: async () => (await import("./yaml-store.ts")).yamlStore,
    loadFastReader: async () => (await import("./yaml-fast-reader.ts")).yamlFastReader,
  },
  {
    format: "json",
    aliases: [],
    matchesPath: (path) => path.endsWith(".json"),
    plaintextEncoding: "utf8",
    wholeFile: false,
    comments: false,
    example: '{\n\t"example_key": "example_value"\n}\n',
    configIndent: "jsonIndent",
    sniff: (text) => (!text.trimStart().startsWith("{") ? 0 : looksLikeBinaryEnvelope(text) ? 2 : 3),
    load: async () => (await import("./json-store.ts")).jsonStore,
    loadFastReader: async () => (await import("./json-fast-reader.ts")).jsonFastReader,
  },
  {
    format: "dotenv",
    aliases: ["env"],
    matchesPath: (path) => path.endsWith(".env") || /(^|\/)\.env(\.[^/]*)?$/.test(path),
    plaintextEncoding: "utf8",
    wholeFile: false,
    comments: true,
    example: "EXAMPLE_KEY=example_value\n",
    sniff: (text) => (/^sops_(?:version|mac|lastmodified)=/m.test(text) ? 1 : 0),
    load: async () => (await import("./dotenv-store.ts")).dotenvStore,
  },
  {
    format: "ini",
    aliases: [],
    matchesPath: (path) => path.endsWith(".ini"),
    plaintextEncoding: "utf8",
    wholeFile: false,
    comments: true,
    example: "[section]\nexample_key = example_value\n",
    sniff: (text) => (!sectionMetadata.test(text) ? 0 : quotedVersion.test(text) ? 0.5 : 1),
    load: async () => (await import("./ini-store.ts")).iniStore,
  },
  {
    format: "toml",
    aliases: [],
    matchesPath: (path) => path.endsWith(".toml"),
    plaintextEncoding: "utf8",
    wholeFile: false,
    comments: true,
    example: 'example_key = "example_value"\n',
    sniff: (text) => (!sectionMetadata.test(text) ? 0 : quotedVersion.test(text) ? 1 : 0.5),
    load: async () => (await import("./toml-store.ts")).tomlStore,
  },
  {
    // Never chosen by a name: unlike SOPS, unknown extensions are not silently binary.
    format: "binary",
    aliases: [],
    plaintextEncoding: "latin1",
    wholeFile: true,
    encryptedAs: "json",
    comments: false,
    example: "",
    // SOPS's binary store has its own setting (stores/json NewBinaryStore), not json's.
    configIndent: "jsonBinaryIndent",
    sniff: (text) => (!text.trimStart().startsWith("{") ? 0 : looksLikeBinaryEnvelope(text) ? 3 : 2),
    load: async () => (await import("./binary-store.ts")).binaryStore,
  },
] as const satisfies readonly StoreRegistration[];

/** The formats hush reads and writes. */
export type FileFormat = (typeof REGISTRY)[number]["format"];

/** Every registered format, in registration order. */
export const FORMATS: readonly FileFormat[] = REGISTRY.map((r) => r.format);

/** The registration of a format. */
/** Checks a format argument from a caller of the public API (FORMAT_UNSUPPORTED otherwise). */
export function checkFormat(value: unknown): asserts value is FileFormat {
  if (!(FORMATS as readonly unknown[]).includes(value)) {
    throw new HushError("FORMAT_UNSUPPORTED", `unsupported format ${typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : describeKind(value)} (expected one of ${FORMATS.join(", ")})`);
  }
}

export function registration(format: FileFormat): StoreRegistration {
  const found = REGISTRY.find((r) => r.format === format);
  if (found === undefined) throw new HushError("FORMAT_UNSUPPORTED", `unsupported format ${String(format)}`);
  return found;
}

/**
 * The store of a format, loaded on first use.
 * @throws HushError FORMAT_UNSUPPORTED for a name that is not registered.
 */
export async function storeFor(format: FileFormat): Promise<Store> {
  return registration(format).load();
}

/**
 * Parses a `--input-type`/`--output-type` value (a format's name or alias).
 * @throws HushError FORMAT_UNSUPPORTED naming the formats there are.
 */
export function parseFormat(name: string): FileFormat {
  checkString(name, "the format name");
  const found = REGISTRY.find((r) => r.format === name || (r.aliases as readonly string[]).includes(name));
  if (found !== undefined) return found.format;
  throw new HushError("FORMAT_UNSUPPORTED", `unknown file type "${name}" (expected one of ${FORMATS.join(", ")})`);
}

/**
 * The format of a path by its (case-sensitive, like SOPS) extension; undefined when unknown.
 * Unlike SOPS, unknown extensions are not silently treated as binary: the caller asks for
 * `--input-type binary` explicitly.
 */
export function formatFromPath(path: string): FileFormat | undefined {
  checkString(path, "the path");
  return REGISTRY.find((r) => "matchesPath" in r && r.matchesPath(path))?.format;
}

/**
 * The format that holds a whole file as one value (SOPS's binary store): what a file whose name
 * says nothing is read as where a format must be chosen (decrypt, filestatus, the file API).
 */
export const WHOLE_FILE_FORMAT: FileFormat = REGISTRY.find((r) => r.wholeFile)!.format;

/** How a format's plaintext is held in a string: binary files byte for byte (latin1), others UTF-8. */
export function plaintextEncoding(format: FileFormat): "latin1" | "utf8" {
  return registration(format).plaintextEncoding;
}

/** The format an encrypted file of `format` is written in: binary files are wrapped in JSON. */
export function encryptedTextFormat(format: FileFormat): FileFormat {
  return (registration(format).encryptedAs as FileFormat | undefined) ?? format;
}

/** True when the whole file is one value: no encryption rule selects what is encrypted. */
export function isWholeFileFormat(format: FileFormat): boolean {
  return registration(format).wholeFile;
}

/** True when the format has comments (re-emitting a document loses them). */
export function formatHasComments(format: FileFormat): boolean {
  return registration(format).comments;
}

/** A small example document a new file starts with; "" for binary files. */
export function exampleDocument(format: FileFormat): string {
  return registration(format).example;
}

/** Formats worth trying for an encrypted text of unknown name, most likely first (cheap checks only). */
export function sniffFormats(text: string): FileFormat[] {
  checkString(text, "the text");
  return REGISTRY.map((r, i) => ({ format: r.format, score: r.sniff(text), i }))
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((c) => c.format);
}
