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
};
