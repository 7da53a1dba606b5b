/**
 * The spellings `--redact` masks, as a prefix tree (a radix tree: each edge holds a run of
 * bytes), so that finding which of them start at a position of the output costs one comparison
 * per byte that the output there shares with some spelling, whatever the number of spellings. Compared one by
 * one, 1,000 URLs of one scheme cost a thousand comparisons of `https://` at every `h` of the
 * output, and a chatty build's log went through at a quarter of a megabyte per second.
 */

/** What {@link FormTree.walk} finds at one position of the output. */
export interface Walk {
  /** Where the longest spelling found at the position ends, or -1 for none. */
  readonly end: number;
  /** Whether the output ends inside a spelling that may still follow (more output decides). */
  readonly partial: boolean;
}

interface TreeNode {
  /** The bytes of the edge into this node; its first byte is the node's key in its parent. */
  label: Buffer;
  /** A spelling ends at the end of `label`. */
  ends: boolean;
  readonly children: Map<number, TreeNode>;
}

const CR = 0x0d;
const LF = 0x0a;
const NONE: Walk = { end: -1, partial: false };

/** Bytes `a` and `b` have in common from their starts. */
function commonLength(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Spellings of one kind: matched byte for byte, or with line breaks skipped (see {@link FormTree.walk}). */
export class FormTree {
  /** Children of the root by first byte (an array: the lookup made at every output byte). */
  private readonly roots: Array<TreeNode | undefined> = new Array(256);

  /** Whether a line break may fall between any two characters of a spelling (which then holds none itself). */
  private readonly acrossLineBreaks: boolean;

  constructor(acrossLineBreaks: boolean) {
    this.acrossLineBreaks = acrossLineBreaks;
  }

  /** Adds a spelling (not empty). */
  add(form: Buffer): void {
    let node = this.roots[form[0]!];
    if (node === undefined) {
      this.roots[form[0]!] = { label: form, ends: true, children: new Map() };
      return;
    }
    let k = 0;
    let parent: TreeNode | undefined;
    for (;;) {
      const m = commonLength(node.label, form.subarray(k));
      if (m < node.label.length) {
        // Split the edge where the spelling leaves it.
        const head: TreeNode = { label: node.label.subarray(0, m), ends: false, children: new Map([[node.label[m]!, node]]) };
        node.label = node.label.subarray(m);
        if (parent === undefined) this.roots[form[0]!] = head;
        else parent.children.set(head.label[0]!, head);
        node = head;
      }
      k += m;
      if (k === form.length) {
        node.ends = true;
        return;
      }
      const next = node.children.get(form[k]!);
      if (next === undefined) {
        node.children.set(form[k]!, { label: form.subarray(k), ends: true, children: new Map() });
        return;
      }
      parent = node;
      node = next;
    }
  }

  /**
   * `buf[j]` is not the next byte of any spelling: where the output goes on after one line break
   * there (`\n` or `\r\n`, never two), when this tree skips them; -1 when there is none to skip,
   * or `buf.length` when the output ends first.
   */
  private afterBreak(buf: Buffer, j: number): number {
    if (!this.acrossLineBreaks) return -1;
    if (buf[j] === LF) return j + 1;
    if (buf[j] !== CR) return -1;
    if (j + 1 >= buf.length) return buf.length;
    return buf[j + 1] === LF ? j + 2 : -1;
  }

  /**
   * The spellings that start at `buf[i]`: where the longest one ends, and whether the output ends
   * before a longer one could be told apart from it. A tree that skips line breaks skips one
   * between any two characters, never before the first.
   */
  walk(buf: Buffer, i: number): Walk {
    let node = this.roots[buf[i]!];
    if (node === undefined) return NONE;
    let end = -1;
    let j = i + 1;
    for (;;) {
      const label = node.label;
      for (let t = 1; t < label.length; t++, j++) {
        if (j >= buf.length) return { end, partial: true };
        if (buf[j] === label[t]) continue;
        j = this.afterBreak(buf, j);
        if (j >= buf.length) return { end, partial: true };
        if (j < 0 || buf[j] !== label[t]) return { end, partial: false };
      }
      if (node.ends) end = j;
      if (node.children.size === 0) return { end, partial: false };
      if (j >= buf.length) return { end, partial: true };
      let next = node.children.get(buf[j]!);
      if (next === undefined) {
        j = this.afterBreak(buf, j);
        if (j >= buf.length) return { end, partial: true };
        next = j < 0 ? undefined : node.children.get(buf[j]!);
        if (next === undefined) return { end, partial: false };
      }
      node = next;
      j += 1;
    }
  }
}
