import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo, createSandbox, git, hush, type Sandbox } from "./helpers.ts";

describe("hush git setup: lock and temporary files stay out of git", () => {
  let sb: Sandbox;
  let repo: string;
  beforeAll(() => {
    sb = createSandbox();
    repo = createRepo(sb);
  });
  afterAll(() => sb.cleanup());

  it("ignores them locally, idempotently, and uninstall removes exactly that", () => {
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    const exclude = join(repo, ".git", "info", "exclude");
    const once = readFileSync(exclude, "utf8");
    expect(once).toContain(".*.hush-lock");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).stdout).toMatch(/already set up/);
    expect(readFileSync(exclude, "utf8")).toBe(once);

    writeFileSync(join(repo, ".app.enc.yaml.hush-lock"), "1\n");
    writeFileSync(join(repo, ".app.enc.yaml.hush-0a1b2c.tmp"), "ENC\n");
    expect(git(sb, repo, ["status", "--porcelain", "--untracked-files=all"]).stdout).not.toMatch(/hush-(lock|0a1b2c)/);

    expect(hush(sb, ["git", "uninstall"], { cwd: repo }).status).toBe(0);
    expect(existsSync(exclude) ? readFileSync(exclude, "utf8") : "").not.toContain("hush");
  });
});
