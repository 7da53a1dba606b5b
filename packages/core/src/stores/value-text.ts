import { goAtoi, goFormatFloatG, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import type { ScalarValue, TreeMap, TreeNode } from "../tree/values.ts";
import type { EmitOptions } from "./store.ts";
import { emitYamlDocument } from "./yaml-emit.ts";

/**
 * One value written alone (`decrypt --extract` of a list or a non-string scalar), as SOPS's
 * stores print it. Stores use these in their `emitValue`; values of formats without their own
 * way are printed as YAML.
 */

/**
 * A scalar as SOPS's stores print an extracted value (spec 9.7): Go's own renderings of the
 * decoded value (`1.50` prints as `1.5`, `0x1F` as `31`), not the file's spelling.
 */
export function goScalarText(value: ScalarValue): string {
  switch (value.type) {
    case "int": {
      const n = goAtoi(value.text);
      return n === undefined ? value.text : n.toString();
    }
    case "float": {
      const f = goParseFloat(value.text);
      if (f === undefined) return value.text;
      if (Number.isNaN(f)) return ".nan";
      if (!Number.isFinite(f)) return f > 0 ? ".inf" : "-.inf";
      return goFormatFloatG(f);
    }
    case "bool":
      return goParseBool(value.text) === true ? "true" : "false";
    default:
      return value.text;
  }
}

/** `value` as the one entry of a map, for emitting it with a store's `emitTree`. */
export function wrapValue(value: TreeNode): TreeMap {
  return { kind: "map", entries: [{ kind: "entry", key: "v", value }] };
}

/** A value as YAML writes it alone: the one-entry map's key dropped and its lines moved out. */
export function yamlValueText(node: TreeNode, options: EmitOptions): string {
  const indent = options.indent === undefined || options.indent <= 0 ? 4 : options.indent;
  const unit = " ".repeat(indent);
  return emitYamlDocument(wrapValue(node), indent)
    .replace(/^v: ?/, "")
    .replace(/^\n/, "")
    .split("\n")
    .map((line) => (line.startsWith(unit) ? line.slice(unit.length) : line))
    .join("\n");
}
