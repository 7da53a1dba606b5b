import type { KeyPath } from "../tree/values.ts";

/**
 * Which collection a YAML comment on its own line belongs to (its AAD is that collection's path,
 * spec 2.2): the innermost collection around it at its indentation, or the collection that
 * starts after it at its column with only blank lines and comments between (go-yaml's head
 * comment of the first item). Computed for all comments at once in time linear in the text,
 * the comments and the collections (times the nesting depth): comparing every comment with
 * every collection made a file of many short commented items take seconds.
 */

/** A block or flow collection of the document, as the YAML store's walk finds it. */
export interface YamlCollection {
  readonly start: number;
  readonly end: number;
  readonly col: number;
  readonly path: KeyPath;
  readonly document: number;
}

/** A comment on its own line: the offset of its `#`, its column and its document. */
export interface OwnLineComment {
  readonly offset: number;
  readonly col: number;
  readonly document: number;
}

const WHITESPACE = /\s/;

interface Indexed {
  readonly coll: YamlCollection;
  /** Position in the walk's order: of two equally deep candidates the later one wins. */
  readonly index: number;
}

/**
 * The owner of each comment (undefined: the document's root frame), in the order given.
 * Equivalent to taking, over all collections of the comment's document that either contain the
 * comment (`start <= offset <= end`) at a column at most the comment's, or start at the
 * comment's column with only comments and whitespace before them, the one with the longest
 * path, the last in walk order among equals.
 */
export function commentOwners(text: string, collections: readonly YamlCollection[], comments: readonly OwnLineComment[]): Array<YamlCollection | undefined> {
  const byStart: Indexed[] = collections.map((coll, index) => ({ coll, index })).sort((a, b) => a.coll.start - b.coll.start || a.index - b.index);
  const order = comments.map((_, i) => i).sort((a, b) => comments[a]!.offset - comments[b]!.offset);
  const contentAfter = contentAfterComments(text);
  const owners: Array<YamlCollection | undefined> = new Array<YamlCollection | undefined>(comments.length);
  let added = 0;
  // Collections that started before the current comment and may still contain it: YAML
  // collections nest, so past the ones that have ended this is the chain of enclosing ones.
  let open: Indexed[] = [];
  for (const i of order) {
    const c = comments[i]!;
    while (added < byStart.length && byStart[added]!.coll.start <= c.offset) open.push(byStart[added++]!);
    open = open.filter((o) => o.coll.end >= c.offset);
    let best: Indexed | undefined;
    const consider = (o: Indexed): void => {
      if (o.coll.document !== c.document) return;
      if (best === undefined || o.coll.path.length > best.coll.path.length || (o.coll.path.length === best.coll.path.length && o.index > best.index)) best = o;
    };
    for (const o of open) if (c.col >= o.coll.col) consider(o);
    // Collections that start after the comment with only comments and whitespace between start
    // at the first other text after it; any at the comment's column is the one it heads.
    const limit = contentAfter(c.offset);
    for (let k = added; k < byStart.length && byStart[k]!.coll.start <= limit; k++) {
      if (byStart[k]!.coll.col === c.col) consider(byStart[k]!);
    }
    owners[i] = (best as Indexed | undefined)?.coll;
  }
  return owners;
}

/**
 * For the `#` at an offset, the offset of the first character after it that is neither
 * whitespace nor inside a comment line (the text's length if none). Memoized over every `#` a
 * scan passes, so a run of comment lines is scanned once, not once per comment.
 */
function contentAfterComments(text: string): (hash: number) => number {
  const memo = new Map<number, number>();
  return (hash) => {
    const passed: number[] = [];
    let at = hash;
    let found: number | undefined;
    while (found === undefined) {
      const known = memo.get(at);
      if (known !== undefined) {
        found = known;
        break;
      }
      passed.push(at);
      const lineEnd = text.indexOf("\n", at);
      if (lineEnd === -1) {
        found = text.length;
        break;
      }
      at = lineEnd;
      while (at < text.length && WHITESPACE.test(text[at]!)) at++;
      if (at === text.length || text[at] !== "#") found = at;
    }
    for (const p of passed) memo.set(p, found);
    return found;
  };
}
