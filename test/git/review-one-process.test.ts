import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editEncrypted, findPlaintext, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * `hush git diff` / `hush git log` / `hush git show` print exactly what git prints with hush's
 * diff driver (byte for byte), in one process, with a key and without one, and never write
 * plaintext into the repository.
 */

let sb: Sandbox;
let repo: string;

const SECRETS = ["review-secret-one-17", "review-secret-two-29", "review-secret-three-41", "json-secret-53"];

beforeAll(async () => {
  sb = createSandbox();
  repo = createRepo(sb);
  expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
  writeEncrypted(sb, repo, "app.enc.yaml", `# settings\ndb:\n  user: app\n  password: ${SECRETS[0]}\nlist:\n  - a\n  - b\n`);
  writeEncrypted(sb, repo, "other.enc.json", `{\n  "token": "${SECRETS[3]}",\n  "n": 1\n}\n`);
  writeFileSync(join(repo, "plain.txt"), "one\r\ntwo\n");
  commitAll(sb, repo, "first\n\ndiff --git a/app.enc.yaml b/app.enc.yaml\nindex 0000000..1111111 100644\n");
  await editEncrypted(sb, repo, "app.enc.yaml", "yaml", `# settings\ndb:\n  user: app\n  password: ${SECRETS[1]}\nlist:\n  - a\n  - b\n  - c\n`);
  writeFileSync(join(repo, "plain.txt"), "one\r\ntwo\nthree");
  commitAll(sb, repo, "second");
  git(sb, repo, ["mv", "other.enc.json", "moved.enc.json"]);
  writeEncrypted(sb, repo, "new.enc.yaml", "k: v\n");
  commitAll(sb, repo, "third");
  // A working-tree change that is not committed (its blob is not in the object store).
  await editEncrypted(sb, repo, "app.enc.yaml", "yaml", `# settings\ndb:\n  user: root\n  password: ${SECRETS[2]}\nlist:\n  - a\n  - c\n`);
}, 120_000);

afterAll(() => sb?.cleanup());

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ["log", "-p"],
  ["log", "-p", "--stat", "-M"],
  ["log", "-p", "-U1", "--reverse", "--", "app.enc.yaml"],
  ["log", "--format=%B", "-p"],
  ["show"],
  ["show", "HEAD~1"],
  ["diff"],
  ["diff", "HEAD~2"],
  ["diff", "-U0", "HEAD~2", "HEAD"],
  ["diff", "--cached"],
  // git searches what the driver shows: a reviewer looks for the commit that changed a value.
  ["log", "-p", "-S", SECRETS[1]!],
  ["log", "--format=%h", "-G", "password: review-secret-(one|two)"],
  ["log", "--format=%h", "--pickaxe-regex", "-Sreview-secret-t[a-z]+-"],
  // The graph comes before every line, a section's header too.
  ["log", "-p", "--graph"],
  // The stored text, as asked.
  ["diff", "--no-textconv", "HEAD~2"],
];

