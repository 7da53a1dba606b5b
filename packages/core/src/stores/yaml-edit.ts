import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import { goParseBool } from "../crypto/go-format.ts";
import { nodeAt } from "../tree/tree-path.ts";
import type { KeyPath, TreeMap, TreeNode } from "../tree/values.ts";
import { scalarInPlace } from "./line-edit.ts";
import { lineEndAfter, lineStart } from "./lines.ts";
import type { Store, TextEditRequest } from "./store.ts";
import { detectYamlIndent } from "./yaml-layout.ts";
import { doubleQuote } from "./yaml-resolve.ts";
import { scanYaml } from "./yaml-scan.ts";

/**
 * `set`/`unset` as edits of YAML source text: only the lines of the changed entry are written
 * (in the style of hush's YAML emitter, at the entry's indentation); every other byte, comments
 * and blank lines included, stays as it was. Returns candidates for the caller to verify; the
 * caller falls back to re-emitting the document if none matches the intended tree.
 */

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

interface Step {
  readonly node: YamlNode | null;
  /** How this node hangs in its parent (absent for the root). */
  readonly pair?: Pair<unknown, unknown>;
  readonly index?: number;
  readonly container?: Collection;
}

interface Ctx {
  readonly text: string;
  readonly store: Store;
  readonly indent: number;
  readonly expected: TreeMap;
}

function col(text: string, off: number): number {
  return off - lineStart(text, off);
}

function firstOnLine(text: string, off: number): boolean {
  return text.slice(lineStart(text, off), off).trim() === "";
}

function isCollection(n: unknown): n is Collection {
  return isMap(n) || isSeq(n);
}

function isFlow(n: unknown): boolean {
  return isCollection(n) && n.flow === true;
}

function rangeOf(n: unknown): [number, number, number] | undefined {
  const r = (n as { range?: [number, number, number] } | null)?.range;
  return r ?? undefined;
}

/** Position just after the `:` of a block-map pair, or undefined. */
function afterColon(text: string, pair: Pair<unknown, unknown>): number | undefined {
  const kr = rangeOf(pair.key);
  if (kr === undefined) return undefined;
  let i = kr[1];
  while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  return text[i] === ":" ? i + 1 : undefined;
}

/** Offset of the `-` that introduces a block-sequence item, or undefined. */
function dashOf(text: string, item: unknown): number | undefined {
  const r = rangeOf(item);
  if (r === undefined) return undefined;
  let i = r[0] - 1;
  while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
  return i >= 0 && text[i] === "-" ? i : undefined;
}

/** End (after the line break) of an entry whose value is `value`, starting at `headEnd`. */
function entryEnd(text: string, value: unknown, headEnd: number, headCol: number): number {
  const r = rangeOf(value);
  const contentEnd = r === undefined ? headEnd : Math.max(r[1], headEnd);
  let end = lineEndAfter(text, Math.max(contentEnd - 1, headEnd - 1));
  if (isCollection(value) && !isFlow(value)) {
    // Comment lines indented under the entry belong to its block.
    for (;;) {
      const next = lineEndAfter(text, end);
      const line = text.slice(end, next);
      const m = /^([ \t]*)#/.exec(line);
      if (end >= text.length || m === null || m[1]!.length <= headCol) break;
      end = next;
    }
  }
  return end;
}

function pairEnd(text: string, pair: Pair<unknown, unknown>): number | undefined {
  const c = afterColon(text, pair);
  if (c === undefined) return undefined;
  return entryEnd(text, pair.value, c, col(text, rangeOf(pair.key)![0]));
}

function itemEnd(text: string, item: unknown): number | undefined {
  const d = dashOf(text, item);
  if (d === undefined) return undefined;
  return entryEnd(text, item, d + 1, col(text, d));
}

function indentLines(block: string, by: number): string {
  const pad = " ".repeat(by);
  return block
    .split("\n")
    .map((l) => (l === "" ? l : pad + l))
    .join("\n");
}

