import { checkString } from "../arguments.ts";
import { checkFormat, storeFor, type FileFormat } from "../stores/registry.ts";
import type { TreeMap } from "../tree/values.ts";

/**
 * Re-writes a plaintext document in another format through its value tree.
 * @throws HushError PARSE_FAILED when `text` does not parse; EMIT_FAILED when the tree does not fit `to`.
 */
export async function convertPlaintext(text: string, from: FileFormat, to: FileFormat, indent: number | undefined): Promise<string> {
  checkString(text, "the text");
  checkFormat(from);
  checkFormat(to);
  if (from === to) return text;
  const tree: TreeMap = (await storeFor(from)).toTree(text);
  return (await storeFor(to)).emitTree(tree, indent === undefined ? {} : { indent });
}
