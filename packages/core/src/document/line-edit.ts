import type { Store } from "../stores/store.ts";
import type { KeyPath, TreeMap, TreeNode } from "../tree/values.ts";
import type { PlainEdit } from "./tree-edit.ts";

/**
 * Candidate texts for `set`/`unset` in formats edited line by line (dotenv, INI, TOML), and the
 * in-place scalar replacement every store with leaves supports. Candidates are verified by the
 * caller (plain-edit.ts) before use.
 */

function lineStart(text: string, off: number): number {
  return text.lastIndexOf("\n", off - 1) + 1;
}

function lineEndAfter(text: string, off: number): number {
  const nl = text.indexOf("\n", off);
  return nl < 0 ? text.length : nl + 1;
}

function samePath(a: KeyPath, b: KeyPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** A changed scalar written over the old one's span (any format whose store has leaves). */
export function scalarInPlace(text: string, store: Store, edit: PlainEdit): string | undefined {
  if (edit.kind !== "set" || edit.value.kind !== "scalar") return undefined;
  const leaf = store.parse(text).leaves.find((l) => l.kind === "scalar" && l.document === 0 && l.aliased !== true && l.value !== null && samePath(l.path, edit.path));
  if (leaf === undefined) return undefined;
  let rendered = store.renderPlaintext(leaf, edit.value.value);
  if (store.format === "dotenv") rendered = keepQuoteStyle(text.slice(leaf.start, leaf.end), rendered);
  return text.slice(0, leaf.start) + rendered + text.slice(leaf.end);
}

/**
 * `A="x y"` set to `new` stays `A="new"` (and `'…'` stays single-quoted): the new value keeps the
 * quoting style of the one it replaces. The candidate is parsed back like any other, so a value
 * the quotes would change is written another way.
 */
function keepQuoteStyle(old: string, rendered: string): string {
  const quote = /^(["'])[^]*\1$/.exec(old)?.[1];
  if (quote === undefined || old.length < 2 || /^["']/.test(rendered) || rendered.includes(quote) || rendered.includes("\n")) return rendered;
  return `${quote}${rendered}${quote}`;
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function startsWith(path: KeyPath, prefix: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/** Nests `value` under `path` as a one-entry-per-level tree (for emitting one entry). */
function wrapAt(path: KeyPath, value: TreeNode): TreeMap {
  let node: TreeNode = value;
  for (let i = path.length - 1; i >= 0; i--) node = { kind: "map", entries: [{ kind: "entry", key: String(path[i]), value: node }] };
  return node as TreeMap;
}

/**
 * Line-oriented formats (dotenv, INI, TOML): a removed entry's lines are deleted; a new key is
 * written after the last value of its section or table (its lines as the store emits them).
 */
export function lineCandidates(text: string, store: Store, edit: PlainEdit): string[] {
  const out: string[] = [];
  const inPlace = scalarInPlace(text, store, edit);
  if (inPlace !== undefined) out.push(inPlace);
  if (edit.path.some((s) => typeof s === "number")) return out;
  const leaves = store.parse(text).leaves.filter((l) => l.kind === "scalar" && l.document === 0 && l.aliased !== true);
  const under = leaves.filter((l) => startsWith(l.path, edit.path));
  if (edit.kind === "unset" && under.length > 0) {
    let start = lineStart(text, Math.min(...under.map((l) => l.start)));
    let end = lineEndAfter(text, Math.max(...under.map((l) => Math.max(l.end - 1, l.start))));
    if (store.format === "toml") {
      // A multi-line array or table: take in the `key = [` line and the closing bracket lines.
      const key = String(edit.path[edit.path.length - 1]);
      const k = escapeRe(key);
      const keyLine = new RegExp(`^[ \\t]*(${k}|"${k}"|'${k}')[ \\t]*=`);
      while (start > 0 && !keyLine.test(text.slice(start, lineEndAfter(text, start)))) start = lineStart(text, start - 1);
      while (end < text.length && /^[ \t]*[\]}][ \t,\]}]*(#.*)?\r?\n?$/.test(text.slice(end, lineEndAfter(text, end)))) end = lineEndAfter(text, end);
    }
    out.push(text.slice(0, start) + text.slice(end));
  }
  if (edit.kind === "set" && under.length === 0) {
    const parent = edit.path.slice(0, -1);
    const emitted = store.emitTree(wrapAt(edit.path, edit.value), {});
    // Drop the section/table headers the store writes for the parents: they exist already.
    const lines = emitted.split("\n");
    while (lines.length > 0 && (lines[0]!.startsWith("[") || lines[0]!.trim() === "")) lines.shift();
    const body = lines.join("\n");
    let at: number | undefined;
    if (store.format === "dotenv") at = text.length;
    else {
      // The end of the section (or of the top-level part): the next header line, less the
      // blank lines before it.
      const children = leaves.filter((l) => startsWith(l.path, parent) && l.path.length > parent.length);
      const anchor = parent.length === 0 ? 0 : children.length > 0 ? Math.min(...children.map((l) => l.start)) : undefined;
      if (anchor !== undefined) {
        const header = /^[ \t]*\[/gm;
        header.lastIndex = parent.length === 0 ? 0 : lineEndAfter(text, anchor);
        const m = header.exec(text);
        at = m === null ? text.length : m.index;
        while (at > 0 && at < text.length && /\n[ \t]*\n$/.test(text.slice(0, at))) at = text.lastIndexOf("\n", at - 2) + 1;
      }
    }
    if (at !== undefined) {
      out.push(at >= text.length && text !== "" && !text.endsWith("\n") ? `${text}\n${body.replace(/\n$/, "")}` : text.slice(0, at) + body + text.slice(at));
    }
  }
  return out;
}

