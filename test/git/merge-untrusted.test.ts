import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, editOnBothSides, findPlaintext, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * The merge driver and `hush git resolve` against a branch written by someone without the key,
 * and a resolve session that goes wrong.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

function setup(repo: string): void {
  const r = hush(sb, ["git", "setup"], { cwd: repo });
  expect(r.status, r.stderr).toBe(0);
  commitAll(sb, repo, "git setup");
}

/** A repository in the middle of a merge with a conflict on `app.enc.yaml`. */
async function conflictedRepo(name: string, secrets: readonly string[]): Promise<string> {
  const repo = createRepo(sb, name);
  writeEncrypted(sb, repo, "app.enc.yaml", `db:\n  password: ${secrets[0]}\n`);
  commitAll(sb, repo, "base");
  setup(repo);
  await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: `db:\n  password: ${secrets[2]}\n`, ours: `db:\n  password: ${secrets[1]}\n` });
  const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
  expect(merge.status).not.toBe(0);
  return repo;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("hush git resolve under signals", () => {
  it.each(["SIGTERM", "SIGHUP"] as const)("%s to hush stops the editor too: no editor left running on the plaintext, nothing written, the merge still in progress", async (signal) => {
    const secrets = ["base-6b1d", "ours-0e4c", "theirs-a27f"];
    const repo = await conflictedRepo(`resolve-${signal}`, secrets);
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const seen = join(sb.dir, `editor-${signal}.txt`);
    const editor = join(sb.dir, `slow-editor-${signal}.sh`);
    // Records its pid and file, then waits as a person in an editor would.
    writeFileSync(editor, `#!/bin/sh\necho "$$ $1" > '${seen}.tmp' && mv '${seen}.tmp' '${seen}'\nexec sleep 60\n`);
    chmodSync(editor, 0o755);
    const child = spawn(process.execPath, [HUSH_SCRIPT, "git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, sig) => r({ code, signal: sig })));
    for (let i = 0; i < 200 && !existsSync(seen); i++) await new Promise((r) => setTimeout(r, 50));
    const [pidText, file] = readFileSync(seen, "utf8").trim().split(" ") as [string, string];
    const editorPid = Number(pidText);
    expect(alive(editorPid)).toBe(true);
    child.kill(signal);
    const status = await exited;
    try {
      expect(status).toEqual({ code: 1, signal: null });
      expect(stderr).toContain("hush: canceled; nothing was written\n");
      // Give a leftover editor no chance to pass for a stopped one: it was told to stop before hush ended.
      expect(alive(editorPid)).toBe(false);
      expect(existsSync(file)).toBe(false);
      expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
      expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
      expect(findPlaintext(sb, repo, secrets)).toEqual([]);
    } finally {
      if (alive(editorPid)) process.kill(editorPid, "SIGKILL");
    }
  });
});
