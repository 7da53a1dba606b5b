import { formatKeyPath, looksEncrypted, storeFor, type FileFormat, type Leaf } from "@hush/core";
import type { CheckProblem } from "./check.ts";

/**
 * An envelope's `type:` label is the one part of a SOPS value nothing checks: AES-GCM binds the
 * ciphertext to its key path, and the MAC hashes the plaintext's bytes, which are the same for the
 * integer 5432 and the string "5432", for the boolean false and the string "False". So a branch
 * without the key can relabel `port` as a string, or turn `auth_disabled: false` into the string
 * "False", which most languages take for true, and SOPS and hush both decrypt it. Without the
 * earlier version nothing tells; with it, the relabelling shows: no tool writes a ciphertext again
 * under another label (hush reuses an IV only for the same type, SOPS never reuses one), so the
 * same `data`, `iv` and `tag` under a new type was edited by hand.
 */

/** An envelope's ciphertext (data, IV and GCM tag) and its type label, as written. */
function splitEnvelope(text: string): { ciphertext: string; type: string } | undefined {
  const match = /^ENC\[AES256_GCM,(data:[^,\]]*,iv:[^,\]]*,tag:[^,\]]*),type:([a-z]+)\]$/.exec(text.trimEnd());
  return match === null ? undefined : { ciphertext: match[1]!, type: match[2]! };
}

function envelopes(leaves: readonly Leaf[]): Array<{ leaf: Leaf; ciphertext: string; type: string }> {
  return leaves.flatMap((leaf) => {
    const text = leaf.kind === "scalar" && leaf.aliased !== true ? leaf.value?.text : undefined;
    const envelope = text !== undefined && looksEncrypted(text) ? splitEnvelope(text) : undefined;
    return envelope === undefined ? [] : [{ leaf, ...envelope }];
  });
}

/**
 * A `retyped-value` error for each value of `text` whose ciphertext `earlier` (the same file at
 * `revision`) holds under another type label. Nothing when either text does not parse: the file
 * is checked on its own for that.
 */
export async function retypedValues(format: FileFormat, text: string, earlier: string, revision: string): Promise<CheckProblem[]> {
  const store = await storeFor(format);
  let now: readonly Leaf[];
  let then: readonly Leaf[];
  try {
    [now, then] = [store.parse(text).leaves, store.parse(earlier).leaves];
  } catch {
    return [];
  }
  const typeOf = new Map(envelopes(then).map((e) => [e.ciphertext, e.type]));
  return envelopes(now).flatMap(({ leaf, ciphertext, type }) => {
    const before = typeOf.get(ciphertext);
    if (before === undefined || before === type) return [];
    const keyPath = formatKeyPath(leaf.path);
    return [
      {
        severity: "error" as const,
        code: "retyped-value" as const,
        keyPath,
        line: leaf.line,
        message: `the value at ${keyPath} (line ${leaf.line}) is labelled ${type} but holds the ciphertext it had as ${before} at ${revision}: no tool writes that, and no MAC covers the label, so it would decrypt to the same bytes as another type. Restore the line from ${revision}, or set the value with hush set`,
      },
    ];
  });
}
