import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, requireBuiltCli } from "@hush/testkit";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * hush replaces a file through a new file beside it (and locks it with another), so it needs to
 * write in the file's directory, where SOPS writes into the file itself. A file you may write in
 * a directory you may not (`/etc/app/secrets.yaml`, group-writable in a directory root owns) is
 * refused, and the message says that the directory is what hush needs, naming it; nothing is
 * written.
 * A file you may not write, in a directory you may, is refused as SOPS refuses it, though the
 * directory would let hush replace it.
 */

const NOBODY = 65534;

describe("a file you may write, in a directory you may not", () => {
  let k: KeyedDir;
  let dir: string;
  beforeAll(() => {
    if (process.geteuid?.() !== 0) throw new Error("this test runs hush as another user: run the suite as root, e.g. in the project's container");
    requireBuiltCli();
    k = keyedDir();
    chmodSync(k.dir, 0o755);
    chmodSync(k.keyFile, 0o644);
    dir = k.path("etc-app");
    mkdirSync(dir, { mode: 0o755 });
  });
  afterAll(() => k.cleanup());

  /** Runs hush as nobody, who owns the files in `dir` but may not create files there. */
  const asNobody = (args: string[], extra: { cwd?: string; env?: Record<string, string> } = {}) =>
    spawnSync("runuser", ["-u", "nobody", "--", process.execPath, HUSH_SCRIPT, ...args], {
      cwd: extra.cwd ?? dir,
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: k.dir, SOPS_AGE_KEY_FILE: k.keyFile, ...extra.env },
      encoding: "utf8",
    });

  /** A file in `dir` that nobody owns and may write. */
  const nobodysFile = (name: string, plain: string, encrypt: boolean): string => {
    const f = encrypt ? encryptFile(k, name, plain) : k.path(name);
    if (!encrypt) writeFileSync(f, plain);
    const moved = join(dir, name);
    writeFileSync(moved, readFileSync(f));
    chownSync(moved, NOBODY, NOBODY);
    chmodSync(moved, 0o644);
    return moved;
  };

  it("set, edit, encrypt -i and decrypt --output name the directory and say hush needs to write there", () => {
    const enc = nobodysFile("secrets.yaml", "password: hunter2\n", true);
    const plain = nobodysFile("plain.yaml", "password: hunter2\n", false);
    const out = nobodysFile("out.yaml", "old\n", false);
    const encBefore = readFileSync(enc);
    const needs = `hush replaces a file through new files beside it, and may not create files in ${dir}`;
    for (const [args, file] of [
      [["set", enc, '["password"]', '"x"'], enc],
      [["edit", enc], enc],
      [["encrypt", "-i", "--age", k.recipient, plain], plain],
      [["decrypt", "--output", out, enc], out],
    ] as const) {
      const r = asNobody([...args]);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toBe(`hush: ${file}: cannot write (EACCES): ${needs}\n`);
    }
    expect(readFileSync(enc).equals(encBefore)).toBe(true);
    expect(readFileSync(plain, "utf8")).toBe("password: hunter2\n");
    expect(readFileSync(out, "utf8")).toBe("old\n");
    expect(readdirSync(dir).sort()).toEqual(["out.yaml", "plain.yaml", "secrets.yaml"]);
  });

  it("rotate of several files names a file it cannot write once, in the words of the single-file error", () => {
    const enc = nobodysFile("rotated.yaml", "password: hunter2\n", true);
    const before = readFileSync(enc);
    nobodysFile("other.yaml", "a: 1\n", true);
    const r = asNobody(["rotate", "-i", "rotated.yaml", "other.yaml"]);
    expect(r.status, r.stderr).toBe(3);
    // Was "hush: rotated.yaml: /…/etc-app/rotated.yaml: cannot write (EACCES): …".
    expect(r.stderr).toBe(`hush: rotated.yaml: cannot write (EACCES): hush replaces a file through new files beside it, and may not create files in ${dir}\nhush: other.yaml: cannot write (EACCES): hush replaces a file through new files beside it, and may not create files in ${dir}\n`);
    expect(readFileSync(enc).equals(before)).toBe(true);
  });

  it("a file you may not write, in a directory you may, is refused by edit before the editor opens, and by set, rotate -i and decrypt --output, exit 3, the file as it was (SOPS refuses it too)", () => {
    const own = k.path("own-dir");
    mkdirSync(own, { mode: 0o755 });
    chownSync(own, NOBODY, NOBODY);
    const enc = join(own, "locked.yaml");
    writeFileSync(enc, readFileSync(encryptFile(k, "locked.yaml", "password: hunter2\n")));
    const out = join(own, "out.yaml");
    writeFileSync(out, "old\n");
    for (const f of [enc, out]) {
      chownSync(f, NOBODY, NOBODY);
      // Read-only, as a file checked out read-only until it is locked for you.
      chmodSync(f, 0o444);
    }
    const before = readFileSync(enc);
    const editorRan = join(own, "editor-ran");
    for (const [args, file] of [
      [["edit", enc], enc],
      [["set", enc, '["password"]', '"x"'], enc],
      [["rotate", "-i", enc], enc],
      [["decrypt", "--output", out, enc], out],
    ] as const) {
      const r = asNobody([...args], { cwd: own, env: { EDITOR: `touch ${editorRan}` } });
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toBe(`hush: ${file}: you may not write it (mode 0444); hush does not replace a file you may not write: make it writable (chmod u+w) if you mean to change it\n`);
    }
    expect(readFileSync(enc).equals(before)).toBe(true);
    expect(readFileSync(out, "utf8")).toBe("old\n");
    expect(readdirSync(own).sort()).toEqual(["locked.yaml", "out.yaml"]);
  });
});