describe("hush git diff / log / show", () => {
  for (const args of COMMANDS) {
    it(`prints what \`git ${args.join(" ")}\` prints with the driver, with a key and without`, () => {
      for (const env of [sb.env, sb.keylessEnv]) {
        const viaGit = git(sb, repo, [...args], { env });
        const viaHush = hush(sb, ["git", ...args], { cwd: repo, env });
        expect(viaHush.stderr).toBe("");
        expect(viaHush.status).toBe(0);
        expect(viaHush.stdout).toBe(viaGit.stdout);
      }
    });
  }

  it("shows decrypted values with a key, markers without, and forged headers in commit messages stay text", () => {
    const keyed = hush(sb, ["git", "log", "-p"], { cwd: repo }).stdout;
    expect(keyed).toContain(`-  password: ${SECRETS[0]}`);
    expect(keyed).toContain(`+  password: ${SECRETS[1]}`);
    expect(keyed).toContain("# hush: data key fingerprint");
    const keyless = hush(sb, ["git", "log", "-p"], { cwd: repo, env: sb.keylessEnv }).stdout;
    expect(keyless).not.toContain(SECRETS[0]);
    expect(keyless).toMatch(/^[-+] {2}password: <encrypted:[0-9a-f]{8}>$/m);
    // The commit message's imitation of a section header is printed as written, not rendered.
    expect(keyed).toContain("    diff --git a/app.enc.yaml b/app.enc.yaml\n    index 0000000..1111111 100644\n");
  });

  it("runs plain git with the driver for options it does not reproduce, and passes git's exit code", () => {
    const viaGit = git(sb, repo, ["diff", "--word-diff", "HEAD~1"]);
    const viaHush = hush(sb, ["git", "diff", "--word-diff", "HEAD~1"], { cwd: repo });
    expect(viaHush.stdout).toBe(viaGit.stdout);
    expect(hush(sb, ["git", "diff", "--exit-code", "HEAD~1", "HEAD"], { cwd: repo }).status).toBe(1);
    expect(hush(sb, ["git", "diff", "--exit-code", "HEAD", "HEAD"], { cwd: repo }).status).toBe(0);
  });

  it("compares a file outside the repository (--no-index, or a path outside it) as git does with the driver, and runs outside a repository", () => {
    const outside = join(sb.dir, "outside.enc.yaml");
    writeFileSync(outside, git(sb, repo, ["show", "HEAD~2:app.enc.yaml"]).stdout);
    for (const args of [["diff", "--no-index", outside, "app.enc.yaml"], ["diff", outside, "app.enc.yaml"]]) {
      const viaGit = git(sb, repo, args, { allowFail: true });
      const viaHush = hush(sb, ["git", ...args], { cwd: repo });
      expect(viaHush.stdout, args.join(" ")).toBe(viaGit.stdout);
      expect(viaHush.stdout).toContain(`+  password: ${SECRETS[2]}`);
      expect(viaHush.status).toBe(1);
    }
    const copy = join(sb.dir, "outside-copy.enc.yaml");
    writeFileSync(copy, readFileSync(outside));
    const noRepo = hush(sb, ["git", "diff", "--no-index", outside, copy], { cwd: sb.dir });
    expect(noRepo.stderr).toBe("");
    expect(noRepo.status).toBe(0);
  });

  it("from a subdirectory with --relative or diff.relative, and with diff.noprefix, prints what git prints: the working tree's file of that subdirectory, not the top level's of the same name", async () => {
    const dir = createRepo(sb, "relative");
    expect(hush(sb, ["git", "setup"], { cwd: dir }).status).toBe(0);
    writeEncrypted(sb, dir, "app.enc.yaml", "where: top-level-value\n");
    mkdirSync(join(dir, "sub"));
    writeEncrypted(sb, dir, "sub/app.enc.yaml", "where: sub-value-before\n");
    commitAll(sb, dir, "two files of one name");
    await editEncrypted(sb, dir, "sub/app.enc.yaml", "yaml", "where: sub-value-after\n");
    const sub = join(dir, "sub");
    const compare = (args: readonly string[], cwd: string): void => {
      const viaGit = git(sb, cwd, args);
      const viaHush = hush(sb, ["git", ...args], { cwd });
      expect(viaHush.stdout, args.join(" ")).toBe(viaGit.stdout);
      expect(viaHush.stdout).toContain("+where: sub-value-after\n");
      expect(viaHush.stdout).not.toContain("top-level-value");
    };
    compare(["diff", "--relative"], sub);
    compare(["diff", "--relative", "HEAD"], sub);
    git(sb, dir, ["config", "diff.relative", "true"]);
    compare(["diff"], sub);
    compare(["diff", "--no-relative"], sub);
    git(sb, dir, ["config", "--unset", "diff.relative"]);
    git(sb, dir, ["config", "diff.noprefix", "yes"]);
    compare(["diff"], dir);
  });

  it("writes no plaintext into the repository", () => {
    hush(sb, ["git", "log", "-p"], { cwd: repo });
    hush(sb, ["git", "diff"], { cwd: repo });
    expect(findPlaintext(sb, repo, SECRETS)).toEqual([]);
  });
});

