import type { FastReader } from "./store.ts";
import { renderEncrypted, renderPlaintext } from "./yaml-render.ts";
import { scanYaml } from "./yaml-scan.ts";
import { scanYamlTree } from "./yaml-scan-tree.ts";

/**
 * YAML in the shape SOPS and hush write, read by the span scanner instead of the `yaml` package's
 * composer (most of the time of a large decrypt, and of a small one's start-up).
 */
export const yamlFastReader: FastReader = {
  read(text) {
    const doc = scanYaml(text);
    return doc === undefined ? undefined : { doc, store: { renderEncrypted, renderPlaintext } };
  },
  readTree: scanYamlTree,
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
    return { metadata, store: { renderPlaintext }, scan: (onLeaf) => scanYaml(text, onLeaf, { comments: true }) };
  },
};
