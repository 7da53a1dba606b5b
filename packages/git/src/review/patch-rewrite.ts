import { unifiedHunks, type UnifiedOptions } from "./unified.ts";
import { memoizedViews } from "./view-memo.ts";

/**
 * Rewrites the patch output of `git diff` / `git log -p` / `git show` (run without textconv) so
 * that each file git would show through hush's diff driver shows the diff of its review views
 * instead of its ciphertext: the same thing git prints with the textconv driver, computed in one
 * process. Everything else — commit headers and messages, other files, statistics — passes
 * through byte for byte.
 *
 * File sections are found by a random path prefix (`--src-prefix`/`--dst-prefix` with a nonce):
 * a commit message or file content cannot imitate a section header without knowing it. The
 * nonce is removed from every header line before it is printed.
 */

export interface PatchSide {
  /** Path in the repository (the prefix removed, unquoted). */
  readonly path: string;
  /** The blob id git printed on the `index` line (abbreviated). */
  readonly blob: string;
}

export interface RewriteOptions extends UnifiedOptions {
  /** The random marker inside both path prefixes (removed from the output). */
  readonly nonce: string;
  /** Whether git would show this path through hush's diff driver. */
  readonly reviewed: (path: string) => Promise<boolean>;
  /**
   * The review view of one side (an empty buffer for a side that does not exist). Asked once per
   * path and blob while its view is among the last ones rendered (view-memo.ts).
   */
  readonly view: (side: PatchSide | undefined) => Promise<Buffer>;
  /**
   * The text git shows for a side it does not show through hush's driver, when a section's other
   * side has it (a file renamed or copied into or out of a covered path): git runs a diff driver
   * per side, by that side's path. Undefined when git would not show that side as plain text
   * (binary, another driver): the section is then printed as git printed it.
   */
  readonly plain?: (side: PatchSide) => Promise<Buffer | undefined>;
  /**
   * Told the path of each combined diff section (`diff --cc`, `diff --combined`: a merge commit, an
   * unmerged file), which passes through as git wrote it: this rewrite does not reproduce them.
   */
  readonly combined?: (path: string) => Promise<void>;
}

/** The path of a combined diff's section header, or undefined for any other line. */
function combinedPath(line: string): string | undefined {
  const m = /^diff --(?:cc|combined) (.*?)\n?$/s.exec(line);
  return m === null ? undefined : unquotePath(m[1]!);
}

const EXTENDED = /^(old mode|new mode|deleted file mode|new file mode|copy from|copy to|rename from|rename to|similarity index|dissimilarity index|index) /;

/** Undoes git's C-style quoting of a path (`"a\303\251"`), byte for byte. */
export function unquotePath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"')) return text;
  const body = text.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      bytes.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const n = body[i + 1] ?? "";
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The path of a `--- ` / `+++ ` line, or undefined for /dev/null. */
function sidePath(line: string, nonce: string): string | undefined {
  // git ends an unquoted name that holds a space with a tab, for patch programs; a name with a
  // tab of its own is quoted, so a final tab is never part of the path.
  const raw = line.slice(4).replace(/\t$/, "");
  if (raw === "/dev/null") return undefined;
  const path = unquotePath(raw);
  const at = path.indexOf(nonce);
  if (at !== 0) return undefined;
  // The prefix is nonce + "a/" (or "b/", or nothing with --no-prefix): drop up to the first "/".
  const rest = path.slice(nonce.length);
  return rest.startsWith("a/") || rest.startsWith("b/") ? rest.slice(2) : rest;
}

interface Section {
  readonly header: string[];
  /** The two names of the `diff --git` line, as git wrote them (quoted or not, prefix included). */
  readonly names: readonly [string, string];
  minus?: string;
  plus?: string;
}

/** The modes of a regular file, the only files git runs a diff driver's textconv on. */
const REGULAR_FILE_MODE = /^100(?:644|755)$/;

/**
 * Whether every mode a section's header names (`new file mode`, `deleted file mode`, `old mode`,
 * `new mode`, the one at the end of the `index` line) is a regular file's. git shows a symbolic
 * link as its target's name and a submodule as its commit, never through textconv, so neither is
 * rendered here: read as a file, a link to a file outside the repository would be shown, and one
 * in the working tree, which is not read, showed as an empty section, hiding that the file became
 * a link.
 */
function regularFilesOnly(header: readonly string[]): boolean {
  for (const line of header) {
    const m = /^(?:new file mode|deleted file mode|old mode|new mode) (\d+)\n?$/.exec(line) ?? /^index [0-9a-f]+\.\.[0-9a-f]+ (\d+)\n?$/.exec(line);
    if (m !== null && !REGULAR_FILE_MODE.test(m[1]!)) return false;
  }
  return true;
}

/**
 * The `--- ` and `+++ ` lines git writes with the driver for a section that git, without it,
 * summed up as `Binary files A and B differ` (a NUL byte in the file), or undefined when `line`
 * is not that line for this section. A name that holds a space ends with a tab, as git writes it.
 */
function binarySides(section: Section, line: string): { minus: string; plus: string } | undefined {
  const added = section.header.some((l) => l.startsWith("new file mode "));
  const deleted = section.header.some((l) => l.startsWith("deleted file mode "));
  const [a, b] = [added ? "/dev/null" : section.names[0], deleted ? "/dev/null" : section.names[1]];
  if (line !== `Binary files ${a} and ${b} differ\n`) return undefined;
  const tab = (name: string): string => (name !== "/dev/null" && unquotePath(name).includes(" ") ? "\t" : "");
  return { minus: `--- ${a}${tab(a)}\n`, plus: `+++ ${b}${tab(b)}\n` };
}