/** `key: value` lines at column `c`, ending with a line break. */
function pairLines(ctx: Ctx, key: string, value: TreeNode, c: number): string {
  const out = ctx.store.emitTree({ kind: "map", entries: [{ kind: "entry", key, value }] }, { indent: ctx.indent });
  return indentLines(out, c);
}

/** `- value` lines at column `c`, ending with a line break. */
function itemLines(ctx: Ctx, value: TreeNode, c: number): string {
  const out = ctx.store.emitTree({ kind: "map", entries: [{ kind: "entry", key: "k", value: { kind: "list", items: [value] } }] }, { indent: ctx.indent });
  const body = out.slice(out.indexOf("\n") + 1);
  const dedented = body
    .split("\n")
    .map((l) => (l.startsWith(" ".repeat(ctx.indent)) ? l.slice(ctx.indent) : l))
    .join("\n");
  return indentLines(dedented, c);
}

/**
 * A string in a flow collection: plain when that reads back as the same string, else quoted as
 * go-yaml writes it (JSON's quoting leaves DEL, C1 controls and U+2028/9 raw, which go-yaml refuses
 * or reads as line breaks).
 */
function flowScalarKey(text: string): string {
  return /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(text) ? text : doubleQuote(text);
}

/** A value in YAML flow style (one line). */
export function flowText(node: TreeNode): string {
  switch (node.kind) {
    case "map":
      return `{${node.entries
        .filter((e) => e.kind === "entry")
        .map((e) => (e.kind === "entry" ? `${flowScalarKey(e.key)}: ${flowText(e.value)}` : ""))
        .join(", ")}}`;
    case "list":
      return `[${node.items.filter((i) => i.kind !== "comment").map(flowText).join(", ")}]`;
    case "null":
    case "comment":
      return "null";
    case "scalar": {
      const v = node.value;
      if (v.type === "str") return flowScalarKey(v.text);
      if (v.type === "bool") return goParseBool(v.text) === true ? "true" : "false";
      return v.text;
    }
  }
}

/** Replaces [start, end) with `insert`, keeping a missing final line break missing. */
function splice(text: string, start: number, end: number, insert: string): string {
  let ins = insert;
  if (end >= text.length && !text.endsWith("\n") && ins.endsWith("\n")) ins = ins.slice(0, -1);
  return text.slice(0, start) + ins + text.slice(end);
}

/** Inserts whole lines at a line boundary `at` (or at the end of a text without a final break). */
function insertLines(text: string, at: number, lines: string): string {
  if (at >= text.length && text !== "" && !text.endsWith("\n")) return text + "\n" + lines.replace(/\n$/, "");
  return text.slice(0, at) + lines + text.slice(at);
}

/** Replaces the node at chain[j] (in its block or root position) with `value`. */
function replaceAt(ctx: Ctx, chain: readonly Step[], j: number, value: TreeNode): string | undefined {
  const { text } = ctx;
  const step = chain[j]!;
  if (j === 0) {
    const root = step.node;
    const emitted = ctx.store.emitTree(value as TreeMap, { indent: ctx.indent });
    if (root === null) return insertLines(text, text.length, emitted);
    const r = rangeOf(root);
    if (r === undefined || !isFlow(root)) return undefined;
    return splice(text, r[0], r[1], emitted.replace(/\n$/, ""));
  }
  // A non-empty flow collection replaced by a collection stays in flow style.
  const keepFlow = isFlow(step.node) && (step.node as Collection).items.length > 0 && (value.kind === "map" || value.kind === "list");
  if (step.pair !== undefined) {
    const c = afterColon(text, step.pair);
    const end = pairEnd(text, step.pair);
    if (c === undefined || end === undefined) return undefined;
    const keyCol = col(text, rangeOf(step.pair.key)![0]);
    const rest = keepFlow ? ` ${flowText(value)}\n` : pairLines(ctx, "k", value, keyCol).slice(keyCol + 2);
    return splice(text, c, end, rest);
  }
  const d = dashOf(text, step.node);
  const end = itemEnd(text, step.node);
  if (d === undefined || end === undefined) return undefined;
  const rest = keepFlow ? ` ${flowText(value)}\n` : itemLines(ctx, value, col(text, d)).slice(col(text, d) + 1);
  return splice(text, d + 1, end, rest);
}

