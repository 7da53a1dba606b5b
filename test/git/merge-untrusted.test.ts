import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createAgeKey, createRepo, createSandbox, editEncrypted, editOnBothSides, findPlaintext, git, hush, writeEncrypted, type AgeKey, setupDrivers, type Sandbox, ageEntryBlocks, editOnMainThenMerge } from "./helpers.ts";

/**
 * The merge driver and `hush git resolve` against a branch written by someone without the key,
 * and a resolve session that goes wrong.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** A repository in the middle of a merge with a conflict on `app.enc.yaml`. */
async function conflictedRepo(name: string, secrets: readonly string[]): Promise<string> {
  const repo = createRepo(sb, name);
  writeEncrypted(sb, repo, "app.enc.yaml", `db:\n  password: ${secrets[0]}\n`);
  commitAll(sb, repo, "base");
  setupDrivers(sb, repo);
  await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: `db:\n  password: ${secrets[2]}\n`, ours: `db:\n  password: ${secrets[1]}\n` });
  const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
  expect(merge.status).not.toBe(0);
  return repo;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("hush git resolve under signals", () => {
  it.each(["SIGTERM", "SIGHUP"] as const)("%s to hush stops the editor too: no editor left running on the plaintext, nothing written, the merge still in progress", async (signal) => {
    const secrets = ["base-6b1d", "ours-0e4c", "theirs-a27f"];
    const repo = await conflictedRepo(`resolve-${signal}`, secrets);
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const seen = join(sb.dir, `editor-${signal}.txt`);
    const editor = join(sb.dir, `slow-editor-${signal}.sh`);
    // Records its pid and file, then waits as a person in an editor would.
    writeFileSync(editor, `#!/bin/sh\necho "$$ $1" > '${seen}.tmp' && mv '${seen}.tmp' '${seen}'\nexec sleep 60\n`);
    chmodSync(editor, 0o755);
    const child = spawn(process.execPath, [HUSH_SCRIPT, "git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, sig) => r({ code, signal: sig })));
    for (let i = 0; i < 200 && !existsSync(seen); i++) await new Promise((r) => setTimeout(r, 50));
    const [pidText, file] = readFileSync(seen, "utf8").trim().split(" ") as [string, string];
    const editorPid = Number(pidText);
    expect(alive(editorPid)).toBe(true);
    child.kill(signal);
    const status = await exited;
    try {
      expect(status).toEqual({ code: 1, signal: null });
      expect(stderr).toContain("hush: canceled; nothing was written\n");
      // Give a leftover editor no chance to pass for a stopped one: it was told to stop before hush ended.
      expect(alive(editorPid)).toBe(false);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(join(repo, ".app.enc.yaml.hush-lock"))).toBe(false);
      expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
      expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
      expect(findPlaintext(sb, repo, secrets)).toEqual([]);
    } finally {
      if (alive(editorPid)) process.kill(editorPid, "SIGKILL");
    }
  });
});

describe("a file copied over another on a branch, by someone without its key", () => {
  const prodSecret = "prod-only-secret-93e1";
  let dev: AgeKey;
  let repo: string;
  beforeAll(() => {
    dev = createAgeKey(sb, "staging-dev");
    repo = createRepo(sb, "copied-over");
    // Staging is readable by the developer too; prod by the operator (the sandbox key) alone.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: prod\\.enc\\.yaml$\n    age: ${sb.recipient}\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${dev.recipient}\n`);
    writeEncrypted(sb, repo, "prod.enc.yaml", `db_password: ${prodSecret}\n`);
    writeEncrypted(sb, repo, "staging.enc.yaml", "db_password: staging-pw\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
  });

  it("is not merged by key path: the prod values are never re-encrypted for a staging reader, and resolve refuses too", async () => {
    git(sb, repo, ["checkout", "-q", "-b", "refresh-staging"]);
    // The developer, who has no prod key, copies prod's file over staging's and keeps their own
    // staging entry (unchanged since the base: it wraps staging's data key, not prod's).
    const staging = readFileSync(join(repo, "staging.enc.yaml"), "utf8");
    const prod = readFileSync(join(repo, "prod.enc.yaml"), "utf8");
    const devEntry = ageEntryBlocks(staging).find((b) => b.includes(dev.recipient))!;
    const prodEntries = ageEntryBlocks(prod).join("");
    writeFileSync(join(repo, "staging.enc.yaml"), prod.replace(prodEntries, prodEntries + devEntry));
    commitAll(sb, repo, "staging: refresh");
    // The operator adds a value to staging meanwhile, then merges the branch.
    const { status, said } = await editOnMainThenMerge(sb, repo, "refresh-staging", "staging.enc.yaml", "db_password: staging-pw\nfeature_flag: enabled\n");
    expect(status, said).not.toBe(0);
    expect(said).toContain("cannot merge by key path");
    expect(said).toContain(dev.recipient);
    // Whatever is in the work tree, the developer's key opens none of prod's values.
    const devView = hush(sb, ["decrypt", "staging.enc.yaml"], { cwd: repo, env: dev.env });
    expect(devView.stdout).not.toContain(prodSecret);
    expect(findPlaintext(sb, repo, [prodSecret])).toEqual([]);
    const resolve = hush(sb, ["git", "resolve", "--ours", "staging.enc.yaml"], { cwd: repo });
    expect(resolve.status).not.toBe(0);
    expect(resolve.stderr).toContain(dev.recipient);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("staging.enc.yaml");
    git(sb, repo, ["merge", "--abort"]);
  });

  it("a data key rotated on a branch for every reader, values unchanged, still merges by key path", async () => {
    git(sb, repo, ["checkout", "-q", "-b", "rotate-staging"]);
    const rotated = hush(sb, ["rotate", "-i", "staging.enc.yaml"], { cwd: repo });
    expect(rotated.status, rotated.stderr).toBe(0);
    commitAll(sb, repo, "staging: rotate");
    const { status, said } = await editOnMainThenMerge(sb, repo, "rotate-staging", "staging.enc.yaml", "db_password: staging-pw\nfeature_flag: enabled\nother: 1\n");
    expect(status, said).toBe(0);
    expect(said).toContain("merged by key path");
    const devView = hush(sb, ["decrypt", "staging.enc.yaml"], { cwd: repo, env: dev.env });
    expect(devView.stdout).toBe("db_password: staging-pw\nfeature_flag: enabled\nother: 1\n");
  });
});

describe("a recipient added on a branch", () => {
  const secrets = ["base-pw-5e21", "main-flag-0c7d"];
  let repo: string;
  let newcomer: AgeKey;
  beforeAll(() => {
    newcomer = createAgeKey(sb, "newcomer");
    repo = createRepo(sb, "added-recipient");
    writeEncrypted(sb, repo, "app.enc.yaml", `db_password: ${secrets[0]}\n`);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
  });
  afterEach(() => {
    git(sb, repo, ["merge", "--abort"], { allowFail: true });
    git(sb, repo, ["checkout", "-q", "-f", "main"]);
  });

  /** main changes a value after `branch` forked, then merges it; returns what hush said. */
  async function mainChangesThenMerges(branch: string): Promise<string> {
    const { status, said } = await editOnMainThenMerge(sb, repo, branch, "app.enc.yaml", `db_password: ${secrets[0]}\nfeature_flag: ${secrets[1]}\n`);
    expect(status, said).toBe(0);
    return said;
  }

  it("by someone without the key (their own entry and .sops.yaml rule) is not given the key by a merge on main", async () => {
    const start = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
    git(sb, repo, ["checkout", "-q", "-b", "outsider"]);
    // The outsider encrypts a file of their own to their key and splices that age entry into the
    // real file's list, and names their key in .sops.yaml: all without the file's key.
    const own = join(sb.dir, "outsider-own.yaml");
    writeFileSync(own, "x: 1\n");
    const ownEnc = hush(sb, ["encrypt", "--age", newcomer.recipient, own], { cwd: sb.dir, env: newcomer.env });
    expect(ownEnc.status, ownEnc.stderr).toBe(0);
    const theirEntry = ageEntryBlocks(ownEnc.stdout).join("");
    const file = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    const entries = ageEntryBlocks(file).join("");
    writeFileSync(join(repo, "app.enc.yaml"), file.replace(entries, entries + theirEntry));
    writeFileSync(join(repo, ".sops.yaml"), readFileSync(join(repo, ".sops.yaml"), "utf8").replace(sb.recipient, `${sb.recipient},${newcomer.recipient}`));
    commitAll(sb, repo, "add a reader");
    const said = await mainChangesThenMerges("outsider");
    // Still listed (review sees it), but what the merge wrote opens for the team only.
    const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(merged).toContain(theirEntry);
    const asNewcomer = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: newcomer.env });
    expect(asNewcomer.status).not.toBe(0);
    expect(asNewcomer.stdout).toBe("");
    const asTeam = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
    expect(asTeam.stdout).toBe(`db_password: ${secrets[0]}\nfeature_flag: ${secrets[1]}\n`);
    expect(said).toContain(`age ${newcomer.recipient}, added since the common ancestor, keeps the key entry its side wrote`);
    git(sb, repo, ["reset", "-q", "--hard", start]);
  });

  it("by a key holder (`hush updatekeys` after naming it in .sops.yaml) reads the merge: its entry is kept as written", async () => {
    const start = git(sb, repo, ["rev-parse", "HEAD"]).stdout.trim();
    git(sb, repo, ["checkout", "-q", "-b", "teammate"]);
    writeFileSync(join(repo, ".sops.yaml"), readFileSync(join(repo, ".sops.yaml"), "utf8").replace(sb.recipient, `${sb.recipient},${newcomer.recipient}`));
    const update = hush(sb, ["updatekeys", "--yes", "app.enc.yaml"], { cwd: repo });
    expect(update.status, update.stderr).toBe(0);
    commitAll(sb, repo, "add a reader");
    const said = await mainChangesThenMerges("teammate");
    expect(said).not.toContain("fresh data key");
    const asNewcomer = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: newcomer.env });
    expect(asNewcomer.stdout, asNewcomer.stderr).toBe(`db_password: ${secrets[0]}\nfeature_flag: ${secrets[1]}\n`);
    git(sb, repo, ["reset", "-q", "--hard", start]);
  });
});

