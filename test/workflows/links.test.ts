import { spawnSync } from "node:child_process";
import { chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHush } from "@hush/testkit";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Writes never follow a link: a repository can commit an encrypted file, or the lock file next to
 * it, as a symbolic link to a file of the user's (`~/.bashrc`, a credentials file). Every command
 * that replaces a file refuses a link with one line naming it, and leaves the link's target as it
 * was. Replaced files keep their owner, group and mode.
 */

const OUTSIDE = "export PATH=$HOME/bin:$PATH\n";

describe("writes refuse symbolic links", () => {
  let k: KeyedDir;
  let victim: string;
  beforeAll(() => {
    k = keyedDir();
    mkdirSync(k.path("home"));
    victim = k.path("home/.bashrc");
  });
  afterAll(() => k.cleanup());

  /** A link `name` to the victim file; the victim holds `content`. */
  const plant = (name: string, content: string): string => {
    writeFileSync(victim, content);
    const link = k.path(name);
    symlinkSync(victim, link);
    return link;
  };

  const expectRefused = (r: { status: number; stderr: string }, link: string, content: string): void => {
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`${link} is a symbolic link (to ${victim}); hush does not write through links`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(readFileSync(victim, "utf8")).toBe(content);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  };

  it("encrypt -i, decrypt -i and decrypt --output refuse a link and leave its target alone", () => {
    const link = plant("plain.env", "TOKEN=abc\n");
    expectRefused(k.hush(["encrypt", "-i", "--age", k.recipient, link]), link, "TOKEN=abc\n");

    const enc = encryptFile(k, "real.yaml", "a: 1\n");
    const out = plant("out.yaml", OUTSIDE);
    expectRefused(k.hush(["decrypt", "--output", out, enc]), out, OUTSIDE);
    const enc2 = k.path("enc-link.yaml");
    symlinkSync(enc, enc2);
    const before = readFileSync(enc);
    const r = k.hush(["decrypt", "-i", enc2]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`${enc2} is a symbolic link (to ${enc})`);
    expect(readFileSync(enc).equals(before)).toBe(true);
  });

  it("set, unset, rotate, updatekeys and groups refuse a link to an encrypted file of the user's", () => {
    const target = encryptFile(k, "home/own.yaml", "a: 1\n");
    const before = readFileSync(target);
    const link = k.path("committed.yaml");
    symlinkSync(target, link);
    // updatekeys writes only when the keys change: the rule names a second recipient.
    const second = runHush(["keygen", "-o", k.path("second.txt")], { cwd: k.dir });
    const other = /Public key: (age1[0-9a-z]+)/.exec(second.stderr)?.[1];
    writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
    for (const args of [
      ["set", link, '["a"]', "2"],
      ["unset", link, '["a"]'],
      ["rotate", "-i", link],
      ["updatekeys", "-y", link],
      ["groups", "add", "-i", "-f", link, "--age", k.recipient],
    ]) {
      const r = k.hush(args);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, args.join(" ")).toContain(`${link} is a symbolic link`);
      expect(readFileSync(target).equals(before), args.join(" ")).toBe(true);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
    }
  });

  it("edit refuses a link before the editor starts", () => {
    const target = encryptFile(k, "home/edited.yaml", "a: 1\n");
    const before = readFileSync(target);
    const link = k.path("edit-link.yaml");
    symlinkSync(target, link);
    const marker = k.path("editor-ran");
    const r = k.hush(["edit", link], { env: { EDITOR: `touch ${marker}` } });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`${link} is a symbolic link`);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(target).equals(before)).toBe(true);
  });
});

describe("hard links", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it.each([[["-i"]], [["-i", "--reuse", "{old}"]], [["--output", "{file}"]]])("encrypt %j of a file with other hard links says they still hold the plaintext, and how to find them", (extra: string[]) => {
    const old = encryptFile(k, "old.yaml", "token: t-0\n");
    const file = k.path("app.yaml");
    const other = k.path("copy-of-app.yaml");
    rmSync(other, { force: true });
    writeFileSync(file, "token: t-1\n");
    linkSync(file, other);
    const inode = statSync(file).ino;
    const r = k.hush(["encrypt", ...extra.map((a) => a.replace("{old}", old).replace("{file}", file)), ...(extra.includes("--reuse") ? [] : ["--age", k.recipient]), file]);
    expect(r.status, r.stderr).toBe(0);
    const [warning, next, rest] = r.stderr.split("\n");
    expect(warning).toBe(`hush: warning: ${file} had 1 other name (a hard link), which still holds the plaintext: hush replaced the file instead of writing into it`);
    expect(next).toMatch(new RegExp(`^  next: find them with find (\\S+) -xdev -inum ${inode}, then delete or encrypt them$`));
    expect(rest).toBe("");
    expect(readFileSync(file, "utf8")).toContain("sops:");
    expect(readFileSync(other, "utf8")).toBe("token: t-1\n");
    // The command it names finds the other name.
    const top = /find (\S+) -xdev/.exec(r.stderr)![1]!;
    expect(spawnSync("find", [top, "-xdev", "-inum", String(inode)], { encoding: "utf8" }).stdout).toContain(other);
  });
});

