import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, editEncrypted, git, hush, writeEncrypted, type Sandbox } from "../git/helpers.ts";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";
import { openTerminal, requireTerminalTools, type Terminal } from "./terminal.ts";

/**
 * `hush edit` and `hush git resolve` with a real editor (Debian's vi) in a real terminal (tmux),
 * driven by keystrokes as a person would: errors reopen the editor with the right line and the
 * reason, giving up keeps the text, markers left in a resolution reopen it, a new file starts on
 * the template.
 */

let k: KeyedDir;
let home: string;

beforeAll(() => {
  requireTerminalTools();
  k = keyedDir();
  home = join(k.dir, "home");
  mkdirSync(home);
});

afterAll(() => k.cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Leaves insert mode, then runs an ex command (`:wq`): a pause so vi does not read Esc+: as one key. */
async function ex(t: Terminal, command: string): Promise<void> {
  t.keys("Escape");
  await sleep(400);
  t.type(`:${command}`);
  t.keys("Enter");
}

function editEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home, PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", EDITOR: "vi", SOPS_AGE_KEY_FILE: k.keyFile, ...extra };
}

/** The file line number vi shows (`:set nu`) for the first row whose text starts with `text`. */
function shownLine(screen: string, text: string): number | undefined {
  for (const row of screen.split("\n")) {
    const m = /^\s*(\d+) (.*)$/.exec(row);
    if (m !== null && m[2]!.startsWith(text)) return Number(m[1]);
  }
  return undefined;
}

/** Opens `hush edit`, breaks line 2 of a two-line YAML file and saves; returns at the reopened editor. */
async function breakAndSave(name: string): Promise<{ t: Terminal; file: string; screen: string }> {
  const file = encryptFile(k, name, "a: 1\nb: two\n");
  const t = openTerminal(k.dir, name, [process.execPath, CLI_JS, "edit", file], k.dir, editEnv());
  await t.waitForScreen((s) => s.includes("b: two"), "vi showing the decrypted file");
  t.type("2Gccb: [unclosed");
  await ex(t, "wq");
  const screen = await t.waitForScreen((s) => s.includes("#! hush:") && s.includes("b: [unclosed"), "the editor reopened with the error");
  return { t, file, screen };
}

describe("hush edit in a real terminal (tmux + vi)", () => {
  it("after a syntax error, vi reopens with the reason and the line number vi shows for the broken line; fixing it saves", async () => {
    const { t, file, screen } = await breakAndSave("reopen.yaml");
    try {
      const flat = screen.replace(/\n/g, "");
      const m = /invalid YAML at line (\d+), column \d+: ([a-z][a-z ,'()-]+)/.exec(flat);
      expect(m, screen).not.toBeNull();
      await ex(t, "set nu");
      const numbered = await t.waitForScreen((s) => shownLine(s, "b: [unclosed") !== undefined, "line numbers");
      const broken = shownLine(numbered, "b: [unclosed")!;
      // The parser names the broken line or the one after it, where it noticed.
      expect([broken, broken + 1]).toContain(Number(m![1]));
      t.type(`${broken}Gccb: 3`);
      await ex(t, "wq");
      expect(await t.waitForExit()).toBe(0);
      expect(await k.decrypt(file)).toBe("a: 1\nb: 3\n");
    } finally {
      t.close();
    }
  });

  it("saving the broken text again and quitting keeps it, encrypted, in FILE.unsaved; the file is unchanged", async () => {
    const { t, file } = await breakAndSave("giveup.yaml");
    try {
      const before = readFileSync(file);
      await ex(t, "wq");
      expect(await t.waitForExit()).toBe(2);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(readFileSync(`${file}.unsaved`, "utf8")).not.toContain("unclosed");
      const back = k.hush(["decrypt", "--input-type", "binary", `${file}.unsaved`]);
      expect(back.stdout).toBe("a: 1\nb: [unclosed\n");
    } finally {
      t.close();
    }
  });

  it("a new file opens on the commented template; editing the example creates the file", async () => {
    const file = k.path("brand-new.yaml");
    const t = openTerminal(k.dir, "new", [process.execPath, CLI_JS, "edit", "--age", k.recipient, file], k.dir, editEnv());
    try {
      const screen = await t.waitForScreen((s) => s.includes("example_key: example_value"), "the template in vi");
      expect(screen).toContain("#! hush: new file: replace the example below with your values");
      await ex(t, "%s/example_value/real-value/");
      await ex(t, "wq");
      expect(await t.waitForExit()).toBe(0);
      expect(await k.decrypt(file)).toBe("example_key: real-value\n");
    } finally {
      t.close();
    }
  });
});

describe("hush git resolve in a real terminal (tmux + vi)", () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = createSandbox();
  });
  afterAll(() => sb.cleanup());

  it("markers left in the resolution reopen vi at the marker's line; a clean resolution is encrypted and staged", async () => {
    const repo = createRepo(sb, "conflict");
    writeEncrypted(sb, repo, "app.enc.yaml", "password: base-1\nport: 1\n");
    commitAll(sb, repo, "base");
    expect(hush(sb, ["git", "setup"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "setup");
    git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "password: theirs-2\nport: 1\n");
    commitAll(sb, repo, "theirs");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "password: ours-3\nport: 1\n");
    commitAll(sb, repo, "ours");
    expect(git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true }).status).not.toBe(0);

    const t = openTerminal(sb.dir, "resolve", [process.execPath, CLI_JS, "git", "resolve", "app.enc.yaml"], repo, { ...sb.env, EDITOR: "vi" });
    try {
      await t.waitForScreen((s) => s.includes("<<<<<<< ours") && s.includes(">>>>>>> theirs"), "both sides in vi");
      await ex(t, "wq");
      const screen = await t.waitForScreen((s) => s.includes("#! hush:") && s.includes("<<<<<<< ours"), "vi reopened with the markers named");
      const m = /conflict markers are still in the resolution at line (\d+)/.exec(screen.replace(/\n/g, ""));
      expect(m, screen).not.toBeNull();
      await ex(t, "set nu");
      const numbered = await t.waitForScreen((s) => shownLine(s, "<<<<<<< ours") !== undefined, "line numbers");
      expect(shownLine(numbered, "<<<<<<< ours")).toBe(Number(m![1]));
      await ex(t, "%d");
      t.type("ipassword: resolved-4\nport: 1");
      await ex(t, "wq");
      expect(await t.waitForExit()).toBe(0);
    } finally {
      t.close();
    }
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toBe("");
    expect(existsSync(join(repo, "app.enc.yaml"))).toBe(true);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("password: resolved-4\nport: 1\n");
  });
});