/** Walks `path` as far as the document has it. */
function walk(root: YamlNode | null, path: KeyPath): Step[] | undefined {
  const chain: Step[] = [{ node: root }];
  for (const seg of path) {
    const node = chain[chain.length - 1]!.node;
    if (isAlias(node)) return undefined;
    if (isMap(node) && typeof seg === "string") {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value ?? "") === seg);
      if (pair === undefined) break;
      chain.push({ node: (pair.value ?? null) as YamlNode | null, pair, container: node });
    } else if (isSeq(node) && typeof seg === "number") {
      if (seg >= node.items.length) break;
      chain.push({ node: (node.items[seg] ?? null) as YamlNode | null, index: seg, container: node });
    } else {
      break;
    }
  }
  return chain;
}

/**
 * Candidate texts for `edit` (best first); none when the edit needs a full re-emit. A changed
 * scalar is first written in place over the span the scanner reads for it, without the general
 * parser (most of the time of a large file's edit); the parser's candidates follow only when the
 * caller rejects that one.
 */
export function* yamlEditCandidates(text: string, edit: TextEditRequest, store: Store): Generator<string> {
  const scanned = edit.kind === "set" && edit.value?.kind === "scalar" ? scanYaml(text) : undefined;
  if (scanned !== undefined) {
    const inPlace = scalarInPlace(text, store, edit, { leaves: scanned.leaves });
    if (inPlace !== undefined) yield inPlace;
  }
  // Where the scanner read the text, the parser's in-place candidate is the one just given.
  yield* parsedCandidates(text, edit, store, scanned === undefined);
}

