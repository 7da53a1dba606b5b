import { isAlias, isMap, isScalar, isSeq, type CST, type Document, type Node as YamlNode, type Scalar } from "yaml";
import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath, type PathSegment, type ScalarValue } from "../tree/values.ts";
import { refuseYamlForeignLineBreak, yamlForeignLineBreakProblems } from "./foreign-line-breaks.ts";
import { lineIndex, lineStartIndex } from "./lines.ts";
import { MAX_NESTING } from "./nesting.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";
import { documentEnds, duplicateKeyOffset, loadDocuments, scalarValue, toTree } from "./yaml-load.ts";
import { aliasTargets, assertAliasBudget } from "./yaml-alias-budget.ts";
import { expandAliases } from "./yaml-aliases.ts";
import { inSopsOrder, type LineAnchor } from "./yaml-comments.ts";
import { commentOwners, type YamlCollection } from "./yaml-comment-owner.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";

type Token = CST.Token;
import { goScalarText, yamlValueText } from "./value-text.ts";
import { yamlLayout } from "./yaml-layout.ts";
import { emitMetadataBlock, emitYamlDocument } from "./yaml-emit.ts";
import { completePlaintext, isBlankOrComment, isDocumentEnd, plainBlockRoom, renderEncrypted, renderPlaintext, type Style, type YamlStyle } from "./yaml-render.ts";
import { goYamlProblems } from "./yaml-go-reading.ts";
import { isStringTag, refuseCollectionTag, refuseKeyTag, refuseValueTag, resolvesUntagged } from "./yaml-tags.ts";
import { metadataNodeProblem } from "./yaml-metadata-nodes.ts";
import { holdsNothingMacCovered, isMergeKey, mergedKeys, metadataMergeKeyOffset, shadowingMergeError, type ShadowingMerge } from "./yaml-merge-keys.ts";
import { foldedKeyShadow, type MapMember } from "./folded-keys.ts";
import { macCoverage } from "./mac-coverage.ts";
import { keyTwinsError, yaml11KeyReadings, yaml11Twin, type KeyTwins } from "./yaml11-keys.ts";

/**
 * YAML, edited in place. The `yaml` package's composed documents give each scalar's exact source
 * range and style, its CST gives every comment's offset; encryption rewrites only those spans and
 * keeps quoting style, block headers, anchors, tags, blank lines and indentation. Scalars are
 * typed with go-yaml v3's rules (yaml-resolve.ts), not the package's, so types match SOPS.
 */

function collectComments(tokens: readonly Token[]): Array<{ offset: number; source: string }> {
  const out: Array<{ offset: number; source: string }> = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    const t = v as { type?: unknown; offset?: unknown; source?: unknown };
    if (t.type === "comment" && typeof t.offset === "number" && typeof t.source === "string") {
      out.push({ offset: t.offset, source: t.source });
      return;
    }
    for (const x of Object.values(v)) visit(x);
  };
  for (const token of tokens) visit(token);
  return out.sort((a, b) => a.offset - b.offset);
}

/** go-yaml's typing tags (`resolvableTag` in yaml.v3, less !!str), as written in messages. */
const TYPE_TAGS: Record<string, string> = {
  "tag:yaml.org,2002:int": "!!int",
  "tag:yaml.org,2002:float": "!!float",
  "tag:yaml.org,2002:bool": "!!bool",
  "tag:yaml.org,2002:timestamp": "!!timestamp",
};

/**
 * `parentCol`: the column of the collection holding the scalar, the indentation a block scalar's
 * explicit indentation indicator (`|2`) counts from; `seqItem`: the scalar is a list item;
 * `ls`: where the scalar's line starts.
 */
