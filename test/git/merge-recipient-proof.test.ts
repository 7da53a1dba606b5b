import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyPair } from "@hush/key-source-age";
import { commitAll, createAgeKey, createRepo, createSandbox, editEncrypted, findPlaintext, git, hush, hushLines, writeEncrypted, setupDrivers, type AgeKey, type Sandbox, ageEntryBlocks, editOnMainThenMerge } from "./helpers.ts";

/**
 * A recipient added on a branch and "shown" to hold its side's data key: an age or PGP entry
 * that your own key opens says nothing about the recipient its label names, so it must not
 * earn that recipient a merge's fresh data key.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/**
 * What an outsider with no key can write for `path`: a file of their own, under a data key they
 * drew, wrapped to the merger's public age key, with a copy of that entry under their own
 * recipient's label. `plaintext` is theirs to choose: they cannot read the real values.
 */
function outsiderFile(outsider: AgeKey, path: string, plaintext: string): string {
  const own = join(sb.dir, `outsider-${path}`);
  writeFileSync(own, plaintext);
  const enc = hush(sb, ["encrypt", "--age", sb.recipient, own], { cwd: sb.dir, env: outsider.env });
  expect(enc.status, enc.stderr).toBe(0);
  const [mergerEntry] = ageEntryBlocks(enc.stdout);
  expect(mergerEntry).toContain(sb.recipient);
  return enc.stdout.replace(mergerEntry!, mergerEntry! + mergerEntry!.replace(sb.recipient, outsider.recipient));
}

describe("an added recipient whose entry your own key opens", () => {
  const secrets = ["base-pw-77b1", "main-token-c4e8"];
  let outsider: AgeKey;
  beforeAll(() => {
    outsider = createAgeKey(sb, "outsider");
  });

  /** main adds `api_token` to `app.enc.yaml`, then merges `branch`; returns git's result and what hush said. */
  function mainAddsThenMerges(repo: string, branch: string): Promise<{ status: number; said: string }> {
    return editOnMainThenMerge(sb, repo, branch, "app.enc.yaml", `db_password: ${secrets[0]}\napi_token: ${secrets[1]}\n`);
  }

  /** The outsider cannot open what the merge wrote; the team can, and reads `expected`. */
  function expectTeamOnly(repo: string, expected: string): void {
    const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(merged).not.toContain(outsider.recipient);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe(expected);
  }

  it("on a branch that re-encrypted the file under a key of its own is left out of the fresh data key, and named", async () => {
    const repo = createRepo(sb, "relabelled-entry");
    writeEncrypted(sb, repo, "app.enc.yaml", `db_password: ${secrets[0]}\n`);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "relabel"]);
    writeFileSync(join(repo, "app.enc.yaml"), outsiderFile(outsider, "app.enc.yaml", "db_password: anything\n"));
    commitAll(sb, repo, "app: refresh");
    const { status, said } = await mainAddsThenMerges(repo, "relabel");
    expect(status, said).toBe(0);
    expect(said).toContain(`age ${outsider.recipient}, added since the common ancestor, is left out of the merged file`);
    expect(said).toContain(`it is wrapped to age ${sb.recipient}\n`);
    expectTeamOnly(repo, `db_password: anything\napi_token: ${secrets[1]}\n`);
  });

  it("in a file both sides added (no common ancestor) is left out too", async () => {
    const repo = createRepo(sb, "relabelled-add-add");
    writeFileSync(join(repo, "README"), "app\n");
    commitAll(sb, repo, "start");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "relabel"]);
    writeFileSync(join(repo, "app.enc.yaml"), outsiderFile(outsider, "app.enc.yaml", "other: anything\n"));
    commitAll(sb, repo, "app: add");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeEncrypted(sb, repo, "app.enc.yaml", `db_password: ${secrets[0]}\n`);
    commitAll(sb, repo, "main: app");
    const { status, said } = await mainAddsThenMerges(repo, "relabel");
    expect(status, said).toBe(0);
    expect(said).toContain(`age ${outsider.recipient}, listed by one side only (the file has no encrypted common ancestor), is left out of the merged file`);
    expectTeamOnly(repo, `db_password: ${secrets[0]}\napi_token: ${secrets[1]}\nother: anything\n`);
  });
});

