import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigYaml, changedLines, encryptFile, keyedDir, nextSecond, startHush, type KeyedDir } from "./helpers.ts";
import { installFakeEditor, type EditorRun } from "./fake-editor.ts";
import { goneSoon } from "../keys/helpers.ts";

function runs(log: string): EditorRun[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as EditorRun);
}

describe("hush edit with a scripted editor", () => {
  let k: KeyedDir;
  let ed: ReturnType<typeof installFakeEditor>;
  let base: string;
  let baseBytes: Buffer;
  beforeAll(async () => {
    k = keyedDir();
    ed = installFakeEditor(k.dir);
    base = encryptFile(k, "big.yaml", bigYaml());
    baseBytes = readFileSync(base);
    await nextSecond();
  });
  afterAll(() => k.cleanup());

  /** The editor's first run, once it has started (signal tests). */
  const firstEditorRun = async (): Promise<EditorRun> => {
    for (let i = 0; i < 200; i++) {
      const seen = runs(ed.log)[0];
      if (seen !== undefined) return seen;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the editor did not start");
  };

  it("changing one of 1,000 values changes exactly the value, mac and lastmodified lines", async () => {
    const f = k.path("edit-one.yaml");
    copyFileSync(base, f);
    const r = k.hush(["edit", f], { env: ed.env([{ replace: ["value-5-50\n", "changed\n"] }]) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const after = readFileSync(f, "utf8");
    const lines = changedLines(baseBytes.toString("utf8"), after);
    expect(lines).toHaveLength(3);
    const texts = lines.map((n) => after.split("\n")[n - 1]!);
    expect(texts[0]).toMatch(/^ {4}key50: ENC\[/);
    expect(texts[1]).toMatch(/^ {4}lastmodified: /);
    expect(texts[2]).toMatch(/^ {4}mac: ENC\[/);
    expect(await k.decrypt(f)).toBe(bigYaml().replace("value-5-50\n", "changed\n"));
  });

  it("the editor sees a 0600 file in a 0700 directory in memory-backed storage, named like the target", () => {
    const f = k.path("modes.yaml");
    copyFileSync(base, f);
    const r = k.hush(["edit", f], { env: ed.env([{ noop: true }]) });
    expect(r.status).toBe(200);
    const [run] = runs(ed.log);
    expect(run!.mode).toBe(0o600);
    expect(run!.dirMode).toBe(0o700);
    expect(run!.file.endsWith("/modes.yaml")).toBe(true);
    expect(run!.content).toBe(bigYaml());
    expect(existsSync(dirname(run!.file))).toBe(false);
    if (process.platform === "linux") expect(run!.file.startsWith("/dev/shm/")).toBe(true);
  });

  it("--ignore-mac on a file whose MAC does not hold: saving, even unchanged, writes a new MAC for the values shown", async () => {
    const f = k.path("resign.yaml");
    // A value's line taken out by hand: every other value still opens, the MAC no longer holds.
    writeFileSync(f, readFileSync(base, "utf8").replace(/^ {4}key50: ENC\[[^\n]*\n/m, ""));
    const refused = k.hush(["decrypt", f]);
    expect(refused.status).toBe(51);
    expect(refused.stderr).toContain("\n  next: restore the file from git, or, if the change is yours, save it with hush edit --ignore-mac for a new MAC");
    const r = k.hush(["edit", "--ignore-mac", f], { env: ed.env([{ noop: true }]) });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("its MAC did not hold; saved with a new MAC over the values as they are");
    expect(await k.decrypt(f)).toBe(bigYaml().replace(/^ {4}key50: [^\n]*\n/m, ""));
    // Once the MAC holds, an unchanged save is no change again.
    expect(k.hush(["edit", "--ignore-mac", f], { env: ed.env([{ noop: true }]) }).status).toBe(200);
  });

  it("no change exits 200 with SOPS's message and leaves the file byte for byte", () => {
    const f = k.path("nochange.yaml");
    copyFileSync(base, f);
    const r = k.hush(["edit", f], { env: ed.env([{ noop: true }]) });
    expect(r.status).toBe(200);
    expect(r.stderr).toContain("File has not changed, exiting.");
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
  });

  it("an editor that returns at once with no change (a window editor without its wait option) is named as the likely cause; one that took its time is not", () => {
    const f = k.path("at-once.yaml");
    copyFileSync(base, f);
    const quick = k.hush(["edit", f], { env: { ...ed.env([{ noop: true }]), EDITOR: "true" } });
    expect(quick.status).toBe(200);
    expect(quick.stderr).toBe(
      'hush: File has not changed, exiting.\n  the editor (true) returned within a second: if it opens a window and returns at once, set its option to wait until the file is closed (EDITOR="zed --wait", "kate --block", "open -W -n -a TextEdit")\n',
    );
    const slow = k.hush(["edit", f], { env: ed.env([{ sleep: 1_200 }]) });
    expect(slow.status).toBe(200);
    expect(slow.stderr).toBe("hush: File has not changed, exiting.\n");
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
  });

  it("SIGTERM while the editor runs removes the temporary directory and leaves the file as it was", async () => {
    const f = k.path("sigterm.yaml");
    copyFileSync(base, f);
    const run = startHush(["edit", f], { cwd: k.dir, env: { ...k.env, ...ed.env([{ sleep: 60_000 }]) } });
    const seen = await firstEditorRun();
    expect(existsSync(seen.file)).toBe(true);
    run.child.kill("SIGTERM");
    const res = await run.done;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("User canceled operation");
    expect(existsSync(dirname(seen.file))).toBe(false);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
    expect(existsSync(k.path(".sigterm.yaml.hush-lock"))).toBe(false);
    // The editor was stopped too.
    expect(() => process.kill(seen.pid, 0)).toThrow();
  });

  it.each([
    ["SIGHUP", "hush", { code: 1, signal: null }],
    // Ctrl+C during editing reaches the editor too and is the editor's to handle; hush cancels
    // when the editor dies of it, and then dies of SIGINT itself, so a script running it stops.
    ["SIGINT", "the editor", { code: null, signal: "SIGINT" }],
    // hush is not on a terminal here: a SIGINT to hush alone was meant for hush, and cancels.
    ["SIGINT", "hush", { code: null, signal: "SIGINT" }],
  ] as const)("%s sent to %s cancels, cleans up and ends hush as %o", async (signal, target, status) => {
    const f = k.path(`sig-${signal}-${target.replace(" ", "-")}.yaml`);
    copyFileSync(base, f);
    const run = startHush(["edit", f], { cwd: k.dir, env: { ...k.env, ...ed.env([{ sleep: 60_000 }]) } });
    const seen = await firstEditorRun();
    if (target === "the editor") process.kill(seen.pid, signal);
    else run.child.kill(signal);
    const res = await run.done;
    expect({ code: res.code, signal: res.signal }).toEqual(status);
    expect(res.stderr).toBe("hush: User canceled operation\n");
    expect(existsSync(dirname(seen.file))).toBe(false);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
    expect(() => process.kill(seen.pid, 0)).toThrow();
  });

  it("an editor that ignores SIGTERM (or a wrapper script that traps it) is killed before hush ends: none outlives it", async () => {
    const f = k.path("stubborn.yaml");
    copyFileSync(base, f);
    const run = startHush(["edit", f], { cwd: k.dir, env: { ...k.env, ...ed.env([{ sleep: 60_000, ignore: ["SIGTERM", "SIGHUP"] }]) } });
    const seen = await firstEditorRun();
    run.child.kill("SIGTERM");
    const res = await run.done;
    expect({ code: res.code, signal: res.signal }).toEqual({ code: 1, signal: null });
    expect(res.stderr).toBe("hush: User canceled operation\n");
    expect(await goneSoon(seen.pid), "the editor").toBe(true);
    expect(existsSync(dirname(seen.file))).toBe(false);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
    expect(existsSync(k.path(".stubborn.yaml.hush-lock"))).toBe(false);
  });

  it("SIGQUIT while the editor runs cancels like SIGTERM: no core dump, no plaintext left behind", async () => {
    const f = k.path("sigquit.yaml");
    copyFileSync(base, f);
    const run = startHush(["edit", f], { cwd: k.dir, env: { ...k.env, ...ed.env([{ sleep: 60_000 }]) } });
    const seen = await firstEditorRun();
    run.child.kill("SIGQUIT");
    // On 'exit', not 'close': a hush that died on the spot leaves the editor holding its output.
    const res = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => run.child.on("exit", (code, signal) => r({ code, signal })));
    expect(res.signal).toBeNull();
    expect(res.code).toBe(1);
    const { stderr } = await run.done;
    expect(stderr).toContain("User canceled operation");
    expect(existsSync(dirname(seen.file))).toBe(false);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
    expect(existsSync(k.path(".sigquit.yaml.hush-lock"))).toBe(false);
    expect(() => process.kill(seen.pid, 0)).toThrow();
  });

  it("invalid content reopens the editor with the error on top and the text kept, until fixed", async () => {
    const f = k.path("invalid.yaml");
    encryptFile(k, "invalid.yaml", "a: 1\nb: two\n");
    const before = readFileSync(f);
    const r = k.hush(["edit", f], { env: ed.env([{ write: "a: [unclosed\nb: two\n" }, { replace: ["[unclosed", "3"] }]) });
    expect(r.status).toBe(0);
    const [first, second] = runs(ed.log);
    expect(first!.content).toBe("a: 1\nb: two\n");
    expect(second!.content).toMatch(/^#! hush: .*invalid\.yaml: invalid YAML at line \d/);
    expect(second!.content.endsWith("a: [unclosed\nb: two\n")).toBe(true);
    expect(r.stderr).toMatch(/reopening the editor/);
    expect(await k.decrypt(f)).toBe("a: 3\nb: two\n");
    expect(readFileSync(f).equals(before)).toBe(false);
  });

  it("the lines edit prints while it works escape the file's name: one a repository chose cannot drive the terminal", async () => {
    // ESC ] 0 ; … BEL sets the terminal's title, ESC [ 2 J clears the screen.
    const name = "evil\u001b]0;pwned\u0007\u001b[2J.yaml";
    const f = k.path(name);
    encryptFile(k, name, "a: 1\nb: two\n");
    const r = k.hush(["edit", f], { env: ed.env([{ write: "a: [unclosed\nb: two\n" }, { replace: ["[unclosed", "3"] }]) });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("evil\\x1b]0;pwned\\x07\\x1b[2J.yaml: invalid YAML at line 2");
    expect(r.stderr).not.toContain("\u001b");
    expect(r.stderr).not.toContain("\u0007");
    expect(await k.decrypt(f)).toBe("a: 3\nb: two\n");

    // The note that a MAC was renewed (--ignore-mac) names the file the same way.
    writeFileSync(f, readFileSync(f, "utf8").replace(/^b: ENC\[[^\n]*\n/m, ""));
    const resigned = k.hush(["edit", "--ignore-mac", f], { env: ed.env([{ noop: true }]) });
    expect(resigned.status, resigned.stderr).toBe(0);
    expect(resigned.stderr).toContain("evil\\x1b]0;pwned\\x07\\x1b[2J.yaml: its MAC did not hold");
    expect(resigned.stderr).not.toContain("\u001b");
  });

  it("invalid content saved again unchanged gives up: error, file unchanged, no plaintext left", () => {
    const f = k.path("abandon.yaml");
    encryptFile(k, "abandon.yaml", "a: 1\n");
    const before = readFileSync(f);
    const r = k.hush(["edit", f], { env: ed.env([{ write: "a: [\n" }, { noop: true }]) });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nothing was saved/);
    expect(readFileSync(f).equals(before)).toBe(true);
    for (const run of runs(ed.log)) expect(existsSync(dirname(run.file))).toBe(false);
  });

  it("an editor that changes the text each time and never fixes it (a script) is reopened 20 times, then hush gives up keeping the text", async () => {
    const f = k.path("endless.yaml");
    encryptFile(k, "endless.yaml", "a: 1\n");
    const before = readFileSync(f);
    // Each round opens one more bracket: the text always differs and is never valid. hush
    // reopened such an editor forever, a line on stderr per round.
    const r = k.hush(["edit", f], { env: ed.env([{ write: "a: [\n" }, { replace: ["a: [", "a: [["] }]) });
    expect(r.status, r.stderr).toBe(2);
    expect(runs(ed.log)).toHaveLength(21);
    expect(r.stderr.match(/reopening the editor/g)).toHaveLength(20);
    expect(r.stderr).toContain(
      `nothing was saved to ${f}\n  the editor was reopened 20 times and each text was refused; giving up\n  your text is kept encrypted in ${f}.unsaved\n`,
    );
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(k.hush(["decrypt", "--input-type", "binary", `${f}.unsaved`]).stdout).toBe(`a: ${"[".repeat(21)}\n`);
    for (const run of runs(ed.log)) expect(existsSync(dirname(run.file))).toBe(false);
  });

  it("a sops key typed into the content is refused", () => {
    const f = k.path("sopskey.yaml");
    encryptFile(k, "sopskey.yaml", "a: 1\n");
    const before = readFileSync(f);
    const r = k.hush(["edit", f], { env: ed.env([{ write: "a: 1\nsops:\n    mac: x\n" }, { noop: true }]) });
    expect(r.status).toBe(203);
    expect(r.stderr).toMatch(/"sops" key/);
    expect(runs(ed.log)[1]!.content).toMatch(/^#! hush: .*"sops" key/);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it("an editor that exits non-zero, or one that is missing, is exit 201 with the file unchanged", () => {
    const f = k.path("badeditor.yaml");
    copyFileSync(base, f);
    const bad = k.hush(["edit", f], { env: ed.env([{ exit: 3 }]) });
    expect(bad.status).toBe(201);
    expect(bad.stderr).toMatch(/exited with status 3/);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
    const missing = k.hush(["edit", f], { env: { EDITOR: "no-such-editor-anywhere --wait", SOPS_EDITOR: "" } });
    expect(missing.status).toBe(201);
    expect(missing.stderr).toMatch(/no editor found/);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
  });

  it("an editor that crashed (SIGKILL, SIGSEGV) after a save keeps the saved text encrypted in FILE.unsaved, exit 201; a cancel or an unchanged text keeps none", () => {
    for (const signal of ["SIGKILL", "SIGSEGV"] as const) {
      const f = k.path(`crashed-${signal}.yaml`);
      copyFileSync(base, f);
      const r = k.hush(["edit", f], { env: ed.env([{ replace: ["value-3-7\n", "typed-before-the-crash\n"], kill: signal }]) });
      expect(r.status).toBe(201);
      expect(r.stderr).toBe(
        `hush: the editor was killed by ${signal}; ${f} was not changed\n  your text is kept encrypted in ${f}.unsaved\n  next: see it with hush decrypt --input-type binary ${f}.unsaved, make your change again in hush edit ${f}, then delete ${f}.unsaved\n`,
      );
      expect(readFileSync(f).equals(baseBytes)).toBe(true);
      expect(k.hush(["decrypt", "--input-type", "binary", `${f}.unsaved`]).stdout).toBe(bigYaml().replace("value-3-7\n", "typed-before-the-crash\n"));
    }
    const f = k.path("crashed-unchanged.yaml");
    copyFileSync(base, f);
    for (const signal of ["SIGKILL", "SIGTERM"] as const) {
      const r = k.hush(["edit", f], { env: ed.env([{ kill: signal }]) });
      expect(r.status).not.toBe(0);
      expect(existsSync(`${f}.unsaved`)).toBe(false);
    }
    const cancelled = k.hush(["edit", f], { env: ed.env([{ replace: ["value-3-7\n", "typed\n"], kill: "SIGTERM" }]) });
    expect(cancelled.status).toBe(1);
    expect(existsSync(`${f}.unsaved`)).toBe(false);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
  });

  it("a saved file too large to hold, or a pipe put in its place, is refused at once, exit 2, the file unchanged", () => {
    const f = k.path("oddsave.yaml");
    copyFileSync(base, f);
    // Sparse: 600 MB without disk space; it crashed the decode ("Cannot create a string longer than…", exit 1).
    const huge = k.hush(["edit", f], { env: { SOPS_EDITOR: "truncate -s 600M" } });
    expect(huge.stderr).toBe(`hush: cannot read the edited file (larger than 536870888 bytes (512 MiB), the most hush reads as one file); ${f} was not changed\n`);
    expect(huge.status).toBe(2);
    // A pipe waited for a writer forever, deaf to signals.
    const pipe = k.hush(["edit", f], { env: { SOPS_EDITOR: `sh -c 'rm "$0" && mkfifo "$0"'` } });
    expect(pipe.stderr).toContain("cannot read the edited file (not a regular file (a pipe, device or socket))");
    expect(pipe.status).toBe(2);
    expect(readFileSync(f).equals(baseBytes)).toBe(true);
  });

  it("SOPS_EDITOR wins over EDITOR and its arguments are passed", () => {
    const f = k.path("sopseditor.yaml");
    copyFileSync(base, f);
    const env = ed.env([{ noop: true }]);
    const r = k.hush(["edit", f], { env: { ...env, SOPS_EDITOR: `${env["EDITOR"]} --flag 'two words'`, EDITOR: "false" } });
    expect(r.status).toBe(200);
    const run = runs(ed.log)[0]!;
    expect(run.args).toEqual(["--flag", "two words", run.file]);
  });

  it("a missing file is created from a small template; leaving it unchanged creates nothing", () => {
    const f = k.path("new.yaml");
    const none = k.hush(["edit", "--age", k.recipient, f], { env: ed.env([{ noop: true }]) });
    expect(none.status).toBe(200);
    expect(existsSync(f)).toBe(false);
    expect(runs(ed.log)[0]!.content).toMatch(/^#! hush: new file: .*\nexample_key: example_value\n$/s);
    const r = k.hush(["edit", "--age", k.recipient, f], { env: ed.env([{ write: "token: abc\n" }]) });
    expect(r.status).toBe(0);
    expect(readFileSync(f, "utf8")).toMatch(/^token: ENC\[AES256_GCM,/);
    expect(statSync(f).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(existsSync(k.path(".new.yaml.hush-lock"))).toBe(false);
  });

  it("the file mode of an existing file is kept", () => {
    const f = k.path("mode.yaml");
    copyFileSync(base, f);
    chmodSync(f, 0o666);
    const r = k.hush(["edit", f], { env: ed.env([{ replace: ["value-0-0\n", "v\n"] }]) });
    expect(r.status).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o666);
  });

  it("a JSON file edits with tabs kept", async () => {
    const f = k.path("conf.json");
    writeFileSync(f, '{\n\t"a": "x",\n\t"n": 1\n}\n');
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    const r = k.hush(["edit", f], { env: ed.env([{ replace: ['"x"', '"y"'] }]) });
    expect(r.status).toBe(0);
    expect(await k.decrypt(f, "json")).toBe('{\n\t"a": "y",\n\t"n": 1\n}\n');
  });
});