function styleOf(text: string, node: Scalar, start: number, ls: number, parentCol: number, seqItem: boolean, inFlow: boolean): YamlStyle {
  const style = (node.type ?? "PLAIN") as Style;
  const typeTag = node.tag === undefined ? undefined : TYPE_TAGS[node.tag];
  const tagged = typeTag !== undefined ? { typeTag } : node.tag !== undefined && isStringTag(node.tag) ? { stringTag: true as const } : {};
  if (style === "BLOCK_LITERAL" || style === "BLOCK_FOLDED") {
    const body = text.slice(text.indexOf("\n", start) + 1, node.range![1]);
    const explicit = /^[|>][+-]?([1-9])|^[|>]([1-9])/.exec(text.slice(start, start + 3));
    // The first line with anything but spaces sets the indentation (a tab there is content).
    const m = /^( *)[^ \n]/m.exec(body);
    const indent = explicit !== null ? parentCol + Number(explicit[1] ?? explicit[2]) : m === null ? 2 : m[1]!.length;
    return { style, indent, bodyNewline: body.endsWith("\n"), ...tagged };
  }
  const indent = /^ */.exec(text.slice(ls))![0].length;
  // An empty plain scalar is a null: no value of it is ever decrypted.
  const block = style === "PLAIN" && !inFlow && node.range![1] > start ? plainBlockRoom(text, node.range![1], parentCol, seqItem) : undefined;
  return { style, indent, bodyNewline: false, ...(block === undefined ? {} : { block }), ...tagged };
}

/**
 * Where the comment lines right above the key whose line starts at `keyLine` (at column `col`)
 * begin: go-yaml reads them as that key's head comment, so after a `sops:` block that is not the
 * last key (a tool reordered the keys) they are the data's, not the block's. A blank or other
 * line between them and the key ends them.
 */
function headCommentStart(text: string, keyLine: number, col: number): number {
  let at = keyLine;
  while (at > 0) {
    const prev = text.lastIndexOf("\n", at - 2) + 1;
    const line = text.slice(prev, at - 1).replace(/\r$/, "");
    if (line[col] !== "#" || !/^ *$/.test(line.slice(0, col))) break;
    at = prev;
  }
  return at;
}

