import type { FastReader, Leaf, ParsedDocument } from "./store.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";
import { completePlaintext, renderEncrypted, renderPlaintext } from "./yaml-render.ts";
import { scanYaml } from "./yaml-scan.ts";
import { scanYamlTree, yamlTreeBuilder } from "./yaml-scan-tree.ts";

/**
 * YAML in the shape SOPS and hush write, read by the span scanner instead of the `yaml` package's
 * composer (most of the time of a large decrypt, and of a small one's start-up).
 */
export const yamlFastReader: FastReader = {
  read(text) {
    const doc = scanYaml(text);
    return doc === undefined ? undefined : { doc, store: { renderEncrypted, renderPlaintext, completePlaintext } };
  },
  readTree: scanYamlTree,
  readPlaintext,
  // The plaintext read gives the store's whole parse of any text it reads, metadata included.
  readWhole: readPlaintext,
  stream(text) {
    // SOPS and hush write the metadata last, as the top-level key `sops`; the scanner reads
    // that key only as a line of its own at column 0 (and declines a second one), so its block
    // is read alone first. The full scan later must find the same metadata.
    const at = text.indexOf("\nsops:\n") + 1;
    if (at === 0 && !text.startsWith("sops:\n")) return undefined;
    const metadata = scanYaml(text.slice(at))?.metadata;
    if (metadata === undefined) return undefined;
    // Comments too: SOPS encrypts them by default, and reading a file's plaintext needs no
    // particular order of them (see StreamingRead).
    return {
      metadata,
      store: { renderPlaintext, completePlaintext },
      scan: (onLeaf) => scanYaml(text, onLeaf, { comments: true }),
      // renderPlaintext writes each value so that it reads back as it was (quoted where a plain
      // scalar would read otherwise), so the decrypted values are the plaintext's tree.
      valueTree: () => yamlTreeBuilder(text),
    };
  },
};

/**
 * See FastReader.readPlaintext. The scanner reads comments in text order, which is not always the
 * store's, so any comment declines; so does a key that may read as other than a string (the
 * store's `unsupported`: a quoted `"1":` too, which the store accepts). Every key has a leaf
 * under it (an empty value is a null leaf), so the leaves' paths name every key.
 */
function readPlaintext(text: string): ParsedDocument | undefined {
  const leaves: Leaf[] = [];
  let comments = 0;
  const doc = scanYaml(text, (leaf) => (leaf.kind === "comment" ? comments++ : leaves.push(leaf)), { comments: true });
  if (doc === undefined || comments > 0) return undefined;
  const stringKeys = new Set<string>();
  for (const leaf of leaves) {
    for (const seg of leaf.path) {
      if (typeof seg !== "string" || stringKeys.has(seg)) continue;
      if (!readsAsString(seg)) return undefined;
      stringKeys.add(seg);
    }
  }
  return { ...doc, leaves };
}

/** go-yaml v3 reads the plain key as a string (a timestamp key too, as SOPS decodes it). */
function readsAsString(key: string): boolean {
  const resolved = resolvePlainScalar(key);
  return resolved !== null && resolved !== "uint64" && (resolved.type === "str" || resolved.type === "time");
}
