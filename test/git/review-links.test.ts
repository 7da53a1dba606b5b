import { mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * A symbolic link or a submodule at a path with `diff=hush`: git never runs a diff driver's
 * textconv on either (it shows a link's target name, a submodule's commit), and `hush git diff /
 * log / show` prints the same, byte for byte. A branch that turns an encrypted file into a link
 * must show that change, never an empty section, and no file the link leads to is read.
 */

let sb: Sandbox;
let repo: string;
const OUTSIDE = "outside-file-content-73";

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb, "links");
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  writeEncrypted(sb, repo, "app.enc.yaml", "password: link-secret-1\n");
  writeEncrypted(sb, repo, "db.enc.yaml", "password: link-secret-2\n");
  commitAll(sb, repo, "encrypted files");
  const outside = join(sb.dir, "outside.enc.yaml");
  writeFileSync(outside, `token: ${OUTSIDE}\n`);
  // Committed: app.enc.yaml becomes a link to a file outside the repository.
  unlinkSync(join(repo, "app.enc.yaml"));
  symlinkSync(outside, join(repo, "app.enc.yaml"));
  // A submodule at a reviewed path.
  const sub = join(sb.dir, "sub");
  mkdirSync(sub);
  git(sb, sub, ["init", "-q", "-b", "main"]);
  writeFileSync(join(sub, "readme"), "sub\n");
  git(sb, sub, ["add", "readme"]);
  git(sb, sub, ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "sub"]);
  git(sb, repo, ["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub, "vendor.enc.yaml"]);
  commitAll(sb, repo, "a link and a submodule");
  // Not committed: db.enc.yaml becomes a link in the working tree to another file (a target name
  // git has stored no blob for).
  const other = join(sb.dir, "other.enc.yaml");
  writeFileSync(other, `token: ${OUTSIDE}\n`);
  unlinkSync(join(repo, "db.enc.yaml"));
  symlinkSync(other, join(repo, "db.enc.yaml"));
}, 120_000);

afterAll(() => sb?.cleanup());

const COMMANDS: ReadonlyArray<readonly string[]> = [["show"], ["log", "-p"], ["diff"], ["diff", "HEAD~1"], ["diff", "--cached", "HEAD~1"]];

describe("hush git diff / log / show of links and submodules at reviewed paths", () => {
  for (const args of COMMANDS) {
    it(`print what \`git ${args.join(" ")}\` prints with the driver`, () => {
      for (const env of [sb.env, sb.keylessEnv]) {
        const viaGit = git(sb, repo, [...args], { env });
        const viaHush = hush(sb, ["git", ...args], { cwd: repo, env });
        expect(viaHush.stderr).toBe("");
        expect(viaHush.status).toBe(0);
        expect(viaHush.stdout).toBe(viaGit.stdout);
        expect(viaHush.stdout).not.toContain(OUTSIDE);
      }
    });
  }

  it("a working-tree link shows its target, not an empty section", () => {
    const out = hush(sb, ["git", "diff"], { cwd: repo }).stdout;
    expect(out).toContain(`+${join(sb.dir, "other.enc.yaml")}\n`);
    rmSync(join(repo, "db.enc.yaml"));
  });
});