describe("a file copied over another, with your entry copied under a reader's label", () => {
  it("does not show that reader to hold the copied file's key: the merge stops, and the reader reads nothing of it", async () => {
    const prodSecret = "prod-only-secret-2b6d";
    const dev = createAgeKey(sb, "staging-dev");
    const repo = createRepo(sb, "copied-relabelled");
    // Staging is readable by the developer too; prod by the operator (the sandbox key) alone.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: prod\\.enc\\.yaml$\n    age: ${sb.recipient}\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${dev.recipient}\n`);
    writeEncrypted(sb, repo, "prod.enc.yaml", `db_password: ${prodSecret}\n`);
    writeEncrypted(sb, repo, "staging.enc.yaml", "db_password: staging-pw\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "refresh-staging"]);
    // The developer, who has no prod key, copies prod's file over staging's with the operator's
    // entry copied under the developer's own label: the operator's key opens both.
    const prod = readFileSync(join(repo, "prod.enc.yaml"), "utf8");
    const [operatorEntry] = ageEntryBlocks(prod);
    writeFileSync(join(repo, "staging.enc.yaml"), prod.replace(operatorEntry!, operatorEntry! + operatorEntry!.replace(sb.recipient, dev.recipient)));
    commitAll(sb, repo, "staging: refresh");
    const { status, said } = await editOnMainThenMerge(sb, repo, "refresh-staging", "staging.enc.yaml", "db_password: staging-pw\nfeature_flag: enabled\n");
    expect(status, said).not.toBe(0);
    expect(said).toContain("cannot merge by key path");
    expect(said).toContain(`${dev.recipient} cannot be shown to hold that key`);
    const devView = hush(sb, ["decrypt", "staging.enc.yaml"], { cwd: repo, env: dev.env });
    expect(devView.stdout).not.toContain(prodSecret);
    expect(findPlaintext(sb, repo, [prodSecret])).toEqual([]);
    git(sb, repo, ["merge", "--abort"]);
  });
});

describe("cherry-picking or rebasing a branch's commits, whose parents are the branch's own", () => {
  const picks = [
    { how: "git cherry-pick main..pr (on main)", on: "main", args: ["cherry-pick", "main..pr"] },
    { how: "git rebase main (on the branch)", on: "pr", args: ["rebase", "main"] },
  ];
  it.each(picks)("$how does not make a recipient the branch added a reader before: the second pick gives it nothing", async ({ on, args }) => {
    const secrets = ["base-pw-3d90", "main-token-81fa"];
    const outsider = createAgeKey(sb, `picked-outsider-${on}`);
    const bob = createAgeKey(sb, `picked-bob-${on}`);
    const repo = createRepo(sb, `picked-${on}`);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${bob.recipient}\n`);
    writeEncrypted(sb, repo, "app.enc.yaml", `db_password: ${secrets[0]}\n`);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const path = join(repo, "app.enc.yaml");
    /** An age entry of a file of the outsider's own, wrapped to their key: the file's key is not in it. */
    const own = (): string => {
      writeFileSync(join(sb.dir, `picked-own-${on}.yaml`), "x: 1\n");
      const enc = hush(sb, ["encrypt", "--age", outsider.recipient, `picked-own-${on}.yaml`], { cwd: sb.dir, env: outsider.env });
      expect(enc.status, enc.stderr).toBe(0);
      return ageEntryBlocks(enc.stdout)[0]!;
    };
    // First commit: the outsider's own entry, and bob's entry replaced by another of theirs.
    const file = readFileSync(path, "utf8");
    const bobEntry = ageEntryBlocks(file).find((b) => b.includes(bob.recipient))!;
    writeFileSync(path, file.replace(bobEntry, own().replace(outsider.recipient, bob.recipient) + own()));
    commitAll(sb, repo, "pr: one");
    // Second commit: any change to the file, so that both sides changed it since the first.
    const first = readFileSync(path, "utf8");
    const mine = ageEntryBlocks(first).filter((b) => b.includes(outsider.recipient)).at(-1)!;
    writeFileSync(path, first.replace(mine, own()));
    commitAll(sb, repo, "pr: two");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", `db_password: ${secrets[0]}\napi_token: ${secrets[1]}\n`);
    commitAll(sb, repo, "main: token");
    // The second pick's common ancestor is the first commit: it lists the outsider, and bob's
    // entry there is not the one main has.
    git(sb, repo, ["checkout", "-q", on]);
    const pick = git(sb, repo, args, { allowFail: true });
    const asOutsider = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: outsider.env });
    expect(asOutsider.status).not.toBe(0);
    expect(asOutsider.stdout).toBe("");
    const said = hushLines(pick.stderr).join("\n");
    expect(pick.status, said).toBe(0);
    expect(said).not.toContain("fresh data key");
    if (on === "main") expect(said).toContain(`the key entry of age ${bob.recipient} is not as in the common ancestor and cannot be checked with your keys; kept as our side has it`);
    // Bob keeps the entry main gave him, and the team reads everything.
    for (const env of [sb.env, bob.env]) {
      expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env }).stdout).toBe(`db_password: ${secrets[0]}\napi_token: ${secrets[1]}\n`);
    }
  });
});

describe("what git's output names", () => {
  it("every recipient a branch added, however many come before it: the note is not cut short", async () => {
    const repo = createRepo(sb, "many-added");
    writeEncrypted(sb, repo, "app.enc.yaml", "db_password: base-pw\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const outsider = createAgeKey(sb, "last-outsider");
    const decoys = await Promise.all(Array.from({ length: 80 }, () => generateAgeKeyPair()));
    git(sb, repo, ["checkout", "-q", "-b", "many"]);
    const path = join(repo, "app.enc.yaml");
    const text = readFileSync(path, "utf8");
    const [entry] = ageEntryBlocks(text);
    // Entries anyone can write: the labels of keys that are not the file's, over an entry that is.
    const added = [...decoys.map((d) => d.recipient), outsider.recipient].map((r) => entry!.replace(sb.recipient, r)).join("");
    writeFileSync(path, text.replace(entry!, entry! + added));
    commitAll(sb, repo, "many readers");
    const { status, said } = await editOnMainThenMerge(sb, repo, "many", "app.enc.yaml", "db_password: base-pw\nflag: enabled\n");
    expect(status, said).toBe(0);
    expect(said).toContain(`age ${outsider.recipient}\n`);
    expect(said).toContain(`age ${outsider.recipient}, added since the common ancestor, keep the key entries their side wrote`);
  });
});
