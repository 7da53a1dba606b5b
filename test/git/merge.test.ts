import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileFormat } from "@hush/core";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createAgeKey, createRepo, createSandbox, editEncrypted, editOnBothSides, findPlaintext, git, hush, writeEncrypted, setupDrivers, type Sandbox } from "./helpers.ts";

/**
 * Merges through git's merge driver: clean merges by key path, real conflicts that leave no
 * plaintext anywhere, and `hush git resolve` to finish them.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/**
 * `hush git resolve FILE` in `repo` with a scripted editor that records what it was shown
 * (outside the repository, in `shownCopy`) and saves `resolution`; the resolve must succeed.
 */
function resolveInScriptedEditor(repo: string, name: string, resolution: string, file = "app.enc.yaml"): { shown: string; shownCopy: string } {
  const shownCopy = join(sb.dir, `${name}-saw.txt`);
  const editor = join(sb.dir, `${name}.sh`);
  writeFileSync(editor, `#!/bin/sh\ncp "$1" '${shownCopy}'\ncat > "$1" <<'HUSH_RESOLUTION'\n${resolution}HUSH_RESOLUTION\n`);
  chmodSync(editor, 0o755);
  const r = hush(sb, ["git", "resolve", file], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
  expect(r.status, r.stderr).toBe(0);
  return { shown: readFileSync(shownCopy, "utf8"), shownCopy };
}

interface CleanCase {
  readonly format: FileFormat;
  readonly file: string;
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  readonly expected: unknown;
  readonly parse: (text: string) => unknown;
}

const yamlParse = (text: string): unknown => Object.fromEntries(text.trim().split("\n").map((l) => l.split(": ") as [string, string]));

const CLEAN: CleanCase[] = [
  {
    format: "yaml",
    file: "config.enc.yaml",
    base: "user: app\npassword: base-pw\napi_key: base-key\nregion: eu\nold_token: tok\n",
    // ours: changes password, adds a key; theirs: changes api_key, deletes old_token, adds a key.
    ours: "user: app\npassword: ours-pw\napi_key: base-key\nregion: eu\nold_token: tok\nours_new: o\n",
    theirs: "user: app\npassword: base-pw\napi_key: theirs-key\nregion: eu\ntheirs_new: t\n",
    expected: { user: "app", password: "ours-pw", api_key: "theirs-key", region: "eu", ours_new: "o", theirs_new: "t" },
    parse: yamlParse,
  },
  {
    format: "json",
    file: "config.enc.json",
    base: '{\n  "user": "app",\n  "password": "base-pw",\n  "api_key": "base-key",\n  "old_token": "tok"\n}\n',
    ours: '{\n  "user": "app",\n  "password": "ours-pw",\n  "api_key": "base-key",\n  "old_token": "tok",\n  "ours_new": "o"\n}\n',
    theirs: '{\n  "user": "app",\n  "password": "base-pw",\n  "api_key": "theirs-key",\n  "theirs_new": "t"\n}\n',
    expected: { user: "app", password: "ours-pw", api_key: "theirs-key", ours_new: "o", theirs_new: "t" },
    parse: (t) => JSON.parse(t),
  },
  {
    format: "dotenv",
    file: "config.enc.env",
    base: "A=1\nB=2\n# c\nC=3\n",
    ours: "A=10\nB=2\n# c\nC=3\nD=4\n",
    theirs: "A=1\n# c\nC=30\nE=5\n",
    expected: "A=10\n# c\nC=30\nE=5\nD=4\n",
    parse: (t) => t,
  },
  {
    format: "ini",
    file: "config.enc.ini",
    base: "[s]\na = 1\nb = 2\n\n[t]\nc = 3\n",
    ours: "[s]\na = 10\nb = 2\nd = 4\n\n[t]\nc = 3\n",
    theirs: "[s]\na = 1\n\n[t]\nc = 30\ne = 5\n",
    expected: "[s]\na = 10\nd = 4\n\n[t]\nc = 30\ne = 5\n",
    parse: (t) => t,
  },
  {
    format: "toml",
    file: "config.enc.toml",
    base: 'x = "1"\n\n[s]\na = 1\nb = "2"\n',
    ours: 'x = "10"\n\n[s]\na = 1\nb = "2"\nd = true\n',
    theirs: 'x = "1"\n\n[s]\na = 2\ne = 5\n',
    expected: 'x = "10"\n\n[s]\na = 2\ne = 5\nd = true\n',
    parse: (t) => t,
  },
];

describe.each(CLEAN)("clean merge ($format)", (c) => {
  it("merges changes, additions and deletions of different keys; the MAC verifies", async () => {
    const repo = createRepo(sb, `clean-${c.format}`);
    writeEncrypted(sb, repo, c.file, c.base);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, c.file, c.format, { theirs: c.theirs, ours: c.ours });
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status, merge.stdout + merge.stderr).toBe(0);
    expect(merge.stderr).toContain("merged by key path");
    const dec = hush(sb, ["decrypt", c.file], { cwd: repo });
    expect(dec.status, dec.stderr).toBe(0);
    expect(c.parse(dec.stdout)).toEqual(c.expected);
    // The merge commit's blob is the one that verifies.
    expect(git(sb, repo, ["status", "--porcelain"]).stdout.trim()).toBe("");
  });
});

