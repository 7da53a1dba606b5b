import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Parser, type CST, type Document, type Node as YamlNode, type Scalar } from "yaml";

type Token = CST.Token;
import { HushError } from "../errors.ts";
import type { KeyPath, PathSegment, ScalarValue, TreeMap, TreeNode } from "../tree/values.ts";
import { lineIndex } from "./lines.ts";
import { columnAt, yamlReason } from "./parse-reasons.ts";
import { assertFlowNesting, MAX_NESTING } from "./nesting.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./store.ts";
import { doubleQuote, isPlainSafe, resolvePlainScalar } from "./yaml-resolve.ts";
import { emitMetadataBlock, emitYamlDocument, literalBlock, yamlFloat, yamlScalarText } from "./yaml-emit.ts";

/**
 * YAML, edited in place. The `yaml` package's composed documents give each scalar's exact source
 * range and style, its CST gives every comment's offset; encryption rewrites only those spans and
 * keeps quoting style, block headers, anchors, tags, blank lines and indentation. Scalars are
 * typed with go-yaml v3's rules (yaml-resolve.ts), not the package's, so types match SOPS.
 */

/** Alias expansions allowed per document set (SOPS expands aliases into copies). */
const MAX_ALIAS_EXPANSIONS = 10_000;

type Style = "PLAIN" | "QUOTE_SINGLE" | "QUOTE_DOUBLE" | "BLOCK_LITERAL" | "BLOCK_FOLDED" | "COMMENT";

interface YamlStyle {
  readonly style: Style;
  /** Block scalars: indentation of the body; plain scalars: column of the line's content. */
  readonly indent: number;
  /** Block scalars: whether the body's last line ends with a line break. */
  readonly bodyNewline: boolean;
  /** Inside a flow collection (`[…]`, `{…}`), where commas and brackets end a plain scalar. */
  readonly inFlow?: boolean;
}

interface Collection {
  readonly start: number;
  readonly end: number;
  readonly col: number;
  readonly path: KeyPath;
  readonly document: number;
}

/** The parser's tokens (kept for comments and document boundaries) and the composed documents. */
interface Loaded {
  readonly docs: Document.Parsed[];
  readonly tokens: readonly Token[];
}

/** Lexes once: the same tokens serve composition, comments and document boundaries. */
function loadDocuments(text: string): Loaded {
  assertFlowNesting(text, "YAML");
  let list: Document.Parsed[];
  let tokens: Token[];
  try {
    tokens = [...new Parser().parse(text)];
    // logLevel "error": the package would otherwise print warnings (unknown tags…) to stderr.
    // uniqueKeys is checked by our own walk with a Set: the package's check is quadratic in the
    // number of keys (most of the time of a 10,000-key file).
    const composer = new Composer({ schema: "failsafe", uniqueKeys: false, merge: false, prettyErrors: false, strict: true, logLevel: "error" });
    list = [...composer.compose(tokens)];
  } catch (err) {
    if (err instanceof RangeError) throw new HushError("PARSE_FAILED", "invalid YAML: nesting too deep");
    throw err;
  }
  const line = lineIndex(text);
  for (const doc of list) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const at = line(err.pos[0]);
      const what = `${err.code === "DUPLICATE_KEY" ? "duplicate key" : "invalid YAML"} at line ${at}, column ${columnAt(text, err.pos[0])}`;
      throw new HushError("PARSE_FAILED", `${what}: ${yamlReason(err.code)}`, { location: { line: at } });
    }
  }
  return { docs: list, tokens };
}

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

/** Offsets where each document's content ends: before the next `---`/`...`, or at EOF. */
function documentEnds(text: string, tokens: readonly Token[] = [...new Parser().parse(text)]): number[] {
  const ends: number[] = [];
  let inDoc = false;
  for (const t of tokens) {
    if (t.type === "document") {
      if (inDoc) ends.push(t.offset);
      inDoc = true;
    } else if (t.type === "doc-end" && inDoc) {
      ends.push(t.offset);
      inDoc = false;
    }
  }
  if (inDoc) ends.push(text.length);
  return ends;
}

