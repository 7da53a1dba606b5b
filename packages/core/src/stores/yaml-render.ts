import type { ScalarValue } from "../tree/values.ts";
import type { Leaf } from "./store.ts";
import { literalBlock, yamlFloat, yamlScalarText } from "./yaml-emit.ts";
import { doubleQuote, isPlainSafe } from "./yaml-resolve.ts";

/**
 * Writing a decrypted value back into a YAML leaf's span in the style it was written in. Kept
 * apart from the store (and free of the `yaml` package) so that decryption through the span
 * scanner (yaml-scan.ts) does not load a YAML composer.
 */

export type Style = "PLAIN" | "QUOTE_SINGLE" | "QUOTE_DOUBLE" | "BLOCK_LITERAL" | "BLOCK_FOLDED" | "COMMENT";

export interface YamlStyle {
  readonly style: Style;
  /** Block scalars: indentation of the body; plain scalars: column of the line's content. */
  readonly indent: number;
  /** Block scalars: whether the body's last line ends with a line break. */
  readonly bodyNewline: boolean;
  /** Inside a flow collection (`[…]`, `{…}`), where commas and brackets end a plain scalar. */
  readonly inFlow?: boolean;
}

/** Source text that replaces a YAML leaf's span to hold a decrypted value (or comment text). */
export function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  const st = leaf.style as YamlStyle;
  if (st.style === "COMMENT") return value.text;
  if (value.type !== "str") {
    if (st.style === "PLAIN") return value.type === "float" ? yamlFloat(value.text) : value.type === "bool" ? yamlScalarText(value) : value.type === "int" ? (/^[-+]?(0|[1-9][0-9]*)$/.test(value.text) ? value.text : yamlScalarText(value)) : value.text;
    // A typed value in a quoted or block scalar cannot come from a YAML file; render it plainly.
    return yamlScalarText(value);
  }
  const text = value.text;
  switch (st.style) {
    case "QUOTE_SINGLE":
      return text.includes("\n") ? doubleQuote(text) : `'${text.replace(/'/g, "''")}'`;
    case "QUOTE_DOUBLE":
      return doubleQuote(text);
    case "BLOCK_LITERAL":
    case "BLOCK_FOLDED":
      return renderBlockBody(text, st);
    default: {
      // YAML 1.1 words (y, no, on…) are strings to go-yaml v3: keep them plain as written.
      if (isPlainSafe(text, { allowYaml11Words: true })) return text;
      if (text.includes("\n")) {
        const block = literalBlock(text, st.indent + 4);
        if (block !== undefined) return `${block.header}\n${block.body.replace(/\n$/, "")}`;
      }
      return doubleQuote(text);
    }
  }
}

function renderBlockBody(text: string, st: YamlStyle): string {
  const pad = " ".repeat(st.indent);
  let content = text;
  if (st.style === "BLOCK_FOLDED") {
    // A folded scalar's line wrapping is not part of its value: write each paragraph on one line.
    content = content.replace(/([^\n])\n(?=[^\n])/g, "$1\n\n");
  }
  const lines = content.split("\n");
  if (content.endsWith("\n")) lines.pop();
  return lines.map((l) => (l === "" ? "" : pad + l)).join("\n");
}

/** Source text that replaces a YAML leaf's span to hold an ENC[...] envelope (or a review marker). */
export function renderEncrypted(leaf: Leaf, envelope: string): string {
  const st = leaf.style as YamlStyle;
  switch (st.style) {
    case "QUOTE_SINGLE":
      return `'${envelope}'`;
    case "QUOTE_DOUBLE":
      return `"${envelope}"`;
    case "BLOCK_LITERAL":
    case "BLOCK_FOLDED":
      return " ".repeat(st.indent) + envelope;
    default:
      // An envelope holds commas and brackets: inside a flow collection it must be quoted.
      return st.inFlow === true ? `"${envelope}"` : envelope;
  }
}
