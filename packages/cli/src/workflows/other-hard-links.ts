import { lstatSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { shellPath } from "@hush/core";

/** A file's other names: how many, the inode they share, and the top of their file system, where `find -inum` finds them. */
export interface OtherHardLinks {
  readonly count: number;
  readonly inode: number;
  readonly fileSystemTop: string;
}

/** The highest directory above `path` on the same file system (device) as `path`: where its hard links can be. */
function fileSystemTop(path: string, device: number): string {
  let top = dirname(resolve(path));
  for (;;) {
    const up = dirname(top);
    if (up === top) return top;
    try {
      if (statSync(up).dev !== device) return top;
    } catch {
      return top;
    }
    top = up;
  }
}

/**
 * The other hard links of the regular file at `path`, or undefined when it has none (or is not
 * there). hush replaces a file through a new one renamed over its name, where SOPS writes into
 * the file: its other names keep the version before, so a command that replaces plaintext
 * (`encrypt -i`) must say so, or the secrets stay in clear under a name the user forgot.
 */
export function otherHardLinks(path: string): OtherHardLinks | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() && st.nlink > 1 ? { count: st.nlink - 1, inode: st.ino, fileSystemTop: fileSystemTop(path, st.dev) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The other hard links of the plaintext `file` that an encrypt is about to replace: with `-i`, or
 * with `--output` naming the file itself (the same path); undefined when it replaces nothing or
 * the file has no other names.
 */
export function linksOfReplacedInput(file: string | undefined, flags: { readonly inPlace?: boolean; readonly output?: string }): OtherHardLinks | undefined {
  if (file === undefined) return undefined;
  const replaced = flags.inPlace === true || (flags.output !== undefined && resolve(flags.output) === resolve(file));
  return replaced ? otherHardLinks(file) : undefined;
}

/**
 * The warning for `encrypt -i` (or `--output FILE FILE`) of a file that had other hard links: they still hold its
 * plaintext. Names the file and the inode number, never a value.
 */
export function plaintextLinksWarning(shownAs: string, links: OtherHardLinks): string {
  const names = links.count === 1 ? "1 other name (a hard link), which still holds" : `${links.count} other names (hard links), which still hold`;
  return (
    `hush: warning: ${shownAs} had ${names} the plaintext: hush replaced the file instead of writing into it\n` +
    `  next: find them with find ${shellPath(links.fileSystemTop)} -xdev -inum ${links.inode}, then delete or encrypt them\n`
  );
}
