import { readFileSync, realpathSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, editOnBothSides, git, hush, nodeInDirectory, run, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * A merge once hush or node has moved (a reinstall, a new Node version): the drivers setup wrote
 * run them by absolute path, and git takes a driver that cannot start for a conflict with our side
 * left alone, no markers, for `git add` to take. The driver now says so and leaves markers.
 */

/** The CLI under test: what setup writes. */
const CLI = realpathSync(HUSH_SCRIPT);

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** A node in a directory whose name holds a quote, a blank and git's `%P`, as setup would find it. */
function nodeInOddDirectory(name: string): { dir: string; node: string } {
  const dir = join(sb.dir, `${name} it's 100%P "node"`);
  return { dir, node: nodeInDirectory(dir) };
}

describe("a merge after hush or node moved", () => {
  it("fails safe: the conflict has markers around the encrypted text, stderr names the missing program and the way on, and resolve finishes it after setup", async () => {
    const { dir, node } = nodeInOddDirectory("moved");
    const repo = createRepo(sb, "moved");
    writeEncrypted(sb, repo, "app.enc.yaml", "user: base-user\npassword: base-pw\n");
    commitAll(sb, repo, "initial");
    const setup = run(node, [CLI, "git", "setup"], { cwd: repo, env: sb.env });
    expect(setup.status, setup.stderr).toBe(0);
    commitAll(sb, repo, "git setup");
    await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: "user: their-user\npassword: base-pw\n", ours: "user: base-user\npassword: our-pw\n" });
    const ours = readFileSync(join(repo, "app.enc.yaml"), "utf8");

    renameSync(dir, `${dir}-moved`);
    const merge = git(sb, repo, ["merge", "-q", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).toBe(1);
    expect(merge.stderr).toContain(
      `hush merge driver: ${node} no longer exists (hush or node was moved or reinstalled); app.enc.yaml is left in conflict with markers around its encrypted text: run \`hush git setup\` again, then \`hush git resolve\` on the file (or \`git merge --abort\` and merge again)\n`,
    );
    const left = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(left).not.toBe(ours);
    expect(left).toMatch(/^<<<<<<< ours$[\s\S]*^=======$[\s\S]*^>>>>>>> theirs$/m);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout.trim().split("\n")).toHaveLength(3);
    // The hush on PATH sees the markers and the moved program.
    const check = hush(sb, ["check"], { cwd: repo });
    expect(check.stdout).toContain("[conflict-markers]");
    expect(check.stdout).toContain("[driver-command-missing]");

    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    const resolved = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo });
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("user: their-user\npassword: our-pw\n");
  });

  it("a diff says which program is missing and what to run, instead of Node's stack", () => {
    const { dir, node } = nodeInOddDirectory("diff");
    const repo = createRepo(sb, "moved-diff");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: diff-pw\n");
    expect(run(node, [CLI, "git", "setup"], { cwd: repo, env: sb.env }).status).toBe(0);
    commitAll(sb, repo, "initial");
    renameSync(dir, `${dir}-moved`);
    const shown = git(sb, repo, ["cat-file", "--textconv", "HEAD:app.enc.yaml"], { allowFail: true });
    expect(shown.status).not.toBe(0);
    expect(shown.stderr).toContain(`hush diff driver: ${node} no longer exists (hush or node was moved or reinstalled): run \`hush git setup\` again\n`);
    expect(shown.stderr).not.toContain("Cannot find module");
  });

  it("an older setup's merge driver (no check first) is still read: a missing program is an error, one there a warning, and setup rewrites it", () => {
    const repo = createRepo(sb, "older-driver");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: older-pw\n");
    commitAll(sb, repo, "initial");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    const config = (key: string): string => git(sb, repo, ["config", "--local", key]).stdout.trim();
    const written = config("merge.hush.driver");
    const older = (cli: string): string => `'${process.execPath}' '${cli.replace(/'/g, `'\\''`)}' git merge -- %O %A %B %L %P`;
    git(sb, repo, ["config", "--local", "merge.hush.driver", older(CLI)]);
    const warned = hush(sb, ["check"], { cwd: repo });
    expect(warned.status, warned.stdout).toBe(0);
    expect(warned.stdout).toContain("warning: git config merge.hush.driver does not check that hush is still there (written by an older hush)");
    expect(warned.stdout).toContain("[driver-command-outdated]");
    const missing = join(sb.dir, "gone it's", "hush.cjs");
    git(sb, repo, ["config", "--local", "merge.hush.driver", older(missing)]);
    const failed = hush(sb, ["check"], { cwd: repo });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain(`error: git config merge.hush.driver runs a program that no longer exists (${missing};`);
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    expect(config("merge.hush.driver")).toBe(written);
    const clean = hush(sb, ["check"], { cwd: repo });
    expect(clean.status, clean.stdout).toBe(0);
    expect(clean.stdout).not.toContain("driver-command");
  });
});
