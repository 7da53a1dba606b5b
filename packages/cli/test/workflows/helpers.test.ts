import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProgram, hardeningArgs, resolveEditor, splitCommandLine } from "../../src/workflows/editor.ts";
import { acquireFileLock, lockPathFor } from "../../src/workflows/file-lock.ts";
import { makePrivateDir } from "../../src/workflows/private-dir.ts";
import { HushError, landingPath, sameTree, setInTree } from "@hush/core";
import { parseJsonValue } from "../../src/workflows/set-value.ts";
import { splitSetArgument } from "../../src/commands/legacy.ts";
import { exitCodeOfError } from "../../src/exit-codes.ts";

const scratch = mkdtempSync(join(tmpdir(), "hush-wf-unit-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("editor command lines", () => {
  it("splits like a shell: quotes, escapes, no expansion", () => {
    expect(splitCommandLine("code --wait")).toEqual(["code", "--wait"]);
    expect(splitCommandLine(`'/opt/My Editor/ed' -w "a \\"b\\"" c\\ d $HOME`)).toEqual(["/opt/My Editor/ed", "-w", 'a "b"', "c d", "$HOME"]);
    expect(splitCommandLine('  vim  ""  ')).toEqual(["vim", ""]);
    expect(() => splitCommandLine("vim 'open")).toThrow(/unterminated/);
  });

  it("never finds a program in the working directory through PATH", () => {
    const dir = join(scratch, "cwd");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, "evil-ed"), "#!/bin/sh\n");
    chmodSync(join(dir, "evil-ed"), 0o755);
    expect(findProgram("evil-ed", { PATH: `.:${dir.replace(/^\//, "")}:` }, dir)).toBeUndefined();
    expect(findProgram("evil-ed", { PATH: dir }, "/")).toBe(join(dir, "evil-ed"));
    expect(findProgram("./evil-ed", { PATH: "" }, dir)).toBe(join(dir, "evil-ed"));
  });

  it("turns off swap, backup and undo files of known editors, and modelines", () => {
    expect(hardeningArgs("/usr/bin/vim")).toEqual(["-n", "-i", "NONE", "--cmd", "autocmd BufReadPre * setlocal nomodeline", "-c", "set nobackup nowritebackup noundofile"]);
    expect(hardeningArgs("/usr/local/bin/nvim")).toContain("-n");
    expect(hardeningArgs("/usr/bin/emacs")[0]).toBe("--eval");
    expect(hardeningArgs("/usr/bin/micro")).toEqual(["-backup", "false", "-saveundo", "false", "-savecursor", "false"]);
    expect(hardeningArgs("/usr/bin/joe")).toEqual(["-nobackups"]);
    expect(hardeningArgs("/usr/bin/nano")).toEqual([]);
  });

  it("keeps editors that return at once (a GUI that forks) open until the file is closed: hush would remove the file and find it unchanged", () => {
    expect(hardeningArgs("/usr/bin/gvim")).toContain("-f");
    expect(hardeningArgs("/Applications/MacVim.app/Contents/bin/mvim")).toContain("-f");
    expect(hardeningArgs("/usr/bin/vim")).not.toContain("-f");
    expect(hardeningArgs("/usr/bin/code")).toEqual(["--wait"]);
    expect(hardeningArgs("/usr/bin/codium")).toEqual(["--wait"]);
    expect(hardeningArgs("/usr/local/bin/subl")).toEqual(["--wait"]);
  });

  it("SOPS_EDITOR, then EDITOR, then VISUAL; a missing editor is exit 201", () => {
    const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
    expect(resolveEditor({ ...env, SOPS_EDITOR: "true -x", EDITOR: "false", VISUAL: "false" }, "/").args).toEqual(["-x"]);
    expect(resolveEditor({ ...env, EDITOR: "true", VISUAL: "false" }, "/").program).toMatch(/\/true$/);
    expect(resolveEditor({ ...env, VISUAL: "true" }, "/").program).toMatch(/\/true$/);
    try {
      resolveEditor({ PATH: "/nonexistent", EDITOR: "nope" }, "/");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HushError);
      expect((err as HushError).code).toBe("NO_EDITOR");
      expect(exitCodeOfError(err)).toBe(201);
    }
    try {
      resolveEditor({ PATH: "/nonexistent" }, "/");
      expect.unreachable();
    } catch (err) {
      expect(exitCodeOfError(err)).toBe(201);
      expect((err as HushError).message).toMatch(/set SOPS_EDITOR or EDITOR/);
    }
  });
});

