import { lstatSync, realpathSync, statSync } from "node:fs";
import { relative } from "node:path";
import { leadsOutside, isHushError } from "@hush/core";
import { readFileBounded } from "../../io.ts";

/**
 * How `hush check` reads a file of the working tree. The tree is a pull request's or a clone's:
 * a file there can be a committed symbolic link to `/dev/zero` (an endless read that hangs CI),
 * or to a file of the machine running the check (a CI runner's credentials, whose likely-secret
 * findings would land in a public log). What git stores for such a link is only its target's
 * name, so nothing outside the repository is hush's to check.
 */

/** Files larger than this are not read (no config file is that big). */
export const MAX_CHECKED_SIZE = 16 * 1024 * 1024;

/** Why a file was not read, for an `unreadable` finding. */
export interface Unreadable {
  readonly unreadable: string;
}

/**
 * The bytes of `abs`, or why they were not read: only a regular file of at most
 * {@link MAX_CHECKED_SIZE} bytes is read (bounded, see `readFileBounded`), and, when `root` is
 * given, a symbolic link only when it leads to a file inside `root`.
 */
export function readCheckedFile(abs: string, root: string | undefined): Buffer | Unreadable {
  try {
    if (root !== undefined && lstatSync(abs).isSymbolicLink()) {
      const rel = relative(realpathSync(root), realpathSync(abs));
      if (rel === "" || leadsOutside(rel)) return { unreadable: "a symbolic link that leads outside the repository; hush check reads only the repository's files (git stores the link, not an encrypted file)" };
    }
    const st = statSync(abs);
    if (!st.isFile()) return { unreadable: "not a regular file (a device, a pipe or a directory)" };
    if (st.size > MAX_CHECKED_SIZE) return { unreadable: `larger than ${MAX_CHECKED_SIZE} bytes` };
    return readFileBounded(abs);
  } catch (err) {
    if (isHushError(err)) return { unreadable: err.message };
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return { unreadable: isLink(abs) ? "a dangling symbolic link" : "no such file" };
    return { unreadable: `cannot read the file${code === undefined ? "" : ` (${code})`}` };
  }
}

function isLink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}
