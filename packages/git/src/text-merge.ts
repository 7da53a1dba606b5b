import { appendAll, HushError, isHushError, storeFor, treeScanner, type FileFormat, type KeyPath, type Leaf, type Store, type TextEdit, type TreeMap, applyTextEdits } from "@hush/core";
import { insertionLines, pathLineRanges, type LineRange } from "./conflict-lines.ts";
import { keyEdits } from "./key-edits.ts";
import { conflictBlock, mergeLines, splitLines } from "./sequence-merge.ts";
import { treeLookup } from "./tree-lookup.ts";
import { mergeTrees, treesEqual, type MergeConflict } from "./tree-merge.ts";

/**
 * Merging decrypted documents. The key-path merge of the value trees decides what the result
 * must contain; the text is then produced from ours so that formatting and comments survive:
 * first a line merge of the three texts, then in-place value edits of ours, then ours edited key
 * by key (key-edits.ts), and only when none gives exactly the merged tree, a fresh emission. Every candidate is checked against
 * the merged tree, so the formatting heuristics can never change what a file means.
 */

export interface PlaintextMergeInput {
  readonly format: FileFormat;
  /** The common ancestor's plaintext; undefined when both sides added the file. */
  readonly base: string | undefined;
  readonly ours: string;
  readonly theirs: string;
  /** The value kept at conflicting paths (default ours). */
  readonly favour?: "ours" | "theirs";
  /** `base` is undefined because the common ancestor could not be read (see `TreeMergeOptions`). */
  readonly baseUnread?: boolean;
}

export interface PlaintextMergeResult {
  /** The merged plaintext; at conflicting paths it holds the favoured side's value. */
  readonly text: string;
  readonly conflicts: readonly MergeConflict[];
  /** How the text was produced, for messages ("line merge", "value edits", "re-emitted"). */
  readonly method: "ours" | "theirs" | "line-merge" | "value-edits" | "key-edits" | "emitted";
  /**
   * Line regions both sides changed that did not affect values (comments, blank lines): the
   * favoured side's lines were kept there.
   */
  readonly overlappingLines: number;
}

/** `scanned`: the scanner's tree of `text`, when it read it. */
function treeOf(store: Store, text: string | undefined, scanned: TreeMap | undefined): TreeMap | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  return scanned ?? store.toTree(text);
}

/**
 * Merges three plaintext documents of one format by key path. Texts are read with the format's
 * span scanner where it reads them (it reads exactly what the store reads, one document, no
 * metadata, or declines), else with the store's general parser.
 */
export async function mergePlaintexts(input: PlaintextMergeInput): Promise<PlaintextMergeResult> {
  const store = await storeFor(input.format);
  const scan = await treeScanner(input.format);
  const sides = [input.base, input.ours, input.theirs] as const;
  // A text the scanner reads holds one document: only the others are counted by the store.
  const scanned = sides.map((t) => (t === undefined ? undefined : scan(t)));
  if (sides.some((t, i) => t !== undefined && scanned[i] === undefined && isStream(store, t))) {
    return mergeStream(input);
  }
  const base = treeOf(store, input.base, scanned[0]);
  const ours = treeOf(store, input.ours, scanned[1]) ?? { kind: "map", entries: [] };
  const theirs = treeOf(store, input.theirs, scanned[2]) ?? { kind: "map", entries: [] };
  const favour = input.favour ?? "ours";
  const { tree, conflicts } = mergeTrees(base, ours, theirs, { favour, baseUnread: input.baseUnread === true });
  const repeats = store.mostRepeatedHeader;
  const headerLimit = repeats === undefined ? Infinity : Math.max(repeats(input.ours), repeats(input.theirs));
  const matches = (text: string): boolean => {
    if (repeats !== undefined && repeats(text) > headerLimit) return false;
    const scanned = scan(text);
    if (scanned !== undefined) return treesEqual(scanned, tree);
    try {
      const doc = store.parse(text);
      if (doc.metadata !== undefined) return false;
      return treesEqual(store.toTree(text), tree);
    } catch {
      return false;
    }
  };
  // The line merge goes first even when the values equal ours': it also carries theirs' comment
  // and layout changes, which the value trees do not see.
  const lines = mergeLines(input.base ?? "", input.ours, input.theirs, { onConflict: favour });
  if (matches(lines.text)) return { text: lines.text, conflicts, method: "line-merge", overlappingLines: lines.conflicts };
  const done = (text: string, method: PlaintextMergeResult["method"]): PlaintextMergeResult => ({ text, conflicts, method, overlappingLines: 0 });
  if (treesEqual(tree, ours)) return done(input.ours, "ours");
  if (treesEqual(tree, theirs) && favour === "theirs") return done(input.theirs, "theirs");
  // Ours with the merged values written in place, then with its keys edited, then theirs as it
  // is, then a fresh emission.
  const edited = valueEdits(store, input.ours, tree);
  if (edited !== undefined && matches(edited)) return done(edited, "value-edits");
  const keyed = await keyEdits(input.format, input.ours, ours, tree);
  if (keyed !== undefined && matches(keyed)) return done(keyed, "key-edits");
  if (treesEqual(tree, theirs) && matches(input.theirs)) return done(input.theirs, "theirs");
  // Re-emitted at ours' indentation, so that it still looks like ours.
  const { indent } = store.layout(input.ours);
  const emitted = store.emitTree(tree, indent === undefined ? {} : { indent });
  if (matches(emitted)) return done(emitted, "emitted");
  throw new HushError("INTERNAL", "the merged document could not be written back in its format");
}

