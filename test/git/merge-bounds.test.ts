import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editOnBothSides, git, hush, hushLines, run, setupDrivers, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * The merge driver's size bound: git runs the driver on every routine merge or pull, and a branch
 * can commit a file of any size. Above the bound (8 MiB by default, HUSH_MERGE_MAX_BYTES) the
 * driver reads and decrypts nothing and leaves the whole versions as one conflict.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** A repository with `app.enc.yaml` changed at different key paths on main and on branch "theirs" (a clean key-path merge). */
async function divergedRepo(name: string): Promise<string> {
  const repo = createRepo(sb, name);
  writeEncrypted(sb, repo, "app.enc.yaml", "db:\n  user: base-user\n  password: base-pw-1c9e\n");
  commitAll(sb, repo, "base");
  setupDrivers(sb, repo);
  await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", {
    theirs: "db:\n  user: base-user\n  password: theirs-pw-77d0\n",
    ours: "db:\n  user: ours-user\n  password: base-pw-1c9e\n",
  });
  return repo;
}

/** The blob of `rev:path`, as stored. */
function blob(repo: string, spec: string): Buffer {
  return Buffer.from(git(sb, repo, ["cat-file", "blob", spec]).stdout, "utf8");
}

describe("the merge driver's size bound", () => {
  it("above HUSH_MERGE_MAX_BYTES nothing is decrypted: the whole versions are one conflict, with one line saying why and what next", async () => {
    const repo = await divergedRepo("above-env");
    const ours = blob(repo, "main:app.enc.yaml");
    const base = blob(repo, "main~1:app.enc.yaml");
    const theirs = blob(repo, "theirs:app.enc.yaml");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true, env: { ...sb.env, HUSH_MERGE_MAX_BYTES: "512" } });
    expect(merge.status).toBe(1);
    const lines = hushLines(merge.stderr + merge.stdout);
    expect(lines).toEqual([
      `hush: app.enc.yaml: not merged: ours is ${ours.length} bytes, above the merge limit of 512; the file holds both sides whole as one conflict (nothing decrypted); next: \`hush git resolve app.enc.yaml\`, or raise the limit (HUSH_MERGE_MAX_BYTES=<bytes>) and run \`git checkout -m app.enc.yaml\``,
    ]);
    const expected = Buffer.concat([Buffer.from("<<<<<<< ours\n"), ours, Buffer.from("||||||| base\n"), base, Buffer.from("=======\n"), theirs, Buffer.from(">>>>>>> theirs\n")]);
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(expected)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");

    // The next step it names: with the limit raised, `git checkout -m` merges the file again by key path.
    const again = git(sb, repo, ["checkout", "-m", "--", "app.enc.yaml"], { allowFail: true, env: { ...sb.env, HUSH_MERGE_MAX_BYTES: "1M" } });
    expect(hushLines(again.stderr + again.stdout)).toEqual(["hush: app.enc.yaml: merged by key path"]);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("db:\n  user: ours-user\n  password: theirs-pw-77d0\n");
  });

  it("by default a version over 8 MiB (a branch padded the file with a long comment line) is not read: the whole versions are one conflict", async () => {
    const repo = await divergedRepo("padded");
    git(sb, repo, ["checkout", "-q", "theirs"]);
    // Comments are covered by no MAC: anyone can pad a file on a branch without a key.
    const padded = Buffer.concat([readFileSync(join(repo, "app.enc.yaml")), Buffer.from(`#${"x".repeat(8 * 1024 * 1024)}\n`)]);
    writeFileSync(join(repo, "app.enc.yaml"), padded);
    commitAll(sb, repo, "pad");
    git(sb, repo, ["checkout", "-q", "main"]);
    const ours = readFileSync(join(repo, "app.enc.yaml"));
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).toBe(1);
    expect(hushLines(merge.stderr + merge.stdout)).toEqual([
      `hush: app.enc.yaml: not merged: theirs is ${padded.length} bytes, above the merge limit of 8388608; the file holds both sides whole as one conflict (nothing decrypted); next: \`hush git resolve app.enc.yaml\`, or raise the limit (HUSH_MERGE_MAX_BYTES=<bytes>) and run \`git checkout -m app.enc.yaml\``,
    ]);
    const merged = readFileSync(join(repo, "app.enc.yaml"));
    expect(merged.subarray(0, 13 + ours.length).equals(Buffer.concat([Buffer.from("<<<<<<< ours\n"), ours]))).toBe(true);
    expect(merged.subarray(merged.length - padded.length - 15).equals(Buffer.concat([padded, Buffer.from(">>>>>>> theirs\n")]))).toBe(true);
  });

  it("a version handed over as a pipe (no size to look at first) is read only up to the limit", () => {
    const dir = join(sb.dir, "pipe");
    mkdirSync(dir);
    writeFileSync(join(dir, "base"), "a: 1\n");
    writeFileSync(join(dir, "ours"), "a: 2\n");
    // A shell's pipe (a FIFO, which hush reads when it is named /dev/stdin) as theirs.
    const r = run("sh", ["-c", "head -c 65536 /dev/zero | hush git merge -- base ours /dev/stdin 7 app.enc.yaml"], { cwd: dir, env: { ...sb.env, HUSH_MERGE_MAX_BYTES: "1K" } });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("hush: /dev/stdin: larger than 1024 bytes\n");
    expect(readFileSync(join(dir, "ours"), "utf8")).toBe("a: 2\n");
  });

  it("a limit that is not a byte count is reported and the default is used", async () => {
    const repo = await divergedRepo("bad-limit");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true, env: { ...sb.env, HUSH_MERGE_MAX_BYTES: "lots" } });
    expect(merge.status, merge.stderr).toBe(0);
    expect(hushLines(merge.stderr + merge.stdout)).toEqual(["hush: HUSH_MERGE_MAX_BYTES is not a byte count (e.g. 8388608 or 8M); using 8388608", "hush: app.enc.yaml: merged by key path"]);
  });
});

