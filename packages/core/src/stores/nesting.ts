import { HushError } from "../errors.ts";

/** Deeper than any real configuration file; deep enough input is an attack on the parser's stack. */
export const MAX_NESTING = 200;

/** TOML's limit on key paths and nested arrays and inline tables (see toml-parser.ts). */
export const MAX_TOML_DEPTH = 256;

/**
 * Refuses text whose `[`/`{` nesting (outside quoted strings) exceeds MAX_NESTING, before a
 * recursive parser can overflow its stack on it. Approximate on purpose (brackets in comments
 * count too): only absurd files are refused.
 */
export function assertFlowNesting(text: string, format: string): void {
  const at = tooDeepAt(text);
  if (at !== undefined) {
    const line = text.slice(0, at).split("\n").length;
    throw new HushError("PARSE_FAILED", `invalid ${format}: nesting deeper than ${MAX_NESTING} levels at line ${line}`, { location: { line } });
  }
}

/** The offset of the first `[`/`{` nested deeper than MAX_NESTING, or undefined (see assertFlowNesting). */
export function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== "") {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = "";
      else if (c === "\n" && quote === "'") quote = "";
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") {
      if (++depth > MAX_NESTING) return i;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}