function isStream(store: Store, text: string): boolean {
  try {
    return store.parse(text).documentCount > 1;
  } catch {
    return false;
  }
}

/**
 * Streams of several documents (YAML): value trees cover one document, so the key-path merge does
 * not apply. They merge by lines as git would; overlapping changes are one conflict on the file.
 */
function mergeStream(input: PlaintextMergeInput): PlaintextMergeResult {
  const strict = mergeLines(input.base ?? "", input.ours, input.theirs, { onConflict: "markers" });
  if (strict.conflicts === 0) return { text: strict.text, conflicts: [], method: "line-merge", overlappingLines: 0 };
  const favoured = mergeLines(input.base ?? "", input.ours, input.theirs, { onConflict: input.favour ?? "ours" });
  return { text: favoured.text, conflicts: [{ path: [], kind: "both-changed" }], method: "line-merge", overlappingLines: 0 };
}

/** Rewrites ours' scalar values in place where the merged tree has another scalar. */
function valueEdits(store: Store, ours: string, tree: TreeMap): string | undefined {
  let doc;
  try {
    doc = store.parse(ours);
  } catch {
    return undefined;
  }
  const edits: TextEdit[] = [];
  const nodeAt = treeLookup(tree);
  for (const leaf of doc.leaves) {
    if (leaf.kind !== "scalar" || leaf.aliased === true || leaf.document !== 0) continue;
    const node = nodeAt(leaf.path);
    if (node === undefined || node.kind !== "scalar") continue;
    const same = leaf.value !== null && leaf.value.type === node.value.type && leaf.value.text === node.value.text;
    if (same) continue;
    try {
      edits.push({ start: leaf.start, end: leaf.end, text: store.renderPlaintext(leaf, node.value) });
    } catch (err) {
      // A value with no form that reads back in this place: the next candidate writes it.
      if (isHushError(err, "VALUE_TAMPERED")) return undefined;
      throw err;
    }
  }
  return edits.length === 0 ? undefined : applyTextEdits(ours, edits);
}


export interface ConflictRenderInput {
  readonly format: FileFormat;
  /** The merged document (plaintext or encrypted), holding ours' value at conflicting paths. */
  readonly merged: string;
  /** Theirs and the base, in the same form (both plaintext or both encrypted). */
  readonly theirs: string;
  readonly base: string | undefined;
  readonly conflicts: readonly MergeConflict[];
  readonly markerSize?: number;
  readonly labels?: { readonly ours?: string; readonly base?: string; readonly theirs?: string };
}

interface Block {
  first: number;
  last: number;
  theirs: Array<{ first: number; last: number }>;
  base: Array<{ first: number; last: number }>;
  /** Insert before line `first` instead of replacing lines (ours has nothing at the path). */
  insert: boolean;
}

/**
 * How many characters the checks of single insertions may parse in all (each parses the
 * document once): a few seconds at most. Past it, an insertion is taken as not parsing.
 */
const MAX_INSERTION_CHECK_CHARACTERS = 4_000_000;

/** A conflicting path that the merged document lacks, theirs' lines for it, and the line they go before. */
interface Insertion {
  readonly path: KeyPath;
  readonly theirs: LineRange | undefined;
  readonly at: number;
}

