import { createHash } from "node:crypto";
import { appendAll } from "@hush/core";
import type { KeyPath, TreeMap, TreeMapEntry, TreeNode } from "@hush/core";
import { mergeRegions, resolveBoth } from "./sequence-merge.ts";

/**
 * Three-way merge of value trees by key path: a change on one side wins over the base, the same
 * change on both sides is fine, and only a path changed differently on both sides (or deleted on
 * one and changed on the other) conflicts. Comments are not compared (they are kept from ours).
 */

/** Why a key path conflicts. */
export type ConflictKind =
  /** Both sides changed the value, differently. */
  | "both-changed"
  /** Both sides added the key, with different values. */
  | "both-added"
  /** Ours deleted the key, theirs changed it. */
  | "deleted-by-ours"
  /** Theirs deleted the key, ours changed it. */
  | "deleted-by-theirs"
  /** Both sides changed a list in overlapping places. */
  | "list-changed"
  /** The sides differ, and the common ancestor exists but could not be read to tell which changed. */
  | "base-unread";

export interface MergeConflict {
  readonly path: KeyPath;
  readonly kind: ConflictKind;
}

export interface TreeMergeResult {
  /** The merged tree; at a conflicting path it holds the favoured side's value. */
  readonly tree: TreeMap;
  readonly conflicts: readonly MergeConflict[];
}

export interface TreeMergeOptions {
  /** The value kept at a conflicting path (default ours). */
  readonly favour?: "ours" | "theirs";
  /**
   * The common ancestor exists but could not be read (no key opens it; a base git made of
   * conflicted merge bases, markers and all): `base` is undefined, yet a key one side lacks may
   * have been deleted there rather than added by the other, so every difference conflicts.
   */
  readonly baseUnread?: boolean;
}

/** A short description of a conflict, for messages: it names the key path, never a value. */
export function describeConflict(kind: ConflictKind): string {
  switch (kind) {
    case "both-changed":
      return "changed differently on both sides";
    case "both-added":
      return "added on both sides with different values";
    case "deleted-by-ours":
      return "deleted on our side, changed on theirs";
    case "deleted-by-theirs":
      return "changed on our side, deleted on theirs";
    case "list-changed":
      return "list changed in the same place on both sides";
    case "base-unread":
      return "differs between the sides, and the common ancestor could not be read to tell which side changed it";
  }
}

/**
 * A canonical string for a subtree: equal strings mean equal values (maps compared without
 * regard to key order, lists in order, comments ignored). Used as a hash key, never printed.
 */
export function canonicalKey(node: TreeNode | undefined): string {
  return canonicalKeys()(node);
}

/** Keys as {@link canonicalKey} gives them (not the same strings, the same equalities). */
type Keyer = (node: TreeNode | undefined) => string;

/**
 * A {@link canonicalKey} for the nodes of one merge, each node's key computed once. A map's or
 * list's key is a hash of its members' keys, so a node's key costs its own size: a merge asks
 * for the key of every node on the way down, and a key holding its whole subtree's text made a
 * file nested 150 deep over a map of 20,000 keys take half a minute. Trees must not change while
 * it is in use.
 */
function canonicalKeys(): Keyer {
  const known = new WeakMap<TreeNode, string>();
  const keyOf = (node: TreeNode): string => {
    let key = known.get(node);
    if (key === undefined) {
      const text = JSON.stringify(canonical(node, keyOf));
      key = node.kind === "map" || node.kind === "list" ? createHash("sha256").update(text).digest("base64") : text;
      known.set(node, key);
    }
    return key;
  };
  return (node) => (node === undefined ? "\u0000absent" : keyOf(node));
}

/** What a node's key is made of, with its members' keys by `keyOf`. */
function canonical(node: TreeNode, keyOf: (node: TreeNode) => string): unknown {
  switch (node.kind) {
    case "map": {
      const entries = node.entries.filter((e): e is TreeMapEntry => e.kind === "entry").map((e) => [e.key, keyOf(e.value)] as const);
      entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { m: entries };
    }
    case "list":
      return { l: node.items.filter((i) => i.kind !== "comment").map(keyOf) };
    case "scalar":
      return { s: [node.value.type, node.value.text] };
    case "null":
      return null;
    case "comment":
      return { c: 0 };
  }
}

