import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMetadata } from "@hush/core";
import { commitAll, createAgeKey, createRepo, createSandbox, git, hush, hushLines, setupDrivers, type Sandbox, expectOk } from "./helpers.ts";

/**
 * A Shamir threshold raised on one branch (with a re-key, so its new values open only with that
 * many key groups) is not lowered again by a merge that draws a fresh data key: the fresh key is
 * split for the stricter of the two sides' thresholds.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** `.sops.yaml` with one key group per recipient and the given threshold. */
const groupsRule = (recipients: readonly string[], threshold: number): string =>
  `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    shamir_threshold: ${threshold}\n    key_groups:\n${recipients.map((r) => `      - age: [${r}]\n`).join("")}`;

/** An environment whose age key file holds the keys of every file in `keyFiles`. */
function envWithKeys(name: string, keyFiles: readonly string[]): Record<string, string> {
  const file = join(sb.dir, `${name}-keys.txt`);
  writeFileSync(file, keyFiles.map((f) => readFileSync(f, "utf8")).join(""));
  return { ...sb.keylessEnv, SOPS_AGE_KEY_FILE: file };
}

describe("a Shamir threshold raised on one branch", () => {
  it("is kept when a merge draws a fresh data key: two groups cannot open the merged file, nor the values that branch added", async () => {
    const second = createAgeKey(sb, "second-group");
    const third = createAgeKey(sb, "third-group");
    // The merger holds a key of every group; the pair holds two groups' keys.
    const merger = envWithKeys("merger", [sb.keyFile, second.keyFile, third.keyFile]);
    const pair = envWithKeys("pair", [second.keyFile, third.keyFile]);
    const recipients = [sb.recipient, second.recipient, third.recipient];
    const repo = createRepo(sb, "threshold-raised");
    writeFileSync(join(repo, ".sops.yaml"), groupsRule(recipients, 2));
    writeFileSync(join(repo, "app.enc.yaml"), "a: base-1\nb: base-2\n");
    expectOk(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo, env: merger }));
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    expectOk(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: pair }));

    git(sb, repo, ["checkout", "-q", "-b", "feature"]);
    expectOk(hush(sb, ["set", "app.enc.yaml", '["b"]', '"feature-2"'], { cwd: repo, env: merger }));
    commitAll(sb, repo, "feature");

    // main: every group needed from now on, a fresh data key, then a new secret.
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, ".sops.yaml"), groupsRule(recipients, 3));
    expectOk(hush(sb, ["updatekeys", "-y", "app.enc.yaml"], { cwd: repo, env: merger }));
    expectOk(hush(sb, ["rotate", "-i", "-y", "app.enc.yaml"], { cwd: repo, env: merger }));
    const secret = "main-secret-for-all-three-groups-7c1e";
    expectOk(hush(sb, ["set", "app.enc.yaml", '["c"]', JSON.stringify(secret)], { cwd: repo, env: merger }));
    commitAll(sb, repo, "three groups needed");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: pair }).status).not.toBe(0);

    git(sb, repo, ["checkout", "-q", "feature"]);
    const merge = git(sb, repo, ["merge", "--no-edit", "main"], { env: merger, allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect((await readMetadata(merged, "yaml"))?.shamirThreshold).toBe(3);
    const asPair = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: pair });
    expect(asPair.status).not.toBe(0);
    expect(asPair.stdout).not.toContain(secret);
    const asMerger = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: merger });
    expectOk(asMerger);
    expect(asMerger.stdout).toBe(`a: base-1\nb: feature-2\nc: ${secret}\n`);
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toContain("their side needs 3 of the 3 key groups to open the file, ours 2: the fresh data key is split for the stricter 3 (theirs)");
    expect(said).toContain("a fresh data key was drawn");
  });

  it("with the data key kept (their side re-split it, no re-key), ours' shares and threshold stay, and the difference is named", async () => {
    const second = createAgeKey(sb, "second-kept");
    const third = createAgeKey(sb, "third-kept");
    const merger = envWithKeys("merger-kept", [sb.keyFile, second.keyFile, third.keyFile]);
    const recipients = [sb.recipient, second.recipient, third.recipient];
    const repo = createRepo(sb, "threshold-kept");
    writeFileSync(join(repo, ".sops.yaml"), groupsRule(recipients, 2));
    writeFileSync(join(repo, "app.enc.yaml"), "a: base-1\nb: base-2\n");
    expectOk(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo, env: merger }));
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "feature"]);
    expectOk(hush(sb, ["set", "app.enc.yaml", '["b"]', '"feature-2"'], { cwd: repo, env: merger }));
    commitAll(sb, repo, "feature");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, ".sops.yaml"), groupsRule(recipients, 3));
    // Kept on purpose: by default a raised threshold gives the file a new data key.
    expectOk(hush(sb, ["updatekeys", "-y", "--keep-data-key", "app.enc.yaml"], { cwd: repo, env: merger }));
    commitAll(sb, repo, "three groups needed, same data key");

    git(sb, repo, ["checkout", "-q", "feature"]);
    const merge = git(sb, repo, ["merge", "--no-edit", "main"], { env: merger, allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toContain("their side needs 3 of the 3 key groups to open the file, ours 2: the merged file keeps ours' shares and threshold with the data key");
    expect(said).not.toContain("a fresh data key was drawn");
    expect((await readMetadata(readFileSync(join(repo, "app.enc.yaml"), "utf8"), "yaml"))?.shamirThreshold).toBe(2);
    const asMerger = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: merger });
    expectOk(asMerger);
    expect(asMerger.stdout).toBe("a: base-1\nb: feature-2\n");
  });
});