function parse(text: string): ParsedDocument {
  const { docs, tokens } = loadDocuments(text);
  const line = lineIndex(text);
  const lineStart = lineStartIndex(text);
  const leaves: Leaf[] = [];
  const collections: YamlCollection[] = [];
  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  const ends = documentEnds(text, tokens);

  const anchors: LineAnchor[] = [];
  let unsupported: ParsedDocument["unsupported"];
  let emptyDocuments = 0;
  // The first merge over an earlier key, and the first whose merged value holds nothing the MAC covers.
  let shadowingMerge: ShadowingMerge | undefined;
  let macFreeShadowingMerge: ShadowingMerge | undefined;
  // The first keys YAML 1.1 readers read as one, and the first whose second holds nothing the MAC covers.
  /** Two keys that differ only in case, one holding nothing the MAC covers (folded-keys.ts). */
  let foldedKeys: HushError | undefined;
  let keyTwins: KeyTwins | undefined;
  let macFreeKeyTwins: KeyTwins | undefined;
  /** The scalar values read so far (copies through aliases too) that add bytes to the MAC. */
  let macCoveredValues = 0;
  const covered = macCoverage(macOnlyField(docs[0]));
  const targetsOf = new Map(docs.map((doc) => [doc, aliasTargets(doc)]));
  assertAliasBudget(docs, (doc) => targetsOf.get(doc)!, line, true);
  docs.forEach((doc, di) => {
    const targets = targetsOf.get(doc)!;
    /** `item`: where the map pair or list item holding `node` starts; `parentCol`: its collection's column. */
    const walk = (node: YamlNode | null, path: KeyPath, aliased: boolean, depth: number, inFlow = false, item = -1, parentCol = 0): void => {
      if (depth > MAX_NESTING) throw new HushError("PARSE_FAILED", `invalid YAML: nesting deeper than ${MAX_NESTING} levels`);
      if (node === null) return;
      const parentPath = path.slice(0, -1);
      if (isAlias(node)) {
        const target = targets.get(node);
        if (target === undefined) throw new HushError("PARSE_FAILED", `unknown alias at line ${line(node.range![0])}`);
        // SOPS expands aliases: their values count again in the MAC, at this path (the copies'
        // size was bounded above, before any was made).
        walkAliased(target, path, node.range![0], depth + 1);
        return;
      }
      if (isMap(node) || isSeq(node)) {
        const col = node.range ? node.range[0] - lineStart(node.range[0]) : 0;
        refuseCollectionTag(node.tag, isMap(node) ? "map" : "seq", line(node.range?.[0] ?? 0));
        if (!aliased && node.range) {
          collections.push({ start: node.range[0], end: node.range[2], col, path, document: di });
          // A comment after a flow collection (`k: [1, 2] # c`) is go-yaml's line comment of the
          // collection: it comes first inside it. So does one after a block collection's anchor or tag.
          // As a list item, the comment is the item's and goes before it in the list instead.
          const commentPath = typeof path[path.length - 1] === "number" ? parentPath : path;
          if (node.flow === true) anchors.push({ at: node.range[1], item: node.range[0] - 0.5, path: commentPath, document: di });
          else if ((node.anchor !== undefined || node.tag !== undefined) && item >= 0) {
            const props = /:[ \t]+[&!]/.exec(text.slice(item, node.range[0]));
            if (props !== null) anchors.push({ at: item + props.index + 1, item: node.range[0] - 0.5, path: commentPath, document: di });
          }
        }
        if (node.items.length === 0) {
          // An empty collection is an item of SOPS's tree: comments before it govern it, not the next.
          leaves.push({ kind: "scalar", path, document: di, value: null, start: node.range?.[0] ?? 0, end: node.range?.[0] ?? 0, line: line(node.range?.[0] ?? 0), ...(aliased ? { aliased: true } : {}) });
        }
        if (isMap(node)) {
          /** Each key written so far, with the offset of its first character. */
          const seen = new Map<string, number>();
          /** The first key of each YAML 1.1 reading (see yaml11KeyReadings). */
          const readings = new Map<string, { text: string; line: number }>();
          const writtenKey = (text: string): { text: string; line: number } | undefined => (seen.has(text) ? { text, line: line(seen.get(text)!) } : undefined);
          /** The keys whose values hold nothing the MAC covers (see macCoveredValues). */
          const macFreeKeys = new Set<string>();
          /** The keys with their lines, for keys that differ only in case (see folded-keys.ts). */
          const members: MapMember[] = [];
          for (const pair of node.items) {
            const key = pair.key;
            const keyText = isScalar(key) ? String(key.value ?? "") : "";
            if (!isScalar(key)) throw new HushError("PARSE_FAILED", `complex mapping keys are not supported (line ${line((key as YamlNode | null)?.range?.[0] ?? 0)})`);
            refuseKeyTag(key.tag, line(key.range?.[0] ?? 0));
            const keyType = nonStringKeyType(key);
            if (keyType !== undefined && unsupported === undefined && !aliased) {
              const at = line(key.range![0]);
              unsupported = { line: at, message: `the key ${printable(keyText, 40)} at line ${at} is read as ${keyType}, and SOPS supports only string keys; quote it ("${printable(keyText, 40).replace(/"/g, '\\"')}": …)` };
            }
            if (!aliased && key.range) anchors.push({ at: key.range[1], item: key.range[0] - 0.5, path, document: di });
            if (seen.has(keyText)) {
              const at = line(key.range?.[0] ?? 0);
              throw new HushError("PARSE_FAILED", `duplicate key at line ${at}`, { location: { line: at } });
            }
            seen.set(keyText, key.range?.[0] ?? 0);
            if (isMergeKey(keyText) && !aliased && macFreeShadowingMerge === undefined) {
              // The key written before that a merged key replaces, as written or as YAML 1.1 readers read it.
              const writtenFor = (k: { text: string; plain: boolean }): { text: string; line: number } | undefined => (seen.has(k.text) ? { text: k.text, line: line(seen.get(k.text)!) } : yaml11Twin(k.text, k.plain, readings, writtenKey));
              for (const merged of mergedKeys(pair.value as YamlNode | null, targets)) {
                const written = writtenFor(merged);
                if (written === undefined) continue;
                const merge = { path: [...path, written.text], mergeLine: line(key.range?.[0] ?? 0), keyLine: written.line };
                shadowingMerge ??= merge;
                if (holdsNothingMacCovered(merged.value, targets, covered)) {
                  macFreeShadowingMerge = merge;
                  break;
                }
              }
            }
            if (path.length === 0 && keyText === "sops" && !aliased) {
              handleSops(pair.key as Scalar, pair.value as YamlNode | null, di);
              continue;
            }
            const plainKey = resolvesUntagged(key);
            const twin = yaml11Twin(keyText, plainKey, readings, writtenKey);
            if (plainKey) for (const reading of yaml11KeyReadings(keyText)) if (!readings.has(reading)) readings.set(reading, { text: keyText, line: line(key.range?.[0] ?? 0) });
            const coveredBefore = macCoveredValues;
            walk(pair.value as YamlNode | null, [...path, keyText], aliased, depth + 1, inFlow || node.flow === true, key.range?.[0] ?? -1, col);
            if (macCoveredValues === coveredBefore) macFreeKeys.add(keyText);
            members.push({ key: keyText, line: line(key.range?.[0] ?? 0), empty: () => macFreeKeys.has(keyText) });
            if (twin !== undefined && !aliased) {
              const twins: KeyTwins = { path, first: twin, second: { text: keyText, line: line(key.range?.[0] ?? 0) } };
              keyTwins ??= twins;
              // sigs.k8s.io/yaml keeps either twin's value, PyYAML the second's: either may be a branch's.
              if (macFreeKeyTwins === undefined && (macFreeKeys.has(keyText) || macFreeKeys.has(twin.text))) macFreeKeyTwins = twins;
            }
          }
          if (!aliased && foldedKeys === undefined) foldedKeys = foldedKeyShadow("YAML", path, members);
        } else {
          node.items.forEach((entry, i) => walk(entry as YamlNode | null, [...path, i], aliased, depth + 1, inFlow || node.flow === true, (entry as YamlNode | null)?.range?.[0] ?? -1, col));
        }
        return;
      }
      if (isScalar(node)) {
        const start = node.range![0];
        const st = { ...styleOf(text, node, start, lineStart(start), parentCol, typeof path[path.length - 1] === "number", inFlow), inFlow };
        // A comment after a value on its line is go-yaml's line comment of the value: SOPS puts it
        // before the value's item, in the same collection.
        if (!aliased && item >= 0) anchors.push({ at: spanIsBlock(st) ? start : node.range![1], item: Math.min(item, start) - 0.5, path: parentPath, document: di });
        let spanStart = start;
        if (st.style === "BLOCK_LITERAL" || st.style === "BLOCK_FOLDED") spanStart = text.indexOf("\n", start) + 1;
        let value = scalarValue(node, line(start));
        refuseValueTag(node.tag, value, line(start), formatKeyPath(path), node.type === "PLAIN");
        // go-yaml (SOPS) reads a block scalar that ends the file without a line break as having
        // none; the yaml package adds one. Follow SOPS, so MACs and values agree.
        if (spanStart !== start && value !== null && !st.bodyNewline && value.text.endsWith("\n")) value = { ...value, text: value.text.slice(0, -1) };
        // A block body's final line break stays outside the span, so that edits never touch the
        // line structure around it (and never overlap the metadata span).
        let spanEnd = node.range![1];
        if (spanStart !== start && text[spanEnd - 1] === "\n") spanEnd -= 1;
        leaves.push({ kind: "scalar", path, document: di, value, start: spanStart, end: spanEnd, line: line(start), style: st, ...(aliased ? { aliased: true } : {}) });
        // Nulls and empty strings add no bytes to the MAC (nor values in clear, in a mac_only_encrypted file).
        if (value !== null && covered(value.text)) macCoveredValues++;
      }
    };
    const walkAliased = (target: YamlNode, path: KeyPath, at: number, depth: number): void => {
      const before = leaves.length;
      walk(target, path, true, depth);
      for (let i = before; i < leaves.length; i++) {
        const l = leaves[i]!;
        leaves[i] = { ...l, start: at, end: at, aliased: true };
      }
    };
    const handleSops = (key: Scalar, value: YamlNode | null, di2: number): void => {
      const merge = metadataMergeKeyOffset(value);
      if (merge !== undefined) {
        const at = line(merge);
        throw new HushError("METADATA_INVALID", `invalid sops metadata: a merge key << at line ${at}, which SOPS's YAML reader merges into the metadata and hush does not (an entry there would reach SOPS unseen): remove it`, { location: { line: at } });
      }
      const otherwise = metadataNodeProblem(text, value);
      if (otherwise !== undefined) {
        const at = line(otherwise.offset);
        throw new HushError("METADATA_INVALID", `invalid sops metadata: ${otherwise.message.replace("{line}", String(at))}`, { location: { line: at } });
      }
      if (di2 === 0) {
        const duplicate = duplicateKeyOffset(value);
        if (duplicate !== undefined) {
          const at = line(duplicate);
          throw new HushError("METADATA_INVALID", `invalid sops metadata: duplicate key at line ${at}`, { location: { line: at } });
        }
        try {
          metadata = value === null ? null : (value.toJS(doc, { maxAliasCount: 0 }) as unknown);
        } catch {
          throw new HushError("METADATA_INVALID", "invalid sops metadata: aliases are not allowed there");
        }
      }
      const docEnd = ends[di2] ?? text.length;
      const from = lineStart(key.range![0]);
      const parent = doc.contents;
      let to = docEnd;
      if (isMap(parent)) {
        const idx = parent.items.findIndex((p) => p.key === key);
        const next = parent.items[idx + 1];
        if (next !== undefined && isScalar(next.key)) to = headCommentStart(text, lineStart(next.key.range![0]), next.key.range![0] - lineStart(next.key.range![0]));
      }
      let start = from;
      if (to === text.length && !text.endsWith("\n") && start > 0 && text[start - 1] === "\n") start -= 1;
      metadataSpans.push({ start, end: to });
    };
    // A document marker with nothing after it (`a: 1` then `---`, as Kubernetes tools write
    // streams) is an empty document: SOPS reads it as an empty mapping and gives it its own
    // metadata block, and so does hush.
    const emptyDocument = isScalar(doc.contents) && doc.contents.range![0] === doc.contents.range![1];
    if (emptyDocument) emptyDocuments++;
    const root = emptyDocument ? null : doc.contents;
    if (root !== null && !isMap(root)) {
      throw new HushError("PARSE_FAILED", `YAML documents that are sequences or single values are not supported (line ${line(root.range?.[0] ?? 0)})`);
    }
    if (root !== null && isMap(root) && root.flow === true && root.items.length > 0) {
      throw new HushError("PARSE_FAILED", `flow-style top-level mappings are not supported (line ${line(root.range?.[0] ?? 0)})`);
    }
    if (root !== null && isMap(root) && root.flow === true && root.items.length === 0 && docs.length > 1 && unsupported === undefined) {
      // Written as SOPS writes it (the metadata block alone), it would read back as an empty
      // document: only a lone document has room to give `{}` back.
      const at = line(root.range?.[0] ?? 0);
      unsupported = { line: at, message: `an empty mapping ({}) as one document of several (line ${at}) cannot be written to read back as itself: leave that document empty (the --- alone) or give it a key` };
    }
    walk(root, [], false, 0);
  });

  // In an encrypted file, only what a branch without the key could have written (see yaml-merge-keys.ts, yaml11-keys.ts).
  const encrypted = metadata !== undefined;
  const merge = encrypted ? macFreeShadowingMerge : shadowingMerge;
  if (merge !== undefined) throw shadowingMergeError(merge, encrypted);
  const twins = encrypted ? macFreeKeyTwins : keyTwins;
  if (twins !== undefined) throw keyTwinsError(twins, encrypted);
  // After the twins: `no` and `NO` are both, and tampering is the twins' finding in an encrypted file.
  if (foldedKeys !== undefined) throw foldedKeys;

  // Comments: each belongs to the innermost collection around it at its indentation (its AAD is
  // that collection's path, spec 2.2); comments inside the metadata block are skipped. Comments,
  // documents and metadata blocks all come in text order.
  const docStarts = docs.map((d) => d.range[0]);
  const kept: Array<{ offset: number; source: string; col: number; document: number }> = [];
  let document = 0;
  let span = 0;
  for (const c of collectComments(tokens)) {
    while (document + 1 < docStarts.length && docStarts[document + 1]! <= c.offset) document++;
    while (span < metadataSpans.length && metadataSpans[span]!.end <= c.offset) span++;
    const metadataSpan = metadataSpans[span];
    if (metadataSpan !== undefined && c.offset >= metadataSpan.start) continue;
    kept.push({ ...c, col: c.offset - lineStart(c.offset), document });
  }
  const owners = commentOwners(text, collections, kept);
  kept.forEach((c, i) => {
    leaves.push({
      kind: "comment",
      path: owners[i]?.path ?? [],
      document: c.document,
      value: { type: "str", text: c.source.slice(1) },
      start: c.offset + 1,
      end: c.offset + c.source.length,
      line: line(c.offset),
      style: { style: "COMMENT", indent: 0, bodyNewline: false } satisfies YamlStyle,
    });
  });
  // A lone empty document (`---` alone) holds as little as an empty text.
  const documentCount = docs.length === 1 && emptyDocuments === 1 ? 0 : docs.length;
  refuseYamlForeignLineBreak(text, leaves.filter((l) => l.kind === "scalar" && l.value !== null && l.aliased !== true), line);
  return { leaves: inSopsOrder(text, leaves, anchors), metadata, metadataSpans, documentCount, ...(unsupported ? { unsupported } : {}) };
}