/** Deep equality of value trees (map order and comments ignored). */
export function treesEqual(a: TreeNode | undefined, b: TreeNode | undefined): boolean {
  return treeEquality()(a, b);
}

/**
 * {@link treesEqual} for many questions about the nodes of the same trees: each node's key is
 * computed once, where asking `treesEqual` of a node and then of each of its children hashed
 * every subtree again at each level. Trees must not change while it is in use.
 */
export function treeEquality(): (a: TreeNode | undefined, b: TreeNode | undefined) => boolean {
  const key = canonicalKeys();
  return (a, b) => key(a) === key(b);
}

interface Context {
  readonly favour: "ours" | "theirs";
  readonly baseUnread: boolean;
  readonly conflicts: MergeConflict[];
  readonly key: Keyer;
}

/** Merges three trees; `base` is undefined when both sides added the file. */
export function mergeTrees(base: TreeMap | undefined, ours: TreeMap, theirs: TreeMap, options: TreeMergeOptions = {}): TreeMergeResult {
  const ctx: Context = { favour: options.favour ?? "ours", baseUnread: options.baseUnread === true && base === undefined, conflicts: [], key: canonicalKeys() };
  const merged = mergeMaps(base, ours, theirs, [], ctx);
  return { tree: merged, conflicts: ctx.conflicts };
}

function mergeValue(base: TreeNode | undefined, ours: TreeNode | undefined, theirs: TreeNode | undefined, path: KeyPath, ctx: Context): TreeNode | undefined {
  const o = ctx.key(ours);
  const t = ctx.key(theirs);
  if (o === t) return ours;
  if (ours?.kind === "map" && theirs?.kind === "map" && ctx.baseUnread) return mergeMaps(undefined, ours, theirs, path, ctx);
  // With the base unread, a value one side lacks or has otherwise is no addition of the other's:
  // taken as one, a key a side deleted (a revoked token) came back in a clean merge.
  if (!ctx.baseUnread) {
    const b = ctx.key(base);
    if (b === o) return theirs;
    if (b === t) return ours;
    if (ours?.kind === "map" && theirs?.kind === "map") return mergeMaps(base?.kind === "map" ? base : undefined, ours, theirs, path, ctx);
    if (ours?.kind === "list" && theirs?.kind === "list" && (base === undefined || base.kind === "list")) {
      return mergeLists(base, ours, theirs, path, ctx);
    }
  }
  const kind: ConflictKind = ctx.baseUnread
    ? "base-unread"
    : ours === undefined
      ? "deleted-by-ours"
      : theirs === undefined
        ? "deleted-by-theirs"
        : base === undefined
          ? "both-added"
          : "both-changed";
  ctx.conflicts.push({ path, kind });
  return ctx.favour === "ours" ? ours : theirs;
}

function entriesOf(map: TreeMap | undefined): Map<string, TreeNode> {
  const out = new Map<string, TreeNode>();
  for (const e of map?.entries ?? []) if (e.kind === "entry" && !out.has(e.key)) out.set(e.key, e.value);
  return out;
}

/**
 * Merges maps key by key. The result keeps ours' order (and ours' comments); a key only theirs
 * has goes after the key that precedes it in theirs.
 */
