import { getAtPath, HushError, openText, parseTreePath, storeFor, type FileFormat, type TreeNode } from "@hush/core";
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

/** Decrypts a file (or stdin) to plaintext text in its own format. */
export async function decryptInput(io: CliIo, file: string | undefined, flags: DecryptFlags): Promise<{ text: string; format: FileFormat }> {
  const name = flags.filenameOverride ?? file;
  const format = inputFormat(flags.inputType, name, "binary");
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  // A binary envelope is JSON: read it as text even though its payload is bytes.
  const text = decodeInput(bytes, format === "binary" ? "json" : format, file ?? "stdin");
  try {
    const opened = await openText(text, { format, keySources: createKeySourceResolver(io.env), ignoreMac: flags.ignoreMac === true });
    return { text: opened.plaintext, format };
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file ?? "stdin") : err;
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
  const wrapped = out.emitTree({ kind: "map", entries: [{ kind: "entry", key: "v", value: node }] }, opts);
  if (outFormat === "json") {
    const inner = wrapped.slice(wrapped.indexOf(":") + 1).trim();
    return inner.slice(0, inner.lastIndexOf("}")).trim();
  }
  return (await storeFor("yaml")).emitTree({ kind: "map", entries: [{ kind: "entry", key: "v", value: node }] }, opts).replace(/^v: ?/, "").replace(/^\n/, "").replace(/^ {4}/gm, "");
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
  await emitResult(io, flags, file, encodeOutput(out, flags.extract !== undefined && format === "binary" ? "binary" : outFormat), 0o600);
  return 0;
}
