import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document, type Node as YamlNode } from "yaml";
import { HushError } from "../errors.ts";
import { MAX_NESTING } from "./nesting.ts";

/**
 * What YAML aliases cost before any is expanded. SOPS expands every alias into a copy, so a
 * "billion laughs" file of a few hundred bytes stands for millions of values. The copies' size
 * is computed first, in one pass over the document (each anchored node weighed once), and a
 * document over the budget is refused before any copy is made.
 */

/** Alias expansions allowed per document set (an alias inside an expanded copy counts again). */
export const MAX_ALIAS_EXPANSIONS = 10_000;
/** Values (scalars and empty collections) that expanded copies may hold, per document set. */
export const MAX_ALIASED_VALUES = MAX_ALIAS_EXPANSIONS * 10;

/** The node each alias of a document names. */
export type AliasTargets = ReadonlyMap<Alias, YamlNode>;

/**
 * Every alias of `doc` with the node it names: the last node before it, in document order, that
 * carries its anchor (the `yaml` package's Alias.resolve, which walks the whole document for
 * each alias, a scan quadratic in a file of many aliases). Aliases with no such node are absent.
 */
export function aliasTargets(doc: Document.Parsed): AliasTargets {
  const targets = new Map<Alias, YamlNode>();
  const anchors = new Map<string, YamlNode>();
  const pending: unknown[] = [doc.contents];
  // Pre-order, keys before values: the order in which the package's resolve looks.
  for (let n = pending.pop(); pending.length > 0 || n !== undefined; n = pending.pop()) {
    if (isPair(n)) {
      pending.push(n.value, n.key);
    } else if (isAlias(n)) {
      const target = anchors.get(n.source);
      if (target !== undefined) targets.set(n, target);
    } else if (isScalar(n) || isMap(n) || isSeq(n)) {
      if (n.anchor !== undefined) anchors.set(n.anchor, n);
      if (!isScalar(n)) for (let i = n.items.length - 1; i >= 0; i--) pending.push(n.items[i]);
    }
  }
  return targets;
}

interface Weight {
  /** Aliases met while expanding, this one and those inside its copy. */
  readonly aliases: number;
  /** Values the copy holds: scalars and empty collections, as the YAML store's leaves. */
  readonly values: number;
}

const NOTHING: Weight = { aliases: 0, values: 0 };
const ONE_VALUE: Weight = { aliases: 0, values: 1 };

function tooDeep(): HushError {
  return new HushError("PARSE_FAILED", `invalid YAML: nesting deeper than ${MAX_NESTING} levels`);
}

/**
 * Refuses `docs` when expanding their aliases would exceed MAX_ALIAS_EXPANSIONS expansions or
 * MAX_ALIASED_VALUES copied values (over all documents), naming the line of the alias in the
 * text that goes over; also refuses an alias inside what it names (an endless copy). Work is
 * linear in the documents: each anchored node is weighed once. `skipSopsKey`: the top-level
 * `sops` key of each document is metadata, not values.
 * @throws HushError PARSE_FAILED
 */
export function assertAliasBudget(docs: readonly Document.Parsed[], targetsOf: (doc: Document.Parsed) => AliasTargets, line: (offset: number) => number, skipSopsKey: boolean): void {
  let aliases = 0;
  let values = 0;
  for (const doc of docs) {
    const targets = targetsOf(doc);
    const weights = new Map<YamlNode, Weight>();
    const weighing = new Set<YamlNode>();
    const weigh = (node: unknown, depth: number): Weight => {
      if (depth > MAX_NESTING) throw tooDeep();
      if (isAlias(node)) {
        const target = targets.get(node);
        if (target === undefined) return NOTHING;
        const inner = weigh(target, depth + 1);
        return { aliases: inner.aliases + 1, values: inner.values };
      }
      if (isScalar(node)) return ONE_VALUE;
      if (!isMap(node) && !isSeq(node)) return NOTHING;
      if (node.items.length === 0) return ONE_VALUE;
      const known = weights.get(node);
      if (known !== undefined) return known;
      // Only an alias can reach a node twice, and only an anchored node is named by one.
      if (weighing.has(node)) throw tooDeep();
      if (node.anchor !== undefined) weighing.add(node);
      let sum = { aliases: 0, values: 0 };
      for (const item of node.items) {
        const w = weigh(isPair(item) ? item.value : item, depth + 1);
        sum = { aliases: sum.aliases + w.aliases, values: sum.values + w.values };
      }
      weighing.delete(node);
      if (node.anchor !== undefined) weights.set(node, sum);
      return sum;
    };
    // The document as written: each alias met here adds the weight of its copy.
    const visit = (node: unknown, depth: number): void => {
      if (depth > MAX_NESTING) throw tooDeep();
      if (isAlias(node)) {
        const w = weigh(node, depth);
        aliases += w.aliases;
        values += w.values;
        if (aliases > MAX_ALIAS_EXPANSIONS || values > MAX_ALIASED_VALUES) {
          const at = line(node.range?.[0] ?? 0);
          throw new HushError(
            "PARSE_FAILED",
            `YAML aliases expand to too many values at line ${at} (more than ${MAX_ALIAS_EXPANSIONS.toLocaleString("en-US")} copies or ${MAX_ALIASED_VALUES.toLocaleString("en-US")} values); write the values out instead of aliasing them`,
            { location: { line: at } },
          );
        }
      } else if (isMap(node) || isSeq(node)) {
        for (const item of node.items) {
          if (!isPair(item)) visit(item, depth + 1);
          else if (!(skipSopsKey && depth === 0 && isScalar(item.key) && String(item.key.value) === "sops")) visit(item.value, depth + 1);
        }
      }
    };
    visit(doc.contents, 0);
  }
}
