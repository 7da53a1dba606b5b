import { HushError } from "../errors.ts";
import { formatKeyPath } from "../tree/values.ts";
import type { Leaf } from "./store.ts";

/**
 * The error of a renderer that has no form in which a decrypted value reads back as itself in its
 * place: the syntax around its envelope (quotes, markers, a comment moved next to it) is outside
 * the MAC, so somebody without the key changed it. Names the key path and line, never the value.
 * `what` says which value ("the value", "the comment after the value").
 */
export function styleTampered(leaf: Leaf, what = "the value"): HushError {
  const where = formatKeyPath(leaf.path);
  return new HushError("VALUE_TAMPERED", `${what} at ${where} (line ${leaf.line}) would not read back as itself: the text around its envelope, which the MAC does not cover, was changed`, {
    location: { keyPath: where, line: leaf.line },
    hint: "take the file from a revision you trust (git log -p shows who changed it), or set the value again with hush set",
  });
}
