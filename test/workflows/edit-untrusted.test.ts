import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * `hush edit` when the world changes under the edit: the encrypted file is replaced by another
 * program (a `git pull`, a checkout, a sync tool) or turned into a link while the editor is open.
 * hush never writes over a change it did not see, never writes through a link, and the user's
 * typing is never lost: it is kept, encrypted, in FILE.unsaved.
 */

describe("hush edit when the file changes on disk during the edit", () => {
  let k: KeyedDir;
  let original: string;
  let pulled: string;
  const plain = "db:\n  user: app\n  password: before-edit-1c9e\nport: 5432\n";
  beforeAll(() => {
    k = keyedDir();
    original = encryptFile(k, "original.yaml", plain);
    // The version another program brings in while the editor is open.
    pulled = k.path("pulled.yaml");
    copyFileSync(original, pulled);
    const r = k.hush(["set", pulled, '["port"]', "6543"]);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => k.cleanup());

  /** An editor that runs `during` (a shell command) and then changes the password in its file. */
  function editorThat(name: string, during: string): string {
    const script = k.path(`${name}.sh`);
    writeFileSync(script, `#!/bin/sh\n${during}\nsed -i 's/before-edit-1c9e/typed-in-editor-5d2a/' "$1"\n`);
    chmodSync(script, 0o755);
    return script;
  }

  it("a file replaced by another program is not overwritten: exit 3, its change kept, the typed text kept encrypted in FILE.unsaved", async () => {
    const f = k.path("replaced.yaml");
    copyFileSync(original, f);
    const r = k.hush(["edit", f], { env: { EDITOR: editorThat("replace", `cp '${pulled}' '${f}'`) } });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("changed on disk while the editor was open");
    expect(r.stderr).toContain(`${f}.unsaved`);
    expect(r.stderr).not.toContain("typed-in-editor");
    // The other program's version is untouched.
    expect(readFileSync(f).equals(readFileSync(pulled))).toBe(true);
    // The typing is kept, encrypted, and opens with the documented command.
    expect(readFileSync(`${f}.unsaved`, "utf8")).not.toContain("typed-in-editor");
    const kept = k.hush(["decrypt", "--input-type", "binary", `${f}.unsaved`]);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stdout).toBe(plain.replace("before-edit-1c9e", "typed-in-editor-5d2a"));
  });

  it("a file that did not exist and was created by another program meanwhile is not overwritten", () => {
    const f = k.path("created.yaml");
    const r = k.hush(["edit", "--age", k.recipient, f], {
      env: { EDITOR: editorThat("create", `cp '${pulled}' '${f}'\nprintf 'password: before-edit-1c9e\\n' > "$1"`) },
    });
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain("changed on disk while the editor was open");
    expect(readFileSync(f).equals(readFileSync(pulled))).toBe(true);
  });

  it("a file turned into a link during the edit: nothing is written through it, and the typed text is kept encrypted in FILE.unsaved", () => {
    const f = k.path("linked.yaml");
    copyFileSync(original, f);
    const victim = k.path("victim.txt");
    writeFileSync(victim, "not hush's\n");
    const r = k.hush(["edit", f], { env: { EDITOR: editorThat("link", `rm '${f}'\nln -s '${victim}' '${f}'`) } });
    expect(r.status, r.stderr).toBe(3);
    expect(readFileSync(victim, "utf8")).toBe("not hush's\n");
    expect(lstatSync(f).isSymbolicLink()).toBe(true);
    expect(r.stderr).toContain(`${f}.unsaved`);
    expect(existsSync(`${f}.unsaved`)).toBe(true);
    const kept = k.hush(["decrypt", "--input-type", "binary", `${f}.unsaved`]);
    expect(kept.stdout).toContain("typed-in-editor-5d2a");
  });

  it("a file rewritten to the very same bytes (a checkout of the same commit) is not a change: the edit is saved", async () => {
    const f = k.path("same.yaml");
    copyFileSync(original, f);
    const r = k.hush(["edit", f], { env: { EDITOR: editorThat("same", `cp '${original}' '${f}.copy' && mv '${f}.copy' '${f}'`) } });
    expect(r.status, r.stderr).toBe(0);
    expect(await k.decrypt(f)).toBe(plain.replace("before-edit-1c9e", "typed-in-editor-5d2a"));
    expect(existsSync(`${f}.unsaved`)).toBe(false);
  });
});

describe("hush edit when the disk is full at save time", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  /** Runs hush with files limited to `bytes` (as a full disk stops a write part way: EFBIG for ENOSPC). */
  const hushLimited = (bytes: number, args: string[], env: Record<string, string>) => {
    const r = spawnSync("prlimit", [`--fsize=${bytes}`, "--", process.execPath, CLI_JS, ...args], { cwd: k.dir, env: { ...process.env, ...k.env, ...env }, encoding: "utf8" });
    if (r.error !== undefined) throw new Error(`prlimit could not run (${r.error.message}): install util-linux`);
    return r;
  };

  it("the file stays as it was, no part-written FILE.unsaved is left, and the error says why the text was not kept", () => {
    // The plaintext fits under the limit; the encrypted file and an encrypted copy of the text
    // (base64, a third larger, and key entries) do not.
    const plain = Array.from({ length: 20 }, (_, i) => `key${i}: ${"v".repeat(150)}${i}\n`).join("");
    const f = encryptFile(k, "full.yaml", plain);
    const before = readFileSync(f);
    const limit = 4096;
    expect(plain.length).toBeLessThan(limit - 512);
    expect((plain.length * 4) / 3).toBeGreaterThan(limit);
    expect(before.length).toBeGreaterThan(limit);
    const editor = k.path("typing.sh");
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/v0$/typed-5d2a/' "$1"\n`);
    chmodSync(editor, 0o755);
    const r = hushLimited(limit, ["edit", f], { EDITOR: editor });
    expect(r.status, r.stderr).toBe(3);
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(r.stderr).toContain(`${f}: cannot write (EFBIG)`);
    expect(r.stderr).toContain(`your text could not be kept: ${f}.unsaved: cannot write (EFBIG)`);
    expect(r.stderr).not.toContain("no free");
    expect(readdirSync(k.dir).filter((n) => n.includes("full.yaml"))).toEqual(["full.yaml"]);
  });
});

describe("hush edit and text a branch can add without a key", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("a vim modeline added as a comment (comments need no key: no MAC covers them) does not configure vim", async () => {
    const vim = spawnSync("vim", ["--version"], { encoding: "utf8" });
    if (vim.error !== undefined || vim.status !== 0) throw new Error("vim is not installed: install vim to run this test");
    const f = encryptFile(k, "modeline.yaml", "a: 1\nb: secret-b\n");
    // Anyone can add a comment line to the encrypted file; it is shown in the editor as it is.
    writeFileSync(f, `# vim: set fileformat=dos :\n${readFileSync(f, "utf8")}`);
    // A user who turned modelines on (vim's default for everyone but root).
    const home = k.path("home");
    mkdirSync(home);
    writeFileSync(join(home, ".vimrc"), "set modeline\n");
    const r = k.hush(["edit", f], { env: { HOME: home, TERM: "dumb", EDITOR: "vim -c 'normal Goc: 3' -c wq" } });
    expect(r.status, r.stderr).toBe(0);
    // With the modeline applied, vim would have saved every line with CRLF.
    expect(await k.decrypt(f)).toBe("# vim: set fileformat=dos :\na: 1\nb: secret-b\nc: 3\n");
  });
});
