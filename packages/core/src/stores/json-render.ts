import { goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import type { ScalarValue } from "../tree/values.ts";
import type { Leaf } from "./store.ts";

/**
 * How a JSON value is written back into its span: a decrypted value (renderPlaintext) or an
 * envelope (renderEncrypted). Shared by the JSON store and its decrypt span scanner, which must
 * not load the store's parser.
 */

/** A JSON string literal. */
export function renderJsonString(s: string): string {
  return JSON.stringify(s);
}

export function renderJsonPlaintext(_leaf: Leaf, value: ScalarValue): string {
  switch (value.type) {
    case "str":
      return renderJsonString(value.text);
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
    case "int":
      return value.text;
    case "float":
      return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value.text) ? value.text : goFormatFloatG(goParseFloat(value.text) ?? NaN);
    case "time":
      return renderJsonString(value.text);
  }
}

export function renderJsonEncrypted(_leaf: Leaf, envelope: string): string {
  return `"${envelope}"`;
}