/**
 * For each conflicting path that the merged document lacks (ours deleted it, theirs changed it),
 * the block to show instead of theirs' lines inserted at its line, or undefined to insert them.
 * Inserted after the nearest key before it in theirs, a key lands under whatever section or
 * object is open there: theirs' `s.c` went above TOML's `[s]` header (a top-level `c`), into the
 * JSON object before `"s"`, under INI's previous section, or in YAML after the last key of the
 * map before `s:` (`a.c`), and keeping theirs in `hush git resolve` wrote the value at another
 * key path without a word. Such a path's block is the lines of its nearest enclosing map that
 * both texts hold (the whole document at worst), ours' and theirs' whole, which read back in
 * place. One parse tells for every insertion at once (theirs' lines at each); only when that text
 * does not parse is each insertion tried alone.
 */
function enclosingBlocks(
  store: Store,
  input: ConflictRenderInput,
  leaves: { readonly merged: readonly Leaf[]; readonly theirs: readonly Leaf[]; readonly base: readonly Leaf[] | undefined },
  lines: { readonly merged: readonly string[]; readonly theirs: readonly string[] },
  insertions: readonly Insertion[],
): Array<Block | undefined> {
  // A dotenv file has one level, the one every inserted line is read at.
  if (input.format === "dotenv" || insertions.every((x) => x.theirs === undefined)) return insertions.map(() => undefined);
  /** Where theirs' lines put the paths once inserted: there, elsewhere, or nowhere (no parse). */
  const placedBy = (chosen: readonly Insertion[]): Array<"in-place" | "elsewhere"> | "unparsed" => {
    const before = new Map<number, string[]>();
    for (const x of chosen) {
      if (x.theirs === undefined) continue;
      const here = before.get(x.at) ?? [];
      appendAll(here, closed(lines.theirs.slice(x.theirs.first - 1, x.theirs.last)));
      before.set(x.at, here);
    }
    const out: string[] = [];
    for (let line = 1; line <= lines.merged.length + 1; line++) {
      appendAll(out, before.get(line) ?? []);
      if (line <= lines.merged.length) out.push(lines.merged[line - 1]!);
    }
    const candidate = out.join("");
    try {
      const found = pathLineRanges(store.parse(candidate).leaves, candidate, chosen.map((x) => x.path));
      return found.map((range) => (range === undefined ? "elsewhere" : "in-place"));
    } catch {
      return "unparsed";
    }
  };
  let verdicts: Array<"in-place" | "elsewhere" | "unparsed"> = [];
  const together = placedBy(insertions);
  if (together !== "unparsed") verdicts = together;
  else {
    let parsed = 0;
    verdicts = insertions.map((x) => {
      parsed += input.merged.length;
      if (parsed > MAX_INSERTION_CHECK_CHARACTERS) return "unparsed";
      const alone = placedBy([x]);
      return alone === "unparsed" ? alone : alone[0]!;
    });
  }
  // Each map's block is looked up once: every lookup reads every leaf.
  const known = new Map<string, Block | undefined>();
  const blockOf = (parent: KeyPath): Block | undefined => {
    const key = JSON.stringify(parent);
    if (!known.has(key)) {
      const [m] = pathLineRanges(leaves.merged, input.merged, [parent]);
      const [t] = pathLineRanges(leaves.theirs, input.theirs, [parent]);
      const [b] = leaves.base === undefined || input.base === undefined ? [undefined] : pathLineRanges(leaves.base, input.base, [parent]);
      known.set(key, m === undefined || t === undefined ? undefined : { first: m.first, last: m.last, theirs: [t], base: b === undefined ? [] : [b], insert: false });
    }
    const block = known.get(key);
    return block === undefined ? undefined : { ...block, theirs: [...block.theirs], base: [...block.base] };
  };
  return insertions.map((x, k) => {
    const verdict = verdicts[k]!;
    if (x.theirs === undefined || verdict === "in-place") return undefined;
    // Text that does not parse (a YAML key indented under the wrong parent, a JSON comma) is
    // refused when saved, not silent: it takes a block of the enclosing map only when that is not
    // the whole document, which would hide every other merged change of ours in one conflict.
    for (let depth = x.path.length - 1; depth >= (verdict === "elsewhere" ? 0 : 1); depth--) {
      const block = blockOf(x.path.slice(0, depth));
      if (block !== undefined) return block;
    }
    return undefined;
  });
}

