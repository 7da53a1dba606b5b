import { diffLines } from "./line-diff.ts";

/**
 * The hunks of a unified diff between two texts, written as git writes them: `@@ -a,b +c,d @@`
 * headers (a count of 1 left out, an empty side numbered from the line before), the default
 * function-name context (the nearest earlier line of the old side starting with a letter, `_` or
 * `$`, cut to 80 bytes), hunks merged when at most twice the context lies between changes, and
 * `\ No newline at end of file` after a last line without one. Texts are compared byte for byte
 * (as latin1 strings) and written back as the same bytes.
 */

export interface UnifiedOptions {
  /** Lines of context (git's -U, default 3). */
  readonly context?: number;
  /** Extra lines between changes that still join two hunks (git's --inter-hunk-context). */
  readonly interHunkContext?: number;
}

interface Side {
  readonly lines: string[];
  /** Whether the last line ends with a line break. */
  readonly finalNewline: boolean;
}

function split(bytes: Buffer): Side {
  if (bytes.length === 0) return { lines: [], finalNewline: true };
  const text = bytes.toString("latin1");
  const lines = text.split("\n");
  const finalNewline = text.endsWith("\n");
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

const FUNC_START = /^[A-Za-z_$]/;

function funcName(lines: readonly string[], before: number): string {
  for (let i = before - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (FUNC_START.test(line)) return line.slice(0, 80).replace(/(?<!\s)\s+$/, "");
  }
  return "";
}

function range(start: number, count: number): string {
  const first = count === 0 ? start : start + 1;
  return count === 1 ? `${first}` : `${first},${count}`;
}

/** The hunks (empty when the texts are equal), as bytes. */
export function unifiedHunks(oldBytes: Buffer, newBytes: Buffer, options: UnifiedOptions = {}): Buffer {
  const context = options.context ?? 3;
  const maxGap = 2 * context + (options.interHunkContext ?? 0);
  const a = split(oldBytes);
  const b = split(newBytes);
  // A last line that differs only by its line break is a changed line, as in git.
  const aKeys = a.lines.map((l, i) => (i === a.lines.length - 1 && !a.finalNewline ? `${l}\u0000` : l));
  const bKeys = b.lines.map((l, i) => (i === b.lines.length - 1 && !b.finalNewline ? `${l}\u0000` : l));
  const { removed, added } = diffLines(aKeys, bKeys);

  // Walk both sides in step: unchanged lines pair up in order.
  interface Row {
    readonly kind: " " | "-" | "+";
    readonly i: number; // index in a (for " " and "-")
    readonly j: number; // index in b (for " " and "+")
  }
  const rows: Row[] = [];
  let i = 0;
  let j = 0;
  while (i < a.lines.length || j < b.lines.length) {
    if (i < a.lines.length && removed[i]) rows.push({ kind: "-", i: i++, j });
    else if (j < b.lines.length && added[j]) rows.push({ kind: "+", i, j: j++ });
    else rows.push({ kind: " ", i: i++, j: j++ });
  }
  const changes = rows.map((r, n) => (r.kind === " " ? -1 : n)).filter((n) => n >= 0);
  if (changes.length === 0) return Buffer.alloc(0);

  const out: string[] = [];
  let c = 0;
  while (c < changes.length) {
    let last = changes[c]!;
    let next = c + 1;
    while (next < changes.length && changes[next]! - last - 1 <= maxGap) last = changes[next++]!;
    const from = Math.max(0, changes[c]! - context);
    const to = Math.min(rows.length, last + 1 + context);
    const hunk = rows.slice(from, to);
    const oldStart = hunk[0]!.i;
    const newStart = hunk[0]!.j;
    const oldCount = hunk.filter((r) => r.kind !== "+").length;
    const newCount = hunk.filter((r) => r.kind !== "-").length;
    const func = funcName(a.lines, oldStart);
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@${func === "" ? "" : ` ${func}`}\n`);
    for (const r of hunk) {
      const line = r.kind === "+" ? b.lines[r.j]! : a.lines[r.i]!;
      out.push(`${r.kind}${line}\n`);
      const side = r.kind === "+" ? b : a;
      const index = r.kind === "+" ? r.j : r.i;
      const noNewline = index === side.lines.length - 1 && !side.finalNewline;
      const otherNoNewline = r.kind === " " && r.j === b.lines.length - 1 && !b.finalNewline;
      if (noNewline || otherNoNewline) out.push("\\ No newline at end of file\n");
    }
    c = next;
  }
  return Buffer.from(out.join(""), "latin1");
}