describe("hush git diff / log / show of an encrypted file that git, without the driver, takes for binary", () => {
  it("shows the review views as git does with the driver, not git's 'Binary files … differ' (a NUL byte in a comment hid every change)", async () => {
    const dir = createRepo(sb, "binary-looking");
    expect(hush(sb, ["git", "setup"], { cwd: dir }).status).toBe(0);
    writeEncrypted(sb, dir, "app.enc.env", `A=${SECRETS[0]}\n`);
    commitAll(sb, dir, "first");
    const stored = readFileSync(join(dir, "app.enc.env"), "utf8");
    // A branch adds a comment holding a NUL byte (no MAC covers comments).
    const withNul = `# a\u0000b\n${stored}`;
    writeFileSync(join(dir, "app.enc.env"), withNul);
    writeFileSync(join(dir, "with space.enc.env"), withNul);
    writeFileSync(join(dir, "gone.enc.env"), withNul);
    commitAll(sb, dir, "nul");
    git(sb, dir, ["rm", "-q", "gone.enc.env"]);
    commitAll(sb, dir, "removed");
    expect(git(sb, dir, ["show", "--no-textconv", "HEAD~1"]).stdout).toContain("Binary files a/app.enc.env and b/app.enc.env differ");
    for (const args of [["log", "-p"], ["show", "HEAD~1"], ["diff", "HEAD~2", "HEAD"], ["log", "-p", "--stat"]]) {
      for (const env of [sb.env, sb.keylessEnv]) {
        const viaGit = git(sb, dir, args, { env });
        const viaHush = hush(sb, ["git", ...args], { cwd: dir, env });
        expect(viaHush.stderr).toBe("");
        expect(viaHush.stdout).toBe(viaGit.stdout);
      }
    }
    const shown = hush(sb, ["git", "show", "HEAD~1", "--", "app.enc.env"], { cwd: dir, env: sb.keylessEnv }).stdout;
    expect(shown).toContain("\n+# a\\x00b\n");
    expect(shown).toMatch(/^ # hush: key group 0: age age1/m);
  });
});

describe("hush git diff / log / show of a file renamed or copied into or out of a covered path", () => {
  it("shows each side as git does, by that side's path: the review view against the stored text, binary sides as git says", () => {
    const dir = createRepo(sb, "renames");
    expect(hush(sb, ["git", "setup"], { cwd: dir }).status).toBe(0);
    writeFileSync(join(dir, ".gitattributes"), `${readFileSync(join(dir, ".gitattributes"), "utf8")}*.bin -diff\n`);
    writeEncrypted(sb, dir, "app.enc.yaml", `a: ${SECRETS[0]}\nb: two\nc: three\n`);
    writeEncrypted(sb, dir, "blob.enc.yaml", `z: ${SECRETS[1]}\n`);
    writeFileSync(join(dir, "notes.txt"), "one\ntwo\nthree\nfour\nfive\nsix\n");
    writeFileSync(join(dir, "data.txt"), "x\u0000y\n1\n2\n3\n4\n5\n6\n");
    commitAll(sb, dir, "first");
    // Out of covered paths (one to a path git takes for binary), and into them (one with a NUL byte).
    git(sb, dir, ["mv", "app.enc.yaml", "kept.yaml"]);
    writeFileSync(join(dir, "kept.yaml"), `${readFileSync(join(dir, "kept.yaml"), "utf8")}x_unencrypted: 1\n`);
    git(sb, dir, ["mv", "blob.enc.yaml", "blob.bin"]);
    writeFileSync(join(dir, "blob.bin"), `${readFileSync(join(dir, "blob.bin"), "utf8")}y_unencrypted: 2\n`);
    git(sb, dir, ["mv", "notes.txt", "notes.enc.yaml"]);
    writeFileSync(join(dir, "notes.enc.yaml"), "one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
    git(sb, dir, ["mv", "data.txt", "data.enc.yaml"]);
    writeFileSync(join(dir, "data.enc.yaml"), "x\u0000y\n1\n2\n3\n4\n5\n6\n7\n");
    commitAll(sb, dir, "renamed");
    // A copy out of a covered path, found with --find-copies-harder.
    writeFileSync(join(dir, "copy.yaml"), `${readFileSync(join(dir, "kept.yaml"), "utf8")}w_unencrypted: 3\n`);
    writeEncrypted(sb, dir, "src.enc.yaml", `s: ${SECRETS[2]}\nt: 1\nu: 2\n`);
    commitAll(sb, dir, "source");
    writeFileSync(join(dir, "src-copy.yaml"), `${readFileSync(join(dir, "src.enc.yaml"), "utf8")}v_unencrypted: 4\n`);
    commitAll(sb, dir, "copied");
    expect(git(sb, dir, ["show", "HEAD~2"]).stdout).toContain("rename from app.enc.yaml\nrename to kept.yaml\n");
    expect(git(sb, dir, ["show", "-C", "-C", "HEAD"]).stdout).toContain("copy from src.enc.yaml\ncopy to src-copy.yaml\n");
    for (const args of [["log", "-p"], ["show", "HEAD~2"], ["diff", "HEAD~3", "HEAD~2"], ["log", "-p", "--stat"], ["log", "-p", "-C", "-C"], ["diff", "--no-renames", "HEAD~3", "HEAD~2"]]) {
      for (const env of [sb.env, sb.keylessEnv]) {
        const viaGit = git(sb, dir, args, { env });
        const viaHush = hush(sb, ["git", ...args], { cwd: dir, env });
        expect(viaHush.stderr).toBe("");
        expect(viaHush.stdout, `git ${args.join(" ")}`).toBe(viaGit.stdout);
      }
    }
  });
});

describe("hush git show / log of a merge commit (a combined diff)", () => {
  it("prints what git prints with the driver, not the combined diff of the ciphertext", async () => {
    const dir = createRepo(sb, "merge-commit");
    expect(hush(sb, ["git", "setup"], { cwd: dir }).status).toBe(0);
    writeEncrypted(sb, dir, "app.enc.yaml", `a: ${SECRETS[0]}\nb: two\n`);
    commitAll(sb, dir, "first");
    git(sb, dir, ["checkout", "-q", "-b", "side"]);
    await editEncrypted(sb, dir, "app.enc.yaml", "yaml", `a: ${SECRETS[0]}\nb: side\n`);
    commitAll(sb, dir, "side");
    git(sb, dir, ["checkout", "-q", "main"]);
    await editEncrypted(sb, dir, "app.enc.yaml", "yaml", `a: ${SECRETS[1]}\nb: two\n`);
    commitAll(sb, dir, "main");
    git(sb, dir, ["merge", "-q", "--no-edit", "side"]);
    expect(git(sb, dir, ["show", "--no-textconv", "HEAD"]).stdout).toContain("diff --cc app.enc.yaml");
    for (const args of [["show"], ["show", "HEAD", "HEAD~1"], ["log", "-p", "--cc"], ["log", "-p", "-c", "-1"]]) {
      for (const env of [sb.env, sb.keylessEnv]) {
        const viaGit = git(sb, dir, args, { env });
        const viaHush = hush(sb, ["git", ...args], { cwd: dir, env });
        expect(viaHush.stderr).toBe("");
        expect(viaHush.stdout, args.join(" ")).toBe(viaGit.stdout);
      }
    }
  });
});
