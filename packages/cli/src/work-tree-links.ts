import { lstatSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { HushError, printable } from "@hush/core";
import { gitProgram } from "./git-program.ts";

/**
 * A file hush writes must not lie beyond a directory link inside a git work tree. Every branch
 * and clone is untrusted, and a branch can commit `secrets` as a link to `../../elsewhere` or to
 * an absolute path: `hush set secrets/app.yaml`, `decrypt --output secrets/x`, `git setup --hook`
 * with `core.hooksPath` on a committed `.githooks` link would write there, and make their lock
 * and temporary files there too. git itself refuses paths "beyond a symbolic link" in a work
 * tree; hush refuses such a write the same way, naming the link.
 *
 * What is checked, and why not more:
 * - Only directories: the last component (the file) is `checkWritableFile`'s to refuse.
 * - Only links git tracks (see {@link gitMayTrack}): a branch brings links only by checkout.
 * - Only links in a directory that lies inside a work tree (it or a directory above it holds a
 *   `.git`, a directory or, in a worktree or submodule, a file). A link above every work tree
 *   (`~/work -> /mnt/data/work`, macOS's `/tmp -> /private/tmp`) is the user's layout, not a
 *   branch's. So is a link outside any work tree (an unpacked archive, a deploy directory):
 *   there no line between the user's directories and a project's can be drawn, and links to
 *   directories are a common way to lay out one's own files. In a home directory that is itself a
 *   work tree (dotfiles kept in `~/.git`), only the links its repository tracks count.
 * - Links inside a git directory (`.git/hooks -> …`, which a clone never creates) are the user's
 *   or git's: no branch can commit a path through `.git`, so a real path that passes through a
 *   `.git` component is left alone, and with it a worktree's or submodule's git directory. So is
 *   a `.git` that is itself a link to the git directory.
 * - A path in the working directory is walked from the directory as the shell reached it (`PWD`,
 *   when it names the working directory): after `cd secrets` through a committed link the
 *   kernel's working directory is where the link leads, and `decrypt --output out.yaml` would
 *   write there. An absolute path below the working directory is taken the same way (rotate and
 *   updatekeys name their files so).
 * - Checked when the write starts, not held: a process of the user's that swaps a directory for a
 *   link between the check and the rename could still redirect the write. The check is against
 *   what a branch brings (links checked out with it), which does not change while hush runs.
 *
 * Cost: one `realpath` of the file's directory, compared with the path as written; only a path
 * with a link or a `..` in it is walked component by component, and only a link inside a work
 * tree costs a `git ls-files`. Reads never pay it.
 */

/**
 * What a refusal tells the user to do, given the file's real path (undefined when a directory
 * below the link does not exist yet). The default: name the file by that path.
 */
export type LinkedDirectoryNextStep = (realPath: string | undefined) => string;

const nameTheRealPath: LinkedDirectoryNextStep = (realPath) =>
  realPath === undefined ? "name the file by its real path if you mean it" : `name the file by its real path, ${printable(realPath)}, if you mean it`;

/**
 * Refuses `path` (relative to the process's directory, as every file call takes it) when a
 * directory on the way to it is a symbolic link inside a git work tree. A directory that does not
 * exist is taken as the real directory it will be made as, or not at all: a `..` after it
 * (`-o made/../keys/age.txt`) steps back into directories that exist, and those are checked.
 * `nextStep` words the advice for a path the user did not type (a hook under `core.hooksPath`).
 * @throws HushError WRITE_REFUSED naming the link, where it points, the work tree, and the next step
 */
export function refuseLinkedDirectory(path: string, nextStep: LinkedDirectoryNextStep = nameTheRealPath): void {
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    return; // the directory was removed: a relative path names nothing, and the write fails on its own
  }
  // A path in the working directory is walked from the directory as the user reached it: after
  // `cd secrets` through a committed link, the kernel's working directory is the link's target.
  const reached = workingDirectoryAsReached(cwd);
  const inWorkingDirectory = !isAbsolute(path) || (reached !== cwd && path.startsWith(`${cwd}${sep}`));
  const absolute = !isAbsolute(path) ? `${reached}${sep}${path}` : inWorkingDirectory ? `${reached}${path.slice(cwd.length)}` : path;
  const parts = absolute.split(sep);
  const steps = parts.slice(0, -1);
  if (!steps.includes("..") && sameRealPath(dirname(absolute))) return;
  const base = inWorkingDirectory ? reached.split(sep).length : 0;
  // The root: "/" on POSIX, a drive such as C:\ on Windows.
  let real = `${parts[0]!}${sep}`;
  for (let i = 1; i < steps.length; i++) {
    const step = steps[i]!;
    if (step === "" || step === ".") continue;
    // `real` has no links in it, so its parent is the directory the kernel goes to for `..`.
    if (step === "..") {
      real = dirname(real);
      continue;
    }
    const next = join(real, step);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch (err) {
      // Not to be looked at: the write fails on its own.
      if ((err as { code?: string }).code !== "ENOENT") return;
      // Missing: made (keygen makes the key's directories), it is a real directory, and a `..`
      // after it leads back to where the walk is, so the walk goes on.
      isLink = false;
    }
    if (!isLink) {
      real = next;
      continue;
    }
    // A `.git` that is a link (to a git directory kept elsewhere) is the user's: git checks out
    // no path with a `.git` component, so no branch brings it.
    const top = step === ".git" ? undefined : workTreeAround(real);
    if (top !== undefined && gitMayTrack(top, next)) {
      // The link as the user wrote it: their own words for a relative path, else the absolute prefix.
      const shown = parts.slice(i >= base ? base : 0, i + 1).join(sep);
      // A link on the way to the working directory: no name for the file avoids it, another directory does.
      const advice: LinkedDirectoryNextStep = inWorkingDirectory && i < base ? () => `work in the directory's real path, ${printable(cwd)}, if you mean it` : nextStep;
      throw linkedDirectoryError(path, absolute, shown, next, top, advice);
    }
    try {
      real = realpathSync.native(next);
    } catch {
      return; // a dangling link: nothing is written behind it
    }
  }
}