/**
 * Streams `lines` (each with its line break, as latin1 text of git's bytes) to `write`,
 * rewriting the sections of reviewed files.
 */
export async function rewritePatch(lines: AsyncIterable<string>, write: (text: string) => Promise<void>, options: RewriteOptions): Promise<void> {
  const strip = (line: string): string => line.split(options.nonce).join("");
  const view = memoizedViews(options.view);
  let section: Section | undefined;
  /** Lines of the current hunk still to come: [old, new]. */
  let hunkLeft: [number, number] | undefined;
  let original: string[] = [];
  let reviewed = false;

  const finish = async (): Promise<void> => {
    if (section === undefined) return;
    const s = section;
    section = undefined;
    hunkLeft = undefined;
    if (!reviewed || !regularFilesOnly(s.header)) {
      await write(original.map(strip).join(""));
      return;
    }
    const index = s.header.find((l) => l.startsWith("index "));
    const ids = index === undefined ? undefined : /^index ([0-9a-f]+)\.\.([0-9a-f]+)/.exec(index);
    const oldPath = s.minus === undefined ? undefined : sidePath(s.minus.replace(/\n$/, ""), options.nonce);
    const newPath = s.plus === undefined ? undefined : sidePath(s.plus.replace(/\n$/, ""), options.nonce);
    const oldSide = oldPath === undefined || ids === null || ids === undefined ? undefined : { path: oldPath, blob: ids[1]! };
    const newSide = newPath === undefined || ids === null || ids === undefined ? undefined : { path: newPath, blob: ids[2]! };
    // git picks each side's driver by that side's path: a file renamed out of a covered path
    // shows its old side's review view against its new side's stored text.
    const sideView = async (side: PatchSide | undefined): Promise<Buffer | undefined> =>
      side === undefined ? undefined : (await options.reviewed(side.path)) ? await view(side) : await options.plain?.(side);
    const oldView = await sideView(oldSide);
    const newView = await sideView(newSide);
    if ((oldSide !== undefined && oldView === undefined) || (newSide !== undefined && newView === undefined)) {
      // A side git does not show as text (binary, another driver): as git printed it.
      await write(original.map(strip).join(""));
      return;
    }
    const hunks = unifiedHunks(oldView ?? Buffer.alloc(0), newView ?? Buffer.alloc(0), options);
    // Equal views: git prints the header lines only, as for a change it cannot show.
    const out = s.header.map(strip).join("") + (hunks.length === 0 ? "" : strip(s.minus!) + strip(s.plus!) + hunks.toString("latin1"));
    await write(out);
  };

  for await (const line of lines) {
    if (section !== undefined) {
      if (hunkLeft !== undefined) {
        const c = line[0];
        if (c === "\\") {
          original.push(line);
          continue;
        }
        if (hunkLeft[0] > 0 || hunkLeft[1] > 0) {
          if (c === " ") hunkLeft = [hunkLeft[0] - 1, hunkLeft[1] - 1];
          else if (c === "-") hunkLeft = [hunkLeft[0] - 1, hunkLeft[1]];
          else if (c === "+") hunkLeft = [hunkLeft[0], hunkLeft[1] - 1];
          original.push(line);
          continue;
        }
        const next = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
        if (next !== null) {
          hunkLeft = [Number(next[1] ?? 1), Number(next[2] ?? 1)];
          original.push(line);
          continue;
        }
        await finish();
      } else if (section.minus !== undefined && section.plus === undefined && line.startsWith("+++ ")) {
        section.plus = line;
        original.push(line);
        continue;
      } else if (section.plus !== undefined) {
        const first = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
        if (first !== null) {
          hunkLeft = [Number(first[1] ?? 1), Number(first[2] ?? 1)];
          original.push(line);
          continue;
        }
        await finish();
      } else if (section.minus === undefined && line.startsWith("--- ")) {
        section.minus = line;
        original.push(line);
        continue;
      } else if (section.minus === undefined && EXTENDED.test(line)) {
        section.header.push(line);
        original.push(line);
        continue;
      } else if (section.minus === undefined && binarySides(section, line) !== undefined) {
        // git shows textconv output as text, whatever the stored bytes: a branch's NUL byte must
        // not turn the review of an encrypted file into one line that says nothing.
        Object.assign(section, binarySides(section, line));
        original.push(line);
        await finish();
        continue;
      } else {
        await finish();
      }
    }
    const combined = combinedPath(line);
    if (combined !== undefined) await options.combined?.(combined);
    if (line.startsWith("diff --git ") && line.includes(options.nonce)) {
      original = [line];
      const paths = line.slice("diff --git ".length).replace(/\n$/, "");
      const bSide = paths.lastIndexOf(`${options.nonce}`);
      const bPart = paths.slice(bSide - (paths[bSide - 1] === '"' ? 1 : 0));
      const b = sidePath(`+++ ${bPart}`, options.nonce);
      const aPart = paths.slice(0, Math.max(0, bSide - (paths[bSide - 1] === '"' ? 2 : 1)));
      const a = sidePath(`--- ${aPart}`, options.nonce);
      section = { header: [line], names: [aPart, bPart] };
      reviewed = (a !== undefined && (await options.reviewed(a))) || (b !== undefined && (await options.reviewed(b)));
      continue;
    }
    await write(strip(line));
  }
  await finish();
}