function mergeMaps(base: TreeMap | undefined, ours: TreeMap, theirs: TreeMap, path: KeyPath, ctx: Context): TreeMap {
  const b = entriesOf(base);
  const o = entriesOf(ours);
  const t = entriesOf(theirs);
  const out: Array<TreeMapEntry | Extract<TreeNode, { kind: "comment" }>> = [];
  for (const e of ours.entries) {
    if (e.kind === "comment") {
      out.push(e);
      continue;
    }
    const v = mergeValue(b.get(e.key), e.value, t.get(e.key), [...path, e.key], ctx);
    if (v !== undefined) out.push({ kind: "entry", key: e.key, value: v });
  }
  // Theirs' new keys are placed in one pass: each goes before an index of `out`, found from the
  // key before it in theirs (searching and splicing `out` for each cost time quadratic in the
  // map's keys). A placed key stands for the index after the one it goes before.
  const indexOf = new Map<string, number>();
  out.forEach((x, i) => {
    if (x.kind === "entry") indexOf.set(x.key, i);
  });
  const placed = new Map<number, TreeMapEntry[]>();
  let previous: string | undefined;
  for (const e of theirs.entries) {
    if (e.kind !== "entry") continue;
    if (!o.has(e.key)) {
      const v = mergeValue(b.get(e.key), undefined, e.value, [...path, e.key], ctx);
      if (v !== undefined) {
        let at = previous === undefined ? firstEntryIndex(out) : indexOf.get(previous)! + 1;
        // Keys ours added at the same place come first: "ours, then theirs", as for lines.
        while (at < out.length) {
          const x = out[at]!;
          if (x.kind !== "entry" || b.has(x.key) || t.has(x.key)) break;
          at++;
        }
        const here = placed.get(at) ?? [];
        here.push({ kind: "entry", key: e.key, value: v });
        placed.set(at, here);
        indexOf.set(e.key, at - 1);
      }
    }
    if (indexOf.has(e.key)) previous = e.key;
  }
  if (placed.size === 0) return { kind: "map", entries: out };
  const entries: typeof out = [];
  for (let i = 0; i <= out.length; i++) {
    for (const x of placed.get(i) ?? []) entries.push(x);
    if (i < out.length) entries.push(out[i]!);
  }
  return { kind: "map", entries };
}

function firstEntryIndex(entries: ReadonlyArray<{ kind: string }>): number {
  const i = entries.findIndex((e) => e.kind === "entry");
  return i === -1 ? entries.length : i;
}

/**
 * Merges lists as sequences of items: insertions and deletions in different places merge, the
 * same item inserted at one place on both sides is kept once, and items changed in place on both
 * sides (same length) merge element by element. Anything else conflicts on the whole list.
 */
function mergeLists(base: TreeNode | undefined, ours: TreeNode & { kind: "list" }, theirs: TreeNode & { kind: "list" }, path: KeyPath, ctx: Context): TreeNode {
  const bi = base?.kind === "list" ? base.items.filter((i) => i.kind !== "comment") : [];
  const oi = ours.items.filter((i) => i.kind !== "comment");
  const ti = theirs.items.filter((i) => i.kind !== "comment");
  const out: TreeNode[] = [];
  const conflictsBefore = ctx.conflicts.length;
  let listConflict = false;
  for (const r of mergeRegions(bi.map(ctx.key), oi.map(ctx.key), ti.map(ctx.key))) {
    switch (r.kind) {
      case "stable":
        appendAll(out, bi.slice(r.baseStart, r.baseEnd));
        break;
      case "ours":
        appendAll(out, oi.slice(r.sideStart, r.sideEnd));
        break;
      case "theirs":
        appendAll(out, ti.slice(r.sideStart, r.sideEnd));
        break;
      case "both": {
        const n = r.baseEnd - r.baseStart;
        if (n > 0 && r.oursEnd - r.oursStart === n && r.theirsEnd - r.theirsStart === n) {
          for (let i = 0; i < n; i++) {
            const v = mergeValue(bi[r.baseStart + i], oi[r.oursStart + i], ti[r.theirsStart + i], [...path, out.length], ctx);
            if (v !== undefined) out.push(v);
          }
          break;
        }
        const resolved = resolveBoth(r, bi, oi, ti, ctx.key);
        if (resolved !== undefined) {
          appendAll(out, resolved);
          break;
        }
        listConflict = true;
        appendAll(out, ctx.favour === "ours" ? oi.slice(r.oursStart, r.oursEnd) : ti.slice(r.theirsStart, r.theirsEnd));
      }
    }
  }
  if (listConflict) {
    // One conflict for the whole list: element paths shift, so naming elements would mislead.
    ctx.conflicts.splice(conflictsBefore);
    ctx.conflicts.push({ path, kind: "list-changed" });
    return ctx.favour === "ours" ? ours : theirs;
  }
  return { kind: "list", items: out };
}