describe("file locks", () => {
  it("serialises holders, takes over stale locks, refuses a live one after the wait", async () => {
    const file = join(scratch, "locked.yaml");
    const first = await acquireFileLock(file);
    expect(readFileSync(lockPathFor(file), "utf8")).toBe(`${process.pid} ${hostname()}\n`);
    let secondGot = false;
    const second = acquireFileLock(file, { waitMs: 5_000 }).then((l) => {
      secondGot = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(secondGot).toBe(false);
    first.release();
    (await second).release();
    expect(existsSync(lockPathFor(file))).toBe(false);

    writeFileSync(lockPathFor(file), `999999999 ${hostname()}\n`);
    (await acquireFileLock(file, { waitMs: 0 })).release();

    writeFileSync(lockPathFor(file), `${process.pid} ${hostname()}\n`);
    await expect(acquireFileLock(file, { waitMs: 50 })).rejects.toThrow(/is being changed by another hush process/);
    // A lock of another host is never guessed stale.
    writeFileSync(lockPathFor(file), `999999999 some-other-host\n`);
    await expect(acquireFileLock(file, { waitMs: 50 })).rejects.toThrow(/remove .*hush-lock/);
    rmSync(lockPathFor(file));
  });
});

describe("private directories", () => {
  it("are 0700, in memory-backed storage on Linux, and removed", () => {
    const d = makePrivateDir({});
    expect(statSync(d.path).mode & 0o777).toBe(0o700);
    if (process.platform === "linux") expect(d.path.startsWith("/dev/shm/hush-")).toBe(true);
    d.remove();
    expect(existsSync(d.path)).toBe(false);
  });
});

describe("set values and paths", () => {
  it("parses JSON values with exact numbers; rejects the rest with exit 7 and no echo", async () => {
    expect(await parseJsonValue("9007199254740993")).toEqual({ kind: "scalar", value: { type: "int", text: "9007199254740993" } });
    expect(await parseJsonValue("12345678901234567890")).toEqual({ kind: "scalar", value: { type: "float", text: "12345678901234567890" } });
    expect(await parseJsonValue("1.50")).toEqual({ kind: "scalar", value: { type: "float", text: "1.50" } });
    expect(await parseJsonValue(' "s" \n')).toEqual({ kind: "scalar", value: { type: "str", text: "s" } });
    expect(await parseJsonValue("null")).toEqual({ kind: "null" });
    for (const bad of ["secret-value", '1, "v": 2', "", "{", '"a"} {"b": 1']) {
      const err = await parseJsonValue(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HushError);
      expect((err as HushError).code).toBe("INVALID_SET_VALUE");
      expect(exitCodeOfError(err)).toBe(7);
      if (bad !== "") expect((err as HushError).message).not.toContain(bad);
    }
  });

  it("SOPS's --set argument splits after the first '] '", () => {
    expect(splitSetArgument('["a"]["b"] {"c": true}')).toEqual({ path: '["a"]["b"]', value: '{"c": true}' });
    expect(splitSetArgument('["a"] "x] y"')).toEqual({ path: '["a"]', value: '"x] y"' });
    expect(() => splitSetArgument('["a"]"v"')).toThrow(/invalid --set format/);
  });

  it("an index past the end appends; the landing path says where", async () => {
    const tree = { kind: "map" as const, entries: [{ kind: "entry" as const, key: "l", value: { kind: "list" as const, items: [{ kind: "null" as const }] } }] };
    const v = await parseJsonValue("1");
    const out = setInTree(tree, ["l", 7, "k"], v);
    expect(landingPath(tree, ["l", 7, "k"])).toEqual(["l", 1, "k"]);
    expect(sameTree(out, { kind: "map", entries: [{ kind: "entry", key: "l", value: { kind: "list", items: [{ kind: "null" }, { kind: "map", entries: [{ kind: "entry", key: "k", value: v }] }] } }] })).toBe(true);
  });
});
