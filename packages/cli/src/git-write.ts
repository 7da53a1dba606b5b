import { firstErrorLine, runGit } from "./git-run.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Why a git write failed: git's first error line, and whether another process held its lock to the end. */
export interface GitWriteFailure {
  readonly line: string;
  readonly busy: boolean;
}

/**
 * git's words for a lock file another process holds: for the index,
 * `Unable to create '…/index.lock': File exists.`; for the config,
 * `could not lock config file …` (with `: File exists` after it for a key set, not for a
 * section removed). git is run with LC_ALL=C so that they are these words in any locale.
 */
function lockHeld(line: string): boolean {
  return line.includes(".lock': File exists") || line.includes("could not lock config file");
}

/** The pause before the first retry; each next one is longer, up to MAX_PAUSE_MS. */
const FIRST_PAUSE_MS = 25;
const MAX_PAUSE_MS = 500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a git command that writes the index or the repository's config (`git add`, `git config`)
 * and returns undefined once it succeeded, or why it failed. git takes a lock file for such a
 * write and gives up at once when another process holds it: a `git status` an editor or a shell
 * prompt runs, `git config` in another terminal, a second `hush git setup` in a linked worktree
 * (which shares the config). So a held lock is waited for, up to `waitMs`, with growing pauses;
 * any other failure is returned at once. A lock git left behind when it was killed stays held:
 * the failure says `busy`, and the caller's message names the next step.
 */
export async function gitWrite(cwd: string, env: Env, args: readonly string[], waitMs: number): Promise<GitWriteFailure | undefined> {
  const deadline = Date.now() + waitMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    const run = await runGit(cwd, { ...env, LC_ALL: "C" }, args);
    if (run.status === 0) return undefined;
    const line = firstErrorLine(run);
    const busy = lockHeld(line);
    const left = deadline - Date.now();
    if (!busy || left <= 0) return { line, busy };
    await sleep(Math.min(pause, left));
  }
}