describe("reads refuse what never ends", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("decrypt, exec-env and textconv refuse a link to a device, an endless file or a pipe at once", () => {
    // A cloned repository can commit any of these as `secrets.enc.yaml`.
    const targets = {
      "zero.enc.yaml": ["/dev/zero", "a device or socket"],
      "pagemap.enc.yaml": ["/proc/self/pagemap", "a file that holds more than its size says, such as /proc/self/pagemap"],
      "stdin.enc.yaml": ["/proc/self/fd/0", "a link to a pipe"],
    } as const;
    for (const [name, [target, what]] of Object.entries(targets)) {
      symlinkSync(target, k.path(name));
      for (const args of [["decrypt", name], ["exec-env", name, "--", "true"], ["git", "textconv", name]]) {
        const started = Date.now();
        // Standard input is a pipe that stays open: a read of it would never end.
        const r = spawnSync("bash", ["-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_JS)} ${args.map((a) => JSON.stringify(a)).join(" ")} < <(exec sleep 30 >/dev/null 2>&1); echo "status $?"`], {
          cwd: k.dir,
          env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: k.dir, LANG: "C", ...k.env },
          encoding: "utf8",
          timeout: 20_000,
        });
        expect(Date.now() - started, `${args.join(" ")}`).toBeLessThan(15_000);
        expect(r.stderr, args.join(" ")).toContain(`${name}: not a regular file (${what})`);
        expect(r.stdout).toMatch(/status [1-9]\d*\n$/);
      }
    }
  });
  it("updatekeys, rotate -i and groups -i refuse a FIFO at once (they write in place), instead of waiting for a writer", () => {
    writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${k.recipient}\n`);
    const fifo = k.path("waiting.yaml");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    for (const args of [["updatekeys", "-y", fifo], ["rotate", "-i", fifo], ["groups", "delete", "-i", "-f", fifo, "0"], ["groups", "add", "-i", "-f", fifo, "--age", k.recipient]]) {
      const r = runHush(args, { cwd: k.dir, env: k.env, timeoutMs: 10_000 });
      expect(r.stderr, args.join(" ")).toBe(`hush: ${fifo}: not a regular file; hush replaces only regular files\n`);
      expect(r.status).toBe(3);
    }
  });
});

describe("replaced files keep their owner, group and mode", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("set run as root keeps another user's file theirs (sudo hush set)", async () => {
    if (process.geteuid?.() !== 0) throw new Error("this test runs as root (it checks what `sudo hush set` does); run the suite as root, e.g. in the project's container");
    const f = encryptFile(k, "owned.yaml", "a: 1\n");
    chownSync(f, 1234, 2345);
    const r = k.hush(["set", f, '["a"]', "2"]);
    expect(r.status, r.stderr).toBe(0);
    expect(await k.decrypt(f)).toBe("a: 2\n");
    const st = statSync(f);
    expect([st.uid, st.gid]).toEqual([1234, 2345]);
    expect(st.mode & 0o7777).toBe(0o644);
  });
});

describe("lock files", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("a lock planted as a link to a credentials file is refused at once, never read or shown", () => {
    const f = encryptFile(k, "app.yaml", "a: 1\n");
    const creds = k.path("credentials");
    writeFileSync(creds, "AKIASECRETTOKEN1234 aws_secret_access_key\n");
    symlinkSync(creds, k.path(".app.yaml.hush-lock"));
    const started = Date.now();
    // A lock wait of 30 s: refusing "at once" means well under it, however busy the machine.
    const r = k.hush(["set", f, '["a"]', "2"], { env: { HUSH_LOCK_TIMEOUT: "30" } });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(".app.yaml.hush-lock is not a lock file hush made (a symbolic link or not a regular file); remove it");
    expect(r.stderr).not.toContain("AKIA");
    expect(r.stderr).not.toContain("aws_secret");
    expect(readFileSync(creds, "utf8")).toBe("AKIASECRETTOKEN1234 aws_secret_access_key\n");
  });

  it("a lock's content is shown only as a process id of digits", () => {
    const f = encryptFile(k, "garbled.yaml", "a: 1\n");
    writeFileSync(k.path(".garbled.yaml.hush-lock"), `AKIASECRETTOKEN1234 ${hostname()}-elsewhere\n`);
    const r = k.hush(["set", f, '["a"]', "2"], { env: { HUSH_LOCK_TIMEOUT: "0.3" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("garbled.yaml is being changed by another hush process;");
    expect(r.stderr).not.toContain("AKIA");
  });

  it("a stale lock that cannot be moved aside is waited for until HUSH_LOCK_TIMEOUT, not forever", () => {
    // The longest name whose lock and temporary file fit in 255 bytes but whose moved-aside
    // name does not: the rename that breaks the stale lock fails with ENAMETOOLONG.
    const name = `${"n".repeat(221)}.yaml`;
    const f = encryptFile(k, name, "a: 1\n");
    const lock = k.path(`.${name}.hush-lock`);
    writeFileSync(lock, `999999999 ${hostname()}\n`);
    utimesSync(lock, new Date(0), new Date(0));
    const started = Date.now();
    const r = runHush(["set", f, '["a"]', "2"], { cwd: k.dir, env: { ...k.env, HUSH_LOCK_TIMEOUT: "1" }, timeoutMs: 15_000 });
    const took = Date.now() - started;
    expect(took, "hush did not stop at HUSH_LOCK_TIMEOUT").toBeLessThan(8_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("could not be removed; remove it");
    expect(readdirSync(k.dir).filter((n) => n.includes(".stale-") || n.endsWith(".tmp"))).toEqual([]);
  });
});
