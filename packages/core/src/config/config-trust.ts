import { readFileSync, type Stats } from "node:fs";
import { HushError } from "../errors.ts";
import { printable } from "../printable.ts";

/**
 * The ownership rule for a `.sops.yaml` that hush FOUND by searching upwards from the working
 * directory (not one named with `--config` or `SOPS_CONFIG`). Such a file decides who can read
 * every new secret, and the search passes directories other users may write (`/tmp`, a shared
 * checkout's parent), so, like git with a repository another user owns (`safe.directory`), hush
 * refuses a config that another local user owns or can change:
 *
 * - the file (and the symbolic link that led to it, if any) must be owned by you or by root;
 * - nobody but you may write it: not others, and not a group unless it is your own primary group
 *   (the per-user group of umask-002 systems, which makes every new file group-writable).
 *
 * - it must be a regular file (a FIFO or device there could hang or feed hush).
 *
 * Systems without Unix user ids (Windows) have no such check.
 *
 * @param link - the `lstat` of the path searched for, to check who owns a symbolic link there
 * @param file - the `fstat` of the opened file, so the file checked is the file read
 * @throws HushError CONFIG_INVALID (the CLI's exit 1) naming the file, its owner or mode and the next step
 */
export function refuseUntrustedConfig(path: string, link: Stats, file: Stats): void {
  if (!file.isFile()) throw new HushError("CONFIG_INVALID", `${printable(path, 1000)}: not using this config: it is not a regular file`);
  const euid = process.geteuid?.();
  const egid = process.getegid?.();
  if (euid === undefined || egid === undefined) return;
  const problem =
    (link.isSymbolicLink() ? foreignOwner(link, euid, "it is a symbolic link") : undefined) ??
    foreignOwner(file, euid, "it is") ??
    writableByOthers(file, egid);
  if (problem === undefined) return;
  const shown = printable(path, 1000);
  throw new HushError("CONFIG_INVALID", `${shown}: not using this config: ${problem}`, {
    details: [
      `a .sops.yaml found by searching upwards must be yours or root's and writable only by you; if you trust this one, name it: --config ${shown} (or SOPS_CONFIG)`,
      `otherwise remove it, or fix it: chown $(id -u) ${shown}; chmod go-w ${shown}`,
    ],
  });
}

function foreignOwner(st: Stats, euid: number, what: string): string | undefined {
  if (st.uid === euid || st.uid === 0) return undefined;
  return `${what} owned by ${describeUid(st.uid)}, not by you (uid ${euid}) or root (mode ${modeOf(st)})`;
}

function writableByOthers(st: Stats, egid: number): string | undefined {
  const mode = modeOf(st);
  if ((st.mode & 0o002) !== 0) return `its mode ${mode} lets other users change it (anyone can write it)`;
  if ((st.mode & 0o020) !== 0 && st.gid !== egid) return `its mode ${mode} lets other users change it (group ${st.gid} can write it)`;
  return undefined;
}

function modeOf(st: Stats): string {
  return `0${(st.mode & 0o777).toString(8).padStart(3, "0")}`;
}

/** "uid 65534 (nobody)", the name from /etc/passwd when it has one (only read on this error path). */
function describeUid(uid: number): string {
  let name: string | undefined;
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[2] === String(uid) && fields[0] !== undefined && fields[0] !== "") {
        name = fields[0];
        break;
      }
    }
  } catch {
    // No passwd file (containers, other systems): the number alone names the owner.
  }
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${printable(name, 64)})`;
}