function scalarValue(node: Scalar, line: number): ScalarValue | null {
  const tag = node.tag;
  if (tag === "tag:yaml.org,2002:binary") {
    // SOPS encrypts the decoded bytes and drops the tag; an envelope behind `!!binary` would not
    // read back. Refuse rather than write a file that cannot be decrypted.
    throw new HushError("PARSE_FAILED", `!!binary values are not supported (line ${line}); store the base64 text as a plain string`, { location: { line } });
  }
  const raw = node.value;
  if (raw === null || raw === undefined) return null;
  const text = String(raw);
  if (node.type !== "PLAIN" || (tag !== undefined && tag !== "tag:yaml.org,2002:str" && !tag.startsWith("tag:yaml.org,2002:"))) {
    return { type: "str", text };
  }
  if (tag === "tag:yaml.org,2002:str") return { type: "str", text };
  const resolved = resolvePlainScalar(text);
  if (resolved === "uint64") {
    throw new HushError("PARSE_FAILED", `integer out of the signed 64-bit range at line ${line}`, { location: { line } });
  }
  return resolved;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function styleOf(text: string, node: Scalar, start: number): YamlStyle {
  const style = (node.type ?? "PLAIN") as Style;
  if (style === "BLOCK_LITERAL" || style === "BLOCK_FOLDED") {
    const body = text.slice(text.indexOf("\n", start) + 1, node.range![1]);
    const m = /^( *)\S/m.exec(body);
    return { style, indent: m === null ? 2 : m[1]!.length, bodyNewline: body.endsWith("\n") };
  }
  const ls = lineStart(text, start);
  const indent = /^ */.exec(text.slice(ls))![0].length;
  return { style, indent, bodyNewline: false };
}

function parse(text: string): ParsedDocument {
  const { docs, tokens } = loadDocuments(text);
  const line = lineIndex(text);
  const leaves: Leaf[] = [];
  const collections: Collection[] = [];
  let metadata: unknown;
  const metadataSpans: Array<{ start: number; end: number }> = [];
  const ends = documentEnds(text, tokens);

  let aliasExpansions = 0;
  docs.forEach((doc, di) => {
    const walk = (node: YamlNode | null, path: KeyPath, aliased: boolean, depth: number, inFlow = false): void => {
      if (depth > MAX_NESTING) throw new HushError("PARSE_FAILED", `invalid YAML: nesting deeper than ${MAX_NESTING} levels`);
      if (node === null) return;
      if (isAlias(node)) {
        const target = node.resolve(doc);
        if (target === undefined) throw new HushError("PARSE_FAILED", `unknown alias at line ${line(node.range![0])}`);
        // SOPS expands aliases: their values count again in the MAC, at this path. A bounded
        // budget stops "billion laughs" documents from expanding exponentially.
        if (++aliasExpansions > MAX_ALIAS_EXPANSIONS || leaves.length > MAX_ALIAS_EXPANSIONS * 10) {
          throw new HushError("PARSE_FAILED", `YAML aliases expand to too many values at line ${line(node.range![0])}`, { location: { line: line(node.range![0]) } });
        }
        walkAliased(target, path, node.range![0], depth + 1);
        return;
      }
      if (isMap(node) || isSeq(node)) {
        if (!aliased && node.range) collections.push({ start: node.range[0], end: node.range[2], col: node.range[0] - lineStart(text, node.range[0]), path, document: di });
        if (isMap(node)) {
          const seen = new Set<string>();
          for (const pair of node.items) {
            const key = pair.key;
            const keyText = isScalar(key) ? String(key.value ?? "") : "";
            if (!isScalar(key)) throw new HushError("PARSE_FAILED", `complex mapping keys are not supported (line ${line((key as YamlNode | null)?.range?.[0] ?? 0)})`);
            if (seen.has(keyText)) {
              const at = line(key.range?.[0] ?? 0);
              throw new HushError("PARSE_FAILED", `duplicate key at line ${at}`, { location: { line: at } });
            }
            seen.add(keyText);
            if (path.length === 0 && keyText === "sops" && !aliased) {
              handleSops(pair.key as Scalar, pair.value as YamlNode | null, di);
              continue;
            }
            walk(pair.value as YamlNode | null, [...path, keyText], aliased, depth + 1, inFlow || node.flow === true);
          }
        } else {
          node.items.forEach((item, i) => walk(item as YamlNode | null, [...path, i], aliased, depth + 1, inFlow || node.flow === true));
        }
        return;
      }
      if (isScalar(node)) {
        const start = node.range![0];
        const st = { ...styleOf(text, node, start), inFlow };
        let spanStart = start;
        if (st.style === "BLOCK_LITERAL" || st.style === "BLOCK_FOLDED") spanStart = text.indexOf("\n", start) + 1;
        let value = scalarValue(node, line(start));
        // go-yaml (SOPS) reads a block scalar that ends the file without a line break as having
        // none; the yaml package adds one. Follow SOPS, so MACs and values agree.
        if (spanStart !== start && value !== null && !st.bodyNewline && value.text.endsWith("\n")) value = { ...value, text: value.text.slice(0, -1) };
        // A block body's final line break stays outside the span, so that edits never touch the
        // line structure around it (and never overlap the metadata span).
        let spanEnd = node.range![1];
        if (spanStart !== start && text[spanEnd - 1] === "\n") spanEnd -= 1;
        leaves.push({ kind: "scalar", path, document: di, value, start: spanStart, end: spanEnd, line: line(start), style: st, ...(aliased ? { aliased: true } : {}) });
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
      if (di2 === 0) {
        try {
          metadata = value === null ? null : (value.toJS(doc, { maxAliasCount: 0 }) as unknown);
        } catch {
          throw new HushError("METADATA_INVALID", "invalid sops metadata: aliases are not allowed there");
        }
      }
      const docEnd = ends[di2] ?? text.length;
      const from = lineStart(text, key.range![0]);
      const parent = doc.contents;
      let to = docEnd;
      if (isMap(parent)) {
        const idx = parent.items.findIndex((p) => p.key === key);
        const next = parent.items[idx + 1];
        if (next !== undefined && isScalar(next.key)) to = lineStart(text, next.key.range![0]);
      }
      let start = from;
      if (to === text.length && !text.endsWith("\n") && start > 0 && text[start - 1] === "\n") start -= 1;
      metadataSpans.push({ start, end: to });
    };
    const root = doc.contents;
    if (root !== null && !isMap(root)) {
      throw new HushError("PARSE_FAILED", `YAML documents that are sequences or single values are not supported (line ${line(root.range?.[0] ?? 0)})`);
    }
    if (root !== null && isMap(root) && root.flow === true && root.items.length > 0) {
      throw new HushError("PARSE_FAILED", `flow-style top-level mappings are not supported (line ${line(root.range?.[0] ?? 0)})`);
    }
    walk(root, [], false, 0);
  });

  // Comments: each belongs to the innermost collection around it at its indentation (its AAD is
  // that collection's path, spec 2.2); comments inside the metadata block are skipped.
  const docStarts = docs.map((d) => d.range[0]);
  for (const c of collectComments(tokens)) {
    if (metadataSpans.some((s) => c.offset >= s.start && c.offset < s.end)) continue;
    const col = c.offset - lineStart(text, c.offset);
    let document = 0;
    for (let i = 0; i < docStarts.length; i++) if (docStarts[i]! <= c.offset) document = i;
    let best: Collection | undefined;
    for (const coll of collections) {
      if (coll.document !== document) continue;
      // A comment just before a collection's first item (only blank lines and comments between)
      // is that item's head comment, as go-yaml attaches it.
      const before = coll.start <= c.offset || (col === coll.col && /^(\s*#[^\n]*)*\s*$/.test(text.slice(c.offset, coll.start)));
      if (before && c.offset <= coll.end && col >= coll.col && (best === undefined || coll.path.length >= best.path.length)) best = coll;
    }
    leaves.push({
      kind: "comment",
      path: best?.path ?? [],
      document,
      value: { type: "str", text: c.source.slice(1) },
      start: c.offset + 1,
      end: c.offset + c.source.length,
      line: line(c.offset),
      style: { style: "COMMENT", indent: 0, bodyNewline: false } satisfies YamlStyle,
    });
  }
  leaves.sort((a, b) => a.start - b.start);
  return { leaves, metadata, metadataSpans, documentCount: docs.length };
}

function renderEncrypted(leaf: Leaf, envelope: string): string {
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

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
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

function appendMetadata(dataText: string, metadata: Record<string, unknown>, documentCount: number, options: EmitOptions): string {
  const indent = options.indent === undefined || options.indent <= 0 ? 4 : options.indent;
  const block = emitMetadataBlock(metadata, indent);
  if (documentCount === 0 || dataText.trim() === "") {
    return dataText + block;
  }
  const ends = documentEnds(dataText);
  let out = dataText;
  for (let i = ends.length - 1; i >= 0; i--) {
    const at = ends[i]!;
    const before = out.slice(0, at);
    if (at === out.length && out.length > 0 && !out.endsWith("\n")) {
      out = `${before}\n${block.replace(/\n$/, "")}`;
    } else {
      out = before + (before === "" || before.endsWith("\n") ? "" : "\n") + block + out.slice(at);
    }
  }
  return out;
}

function toTreeNode(node: YamlNode | null, doc: Document.Parsed, line: (o: number) => number, depth: number, budget = { aliases: 0 }): TreeNode {
  if (depth > MAX_NESTING) throw new HushError("PARSE_FAILED", `invalid YAML: nesting deeper than ${MAX_NESTING} levels`);
  if (node === null) return { kind: "null" };
  if (isAlias(node)) {
    if (++budget.aliases > MAX_ALIAS_EXPANSIONS) throw new HushError("PARSE_FAILED", "YAML aliases expand to too many values");
    return toTreeNode(node.resolve(doc) ?? null, doc, line, depth + 1, budget);
  }
  if (isMap(node)) {
    const keys = node.items.map((p) => (isScalar(p.key) ? String(p.key.value ?? "") : ""));
    if (new Set(keys).size !== keys.length) throw new HushError("PARSE_FAILED", `duplicate key in the mapping at line ${line(node.range?.[0] ?? 0)}`);
    return {
      kind: "map",
      entries: node.items
        .filter((p) => isPair(p))
        .map((p) => ({ kind: "entry" as const, key: isScalar(p.key) ? String(p.key.value ?? "") : "", value: toTreeNode(p.value as YamlNode | null, doc, line, depth + 1, budget) })),
    };
  }
  if (isSeq(node)) return { kind: "list", items: node.items.map((i) => toTreeNode(i as YamlNode | null, doc, line, depth + 1, budget)) };
  if (isScalar(node)) {
    const v = scalarValue(node, line(node.range?.[0] ?? 0));
    return v === null ? { kind: "null" } : { kind: "scalar", value: v };
  }
  return { kind: "null" };
}

function toTree(text: string): TreeMap {
  const { docs } = loadDocuments(text);
  const line = lineIndex(text);
  const first = docs[0];
  if (first === undefined) return { kind: "map", entries: [] };
  const root = toTreeNode(first.contents as YamlNode | null, first, line, 0);
  if (root.kind === "null") return { kind: "map", entries: [] };
  if (root.kind !== "map") throw new HushError("PARSE_FAILED", "YAML documents that are sequences or single values are not supported");
  return { kind: "map", entries: root.entries.filter((e) => !(e.kind === "entry" && e.key === "sops")) };
}

export const yamlStore: Store = {
  format: "yaml",
  parse,
  renderEncrypted,
  renderPlaintext,
  appendMetadata,
  toTree,
  emitTree: (tree, options) => emitYamlDocument(tree, options.indent === undefined || options.indent <= 0 ? 4 : options.indent),
};

/** For tests: the AAD path segments of a comment at an offset (exposed through parse()). */
export type { PathSegment };
