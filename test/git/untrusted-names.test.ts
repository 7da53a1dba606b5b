import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * Names a branch or a shipped repository chooses — file names, the repository's own directory —
 * on their way into git's command line: they must not change which repository, revision or
 * files hush asks git about.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

describe("hush audit and a file named like a revision", () => {
  it("audits a repository whose top directory holds a file named HEAD", () => {
    const repo = createRepo(sb, "head-file");
    writeEncrypted(sb, repo, "app.enc.yaml", "token: s3cr3t\n");
    commitAll(sb, repo, "init");
    // Without `--`, git cannot tell the revision HEAD from this file and refuses to run.
    writeFileSync(join(repo, "HEAD"), "not a revision\n");
    commitAll(sb, repo, "add a file named HEAD");
    const r = hush(sb, ["audit", "--json", "--as-of", "2099-01-01"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { files: Array<{ path: string; values: Array<{ path: string }> }> };
    expect(report.files.map((f) => [f.path, f.values.map((v) => v.path)])).toEqual([["app.enc.yaml", [`["token"]`]]]);
  });
});
