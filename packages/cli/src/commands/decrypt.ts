import { getAtPath, goAtoi, goFormatFloatG, goParseBool, goParseFloat, HushError, openText, parseTreePath, storeFor, type FileFormat, type KeyPath, type ScalarValue, type TreeNode } from "@hush/core";
import { convert, decodeInput, encodeOutput, inputFormat } from "../formats.ts";
import { readAll, readInputFile, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { emitResult, parseIndent } from "./encrypt.ts";

export interface DecryptFlags {
  inPlace?: boolean;
  output?: string;
  extract?: string;
  inputType?: string;
  outputType?: string;
  ignoreMac?: boolean;
  filenameOverride?: string;
  indent?: string;
}

/**
 * Decrypts a file (or stdin) to plaintext text in its own format; `unauthenticated` lists the
 * paths of values not bound to their key (see `OpenedFile.unauthenticated`).
 */
export async function decryptInput(io: CliIo, file: string | undefined, flags: DecryptFlags): Promise<{ text: string; format: FileFormat; unauthenticated: readonly KeyPath[] }> {
  const name = flags.filenameOverride ?? file;
  const format = inputFormat(flags.inputType, name, "binary");
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  // A binary envelope is JSON: read it as text even though its payload is bytes.
  const text = decodeInput(bytes, format === "binary" ? "json" : format, file ?? "stdin");
  try {
    const opened = await openText(text, { format, keySources: createKeySourceResolver(io.env), ignoreMac: flags.ignoreMac === true });
    return { text: opened.plaintext, format, unauthenticated: opened.unauthenticated ?? [] };
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file ?? "stdin") : err;
  }
}

/**
 * A scalar as SOPS's stores print an extracted value (spec 9.7): Go's own renderings of the
 * decoded value (`1.50` prints as `1.5`, `0x1F` as `31`), not the file's spelling.
 */
function goScalarText(value: ScalarValue): string {
  switch (value.type) {
    case "int": {
      const n = goAtoi(value.text);
      return n === undefined ? value.text : n.toString();
    }
    case "float": {
      const f = goParseFloat(value.text);
      if (f === undefined) return value.text;
      if (Number.isNaN(f)) return ".nan";
      if (!Number.isFinite(f)) return f > 0 ? ".inf" : "-.inf";
      return goFormatFloatG(f);
    }
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
    default:
      return value.text;
  }
}

/** `--extract`: a string prints raw, a map prints as a document, other values as the store writes them. */
async function extract(text: string, format: FileFormat, outFormat: FileFormat, pathText: string, indent: number | undefined): Promise<string> {
  let path;
  try {
    path = parseTreePath(pathText);
  } catch (err) {
    throw new CliError(EXIT.invalidTreePathFormat, err instanceof Error ? err.message : String(err));
  }
  const tree = (await storeFor(format)).toTree(text);
  const node: TreeNode = getAtPath(tree, path);
  const out = await storeFor(outFormat);
  const opts = indent === undefined ? {} : { indent };
  if (node.kind === "scalar" && (node.value.type === "str" || node.value.type === "time")) return node.value.text;
  if (node.kind === "map") return out.emitTree(node, opts);
  if (node.kind === "scalar" && (outFormat === "yaml" || outFormat === "json")) {
    // YAML: yaml.Marshal (value and a line break); JSON: the bare value.
    return outFormat === "yaml" ? `${goScalarText(node.value)}\n` : goScalarText(node.value);
  }
  const wrapped = out.emitTree({ kind: "map", entries: [{ kind: "entry", key: "v", value: node }] }, opts);
  if (outFormat === "json") {
    // The value of the one member, moved one level out (Go's json.Indent of the bare value).
    const inner = wrapped.slice(wrapped.indexOf(":") + 1).trim();
    const body = inner.slice(0, inner.lastIndexOf("}")).trim();
    const unit = /\n([ \t]+)/.exec(wrapped)?.[1] ?? "";
    return body
      .split("\n")
      .map((line, i) => (i > 0 && line.startsWith(unit) ? line.slice(unit.length) : line))
      .join("\n");
  }
  const yamlIndent = " ".repeat(indent === undefined || indent <= 0 ? 4 : indent);
  return (await storeFor("yaml"))
    .emitTree({ kind: "map", entries: [{ kind: "entry", key: "v", value: node }] }, opts)
    .replace(/^v: ?/, "")
    .replace(/^\n/, "")
    .split("\n")
    .map((line) => (line.startsWith(yamlIndent) ? line.slice(yamlIndent.length) : line))
    .join("\n");
}

export async function runDecrypt(io: CliIo, file: string | undefined, flags: DecryptFlags): Promise<number> {
  if (flags.inPlace === true && flags.output !== undefined) throw new CliError(EXIT.conflictingParameters, "--in-place and --output cannot be used together");
  const { text, format } = await decryptInput(io, file, flags);
  const outFormat = flags.outputType === undefined ? format : inputFormat(flags.outputType, undefined);
  const indent = parseIndent(flags.indent);
  let out: string;
  try {
    out = flags.extract !== undefined ? await extract(text, format, outFormat, flags.extract, indent) : await convert(text, format, outFormat, indent);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file ?? "stdin") : err;
  }
  await emitResult(io, flags, file, encodeOutput(out, flags.extract !== undefined && format === "binary" ? "binary" : outFormat), { plaintext: true });
  return 0;
}
