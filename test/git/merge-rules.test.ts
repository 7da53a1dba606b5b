import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, hush, type Sandbox } from "./helpers.ts";

describe("merge driver: sides with different encryption rules", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = createSandbox();
  });
  afterAll(() => sb.cleanup());

  it("never merges by key path (a value one side encrypts could land in plaintext)", () => {
    const file = (name: string): string => join(sb.dir, name);
    writeFileSync(file("base.yaml"), "a: x\n");
    const base = hush(sb, ["encrypt", "--age", sb.recipient, "base.yaml"], { cwd: sb.dir });
    expect(base.status).toBe(0);
    writeFileSync(file("base.enc.yaml"), base.stdout);
    writeFileSync(file("theirs.enc.yaml"), base.stdout);
    expect(hush(sb, ["set", "theirs.enc.yaml", '["token"]', '"supersecret-theirs"'], { cwd: sb.dir }).status).toBe(0);
    writeFileSync(file("o.yaml"), "a: x\nb: y\n");
    const ours = hush(sb, ["encrypt", "--age", sb.recipient, "--encrypted-regex", "^a$", "o.yaml"], { cwd: sb.dir });
    writeFileSync(file("merged.enc.yaml"), ours.stdout);

    const r = hush(sb, ["git", "merge", "base.enc.yaml", "merged.enc.yaml", "theirs.enc.yaml", "7", "s.enc.yaml"], { cwd: sb.dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/different encryption rules/);
    const merged = readFileSync(file("merged.enc.yaml"), "utf8");
    expect(merged).not.toContain("supersecret-theirs");
    expect(r.stderr + r.stdout).not.toContain("supersecret-theirs");
  });
});