/**
 * Decryption writes a block scalar's lines under the header kept from the encrypted file, and
 * the header decides how they read: `|+` or `|-`, an indentation indicator. Headers are outside
 * the MAC, so the decrypted text is read again wherever it holds a block scalar, and each block's
 * value must be the one decrypted. The exact reading (trailing lines of spaces, indentation found
 * from the first line) is the parser's own, so it is asked rather than modelled.
 */
function confirmPlaintext(plaintext: string, written: ReadonlyArray<{ readonly leaf: Leaf; readonly value: ScalarValue }>): void {
  const blocks = written.filter((w) => w.leaf.kind === "scalar" && spanIsBlock(w.leaf.style as YamlStyle));
  if (blocks.length === 0) return;
  let reread: readonly Leaf[] = [];
  try {
    reread = parse(plaintext).leaves;
  } catch {
    // Checked below: no block reads back from a text that does not parse.
  }
  const where = (l: Leaf): string => `${l.document}\0${JSON.stringify(l.path)}`;
  const values = new Map(reread.filter((l) => l.kind === "scalar" && l.aliased !== true).map((l) => [where(l), l.value]));
  for (const { leaf, value } of blocks) {
    const got = values.get(where(leaf));
    if (got === undefined || got === null || got.text !== value.text) {
      const keyPath = formatKeyPath(leaf.path);
      throw new HushError("VALUE_TAMPERED", `the block header of the value at ${keyPath} (line ${leaf.line}) does not hold its decrypted value: block headers are not covered by the MAC, so the file was changed without the key; restore it from history`, {
        location: { keyPath, line: leaf.line },
      });
    }
  }
}

