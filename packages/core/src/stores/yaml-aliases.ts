import { isAlias, isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";
import type { TreeNode } from "../tree/values.ts";
import { lineIndex, lineStartIndex } from "./lines.ts";
import { applyTextEdits, type TextEdit } from "./text-edits.ts";
import { loadDocuments, toTreeNode } from "./yaml-load.ts";
import { aliasTargets, assertAliasBudget, type AliasTargets } from "./yaml-alias-budget.ts";
import { emitBlockAt, yamlScalarText } from "./yaml-emit.ts";
import { doubleQuote, isPlainSafe } from "./yaml-resolve.ts";

/**
 * Replaces YAML aliases by copies of what they refer to, as SOPS does when it writes a file. hush
 * keeps an alias when nothing under it is encrypted; an alias that reaches a value to encrypt is
 * expanded, because the value's ciphertext depends on its path (the AAD) and one envelope cannot
 * serve two places. The copy is written from the value tree: its anchors, tags and comments are
 * not carried over, nested aliases are expanded too; the anchored original stays as written.
 */

/** Indentation of the lines of an expanded copy, relative to its parent. */
const COPY_INDENT = 2;

function flowText(node: TreeNode): string {
  switch (node.kind) {
    case "map":
      return `{${node.entries.flatMap((e) => (e.kind === "entry" ? [`${isPlainSafe(e.key) ? e.key : doubleQuote(e.key)}: ${flowText(e.value)}`] : [])).join(", ")}}`;
    case "list":
      return `[${node.items.filter((i) => i.kind !== "comment").map(flowText).join(", ")}]`;
    case "scalar":
      return node.value.type === "str" ? doubleQuote(node.value.text) : yamlScalarText(node.value);
    default:
      return "null";
  }
}

function isEmptyCollection(node: TreeNode): boolean {
  return (node.kind === "map" && node.entries.every((e) => e.kind !== "entry")) || (node.kind === "list" && node.items.every((i) => i.kind === "comment"));
}

/** `text` with the aliases that start at the offsets in `at` replaced by copies of their targets. */
export function expandAliases(text: string, at: ReadonlySet<number>): string {
  const { docs } = loadDocuments(text);
  const line = lineIndex(text);
  const targetsOf = new Map(docs.map((doc) => [doc, aliasTargets(doc)]));
  assertAliasBudget(docs, (doc) => targetsOf.get(doc)!, line, true);
  const edits: TextEdit[] = [];
  const lineStart = lineStartIndex(text);
  const columnOf = (offset: number): number => offset - lineStart(offset);
  const expand = (alias: YamlNode, targets: AliasTargets, context: { flow: boolean; keyCol?: number; itemCol?: number }): void => {
    const end = alias.range![1];
    let start = alias.range![0];
    const tree = toTreeNode(alias, targets, line, 0);
    let replacement: string;
    if (context.flow || tree.kind === "scalar" || tree.kind === "null" || isEmptyCollection(tree)) {
      replacement = context.flow || tree.kind === "map" || tree.kind === "list" ? flowText(tree) : tree.kind === "scalar" ? yamlScalarText(tree.value) : "null";
    } else if (context.keyCol !== undefined) {
      replacement = `\n${emitBlockAt(tree, context.keyCol + COPY_INDENT, COPY_INDENT, true).replace(/\n$/, "")}`;
      while (text[start - 1] === " " || text[start - 1] === "\t") start--;
    } else {
      replacement = emitBlockAt(tree, (context.itemCol ?? 0) + COPY_INDENT, COPY_INDENT, false).replace(/\n$/, "");
    }
    // Only the `*name` token is replaced: what follows on its line (a comment) stays.
    edits.push({ start, end: Math.min(end, alias.range![0] + 1 + (alias as YamlNode & { source: string }).source.length), text: replacement });
  };
  for (const doc of docs) {
    const visit = (node: YamlNode | null, flow: boolean): void => {
      if (node === null) return;
      if (isMap(node)) {
        for (const pair of node.items) {
          const value = pair.value as YamlNode | null;
          if (value !== null && isAlias(value) && at.has(value.range![0])) {
            expand(value, targetsOf.get(doc)!, { flow: flow || node.flow === true, keyCol: columnOf((pair.key as YamlNode).range![0]) });
          } else visit(value, flow || node.flow === true);
        }
      } else if (isSeq(node)) {
        for (const item of node.items as Array<YamlNode | null>) {
          if (item !== null && isAlias(item) && at.has(item.range![0])) {
            expand(item, targetsOf.get(doc)!, { flow: flow || node.flow === true, itemCol: columnOf(node.range![0]) });
          } else visit(item, flow || node.flow === true);
        }
      } else if (isScalar(node)) return;
    };
    visit(doc.contents as YamlNode | null, false);
  }
  return applyTextEdits(text, edits);
}
