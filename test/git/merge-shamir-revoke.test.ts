import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMetadata } from "@hush/core";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, hushLines, setupDrivers, type Sandbox } from "./helpers.ts";

/**
 * Shamir key groups that differ between the sides: the merge keeps ours' groups, but a recipient
 * their side removed (a revocation) must not stay in them, least of all be given a fresh data key.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

function ok(r: { status: number; stderr: string }): void {
  expect(r.status, r.stderr).toBe(0);
}

describe("a recipient revoked from Shamir key groups on one branch", () => {
  it("merging the revoking branch into one that still lists it: the recipient is dropped, named, and cannot read the merged values", async () => {
    const revoked = createAgeKey(sb, "revoked-shamir");
    const added = createAgeKey(sb, "added-shamir");
    const repo = createRepo(sb, "shamir-revoke");
    const groups = (second: string): string =>
      `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${sb.recipient}, ${second}]\n      - age: [${sb.recipient}, ${second}]\n`;
    writeFileSync(join(repo, ".sops.yaml"), groups(revoked.recipient));
    writeFileSync(join(repo, "app.enc.yaml"), "a: base-1\nb: base-2\n");
    ok(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }));
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    ok(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env }));

    git(sb, repo, ["checkout", "-q", "-b", "feature"]);
    ok(hush(sb, ["set", "app.enc.yaml", '["b"]', '"feature-2"'], { cwd: repo }));
    commitAll(sb, repo, "feature");

    // main revokes the key: a new data key, wrapped to no group's share for it, then a new secret.
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, ".sops.yaml"), groups(added.recipient));
    ok(hush(sb, ["rotate", "-i", "-y", "--rm-age", revoked.recipient, "--add-age", added.recipient, "app.enc.yaml"], { cwd: repo }));
    const secret = "main-secret-after-revoke-7d1e";
    ok(hush(sb, ["set", "app.enc.yaml", '["c"]', JSON.stringify(secret)], { cwd: repo }));
    commitAll(sb, repo, "revoke");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env }).status).not.toBe(0);

    git(sb, repo, ["checkout", "-q", "feature"]);
    const merge = git(sb, repo, ["merge", "--no-edit", "main"], { allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect((await readMetadata(merged, "yaml"))?.keyGroups.map((g) => g.length)).toEqual([1, 1]);
    expect(merged).not.toContain(revoked.recipient);
    expect(merged).toContain(sb.recipient);
    const asRevoked = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env });
    expect(asRevoked.status).not.toBe(0);
    expect(asRevoked.stdout).not.toContain(secret);
    const asUs = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
    ok(asUs);
    expect(asUs.stdout).toBe(`a: base-1\nb: feature-2\nc: ${secret}\n`);
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toMatch(/removed by their side: age age1/);
    expect(said).toContain(revoked.recipient);
  });
});