/**
 * The `mac_only_encrypted` of the first document's top-level `sops` mapping (where SOPS reads the
 * metadata), as its scalar reads; undefined without one.
 */
function macOnlyField(first: Document.Parsed | undefined): unknown {
  const root = first?.contents;
  if (!isMap(root)) return undefined;
  const sops = root.items.find((pair) => isScalar(pair.key) && pair.key.value === "sops")?.value;
  if (!isMap(sops)) return undefined;
  const field = sops.items.find((pair) => isScalar(pair.key) && pair.key.value === "mac_only_encrypted")?.value;
  return isScalar(field) ? field.value : undefined;
}

function spanIsBlock(st: YamlStyle): boolean {
  return st.style === "BLOCK_LITERAL" || st.style === "BLOCK_FOLDED";
}

/** The type go-yaml gives a map key when it is not a string (SOPS refuses such keys). */
function nonStringKeyType(key: Scalar): string | undefined {
  const named: Record<string, string> = { "tag:yaml.org,2002:int": "an integer", "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:bool": "a boolean", "tag:yaml.org,2002:null": "null" };
  if (!resolvesUntagged(key)) return key.tag === undefined ? undefined : named[key.tag];
  const resolved = resolvePlainScalar(String(key.value ?? ""));
  if (resolved === null) return "null";
  if (resolved === "uint64") return "an integer";
  // go-yaml v3 decodes timestamps into interface{} values as strings.
  return resolved.type === "str" || resolved.type === "time" ? undefined : ({ int: "an integer", float: "a number", bool: "a boolean" } as Record<string, string>)[resolved.type];
}