describe("conflicting merge (yaml)", () => {
  const secrets = ["base-secret-4f1a", "ours-secret-8c2e", "theirs-secret-d93b", "resolved-secret-77aa"];
  let repo: string;

  beforeAll(async () => {
    repo = createRepo(sb, "conflict");
    writeEncrypted(sb, repo, "app.enc.yaml", `db:\n  user: app\n  password: ${secrets[0]}\nport: 5432\n`);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, "app.enc.yaml", "yaml", { theirs: `db:\n  user: app\n  password: ${secrets[2]}\nport: 5433\n`, ours: `db:\n  user: app\n  password: ${secrets[1]}\nport: 5432\n` });
  });

  it("conflicts, names the key path, and leaves no plaintext in the working tree or any git object", () => {
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    expect(merge.stderr).toContain('conflict at ["db"]["password"]: changed differently on both sides');
    expect(merge.stderr).toContain("hush git resolve app.enc.yaml");
    const working = readFileSync(join(repo, "app.enc.yaml"), "utf8");
    expect(working).toMatch(/^<<<<<<< ours\n {2}password: ENC\[AES256_GCM,/m);
    expect(working).toMatch(/^=======\n {2}password: ENC\[AES256_GCM,/m);
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
    // The non-conflicting change (port) is already merged into the encrypted file.
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });

  it("the review view of the unresolved file says what it holds and what to run, not a parse error", () => {
    const r = hush(sb, ["git", "textconv", "app.enc.yaml"], { cwd: repo });
    expect(r.stdout.split("\n")[0]).toBe("# hush: WARNING: this file holds unresolved merge conflict markers (run `hush git resolve` on it)");
    expect(r.status).toBe(0);
  });

  it("hush check reports the unresolved file", () => {
    const r = hush(sb, ["check", "app.enc.yaml"], { cwd: repo });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("[conflict-markers]");
  });

  it("Ctrl+C that ends the editor of hush git resolve ends hush by SIGINT too (a script stops), with nothing written and the merge still in progress", () => {
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const had = join(sb.dir, "interrupted-editor-had.txt");
    const editor = join(sb.dir, "interrupted-editor.sh");
    writeFileSync(editor, `#!/bin/sh\necho "$1" > '${had}'\nkill -INT $$\n`);
    chmodSync(editor, 0o755);
    const r = spawnSync(process.execPath, [HUSH_SCRIPT, "git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor }, encoding: "utf8" });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: null, signal: "SIGINT" });
    expect(r.stderr).toContain("hush: canceled; nothing was written\n");
    expect(existsSync(readFileSync(had, "utf8").trim())).toBe(false);
    // The file's lock too: hush ended by a signal of its own, which no exit handler outlives.
    expect(existsSync(join(repo, ".app.enc.yaml.hush-lock"))).toBe(false);
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });

  it("an editor that returns at once (a window editor without its wait option) is named as the likely cause, nothing written", () => {
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: "true" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("conflict markers are still in the resolution");
    expect(r.stderr).toContain("\n  the editor (true) returned within a second: if it opens a window and returns at once, set its option to wait until the file is closed");
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });

  it("an editor that crashed after a save keeps the saved resolution encrypted in FILE.unsaved, nothing written, the merge still in progress", () => {
    const before = readFileSync(join(repo, "app.enc.yaml"));
    const editor = join(sb.dir, "crashing-editor.sh");
    writeFileSync(editor, `#!/bin/sh\nprintf 'db:\\n  user: app\\n  password: typed-before-the-crash\\nport: 5433\\n' > "$1"\nkill -KILL $$\n`);
    chmodSync(editor, 0o755);
    const r = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo, env: { ...sb.env, EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("hush: app.enc.yaml: the editor was stopped by SIGKILL; nothing was written\n");
    expect(r.stderr).toContain("\n  your text is kept encrypted in app.enc.yaml.unsaved\n");
    const kept = join(repo, "app.enc.yaml.unsaved");
    try {
      expect(hush(sb, ["decrypt", "--input-type", "binary", kept], { cwd: repo }).stdout).toBe("db:\n  user: app\n  password: typed-before-the-crash\nport: 5433\n");
    } finally {
      rmSync(kept);
    }
    expect(readFileSync(join(repo, "app.enc.yaml")).equals(before)).toBe(true);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
  });

  it("hush git resolve shows both sides decrypted in the editor and completes the merge", () => {
    const { shown, shownCopy } = resolveInScriptedEditor(repo, "editor", `db:\n  user: app\n  password: ${secrets[3]}\nport: 5433\n`);
    expect(shown).toBe(
      `db:\n  user: app\n<<<<<<< ours\n  password: ${secrets[1]}\n||||||| base\n  password: ${secrets[0]}\n=======\n  password: ${secrets[2]}\n>>>>>>> theirs\nport: 5433\n`,
    );
    writeFileSync(shownCopy, "");
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toBe("");
    git(sb, repo, ["commit", "-q", "--no-edit"]);
    const dec = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
    expect(dec.stdout).toBe(`db:\n  user: app\n  password: ${secrets[3]}\nport: 5433\n`);
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
    expect(git(sb, repo, ["log", "--format=%s", "-1"]).stdout).toContain("Merge branch 'theirs'");
  });
});

describe("a key our side deleted and theirs changed, in a TOML table", () => {
  it("is shown in the editor under its table's header, so that theirs' lines kept there stay at its key path", () => {
    const repo = createRepo(sb, "deleted-in-table");
    writeEncrypted(sb, repo, "app.enc.toml", "a = 1\n[s]\nc = 1\nb = 2\n");
    commitAll(sb, repo, "start");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    expect(hush(sb, ["set", "app.enc.toml", '["s"]["c"]', "3"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(hush(sb, ["unset", "app.enc.toml", '["s"]["c"]'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.stderr).toContain('conflict at ["s"]["c"]: deleted on our side, changed on theirs');
    // Above the header, theirs' `c = 3` was a top-level key: kept as shown, s.c was lost.
    const { shown } = resolveInScriptedEditor(repo, "table-editor", "a = 1\n[s]\nc = 3\nb = 2\n", "app.enc.toml");
    expect(shown).toBe("a = 1\n[s]\n<<<<<<< ours\nb = 2\n||||||| base\nc = 1\nb = 2\n=======\nc = 3\nb = 2\n>>>>>>> theirs\n");
    expect(hush(sb, ["decrypt", "app.enc.toml"], { cwd: repo }).stdout).toBe("a = 1\n[s]\nc = 3\nb = 2\n");
  });
});

describe("conflict resolution without an editor, and without keys", () => {
  it("--theirs takes their value at every conflicting path", async () => {
    const repo = createRepo(sb, "resolve-theirs");
    writeEncrypted(sb, repo, "s.enc.json", '{\n  "a": "base",\n  "b": "keep"\n}\n');
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, "s.enc.json", "json", { theirs: '{\n  "a": "from-theirs",\n  "b": "keep"\n}\n', ours: '{\n  "a": "from-ours",\n  "b": "keep"\n}\n' });
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);
    const r = hush(sb, ["git", "resolve", "--theirs", "s.enc.json"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(hush(sb, ["decrypt", "s.enc.json"], { cwd: repo }).stdout)).toEqual({ a: "from-theirs", b: "keep" });
  });

  it("asks before writing the resolution for a recipient .sops.yaml no longer names; --yes writes it", async () => {
    const repo = createRepo(sb, "resolve-unvouched");
    const leaver = createAgeKey(sb, "resolve-leaver");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.json$\n    age: ${sb.recipient},${leaver.recipient}\n`);
    writeEncrypted(sb, repo, "s.enc.json", '{\n  "a": "base",\n  "b": "keep"\n}\n');
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, "s.enc.json", "json", { theirs: '{\n  "a": "from-theirs",\n  "b": "keep"\n}\n', ours: '{\n  "a": "from-ours",\n  "b": "keep"\n}\n' });
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);
    // The leaver is taken out of .sops.yaml while the merge is open: the resolution is theirs to read.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.json$\n    age: ${sb.recipient}\n`);
    const held = readFileSync(join(repo, "s.enc.json"));
    const asked = hush(sb, ["git", "resolve", "--theirs", "s.enc.json"], { cwd: repo });
    expect(asked.status).toBe(1);
    expect(asked.stderr).toContain(`s.enc.json: what you write would also be readable by recipients that .sops.yaml does not name for this file:\n    group 0: age ${leaver.recipient}\n`);
    expect(readFileSync(join(repo, "s.enc.json"))).toEqual(held);
    expect(git(sb, repo, ["ls-files", "-u", "--", "s.enc.json"]).stdout).not.toBe("");
    const yes = hush(sb, ["git", "resolve", "--theirs", "--yes", "s.enc.json"], { cwd: repo });
    expect(yes.status, yes.stderr).toBe(0);
    expect(JSON.parse(hush(sb, ["decrypt", "s.enc.json"], { cwd: repo }).stdout)).toEqual({ a: "from-theirs", b: "keep" });
  });

  it("without a key the driver falls back to git's ordinary conflict and says why", async () => {
    const repo = createRepo(sb, "keyless");
    writeEncrypted(sb, repo, "k.enc.yaml", "a: 1\nb: 2\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    await editOnBothSides(sb, repo, "k.enc.yaml", "yaml", { theirs: "a: 1\nb: 3\n", ours: "a: 2\nb: 2\n" });
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true, env: sb.keylessEnv });
    expect(merge.status).not.toBe(0);
    expect(merge.stderr).toMatch(/cannot merge by key path: no key to decrypt it/);
    expect(readFileSync(join(repo, "k.enc.yaml"), "utf8")).toMatch(/^<<<<<<< ours$/m);
    // Someone with the key finishes it: both changes were to different keys, so no editor is needed.
    const r = hush(sb, ["git", "resolve", "k.enc.yaml"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(hush(sb, ["decrypt", "k.enc.yaml"], { cwd: repo }).stdout).toBe("a: 2\nb: 3\n");
  });
});

describe("a common ancestor from before the file was encrypted", () => {
  it("never puts its values in clear into the conflicted file, with a key (markers around values) or without (both sides whole)", async () => {
    const secret = "plain-base-secret-91c4";
    const repo = createRepo(sb, "plaintext-base");
    writeFileSync(join(repo, "app.enc.yaml"), `user: app\npassword: ${secret}\n`);
    commitAll(sb, repo, "base, not encrypted yet");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    expect(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["set", "app.enc.yaml", '["password"]', '"theirs-password"'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    expect(hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
    expect(hush(sb, ["set", "app.enc.yaml", '["password"]', '"ours-password"'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "ours");
    for (const env of [sb.env, sb.keylessEnv]) {
      const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { env, allowFail: true });
      expect(merge.status).not.toBe(0);
      const held = readFileSync(join(repo, "app.enc.yaml"), "utf8");
      expect(held).toMatch(/^<{7} ours$/m);
      expect(held).not.toContain(secret);
      expect(held).not.toContain("ours-password");
      git(sb, repo, ["merge", "--abort"]);
    }
  });
});

describe("a merge with two merge bases that conflict (criss-cross)", () => {
  /** m1 and m2 each merged the other branch (x, y) and settled on a = 30; m1 then deleted `revoked`. */
  function crissCross(name: string): string {
    const repo = createRepo(sb, name);
    writeEncrypted(sb, repo, "app.enc.yaml", "a: 1\nb: 2\nrevoked: old-token\n");
    commitAll(sb, repo, "start");
    setupDrivers(sb, repo);
    const set = (path: string, value: string): void => expect(hush(sb, ["set", "app.enc.yaml", path, value], { cwd: repo }).status).toBe(0);
    git(sb, repo, ["checkout", "-q", "-b", "x"]);
    set('["a"]', "10");
    commitAll(sb, repo, "x");
    git(sb, repo, ["checkout", "-q", "-b", "y", "main"]);
    set('["a"]', "20");
    commitAll(sb, repo, "y");
    for (const [branch, from, other] of [["m1", "y", "x"], ["m2", "x", "y"]] as const) {
      git(sb, repo, ["checkout", "-q", "-b", branch, from]);
      expect(git(sb, repo, ["merge", "--no-edit", other], { allowFail: true }).status).not.toBe(0);
      git(sb, repo, ["checkout", "-q", "--ours", "app.enc.yaml"]);
      set('["a"]', "30");
      commitAll(sb, repo, branch);
    }
    git(sb, repo, ["checkout", "-q", "m1"]);
    expect(hush(sb, ["unset", "app.enc.yaml", '["revoked"]'], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "revoke the old token");
    expect(git(sb, repo, ["merge-base", "--all", "m1", "m2"]).stdout.trim().split("\n")).toHaveLength(2);
    return repo;
  }

  it("merges from the merge bases' own common ancestor (setup's merge.hush.recursive = binary): clean, and the deleted key stays deleted", () => {
    const repo = crissCross("criss-cross");
    expect(git(sb, repo, ["config", "merge.hush.recursive"]).stdout).toBe("binary\n");
    const merge = git(sb, repo, ["merge", "--no-edit", "m2"], { allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("a: 30\nb: 2\n");
  });

  it("set up without it (an older hush), git gives the driver a base of conflict markers: the deleted key conflicts instead of coming back, and `hush git resolve` shows it in the editor, without that base", () => {
    const repo = crissCross("criss-cross-old-setup");
    git(sb, repo, ["config", "--unset", "merge.hush.recursive"], { allowFail: true });
    const merge = git(sb, repo, ["merge", "--no-edit", "m2"], { allowFail: true });
    expect(merge.status, merge.stdout).not.toBe(0);
    expect(merge.stderr).toContain("the common ancestor is neither encrypted nor a yaml document (git makes one with conflict markers for a merge with several merge bases)");
    expect(merge.stderr).toContain('hush: app.enc.yaml: conflict at ["revoked"]: differs between the sides, and the common ancestor could not be read to tell which side changed it');
    expect(merge.stderr).toContain("a fresh data key was drawn and every value re-encrypted (the common ancestor could not be read)");
    expect(readFileSync(join(repo, "app.enc.yaml"), "utf8")).toMatch(/^<{7} ours\n={7}\nrevoked: ENC\[/m);
    // a = 30 on both sides is no conflict; the editor shows the token's conflict and keeps ours.
    expect(resolveInScriptedEditor(repo, "criss-cross-editor", "a: 30\nb: 2\n").shown).toBe("a: 30\nb: 2\n<<<<<<< ours\n=======\nrevoked: old-token\n>>>>>>> theirs\n");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("a: 30\nb: 2\n");
  });
});

describe("files the patterns cover that are not encrypted", () => {
  it("merge by lines, as git would", () => {
    const repo = createRepo(sb, "plain-files");
    writeFileSync(join(repo, "notes.txt"), "one\ntwo\nthree\nfour\nfive\n");
    commitAll(sb, repo, "base");
    expect(hush(sb, ["git", "setup", "*.txt"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    writeFileSync(join(repo, "notes.txt"), "one\ntwo\nthree\nfour\nFIVE\n");
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, "notes.txt"), "ONE\ntwo\nthree\nfour\nfive\n");
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    expect(readFileSync(join(repo, "notes.txt"), "utf8")).toBe("ONE\ntwo\nthree\nfour\nFIVE\n");
  });

  it("keep their bytes when they are not UTF-8 (a Latin-1 file's é stays one byte, not U+FFFD)", () => {
    const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");
    const repo = createRepo(sb, "plain-latin1");
    writeFileSync(join(repo, "notes.txt"), latin1("café\ntwo\nthree\nfour\nfive\n"));
    commitAll(sb, repo, "base");
    expect(hush(sb, ["git", "setup", "*.txt"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    writeFileSync(join(repo, "notes.txt"), latin1("café\ntwo\nthree\nfour\nfive é\n"));
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, "notes.txt"), latin1("café\nTWO\nthree\nfour\nfive\n"));
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status, merge.stderr).toBe(0);
    expect(readFileSync(join(repo, "notes.txt"))).toEqual(latin1("café\nTWO\nthree\nfour\nfive é\n"));
  });

  it("a binary file (a NUL byte, git's test) is not merged by lines: ours stays as it is and the file conflicts, as git leaves it", () => {
    const repo = createRepo(sb, "plain-binary");
    const bytes = (...records: string[]): Buffer => Buffer.from(records.map((r) => `${r}\0\n`).join(""), "latin1");
    writeFileSync(join(repo, "keystore.bin"), bytes("A", "B", "C", "D", "E"));
    commitAll(sb, repo, "base");
    expect(hush(sb, ["git", "setup", "*.bin"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    writeFileSync(join(repo, "keystore.bin"), bytes("A", "B", "C", "D", "E2"));
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, "keystore.bin"), bytes("A1", "B", "C", "D", "E"));
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    expect(merge.stdout).toContain("CONFLICT (content): Merge conflict in keystore.bin");
    expect(merge.stderr).toContain("hush: keystore.bin: not merged: ours is binary (a NUL byte among its first 8000 bytes, git's test)");
    expect(merge.stderr).toContain("next: keep ours with `git add keystore.bin`, or take theirs with `git checkout --theirs keystore.bin`");
    // Byte for byte ours: no lines of theirs mixed in, no markers.
    expect(readFileSync(join(repo, "keystore.bin"))).toEqual(bytes("A1", "B", "C", "D", "E"));
    expect(git(sb, repo, ["ls-files", "-u", "--", "keystore.bin"]).stdout.trim().split("\n")).toHaveLength(3);
  });

  it("an encrypted version that is not UTF-8 is not merged: both sides stay whole, with why", async () => {
    const repo = createRepo(sb, "encrypted-latin1");
    writeEncrypted(sb, repo, "k.enc.yaml", "a: 1\nnote_unencrypted: cafe\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    // A Latin-1 é in a value left in clear: the file is no longer UTF-8.
    const file = join(repo, "k.enc.yaml");
    writeFileSync(file, Buffer.from(readFileSync(file, "latin1").replace("cafe", "café"), "latin1"));
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "k.enc.yaml", "yaml", "a: 2\nnote_unencrypted: cafe\n");
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    expect(merge.stderr + merge.stdout).toMatch(/not merged: a version is not UTF-8/);
    expect(merge.stderr + merge.stdout).toContain("next: keep one side whole (`git checkout --ours k.enc.yaml` or --theirs");
    expect(readFileSync(file, "latin1")).toContain("café");
    // resolve, which the driver names, refuses it too: read as UTF-8 the é would become U+FFFD.
    const held = readFileSync(file);
    for (const args of [["git", "resolve", "k.enc.yaml"], ["git", "resolve", "--theirs", "k.enc.yaml"]]) {
      const r = hush(sb, args, { cwd: repo, env: { ...sb.env, EDITOR: "true" } });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain("k.enc.yaml: their version (stage 3): line 2: not valid UTF-8");
      expect(r.stderr).toContain("git checkout --ours");
      expect(readFileSync(file)).toEqual(held);
    }
    expect(git(sb, repo, ["ls-files", "-u", "--", "k.enc.yaml"]).stdout).not.toBe("");
  });

  it("a version decrypted in place on a branch: the driver and resolve name that version and what to do, nothing is written", async () => {
    const repo = createRepo(sb, "decrypted-in-place");
    writeEncrypted(sb, repo, "k.enc.yaml", "a: 1\nb: 2\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    writeFileSync(join(repo, "k.enc.yaml"), "a: 1\nb: 2\nc: 3\n");
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "k.enc.yaml", "yaml", "a: 10\nb: 2\n");
    commitAll(sb, repo, "ours");
    const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
    expect(merge.status).not.toBe(0);
    expect(merge.stderr).toContain("hush: k.enc.yaml: cannot merge by key path: the file is encrypted on our side only");
    const file = join(repo, "k.enc.yaml");
    const held = readFileSync(file);
    for (const args of [["git", "resolve", "k.enc.yaml"], ["git", "resolve", "--ours", "k.enc.yaml"]]) {
      const r = hush(sb, args, { cwd: repo, env: { ...sb.env, EDITOR: "true" } });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain("k.enc.yaml: their version is not encrypted (it holds no sops metadata)");
      expect(r.stderr).toContain("git checkout --ours FILE");
      expect(readFileSync(file)).toEqual(held);
    }
    expect(git(sb, repo, ["ls-files", "-u", "--", "k.enc.yaml"]).stdout).not.toBe("");
  });
});
