import type { DocumentLayout } from "./store.ts";

/** The indentation a YAML file uses: its smallest indentation of a key or list item. */
export function detectYamlIndent(text: string): number | undefined {
  let best: number | undefined;
  // A line ends at \r too: `^` starts after each \r, so a run that crossed one was read again
  // from every \r of a long line (quadratic).
  for (const m of text.matchAll(/^( +)(?:- |-$|[^\s#-][^\r\n]*:)/gm)) {
    const n = m[1]!.length;
    if (best === undefined || n < best) best = n;
  }
  return best;
}

/** The indentation of a YAML file's `sops:` block, if it has one. */
export function yamlMetadataIndent(text: string): number | undefined {
  const m = /^sops:[ \t]*\r?\n( +)\S/m.exec(text);
  return m === null ? undefined : m[1]!.length;
}

/** Layout facts of a YAML text: its indentation and its metadata block's. */
export function yamlLayout(text: string): DocumentLayout {
  const indent = detectYamlIndent(text);
  const metadataIndent = yamlMetadataIndent(text);
  return { ...(indent === undefined ? {} : { indent }), ...(metadataIndent === undefined ? {} : { metadataIndent }) };
}