describe("the whole versions of a file whose common ancestor predates its encryption", () => {
  const secret = "plain-base-secret-4e1f";

  /**
   * A repository where `app.enc.yaml` was committed in clear (ending with `basePadding`), then
   * encrypted on main and on "theirs" (without the padding), each with its own change.
   */
  function plaintextBaseRepo(name: string, theirsChange: (file: string) => void, basePadding = ""): { repo: string; ours: Buffer; theirs: Buffer } {
    const repo = createRepo(sb, name);
    const file = join(repo, "app.enc.yaml");
    const plain = `password: ${secret}\nnote_unencrypted: cafe\n`;
    writeFileSync(file, plain + basePadding);
    commitAll(sb, repo, "base, not encrypted yet");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    writeFileSync(file, plain);
    expect(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
    theirsChange(file);
    commitAll(sb, repo, "theirs");
    const theirs = readFileSync(file);
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(file, plain);
    expect(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "ours");
    return { repo, ours: readFileSync(file), theirs };
  }

  const wholeWithoutBase = (ours: Buffer, theirs: Buffer): Buffer =>
    Buffer.concat([Buffer.from("<<<<<<< ours\n"), ours, Buffer.from("=======\n"), theirs, Buffer.from(">>>>>>> theirs\n")]);

  it.each([
    { version: "theirs", said: "not merged: theirs is", theirsPadding: 4000, basePadding: "" },
    // The ancestor's comment alone is above the limit; ours and theirs are within it.
    { version: "the ancestor itself", said: "not merged: the common ancestor is", theirsPadding: 100, basePadding: `# ${"y".repeat(4000)}\n` },
  ])("$version above the size limit: the ancestor's values in clear are left out of the conflict", ({ said, theirsPadding, basePadding }) => {
    const pad = (file: string): void => writeFileSync(file, `${readFileSync(file, "utf8")}#${"x".repeat(theirsPadding)}\n`);
    const { repo, ours, theirs } = plaintextBaseRepo(`plaintext-base-oversized-${theirsPadding}`, pad, basePadding);
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true, env: { ...sb.env, HUSH_MERGE_MAX_BYTES: "3K" } });
    expect(merge.status).toBe(1);
    expect(hushLines(merge.stderr + merge.stdout)[0]).toContain(said);
    const held = readFileSync(join(repo, "app.enc.yaml"));
    expect(held.toString("latin1")).not.toContain(secret);
    expect(held.equals(wholeWithoutBase(ours, theirs))).toBe(true);
  });

  it("not UTF-8: the ancestor's values in clear are left out of the conflict", () => {
    const { repo, ours, theirs } = plaintextBaseRepo("plaintext-base-latin1", (file) => writeFileSync(file, Buffer.from(readFileSync(file, "latin1").replace("cafe", "café"), "latin1")));
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).toBe(1);
    expect(merge.stderr + merge.stdout).toMatch(/not merged: a version is not UTF-8/);
    const held = readFileSync(join(repo, "app.enc.yaml"));
    expect(held.toString("latin1")).not.toContain(secret);
    expect(held.equals(wholeWithoutBase(ours, theirs))).toBe(true);
  });
});
