import { goAtoi, goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import { storeFor } from "../stores/registry.ts";
import type { FileFormat } from "../stores/store.ts";
import type { ScalarValue, TreeNode } from "../tree/values.ts";

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

/**
 * A value taken out of a document (`decrypt --extract`), as SOPS prints it: a string raw, a map
 * as a document in `outFormat`, other values as that format's store writes them.
 * @throws HushError EMIT_FAILED when the value does not fit `outFormat`.
 */
export async function renderExtracted(node: TreeNode, outFormat: FileFormat, indent: number | undefined): Promise<string> {
  const opts = indent === undefined ? {} : { indent };
  if (node.kind === "scalar" && (node.value.type === "str" || node.value.type === "time")) return node.value.text;
  if (node.kind === "scalar" && (outFormat === "yaml" || outFormat === "json")) {
    // YAML: yaml.Marshal (value and a line break); JSON: the bare value.
    return outFormat === "yaml" ? `${goScalarText(node.value)}\n` : goScalarText(node.value);
  }
  // Only maps, lists and other formats need a store (a scalar must not load a YAML emitter).
  const out = await storeFor(outFormat);
  if (node.kind === "map") return out.emitTree(node, opts);
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

