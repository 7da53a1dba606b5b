import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, run, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * `hush git log -p | head`: the reader goes away long before the history ends. git's behaviour is
 * the reference: `git log -p | head` ends by SIGPIPE, 141 in a shell, with nothing on stderr. hush
 * ended with 0, and the git it read went on writing into hush's closed end and printed
 * "fatal: write failure on 'stdout': Connection reset by peer" under the output.
 */
describe("hush git log/diff/show whose reader goes away", () => {
  let sb: Sandbox;
  let repo: string;
  beforeAll(() => {
    sb = createSandbox();
    repo = createRepo(sb);
    writeEncrypted(sb, repo, "app.enc.yaml", "password: closed-pipe-1\n");
    // Far more than a pipe holds, so that git is still writing when head has gone.
    const big = (tag: string): string => Array.from({ length: 40_000 }, (_, i) => `${tag} line ${i}\n`).join("");
    writeFileSync(join(repo, "big.txt"), big("one"));
    commitAll(sb, repo, "first");
    writeFileSync(join(repo, "big.txt"), big("two"));
    commitAll(sb, repo, "second");
  }, 60_000);
  afterAll(() => sb?.cleanup());

  /** Runs `COMMAND | head -1` in sh: COMMAND's status and its stderr. */
  function intoHead(command: string): { status: string; stderr: string } {
    const status = join(sb.dir, "status");
    const stderr = join(sb.dir, "stderr");
    const r = run("sh", ["-c", `{ ${command} 2>'${stderr}'; echo $? > '${status}'; } | head -1 > /dev/null`], { cwd: repo, env: sb.env });
    expect(r.status, r.stderr.toString()).toBe(0);
    return { status: readFileSync(status, "utf8").trim(), stderr: readFileSync(stderr, "utf8") };
  }

  it("ends as git does: 141, with nothing on stderr (the in-process review and plain git alike)", () => {
    expect(intoHead("git log -p")).toEqual({ status: "141", stderr: "" });
    expect(intoHead("hush git log -p")).toEqual({ status: "141", stderr: "" });
    // --word-diff runs plain git with hush's driver.
    expect(intoHead("hush git log -p --word-diff")).toEqual({ status: "141", stderr: "" });
    expect(intoHead("hush git show HEAD")).toEqual({ status: "141", stderr: "" });
  });

  it("read to the end, the status is git's own", () => {
    const all = run("sh", ["-c", "hush git log -p > /dev/null"], { cwd: repo, env: sb.env });
    expect(all.stderr.toString()).toBe("");
    expect(all.status).toBe(0);
    expect(run("sh", ["-c", "hush git log no-such-revision > /dev/null"], { cwd: repo, env: sb.env }).status).toBe(128);
  });
});