/** Lines with a line break after the last one, so that the lines after them start lines of their own. */
function closed(lines: readonly string[]): string[] {
  return lines.map((l, i) => (i === lines.length - 1 && !l.endsWith("\n") ? `${l}\n` : l));
}

/**
 * Writes git-style conflict markers around the lines that hold each conflicting key path: ours'
 * lines from the merged document, then the base's and theirs' lines for the same path. Used on
 * encrypted texts for the working file (only ENC strings appear) and on plaintext for the editor.
 */
export async function renderConflicts(input: ConflictRenderInput): Promise<string> {
  const store = await storeFor(input.format);
  const mergedDoc = store.parse(input.merged);
  const theirsDoc = store.parse(input.theirs);
  const baseDoc = input.base === undefined || input.base.trim() === "" ? undefined : store.parse(input.base);
  const mergedLines = splitLines(input.merged);
  const theirsLines = splitLines(input.theirs);
  const baseLines = input.base === undefined ? [] : splitLines(input.base);
  const paths = input.conflicts.map((c) => c.path);
  const mine = pathLineRanges(mergedDoc.leaves, input.merged, paths);
  const theirs = pathLineRanges(theirsDoc.leaves, input.theirs, paths);
  const base = baseDoc === undefined || input.base === undefined ? paths.map(() => undefined) : pathLineRanges(baseDoc.leaves, input.base, paths);
  const missing = paths.filter((_, i) => mine[i] === undefined);
  const inserted = missing.length === 0 ? [] : insertionLines(mergedDoc.leaves, input.merged, theirsDoc.leaves, missing);
  const blocks: Block[] = [];
  const insertions = paths.flatMap((path, i) => (mine[i] === undefined ? [{ path, theirs: theirs[i] }] : [])).map((x, k) => ({ ...x, at: inserted[k]! }));
  const enclosing = enclosingBlocks(store, input, { merged: mergedDoc.leaves, theirs: theirsDoc.leaves, base: baseDoc?.leaves }, { merged: mergedLines, theirs: theirsLines }, insertions);
  let nextInserted = 0;
  paths.forEach((_, i) => {
    const [m, t, b] = [mine[i], theirs[i], base[i]];
    const sides = { theirs: t === undefined ? [] : [t], base: b === undefined ? [] : [b] };
    if (m !== undefined) blocks.push({ first: m.first, last: m.last, ...sides, insert: false });
    else {
      const k = nextInserted++;
      const at = inserted[k]!;
      blocks.push(enclosing[k] ?? { first: at, last: at - 1, ...sides, insert: true });
    }
  });
  blocks.sort((p, q) => p.first - q.first || p.last - q.last);
  // Conflicts on the same lines (several values on one line) become one block.
  const merged: Block[] = [];
  for (const blk of blocks) {
    const prev = merged[merged.length - 1];
    if (prev !== undefined && blk.first <= prev.last) {
      prev.last = Math.max(prev.last, blk.last);
      appendAll(prev.theirs, blk.theirs);
      appendAll(prev.base, blk.base);
      prev.insert = prev.insert && blk.insert;
    } else merged.push({ ...blk, theirs: [...blk.theirs], base: [...blk.base] });
  }
  const size = input.markerSize ?? 7;
  const eol = input.merged.includes("\r\n") ? "\r\n" : "\n";
  const out: string[] = [];
  let line = 1;
  for (const blk of merged) {
    appendAll(out, mergedLines.slice(line - 1, blk.first - 1));
    const ours = blk.insert ? [] : mergedLines.slice(blk.first - 1, blk.last);
    const pick = (lines: string[], ranges: Array<{ first: number; last: number }>): string[] => {
      if (ranges.length === 0) return [];
      const first = ranges.reduce((least, r) => Math.min(least, r.first), Infinity);
      const last = ranges.reduce((most, r) => Math.max(most, r.last), -Infinity);
      return lines.slice(first - 1, last);
    };
    appendAll(out, conflictBlock(ours, input.base === undefined ? undefined : pick(baseLines, blk.base), pick(theirsLines, blk.theirs), size, input.labels ?? {}, eol));
    line = blk.insert ? blk.first : blk.last + 1;
  }
  appendAll(out, mergedLines.slice(line - 1));
  return out.join("");
}
