import { spawn } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goneSoon, waitForPids } from "../keys/helpers.ts";
import { createSandbox, findPlaintext, git, hush, hushLines, twoSidedRepo, type Sandbox } from "./helpers.ts";

/**
 * The merge driver ended by a signal while git merges: git takes it for a conflict and says only
 * "CONFLICT (content)", with ours in the file and no marker. hush says what happened and what to
 * run, and leaves nothing behind: no temporary file, no plaintext, no key program, no git lock.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** `git merge theirs` in `repo` with `env`; resolves with git's status and standard error. */
function mergeInBackground(repo: string, env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const child = spawn("git", ["merge", "--no-edit", "theirs"], { cwd: repo, env, stdio: ["ignore", "ignore", "pipe"] });
  const err: Buffer[] = [];
  child.stderr.on("data", (c: Buffer) => err.push(c));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stderr: Buffer.concat(err).toString("utf8") })));
}

describe("git merge: the driver stopped by a signal", () => {
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    it(`${signal} while the key is read: says ours is in the file unmerged and names hush git resolve`, async () => {
      const repo = await twoSidedRepo(sb, `stopped-${signal}`);
      // The key comes from a command that, the first time, writes its parent's (the driver's)
      // and its own process id and waits: the driver is stopped there, mid-merge.
      const pidFile = join(sb.dir, `${signal}-pids`);
      const keyCommand = join(sb.dir, `${signal}-key.sh`);
      writeFileSync(keyCommand, `#!/bin/sh\nif [ ! -e '${pidFile}' ]; then echo "$PPID $$" > '${pidFile}'; sleep 300; fi\ncat '${sb.keyFile}'\n`);
      chmodSync(keyCommand, 0o755);
      const env: Record<string, string> = { ...sb.keylessEnv, SOPS_AGE_KEY_CMD: keyCommand };
      const merge = mergeInBackground(repo, env);
      const [driver, key] = await waitForPids(pidFile);
      process.kill(driver!, signal);
      const r = await merge;
      expect(r.status, r.stderr).toBe(1);
      expect(hushLines(r.stderr)).toEqual([
        `hush: app.enc.yaml: stopped by ${signal} before the merge was written: the file holds our version alone, theirs not merged in, and git lists it as conflicted; next: \`hush git resolve app.enc.yaml\``,
      ]);
      expect(await goneSoon(key!)).toBe(true);
      // Ours, whole; nothing else written beside it, nothing in clear anywhere, no lock of git's.
      expect(readFileSync(join(repo, "app.enc.yaml"), "utf8")).toBe(git(sb, repo, ["show", ":2:app.enc.yaml"]).stdout);
      expect(readdirSync(repo).sort()).toEqual([".git", ".gitattributes", ".sops.yaml", "app.enc.yaml"]);
      expect(existsSync(join(repo, ".git", "index.lock"))).toBe(false);
      expect(findPlaintext(sb, repo, ["ours-pw", "theirs-pw", "base-pw"])).toEqual([]);
      // The next step named finishes the merge.
      expect(hush(sb, ["git", "resolve", "--theirs", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
      expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("password: theirs-pw\n");
    });
  }
});