function parsedCandidates(text: string, edit: TextEditRequest, store: Store, inPlace: boolean): string[] {
  const { expected } = edit;
  const indent = edit.indent ?? detectYamlIndent(text) ?? 4;
  const docs = parseAllDocuments(text, { schema: "failsafe", merge: false, strict: false });
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length > 0)) return [];
  const doc = list[0];
  const root = (doc?.contents ?? null) as YamlNode | null;
  if (root !== null && !isMap(root)) return [];
  // An empty first document in a stream: appending would land in the last document.
  if (root === null && list.length > 1) return [];
  const ctx: Ctx = { text, store, indent, expected };
  const path = edit.landingPath;
  const chain = walk(root, path);
  if (chain === undefined) return [];
  const out: string[] = [];
  const sub = (depth: number): TreeNode | undefined => nodeAt(expected, path.slice(0, depth));

  // The outermost flow collection among the nodes whose content changes: re-render it whole.
  const flowAt = (upTo: number): number => chain.slice(0, upTo + 1).findIndex((s) => isFlow(s.node));
  const reflow = (k: number): string | undefined => {
    const node = chain[k]!.node;
    const r = rangeOf(node);
    const v = sub(k);
    if (r === undefined || v === undefined) return undefined;
    if (k === 0 || !(v.kind === "map" || v.kind === "list")) return replaceAt(ctx, chain, k, v);
    return text.slice(0, r[0]) + flowText(v) + text.slice(r[1]);
  };
  const push = (t: string | undefined): void => {
    if (t !== undefined) out.push(t);
  };

  if (edit.kind === "set") {
    const value = sub(path.length);
    if (value === undefined) return [];
    if (chain.length - 1 === path.length) {
      // The target exists: replace it.
      const j = path.length;
      const f = flowAt(j - 1);
      if (f >= 0) {
        push(reflow(f));
        return out;
      }
      const step = chain[j]!;
      if (inPlace && value.kind === "scalar" && isScalar(step.node) && (step.node.type === "PLAIN" || step.node.type === "QUOTE_SINGLE" || step.node.type === "QUOTE_DOUBLE")) {
        push(scalarInPlace(text, store, { kind: "set", path, value }));
      }
      push(replaceAt(ctx, chain, j, value));
      return out;
    }
    const depth = chain.length - 1;
    const node = chain[depth]!.node;
    const f = flowAt(depth);
    if (f >= 0) {
      const empty = isCollection(chain[f]!.node) && (chain[f]!.node as Collection).items.length === 0;
      if (!(f === depth && empty)) {
        push(reflow(f));
        return out;
      }
    }
    const v = sub(depth);
    if (v === undefined) return [];
    if (isMap(node) && node.items.length > 0 && !isFlow(node)) {
      const last = node.items[node.items.length - 1]!;
      const first = node.items[0]!;
      const at = pairEnd(text, last);
      const key = path[depth];
      const child = sub(depth + 1);
      if (at === undefined || typeof key !== "string" || child === undefined) return [];
      push(insertLines(text, at, pairLines(ctx, key, child, col(text, rangeOf(first.key)![0]))));
      return out;
    }
    if (isSeq(node) && node.items.length > 0 && !isFlow(node)) {
      const last = node.items[node.items.length - 1];
      const firstDash = dashOf(text, node.items[0]);
      const at = itemEnd(text, last);
      const child = sub(depth + 1);
      if (at === undefined || firstDash === undefined || child === undefined) return [];
      push(insertLines(text, at, itemLines(ctx, child, col(text, firstDash))));
      return out;
    }
    // A scalar, null or empty collection in the way: replace it with the new subtree.
    push(replaceAt(ctx, chain, depth, v));
    return out;
  }

  // unset: the target exists (checked on the tree).
  if (chain.length - 1 !== path.length) return [];
  const parentDepth = path.length - 1;
  const f = flowAt(parentDepth);
  if (f >= 0) {
    push(reflow(f));
    return out;
  }
  const parent = chain[parentDepth]!.node;
  const target = chain[path.length]!;
  if (!isCollection(parent)) return [];
  if (parent.items.length === 1) {
    if (parentDepth === 0) {
      const pair = target.pair;
      const end = pair === undefined ? undefined : pairEnd(text, pair);
      if (pair === undefined || end === undefined) return [];
      push(splice(text, lineStart(text, rangeOf(pair.key)![0]), end, "{}\n"));
      return out;
    }
    const v = sub(parentDepth);
    if (v !== undefined) push(replaceAt(ctx, chain, parentDepth, v));
    return out;
  }
  if (target.pair !== undefined && isMap(parent)) {
    const pair = target.pair;
    const i = parent.items.indexOf(pair);
    const start = rangeOf(pair.key)![0];
    const end = pairEnd(text, pair);
    if (end === undefined) return [];
    if (firstOnLine(text, start)) push(text.slice(0, lineStart(text, start)) + text.slice(end));
    else {
      const next = parent.items[i + 1];
      const ns = next === undefined ? undefined : rangeOf(next.key)?.[0];
      if (ns !== undefined) push(text.slice(0, start) + text.slice(ns));
    }
    return out;
  }
  if (target.index !== undefined && isSeq(parent)) {
    const d = dashOf(text, target.node);
    const end = itemEnd(text, target.node);
    if (d === undefined || end === undefined) return [];
    if (firstOnLine(text, d)) push(text.slice(0, lineStart(text, d)) + text.slice(end));
    else {
      const nd = dashOf(text, parent.items[target.index + 1]);
      if (nd !== undefined) push(text.slice(0, d) + text.slice(nd));
    }
  }
  return out;
}