/**
 * Whether the link `link` inside the work tree `top` is one git tracks, or git cannot say: only a
 * link checked out from the repository can be a branch's; one git does not track is the user's
 * own (a gitignored `data -> /mnt/disk`, a link under a home directory kept in git), and followed.
 * Asked only on this rare path, never for a path without a link. When git cannot be asked (not
 * installed, the repository unreadable), the link counts as tracked: refused, as before.
 */
function gitMayTrack(top: string, link: string): boolean {
  // A write checks its path, then its lock's and temporary file's beside it: git is asked once.
  let tracked = trackedLinks.get(link);
  if (tracked === undefined) trackedLinks.set(link, (tracked = askGitWhetherTracked(top, link)));
  return tracked;
}

/** Links asked about in this process, by path: whether git tracks them (or could not say). */
const trackedLinks = new Map<string, boolean>();

function askGitWhetherTracked(top: string, link: string): boolean {
  let git: string;
  try {
    git = gitProgram(process.env);
  } catch {
    return true;
  }
  // git finds the repository from `top`: a GIT_DIR or GIT_INDEX_FILE of the caller's (a hook's,
  // a dotfiles alias's) would answer for another one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GIT_")));
  const path = `:(top,literal)${relative(top, link).split(sep).join("/")}`;
  // child_process (with net, dgram and streams behind it) is loaded only here, on this rare path:
  // io.ts brings this module into every read, the env loader's and decrypt's among them, whose
  // start-up time is the product.
  const { spawnSync } = process.getBuiltinModule("node:child_process");
  const r = spawnSync(git, ["-C", top, "ls-files", "-z", "--", path], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  if (r.status !== 0 || r.error !== undefined) return true;
  return r.stdout !== "";
}

/**
 * The working directory by the path the user reached it through: the shell's `PWD` (which keeps
 * the links `cd` went through, as `pwd -L` shows) when it is absolute, free of `.` and `..`, and
 * names the kernel's working directory `physical`; else `physical`, a stale or foreign `PWD`
 * saying nothing about how the user got here.
 */
function workingDirectoryAsReached(physical: string): string {
  const pwd = process.env["PWD"];
  if (pwd === undefined || pwd === physical || !isAbsolute(pwd)) return physical;
  if (pwd.split(sep).some((step) => step === "." || step === "..")) return physical;
  try {
    return realpathSync.native(pwd) === physical ? pwd : physical;
  } catch {
    return physical;
  }
}

/** Whether `dir` is its own real path: then no directory on the way to it is a link. */
function sameRealPath(dir: string): boolean {
  try {
    return realpathSync.native(dir) === resolve(dir);
  } catch {
    return false; // missing or unreadable: the walk finds out where
  }
}

/**
 * The top of the git work tree that `dir` (a real path) lies in: the nearest directory holding a
 * `.git`. Undefined when there is none, or when `dir` is inside a git directory.
 */
function workTreeAround(dir: string): string | undefined {
  if (dir.split(sep).includes(".git")) return undefined;
  for (let d = dir; ; d = dirname(d)) {
    if (lstatSync(join(d, ".git"), { throwIfNoEntry: false }) !== undefined) return d;
    if (dirname(d) === d) return undefined;
  }
}

function linkedDirectoryError(path: string, absolute: string, shown: string, link: string, top: string, nextStep: LinkedDirectoryNextStep): HushError {
  let target = "?";
  try {
    target = readlinkSync(link);
  } catch {
    // gone meanwhile: say so by the question mark
  }
  let realPath: string | undefined;
  try {
    realPath = join(realpathSync.native(dirname(absolute)), basename(absolute));
  } catch {
    realPath = undefined; // a directory below the link does not exist yet
  }
  return new HushError(
    "WRITE_REFUSED",
    `${printable(path)}: ${printable(shown)} is a symbolic link (to ${printable(target)}) in the git work tree ${printable(top)}; hush does not write through a directory link in a repository, which a branch can commit: ${nextStep(realPath)}`,
    { located: true },
  );
}
