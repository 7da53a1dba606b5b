import { appendAll } from "../arrays.ts";
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Parser, type CST, type Document, type Node as YamlNode, type Scalar } from "yaml";
import { HushError } from "../errors.ts";
import type { ScalarValue, TreeMap, TreeNode } from "../tree/values.ts";
import { lineIndex } from "./lines.ts";
import { columnAt, yamlReason } from "./parse-reasons.ts";
import { assertFlowNesting, MAX_NESTING } from "./nesting.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";
import { aliasTargets, assertAliasBudget, type AliasTargets } from "./yaml-alias-budget.ts";

/**
 * Reading YAML with the `yaml` package: lexing and composing documents, typing scalars as
 * go-yaml v3 does, and the plaintext value tree (with aliases expanded, as SOPS expands them).
 */

type Token = CST.Token;

/** The parser's tokens (kept for comments and document boundaries) and the composed documents. */
export interface Loaded {
  readonly docs: Document.Parsed[];
  readonly tokens: readonly Token[];
}

/** Lexes once: the same tokens serve composition, comments and document boundaries. */
export function loadDocuments(text: string): Loaded {
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
      throw new HushError("PARSE_FAILED", `${what}: ${yamlReason(err.code, err.message)}`, { location: { line: at } });
    }
  }
  return { docs: list, tokens };
}

/** Offsets where each document's content ends: before the next `---`/`...`, or at EOF. */
export function documentEnds(text: string, tokens: readonly Token[] = [...new Parser().parse(text)]): number[] {
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

export function scalarValue(node: Scalar, line: number): ScalarValue | null {
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

/**
 * The offset of the first key that a mapping under `node` has twice, or undefined. go-yaml v3
 * (hence SOPS) refuses such a document, while reading it to plain data keeps the last one: in
 * the `sops` section that would hide a recipient entry from every report. Iterative; aliases are
 * not followed (the metadata allows none).
 */
export function duplicateKeyOffset(node: YamlNode | null): number | undefined {
  const pending: unknown[] = [node];
  for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
    if (isMap(n)) {
      const seen = new Set<string>();
      for (const pair of n.items) {
        const key = isScalar(pair.key) ? String(pair.key.value ?? "") : undefined;
        if (key !== undefined && seen.has(key)) return (pair.key as Scalar).range?.[0] ?? 0;
        if (key !== undefined) seen.add(key);
        pending.push(pair.value);
      }
    } else if (isSeq(n)) appendAll(pending, n.items);
  }
  return undefined;
}

/**
 * The value tree of `node`, aliases replaced by what they name (`targets`: see aliasTargets).
 * Call assertAliasBudget on the documents first: the copies are made here without a bound.
 */
export function toTreeNode(node: YamlNode | null, targets: AliasTargets, line: (o: number) => number, depth: number): TreeNode {
  if (depth > MAX_NESTING) throw new HushError("PARSE_FAILED", `invalid YAML: nesting deeper than ${MAX_NESTING} levels`);
  if (node === null) return { kind: "null" };
  if (isAlias(node)) return toTreeNode(targets.get(node) ?? null, targets, line, depth + 1);
  if (isMap(node)) {
    const keys = node.items.map((p) => (isScalar(p.key) ? String(p.key.value ?? "") : ""));
    if (new Set(keys).size !== keys.length) throw new HushError("PARSE_FAILED", `duplicate key in the mapping at line ${line(node.range?.[0] ?? 0)}`);
    return {
      kind: "map",
      entries: node.items
        .filter((p) => isPair(p))
        .map((p) => ({ kind: "entry" as const, key: isScalar(p.key) ? String(p.key.value ?? "") : "", value: toTreeNode(p.value as YamlNode | null, targets, line, depth + 1) })),
    };
  }
  if (isSeq(node)) return { kind: "list", items: node.items.map((i) => toTreeNode(i as YamlNode | null, targets, line, depth + 1)) };
  if (isScalar(node)) {
    const v = scalarValue(node, line(node.range?.[0] ?? 0));
    return v === null ? { kind: "null" } : { kind: "scalar", value: v };
  }
  return { kind: "null" };
}

export function toTree(text: string): TreeMap {
  const { docs } = loadDocuments(text);
  const line = lineIndex(text);
  const first = docs[0];
  if (first === undefined) return { kind: "map", entries: [] };
  const targets = aliasTargets(first);
  assertAliasBudget([first], () => targets, line, false);
  const root = toTreeNode(first.contents as YamlNode | null, targets, line, 0);
  if (root.kind === "null") return { kind: "map", entries: [] };
  if (root.kind !== "map") throw new HushError("PARSE_FAILED", "YAML documents that are sequences or single values are not supported");
  return { kind: "map", entries: root.entries.filter((e) => !(e.kind === "entry" && e.key === "sops")) };
}