describe("the merge driver and the repository's attributes", () => {
  it("a huge conflict-marker-size from .gitattributes is capped: the conflict is marked, no memory blow-up", async () => {
    const repo = createRepo(sb, "marker-size");
    writeEncrypted(sb, repo, "app.enc.yaml", "db:\n  password: base-91c2\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    writeFileSync(join(repo, ".gitattributes"), `${readFileSync(join(repo, ".gitattributes"), "utf8")}*.enc.yaml conflict-marker-size=300000000\n`);
    commitAll(sb, repo, "huge markers");
    await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: "db:\n  password: theirs-5d0e\n", ours: "db:\n  password: ours-77ab\n" });
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).toBe(1);
    expect(merge.stderr + merge.stdout).not.toMatch(/Invalid string length|heap|FATAL/);
    const merged = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(merged).toMatch(new RegExp(`^${"<".repeat(100)} ours$`, "m"));
    expect(merged).not.toContain("<".repeat(101));
  });
});

describe("a file name from a branch in the merge driver's next step", () => {
  it("is one quoted word: the `hush git resolve` line pasted into a shell names the file and runs nothing else", async () => {
    const repo = createRepo(sb, "name-in-next-step");
    const evil = "x$(touch pwned);touch pwned-2;.enc.yaml";
    writeEncrypted(sb, repo, evil, "db:\n  password: base-3e1f\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, evil, "yaml", { theirs: "db:\n  password: theirs-8a2c\n", ours: "db:\n  password: ours-b9d4\n" });
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).toBe(1);
    const command = /run `(hush git resolve [^`]*)` to resolve them/.exec(merge.stderr + merge.stdout)?.[1];
    expect(command).toBe(`hush git resolve 'x$(touch pwned);touch pwned-2;.enc.yaml'`);
    const pasted = spawnSync("sh", ["-c", `hush() { printf '%s\\n' "$@"; }; ${command!}`], { cwd: repo, encoding: "utf8" });
    expect(pasted.stdout).toBe(`git\nresolve\n${evil}\n`);
    for (const f of ["pwned", "pwned-2"]) expect(existsSync(join(repo, f)), f).toBe(false);
  });
});

/** An editor script: `body` is sh run with the file to edit as $1 and a run counter as $n (1 on the first run). */
function editorScript(name: string, body: string): string {
  const script = join(sb.dir, `${name}.sh`);
  const counter = join(sb.dir, `${name}.count`);
  writeFileSync(script, `#!/bin/sh\nn=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 ))\necho $n > '${counter}'\n${body}\n`);
  chmodSync(script, 0o755);
  return script;
}

/** Runs `hush decrypt --input-type binary COPY`: the text a .unsaved copy keeps. */
function keptText(repo: string, copy: string): string {
  const r = hush(sb, ["decrypt", "--input-type", "binary", "--output-type", "binary", copy], { cwd: repo });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("hush git resolve keeps the resolution you typed when it cannot write it", () => {
  // One merge in progress for every case: each leaves the conflict in the index and puts the working file back.
  const secrets = ["base-2f6a", "ours-8d13", "theirs-c4e0", "typed-by-hand-91b7"];
  let repo: string;
  let file: string;
  let copy: string;
  let conflicted: Buffer;
  beforeAll(async () => {
    repo = await conflictedRepo("resolve-rescue", secrets);
    file = join(repo, "app.enc.yaml");
    copy = `${file}.unsaved`;
    conflicted = readFileSync(file);
  });
  afterEach(() => {
    rmSync(file, { force: true });
    writeFileSync(file, conflicted);
    rmSync(copy, { force: true });
  });

  /** The lines naming the kept copy and the next step. */
  const keptLines = "  your text is kept encrypted in app.enc.yaml.unsaved\n  next: see it with hush decrypt --input-type binary app.enc.yaml.unsaved, run hush git resolve app.enc.yaml again and make your change there, then delete app.enc.yaml.unsaved\n";

  it("given up (saved unchanged after a problem) after typing: the text is kept encrypted in FILE.unsaved, nothing else is written", () => {
    // First run: types a value but leaves the markers in; second run: saves it unchanged (gives up).
    const editor = editorScript("give-up", `if [ $n = 1 ]; then sed -i 's/${secrets[1]}/${secrets[3]}/' "$1"; fi`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "hush: app.enc.yaml: conflict markers are still in the resolution at line 2: keep the lines you want and remove the markers; nothing was written (the merge is still in progress: run `hush git resolve app.enc.yaml` again)\n" + keptLines,
    );
    const kept = keptText(repo, copy);
    expect(kept).toContain(`  password: ${secrets[3]}\n`);
    expect(kept).toContain("<<<<<<< ours\n");
    expect(readFileSync(file).equals(conflicted)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
  });

  it("an editor that changes the resolution each time and never fixes it (a script) is reopened 20 times, then hush gives up keeping the text", () => {
    // Each run appends a line and leaves the markers: hush reopened such an editor forever.
    const editor = editorScript("endless", `echo "# round $n" >> "$1"`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr.match(/reopening the editor/g)).toHaveLength(20);
    expect(r.stderr).toContain("nothing was written (the merge is still in progress: run `hush git resolve app.enc.yaml` again)\n  the editor was reopened 20 times and each text was refused; giving up\n" + keptLines);
    expect(keptText(repo, copy)).toContain("# round 21\n");
    expect(readFileSync(file).equals(conflicted)).toBe(true);
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
  });

  it("given up without typing anything: no copy is made", () => {
    const editor = editorScript("untouched", "true");
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("conflict markers are still in the resolution");
    expect(r.stderr).not.toContain(".unsaved");
    expect(existsSync(copy)).toBe(false);
  });

  it("the working file changed while the editor was open: that change is kept, and so is the resolution, encrypted in FILE.unsaved", () => {
    const theirs = git(sb, repo, ["show", ":3:app.enc.yaml"]).stdout;
    // Another program (here: git, taking their side) writes the file while the editor is open.
    const editor = editorScript("changed", `git checkout --theirs app.enc.yaml && printf 'db:\\n  password: ${secrets[3]}\\n' > "$1"`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("hush: app.enc.yaml: changed on disk while the editor was open (another program wrote it); your edit was not saved over that change\n" + keptLines);
    expect(readFileSync(file, "utf8")).toBe(theirs);
    expect(keptText(repo, copy)).toBe(`db:\n  password: ${secrets[3]}\n`);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
  });

  it("the working file became a link while the editor was open: nothing is written through it, and the resolution is kept in FILE.unsaved", () => {
    const elsewhere = join(sb.dir, "resolve-link-target.txt");
    writeFileSync(elsewhere, "not the repository's\n");
    const editor = editorScript("link", `rm app.enc.yaml && ln -s '${elsewhere}' app.enc.yaml && printf 'db:\\n  password: ${secrets[3]}\\n' > "$1"`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("is a symbolic link");
    expect(r.stderr).toContain(keptLines);
    expect(readFileSync(elsewhere, "utf8")).toBe("not the repository's\n");
    expect(keptText(repo, copy)).toBe(`db:\n  password: ${secrets[3]}\n`);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });

  it("a working file that is a link is refused before the editor opens: nothing is typed in vain", () => {
    const elsewhere = join(sb.dir, "resolve-link-before-target.txt");
    writeFileSync(elsewhere, "not the repository's\n");
    // The conflict stays in the index; only the working file is replaced by a link.
    rmSync(file);
    symlinkSync(elsewhere, file);
    const editor = editorScript("link-before", "true");
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("is a symbolic link");
    expect(existsSync(join(sb.dir, "link-before.count"))).toBe(false);
    expect(readFileSync(elsewhere, "utf8")).toBe("not the repository's\n");
  });
});

describe("hush git resolve with an editor that fails: exit 1, nothing written, the merge still in progress", () => {
  const secrets = ["base-40d2", "ours-e913", "theirs-72ab"];
  let repo: string;
  beforeAll(async () => {
    repo = await conflictedRepo("resolve-editor-fails", secrets);
  });

  it.each([
    ["exits with a status", "exit 3", "the editor exited with status 3"],
    ["is killed", "kill -KILL $$", "the editor was stopped by SIGKILL"],
    // The message says what failed, never where the plaintext was.
    ["deletes its file", 'rm "$1"', "cannot read the edited file (ENOENT)"],
  ])("an editor that %s", (name, body, message) => {
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const editor = editorScript(`fails-${name.replace(/ /g, "-")}`, body);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr.split("\n").slice(-3)).toEqual([`hush: app.enc.yaml: ${message}; nothing was written`, "  next: the merge is still in progress; run `hush git resolve app.enc.yaml` again", ""]);
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
    expect(existsSync(join(repo, ".app.enc.yaml.hush-lock"))).toBe(false);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });
});

describe("hush git resolve refuses before the editor opens what it could not write after", () => {
  it("a merged file that would not open with your keys (their side removed you) is refused before any typing", async () => {
    const bob = createAgeKey(sb, "bob-removes");
    const repo = createRepo(sb, "resolve-removed");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${bob.recipient}\n`);
    writeEncrypted(sb, repo, "app.enc.yaml", "db:\n  password: base-3e07\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    // Bob, on his branch, changes the value you change too and deletes your key entry (same data key).
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    expect(hush(sb, ["set", "app.enc.yaml", '["db"]["password"]', '"theirs-8a51"'], { cwd: repo, env: bob.env }).status).toBe(0);
    const text = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    writeFileSync(join(repo, "app.enc.yaml"), text.replace(ageEntryBlocks(text).find((b) => b.includes(sb.recipient))!, ""));
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db:\n  password: ours-d2c6\n");
    commitAll(sb, repo, "ours");
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);
    const conflicted = readFileSync(join(repo, "app.enc.yaml"));
    const editor = editorScript("removed", `printf 'db:\\n  password: typed-in-vain\\n' > "$1"`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("would not open with your keys");
    expect(r.stderr).not.toContain("opening the editor");
    expect(existsSync(join(sb.dir, "removed.count"))).toBe(false);
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(conflicted)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });
});

describe("hush git resolve takes the file's lock, as hush edit does", () => {
  const secrets = ["base-5e21", "ours-7a90", "theirs-1cd4", "resolved-by-hand-3b8f"];
  let repo: string;
  let file: string;
  let lockPath: string;
  beforeAll(async () => {
    repo = await conflictedRepo("resolve-lock", secrets);
    file = join(repo, "app.enc.yaml");
    lockPath = join(realpathSync(repo), ".app.enc.yaml.hush-lock");
  });

  it("a lock path that is a link (committed on a branch) is refused without following it: nothing opened, nothing written", () => {
    const elsewhere = join(sb.dir, "resolve-lock-link-target.txt");
    writeFileSync(elsewhere, "not the repository's\n");
    symlinkSync(elsewhere, lockPath);
    const before = readFileSync(file);
    try {
      const editor = editorScript("lock-link", "true");
      const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toBe(`hush: app.enc.yaml: ${lockPath} is not a lock file hush made (a symbolic link or not a regular file); remove it and try again\n`);
      expect(existsSync(join(sb.dir, "lock-link.count"))).toBe(false);
      expect(readFileSync(elsewhere, "utf8")).toBe("not the repository's\n");
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      rmSync(lockPath);
    }
  });

  it("a second resolve, or an edit, of the file while a resolve's editor is open is refused with the lock's message; the first one then finishes", async () => {
    const before = readFileSync(file);
    const opened = join(sb.dir, "lock-holder.opened");
    const go = join(sb.dir, "lock-holder.go");
    // Its first run says it is open and waits to be let go, then writes the resolution; a later
    // run (another hush's editor, were it let in) saves nothing.
    const editor = editorScript(
      "lock-holder",
      `if [ $n = 1 ]; then touch '${opened}'; while [ ! -e '${go}' ]; do sleep 0.05; done; printf 'db:\\n  password: ${secrets[3]}\\n' > "$1"; fi`,
    );
    const env = { ...sb.env, EDITOR: editor, HUSH_LOCK_TIMEOUT: "0" };
    const first = spawn(process.execPath, [HUSH_SCRIPT, "git", "resolve", "app.enc.yaml"], { cwd: repo, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    first.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => first.on("exit", (code, sig) => r({ code, signal: sig })));
    try {
      for (let i = 0; i < 400 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(opened), stderr).toBe(true);
      const busy = `hush: app.enc.yaml is being changed by another hush process (pid ${first.pid}); try again when it has finished, or remove ${lockPath} if no such process runs\n`;
      const second = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env });
      expect(second.status).toBe(1);
      expect(second.stderr).toBe(busy);
      const edit = hush(sb, ["edit", "app.enc.yaml"], { cwd: repo, env });
      expect(edit.status).toBe(1);
      expect(edit.stderr).toBe(busy);
      expect(readFileSync(join(sb.dir, "lock-holder.count"), "utf8")).toBe("1\n");
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      writeFileSync(go, "");
    }
    expect(await exited, stderr).toEqual({ code: 0, signal: null });
    expect(stderr).toContain("hush: app.enc.yaml: resolved, encrypted and staged (git add)");
    expect(existsSync(lockPath)).toBe(false);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toBe("");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe(`db:\n  password: ${secrets[3]}\n`);
  });
});

describe("a branch that relabels a value's type without the key", () => {
  it("does not merge a copy of main's newer file with a value main added relabelled: neither the driver nor resolve --theirs takes it", async () => {
    const repo = createRepo(sb, "merge-relabel-ours");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: base-5e10\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["branch", "theirs"]);
    expect(hush(sb, ["set", "app.enc.yaml", '["auth_disabled"]', "false"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "main adds a flag");
    const file = join(repo, "app.enc.yaml");
    // The branch, made before the flag, takes main's file as it now is (its MAC holds) and relabels the flag.
    const relabelled = readFileSync(file, "utf8").replace(/^(auth_disabled: ENC\[[^\n]*)type:bool\]/m, "$1type:str]");
    git(sb, repo, ["checkout", "-q", "theirs"]);
    writeFileSync(file, relabelled);
    commitAll(sb, repo, "relabel main's flag");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe('password: base-5e10\nauth_disabled: "False"\n');
    git(sb, repo, ["checkout", "-q", "main"]);

    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    const why = 'the two versions hold one ciphertext at ["auth_disabled"] under another type label (or lists around) each, which no tool writes: one was edited without the key';
    expect(merge.stderr + merge.stdout).toContain(why);
    const conflicted = readFileSync(file);
    const resolve = hush(sb, ["git", "resolve", "--theirs", "app.enc.yaml"], { cwd: repo });
    expect(resolve.status, resolve.stderr).not.toBe(0);
    expect(resolve.stderr).toContain(why);
    expect(readFileSync(file).equals(conflicted)).toBe(true);
  });

  it("does not merge: the driver leaves the file conflicted, naming the value, rather than re-encrypt the relabelled value", async () => {
    const repo = createRepo(sb, "merge-relabel");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: base-41c2\nauth_disabled: false\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    const file = join(repo, "app.enc.yaml");
    // The MAC hashes "False" for the boolean and for the string alike: the file still opens.
    writeFileSync(file, readFileSync(file, "utf8").replace(/^(auth_disabled: ENC\[[^\n]*)type:bool\]/m, "$1type:str]"));
    commitAll(sb, repo, "relabel");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe('password: base-41c2\nauth_disabled: "False"\n');
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(hush(sb, ["set", "app.enc.yaml", '["password"]', '"ours-77d0"'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "ours");

    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    expect(merge.stderr + merge.stdout).toContain('their version changed the type label (or the lists around) ["auth_disabled"] without re-encrypting it');
    // What to do, since resolve refuses it too: the driver says it with the reason.
    expect(merge.stderr + merge.stdout).toContain("hush: app.enc.yaml: hint: take the side that did not relabel it (`git checkout --ours FILE` or `--theirs FILE`)");
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");

    // The driver's advice is `hush git resolve`: it refuses the relabelled value too, whichever side
    // it is asked to favour, where it merged "False" (a string, true to most programs) into main.
    const conflicted = readFileSync(file);
    for (const args of [[], ["--theirs"], ["--ours"]]) {
      const resolve = hush(sb, ["git", "resolve", ...args, "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: "true" } });
      expect(resolve.status, resolve.stderr).not.toBe(0);
      expect(resolve.stderr).toContain('their version changed the type label (or the lists around) ["auth_disabled"] without re-encrypting it');
      expect(readFileSync(file).equals(conflicted)).toBe(true);
      expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
    }
  });
});

describe("hush git resolve of a file whose own rule leaves values in clear", () => {
  // A branch narrowed the file's rule (no key needed, the MAC holds) and it was merged: what a
  // resolution adds is sealed under that rule. set and edit ask before writing such a value in
  // clear; the resolution, typed in an editor too, was written in clear without a word.
  const secrets = ["base-pw-71c2", "ours-pw-3d9e", "theirs-pw-c05a", "typed-key-9f41"];
  let repo: string;
  let file: string;
  let conflicted: Buffer;

  beforeAll(async () => {
    repo = createRepo(sb, "resolve-narrowed-rule");
    writeFileSync(join(repo, "app.enc.yaml"), `db:\n  password: ${secrets[0]}\n`);
    expect(hush(sb, ["encrypt", "--encrypted-regex", "^password$", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    // Their side also adds a note its rule leaves in clear: anyone can read it already.
    await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: `db:\n  password: ${secrets[2]}\nnote: see-wiki\n`, ours: `db:\n  password: ${secrets[1]}\n` });
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);
    file = join(repo, "app.enc.yaml");
    conflicted = readFileSync(file);
  });

  const resolution = `db:\n  password: ${secrets[1]}\n  api_key: ${secrets[3]}\nnote: see-wiki\n`;
  const listing =
    "hush: app.enc.yaml: the file's own encryption rule would write these in clear, where .sops.yaml's rule for this file encrypts them:\n" +
    "    (the file: encrypted_regex: ^password$; .sops.yaml: unencrypted_suffix: _unencrypted)\n" +
    '    ["db"]["api_key"] (line 3)\n';

  it("asks before writing a typed value in clear: without an answer nothing is written and the text is kept encrypted", () => {
    const editor = editorScript("narrowed-no-answer", `printf '%s' '${resolution}' > "$1"`);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(listing);
    expect(r.stderr).toContain('no answer to "Is this okay?"');
    expect(r.stderr).toContain("  your text is kept encrypted in app.enc.yaml.unsaved\n");
    expect(r.stderr).not.toContain(secrets[3]);
    expect(keptText(repo, `${file}.unsaved`)).toBe(resolution);
    expect(readFileSync(file).equals(conflicted)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
    expect(findPlaintext(sb, repo, [secrets[3]!])).toEqual([]);
    rmSync(`${file}.unsaved`);
  });

  it("with --yes the listing is shown and the resolution is written as asked", () => {
    const editor = editorScript("narrowed-yes", `printf '%s' '${resolution}' > "$1"`);
    const r = hush(sb, ["git", "resolve", "--yes", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(listing);
    expect(readFileSync(file, "utf8")).toContain(`  api_key: ${secrets[3]}\n`);
  });
});
