import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMetadata } from "@hush/core";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, hushLines, setupDrivers, type AgeKey, type Sandbox, expectOk } from "./helpers.ts";

/**
 * Shamir key groups that differ between the sides: the merge keeps ours' groups, but a recipient
 * their side removed (a revocation) must not stay in them, least of all get a fresh data key's
 * shares.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** `.sops.yaml` with two key groups, threshold 2. */
const twoGroups = (first: readonly string[], second: readonly string[]): string =>
  `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${first.join(", ")}]\n      - age: [${second.join(", ")}]\n`;

/**
 * A file both groups of which list us and `revoked` (so `revoked` reads it); branch "feature"
 * edits it; main then runs `revoke` (a re-key without `revoked`'s shares) and adds a secret;
 * `git merge main` on feature. Returns the secret and the merge's stderr.
 */
async function revokeOnMainThenMergeIntoFeature(name: string, revoked: AgeKey, revoke: (repo: string) => void): Promise<{ repo: string; secret: string; said: string }> {
  const repo = createRepo(sb, name);
  writeFileSync(join(repo, ".sops.yaml"), twoGroups([sb.recipient, revoked.recipient], [sb.recipient, revoked.recipient]));
  writeFileSync(join(repo, "app.enc.yaml"), "a: base-1\nb: base-2\n");
  expectOk(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }));
  commitAll(sb, repo, "base");
  setupDrivers(sb, repo);
  expectOk(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env }));

  git(sb, repo, ["checkout", "-q", "-b", "feature"]);
  expectOk(hush(sb, ["set", "app.enc.yaml", '["b"]', '"feature-2"'], { cwd: repo }));
  commitAll(sb, repo, "feature");

  git(sb, repo, ["checkout", "-q", "main"]);
  revoke(repo);
  const secret = `main-secret-after-revoke-${name}`;
  expectOk(hush(sb, ["set", "app.enc.yaml", '["c"]', JSON.stringify(secret)], { cwd: repo }));
  commitAll(sb, repo, "revoke");
  expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env }).status).not.toBe(0);

  git(sb, repo, ["checkout", "-q", "feature"]);
  const merge = git(sb, repo, ["merge", "--no-edit", "main"], { allowFail: true });
  expect(merge.status, merge.stderr).toBe(0);
  return { repo, secret, said: hushLines(merge.stderr).join("\n") };
}

/** The merged file: our values, and nothing for the revoked key. */
async function expectRevokedCannotRead(repo: string, revoked: AgeKey, secret: string, groupSizes: readonly number[]): Promise<void> {
  const asRevoked = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: revoked.env });
  expect(asRevoked.status).not.toBe(0);
  expect(asRevoked.stdout).not.toContain(secret);
  const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
  expect((await readMetadata(merged, "yaml"))?.keyGroups.map((g) => g.length)).toEqual(groupSizes);
  const asUs = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
  expectOk(asUs);
  expect(asUs.stdout).toBe(`a: base-1\nb: feature-2\nc: ${secret}\n`);
}

describe("a recipient revoked from Shamir key groups on one branch", () => {
  it("removed from every group (hush rotate --rm-age): merged into a branch that still lists it, it is dropped, named, and cannot read the merged values", async () => {
    const revoked = createAgeKey(sb, "revoked-every-group");
    const added = createAgeKey(sb, "added-every-group");
    const { repo, secret, said } = await revokeOnMainThenMergeIntoFeature("shamir-revoke-all", revoked, (repo) => {
      writeFileSync(join(repo, ".sops.yaml"), twoGroups([sb.recipient, added.recipient], [sb.recipient, added.recipient]));
      expectOk(hush(sb, ["rotate", "-i", "-y", "--rm-age", revoked.recipient, "--add-age", added.recipient, "app.enc.yaml"], { cwd: repo }));
    });
    await expectRevokedCannotRead(repo, revoked, secret, [1, 1]);
    expect(readFileSync(join(repo, "app.enc.yaml"), "utf8")).not.toContain(revoked.recipient);
    expect(said).toContain(`recipients removed by their side: age ${revoked.recipient}`);
    expect(said).toContain(`recipients their side added, not in the merged file (its key groups are ours): age ${added.recipient}`);
  });

  it("removed from one group (hush updatekeys): it keeps only the other group's share, too few to read the merged values", async () => {
    const revoked = createAgeKey(sb, "revoked-one-group");
    const { repo, secret, said } = await revokeOnMainThenMergeIntoFeature("shamir-revoke-one", revoked, (repo) => {
      writeFileSync(join(repo, ".sops.yaml"), twoGroups([sb.recipient, revoked.recipient], [sb.recipient]));
      // The data key kept, as SOPS keeps it: by default the revoked key, which opened the old one
      // alone, would make updatekeys draw a new one (and the merge then refuses to vouch for it).
      expectOk(hush(sb, ["updatekeys", "-y", "--keep-data-key", "app.enc.yaml"], { cwd: repo }));
    });
    await expectRevokedCannotRead(repo, revoked, secret, [2, 1]);
    expect(said).toContain(`recipients removed by their side: age ${revoked.recipient}`);
  });

  it("a branch that copies a one-share reader into the other group: merging main (re-keyed) into it gives that reader no second share", async () => {
    const oneShare = createAgeKey(sb, "one-share");
    const other = createAgeKey(sb, "other-group");
    const repo = createRepo(sb, "shamir-copied-reader");
    writeFileSync(join(repo, ".sops.yaml"), twoGroups([sb.recipient, oneShare.recipient], [sb.recipient, other.recipient]));
    const secret = "base-secret-two-shares-4b2c";
    writeFileSync(join(repo, "app.enc.yaml"), `a: ${secret}\n`);
    expectOk(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }));
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: oneShare.env }).status).not.toBe(0);

    // The branch relabels the other group's entry with its own recipient, as anyone can without a key.
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const file = join(repo, "app.enc.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(other.recipient, oneShare.recipient));
    commitAll(sb, repo, "regroup");
    git(sb, repo, ["checkout", "-q", "main"]);
    expectOk(hush(sb, ["rotate", "-i", "-y", "app.enc.yaml"], { cwd: repo }));
    commitAll(sb, repo, "rotate");

    git(sb, repo, ["checkout", "-q", "pr"]);
    const merge = git(sb, repo, ["merge", "--no-edit", "main"], { allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    const asOneShare = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: oneShare.env });
    expect(asOneShare.status).not.toBe(0);
    expect(asOneShare.stdout).not.toContain(secret);
    expect((await readMetadata(readFileSync(file, "utf8"), "yaml"))?.keyGroups.map((g) => g.length)).toEqual([2, 1]);
    expect(hushLines(merge.stderr).join("\n")).toContain(`age ${oneShare.recipient}, added since the common ancestor, is left out of the merged file`);
    const asUs = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
    expectOk(asUs);
    expect(asUs.stdout).toBe(`a: ${secret}\n`);
  });
});