/**
 * The text of a document whose only node is an empty flow mapping (`{}`), without it: its comment
 * and blank lines are kept, and a comment after `{}` on its line keeps its place. `tail` is a
 * document end `...` after it and what follows, which stay after the metadata block (the block
 * belongs to the document). Undefined for any other document.
 */
function withoutEmptyFlowMapping(text: string): { data: string; tail: string } | undefined {
  const lines = text.split("\n");
  const at = lines.findIndex((line) => !isBlankOrComment(line));
  if (at === -1) return undefined;
  const empty = /^[ \t]*\{[ \t]*\}/.exec(lines[at]!);
  if (empty === null || !isBlankOrComment(lines[at]!.slice(empty[0].length))) return undefined;
  const after = lines.slice(at + 1);
  const endAt = after.findIndex((line) => !isBlankOrComment(line));
  if (endAt !== -1 && !(isDocumentEnd(after[endAt]!) && after.slice(endAt + 1).every((line) => isBlankOrComment(line) || isDocumentEnd(line)))) return undefined;
  const rest = lines[at]!.slice(empty[0].length).trimStart();
  // A line left empty goes, so that `{}` alone and its metadata block read as SOPS writes them.
  const data = [...lines.slice(0, at), ...(rest === "" ? [] : [rest]), ...(endAt === -1 ? after : after.slice(0, endAt))].join("\n");
  return { data, tail: endAt === -1 ? "" : after.slice(endAt).join("\n") };
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>, documentCount: number, options: EmitOptions): string {
  const indent = options.indent === undefined || options.indent <= 0 ? 4 : options.indent;
  const block = emitMetadataBlock(metadata, indent);
  if (documentCount === 0 || dataText.trim() === "") {
    return dataText + block;
  }
  // An empty mapping written in flow style (`{}`, and what `unset` leaves of a mapping whose last
  // key it removed) cannot take a block key after it: the metadata block becomes the mapping, as
  // SOPS writes an empty file, and decryption gives `{}` back (see completePlaintext).
  const withoutEmpty = documentCount === 1 ? withoutEmptyFlowMapping(dataText) : undefined;
  if (withoutEmpty !== undefined) {
    const { data, tail } = withoutEmpty;
    return data + (data === "" || data.endsWith("\n") ? "" : "\n") + block + tail;
  }
  // Document markers stand at the start of a line: without one, a single document ends at the
  // end of the text, and lexing the whole text again would only say so.
  const ends = documentCount === 1 && !/^(?:---|\.\.\.)/m.test(dataText) ? [dataText.length] : documentEnds(dataText);
  // The pieces are joined once: a stream of many documents (thousands from `helm template`) was
  // copied whole for each block, quadratic in their number.
  const pieces: string[] = [];
  let from = 0;
  for (const at of ends) {
    const before = dataText.slice(from, at);
    pieces.push(before);
    const lineStarts = at === 0 ? true : dataText[at - 1] === "\n";
    if (at === dataText.length && !lineStarts) pieces.push(`\n${block.replace(/\n$/, "")}`);
    else pieces.push(lineStarts ? block : `\n${block}`);
    from = at;
  }
  pieces.push(dataText.slice(from));
  return pieces.join("");
}

export const yamlStore: Store = {
  format: "yaml",
  parse,
  expandAliases,
  sopsReadingProblems: (text) => [...goYamlProblems(text), ...yamlForeignLineBreakProblems(text)].sort((a, b) => a.offset - b.offset),
  renderEncrypted,
  renderPlaintext,
  confirmPlaintext,
  appendMetadata,
  completePlaintext,
  toTree,
  emitTree: (tree, options) => emitYamlDocument(tree, options.indent === undefined || options.indent <= 0 ? 4 : options.indent),
  orderedMaps: true,
  layout: yamlLayout,
  editCandidates: async (text, edit) => (await import("./yaml-edit.ts")).yamlEditCandidates(text, edit, yamlStore),
  // yaml.Marshal of the value: a scalar and a line break.
  emitValue: (node, options) => (node.kind === "scalar" ? `${goScalarText(node.value)}\n` : yamlValueText(node, options)),
};

/** For tests: the AAD path segments of a comment at an offset (exposed through parse()). */
export type { PathSegment };
