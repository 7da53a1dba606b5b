import { checkFormat, storeFor, type FileFormat } from "../stores/registry.ts";
import { checkTree } from "../arguments.ts";
import { wrapValue, yamlValueText } from "../stores/value-text.ts";
import type { TreeNode } from "../tree/values.ts";

/**
 * A value taken out of a document (`decrypt --extract`), as SOPS prints it: a string raw, a map
 * as a document in `outFormat`, other values as that format's store writes one value (a store
 * without its own way checks that it can hold the value, which is then printed as YAML).
 * @throws HushError EMIT_FAILED when the value does not fit `outFormat`.
 */
export async function renderExtracted(node: TreeNode, outFormat: FileFormat, indent: number | undefined): Promise<string> {
  checkTree(node, "the extracted node");
  checkFormat(outFormat);
  const out = await storeFor(outFormat);
  const opts = indent === undefined ? {} : { indent };
  if (node.kind === "scalar" && (node.value.type === "str" || node.value.type === "time")) return node.value.text;
  if (node.kind === "map") return out.emitTree(node, opts);
  if (out.emitValue !== undefined) return out.emitValue(node, opts);
  out.emitTree(wrapValue(node), opts);
  return yamlValueText(node, opts);
}
