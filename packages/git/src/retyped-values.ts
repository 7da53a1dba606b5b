import { envelopeFields, formatKeyPath, readWhole, type FileFormat, type Leaf } from "@hush/core";
import type { CheckProblem } from "./check.ts";

/**
 * Two parts of a SOPS value's place and type are outside every check. The envelope's `type:`
 * label: AES-GCM binds the ciphertext to its key path, and the MAC hashes the plaintext's bytes,
 * which are the same for the integer 5432 and the string "5432", for the boolean false and the
 * string "False". And list positions: a key path has none, so `debug: ENC[…]` can become
 * `debug: [ENC[…]]`, `[false]` where the file had `false`. Both are true to JavaScript and
 * Python, and SOPS and hush decrypt them. Nor does a YAML document's boundary: a `---` and a copy
 * of the `sops` block put between two keys split a document, and go-yaml v2 (Helm's reader) reads
 * only the first. Without the earlier version nothing tells; with it, the edit shows: no tool
 * writes a ciphertext again under another label, at another depth of lists or in another document
 * (hush reuses an IV only at the same place, document and list indices included, with the same
 * type; SOPS never reuses one), so the same `data`, `iv` and `tag` there was edited by hand. A list
 * item that only moved to another index of its list is not reported: deleting an item before it
 * does that.
 */

/** An encrypted value of a file, with what tells where it is. */
interface PlacedEnvelope {
  readonly leaf: Leaf;
  /** Its data, IV and tag as written (one spelling per ciphertext: see envelopeFields). */
  readonly ciphertext: string;
  readonly type: string;
  /** Where the lists are on the value's path: its key path with each list index as `[]`. */
  readonly depth: string;
}

function envelopes(leaves: readonly Leaf[]): PlacedEnvelope[] {
  return leaves.flatMap((leaf) => {
    const text = leaf.kind === "scalar" && leaf.aliased !== true ? leaf.value?.text : undefined;
    // A malformed envelope is the file check's to report; it decrypts to nothing to compare.
    const envelope = text === undefined ? undefined : envelopeFields(text);
    if (envelope === undefined) return [];
    const depth = leaf.path.map((segment) => (typeof segment === "number" ? "[]" : JSON.stringify(segment))).join("");
    return [{ leaf, ...envelope, depth }];
  });
}

/**
 * A file's encrypted values with their places, read once to be compared with several versions
 * (the merge driver compares each side with the base and with each other); undefined when the
 * text does not parse (the file is checked on its own for that).
 */
export async function placedEnvelopes(format: FileFormat, text: string): Promise<PlacedEnvelopes | undefined> {
  try {
    return { envelopes: envelopes((await readWhole(text, format)).leaves) };
  } catch {
    return undefined;
  }
}

/** What {@link placedEnvelopes} read of a text (opaque). */
export interface PlacedEnvelopes {
  readonly envelopes: readonly PlacedEnvelope[];
}

/**
 * A `retyped-value` error for each value of `text` whose ciphertext `earlier` (the same file at
 * `revision`) holds under another type label, or inside more or fewer lists. Nothing when either
 * text does not parse: the file is checked on its own for that.
 */
export async function retypedValues(format: FileFormat, text: string, earlier: string, revision: string): Promise<CheckProblem[]> {
  const now = await placedEnvelopes(format, text);
  const then = now === undefined ? undefined : await placedEnvelopes(format, earlier);
  return now === undefined || then === undefined ? [] : retypedBetween(now, then, revision);
}

/** {@link retypedValues} of two texts already read with {@link placedEnvelopes}. */
export function retypedBetween(text: PlacedEnvelopes, earlier: PlacedEnvelopes, revision: string): CheckProblem[] {
  const before = new Map(earlier.envelopes.map((e) => [e.ciphertext, e]));
  return text.envelopes.flatMap(({ leaf, ciphertext, type, depth }) => {
    const was = before.get(ciphertext);
    if (was === undefined || (was.type === type && was.depth === depth && was.leaf.document === leaf.document)) return [];
    const keyPath = formatKeyPath(leaf.path);
    const lists = (d: string): number => d.split("[]").length - 1;
    const change =
      was.type !== type
        ? `is labelled ${type} but holds the ciphertext it had as ${was.type}`
        : was.leaf.document !== leaf.document
          ? `holds the ciphertext it had in document ${was.leaf.document + 1}, now in document ${leaf.document + 1},`
          : lists(depth) === lists(was.depth)
            ? // AES-GCM binds a value to its key names joined by ':', so ["db:pw"] opens what ["db"]["pw"] held.
              `holds the ciphertext it had at ${formatKeyPath(was.leaf.path)}, moved to a key path whose names joined by ':' are the same,`
            : `holds the ciphertext it had at ${formatKeyPath(was.leaf.path)}, ${lists(depth) > lists(was.depth) ? "now inside a list it was not in," : "no longer inside a list it was in,"}`;
    return [
      {
        severity: "error" as const,
        code: "retyped-value" as const,
        keyPath,
        line: leaf.line,
        message: `the value at ${keyPath} (line ${leaf.line}) ${change} at ${revision}: no tool writes that, and neither a MAC nor a key path covers it, so it would decrypt to the same bytes as another type. Restore the line from ${revision}, or set the value with hush set`,
      },
    ];
  });
}
