import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsVector } from "@hush/testkit";
import { generateAgeKeyPair } from "@hush/key-source-age";
import { hush } from "./helpers.ts";

/**
 * Programs hush runs for a file's keys (gpg for a pgp key, SOPS_AGE_KEY_CMD's command for an age
 * key) are looked for only in PATH's absolute directories, as the editor, age plugins and `az`
 * are: a cloned repository can bring its own `gpg`, and an empty or relative PATH entry (a
 * trailing ':', '.', 'bin') means the working directory.
 */
const RELATIVE_PATHS = ["/nonexistent:", ".:/nonexistent", "bin:/nonexistent", "/nonexistent::/also-nonexistent"];

describe("programs are never the repository's own", () => {
  const tmp = makeTempDir("hush-gpg-lookup-");
  afterAll(() => tmp.cleanup());

  it("a planted gpg in the working directory is not run on decrypt or git diff, whatever PATH's relative entries", async () => {
    const repo = join(tmp.path, "cloned-repo");
    mkdirSync(join(repo, "bin"), { recursive: true });
    copyFileSync(sopsVector("format.enc.yaml"), join(repo, "app.yaml"));
    const marker = join(tmp.path, "repo-gpg-ran");
    const planted = `#!/bin/sh\necho ran > '${marker}'\nexit 2\n`;
    writeFileSync(join(repo, "gpg"), planted, { mode: 0o755 });
    writeFileSync(join(repo, "bin", "gpg"), planted, { mode: 0o755 });
    for (const path of RELATIVE_PATHS) {
      for (const args of [["decrypt", "app.yaml"], ["git", "textconv", "app.yaml"]]) {
        const r = await hush(args, { cwd: repo, env: { PATH: path, GNUPGHOME: join(tmp.path, "gnupg") } });
        expect(existsSync(marker), `PATH=${path}: hush ${args.join(" ")} ran the repository's gpg`).toBe(false);
        if (args[0] === "decrypt") {
          expect(r.status).toBe(128);
          expect(r.stderr).toContain('cannot run gpg binary "gpg": not found');
        }
      }
    }
  });

  it("a planted SOPS_AGE_KEY_CMD program in the working directory is not run; the absolute one is", async () => {
    const repo = join(tmp.path, "cloned-repo-age");
    mkdirSync(join(repo, "bin"), { recursive: true });
    const pair = await generateAgeKeyPair();
    writeFileSync(join(repo, "app.yaml"), "password: s3cr3t\n");
    const enc = await hush(["encrypt", "-i", "--age", pair.recipient, "app.yaml"], { cwd: repo });
    expect(enc.stderr).toBe("");
    const marker = join(tmp.path, "repo-keycmd-ran");
    const planted = `#!/bin/sh\necho ran > '${marker}'\nexit 2\n`;
    writeFileSync(join(repo, "print-age-key"), planted, { mode: 0o755 });
    writeFileSync(join(repo, "bin", "print-age-key"), planted, { mode: 0o755 });
    for (const path of RELATIVE_PATHS) {
      const r = await hush(["decrypt", "app.yaml"], { cwd: repo, env: { PATH: path, SOPS_AGE_KEY_CMD: "print-age-key --now" } });
      expect(existsSync(marker), `PATH=${path}: SOPS_AGE_KEY_CMD ran the repository's program`).toBe(false);
      expect(r.status).toBe(128);
      expect(r.stderr).toContain('command "print-age-key" not found');
    }
    // The same name in an absolute PATH directory is the user's, and runs.
    const userBin = join(tmp.path, "user-bin");
    mkdirSync(userBin, { recursive: true });
    writeFileSync(join(userBin, "print-age-key"), `#!/bin/sh\necho '${pair.identity}'\n`, { mode: 0o755 });
    const ok = await hush(["decrypt", "app.yaml"], { cwd: repo, env: { PATH: `${userBin}:`, SOPS_AGE_KEY_CMD: "print-age-key --now" } });
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe("password: s3cr3t\n");
  });
});

describe("a key command's Python modules are never the repository's own", () => {
  const tmp = makeTempDir("hush-keycmd-cwd-");
  afterAll(() => tmp.cleanup());

  it("SOPS_AGE_KEY_CMD='python3 -m MODULE' does not import the working directory's MODULE", async () => {
    // `python -m` puts the working directory first on the module path.
    const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    const pair = await generateAgeKeyPair();
    const site = join(tmp.path, "site");
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, "printkey.py"), `print(${JSON.stringify(pair.identity)})\n`);
    const repo = join(tmp.path, "cloned-repo");
    mkdirSync(repo, { recursive: true });
    writeFileSync(join(repo, "app.yaml"), "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", pair.recipient, "app.yaml"], { cwd: repo })).stderr).toBe("");
    const marker = join(tmp.path, "repo-module-ran");
    writeFileSync(join(repo, "printkey.py"), `open(${JSON.stringify(marker)}, "w").write("ran")\n`);
    const r = await hush(["decrypt", "app.yaml"], { cwd: repo, env: { PYTHONPATH: site, SOPS_AGE_KEY_CMD: `${python} -m printkey` } });
    expect(existsSync(marker), "the key command imported the repository's module").toBe(false);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("password: s3cr3t\n");
     // A program named by a relative path is still found from where hush was started.
    writeFileSync(join(repo, "print-key"), `#!/bin/sh\necho '${pair.identity}'\n`, { mode: 0o755 });
    const relative = await hush(["decrypt", "app.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_CMD: "./print-key" } });
    expect(relative.stderr).toBe("");
    expect(relative.stdout).toBe("password: s3cr3t\n");
  });

  it("a relative TMPDIR (`.`, `tmp`) does not make the key command run in the working directory", async () => {
    const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    const pair = await generateAgeKeyPair();
    const site = join(tmp.path, "site-tmpdir");
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, "printkey2.py"), `print(${JSON.stringify(pair.identity)})\n`);
    const repo = join(tmp.path, "tmpdir-repo");
    mkdirSync(join(repo, "tmp"), { recursive: true, mode: 0o700 });
    writeFileSync(join(repo, "app.yaml"), "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", pair.recipient, "app.yaml"], { cwd: repo })).stderr).toBe("");
    const marker = join(tmp.path, "tmpdir-module-ran");
    for (const dir of [repo, join(repo, "tmp")]) writeFileSync(join(dir, "printkey2.py"), `open(${JSON.stringify(marker)}, "w").write("ran")\n`);
    for (const tmpdir of [".", "tmp"]) {
      const r = await hush(["decrypt", "app.yaml"], { cwd: repo, env: { PYTHONPATH: site, TMPDIR: tmpdir, SOPS_AGE_KEY_CMD: `${python} -m printkey2` } });
      expect(existsSync(marker), `TMPDIR=${tmpdir}: the key command imported the repository's module`).toBe(false);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("password: s3cr3t\n");
    }
  });
});

describe("git is never the repository's own", () => {
  const tmp = makeTempDir("hush-git-lookup-");
  afterAll(() => tmp.cleanup());

  it("a planted git in the working directory is not run by hush check, hush git diff or git setup; the system's is", async () => {
    const repo = join(tmp.path, "cloned-repo");
    mkdirSync(repo, { recursive: true });
    const system = { PATH: "/usr/bin:/bin" };
    for (const args of [["init", "-q"], ["config", "user.email", "t@example.com"], ["config", "user.name", "t"]]) {
      expect(spawnSync("git", args, { cwd: repo, env: system }).status).toBe(0);
    }
    writeFileSync(join(repo, "notes.txt"), "hello\n");
    const marker = join(tmp.path, "repo-git-ran");
    writeFileSync(join(repo, "git"), `#!/bin/sh\necho ran > '${marker}'\nexit 0\n`, { mode: 0o755 });
    for (const args of [["check"], ["git", "diff"], ["git", "setup", "*.enc.yaml"]]) {
      // The empty first entry means the working directory; /usr/bin holds the real git.
      const r = await hush(args, { cwd: repo, env: { PATH: ":/usr/bin:/bin" } });
      expect(existsSync(marker), `hush ${args.join(" ")} ran the repository's git`).toBe(false);
      expect(r.status, `hush ${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });
});

describe("exec-file's own helpers are never the repository's own", () => {
  const tmp = makeTempDir("hush-helper-lookup-");
  afterAll(() => tmp.cleanup());
  /** A relative entry before the system's directories: the repository's copy would be found first. */
  const BEFORE_SYSTEM = [":/usr/bin:/bin", ".:/usr/bin:/bin", "bin:/usr/bin:/bin"];

  async function clonedRepo(name: string, programs: readonly string[]): Promise<{ repo: string; marker: string; keyFile: string }> {
    const repo = join(tmp.path, name);
    mkdirSync(join(repo, "bin"), { recursive: true });
    const pair = await generateAgeKeyPair();
    const keyFile = join(tmp.path, `${name}-key.txt`);
    writeFileSync(keyFile, `${pair.identity}\n`, { mode: 0o600 });
    writeFileSync(join(repo, "app.yaml"), "password: s3cr3t\n");
    const enc = await hush(["encrypt", "-i", "--age", pair.recipient, "app.yaml"], { cwd: repo });
    expect(enc.stderr).toBe("");
    const marker = join(tmp.path, `${name}-ran`);
    for (const program of programs) {
      const planted = `#!/bin/sh\necho ${program} >> '${marker}'\nexit 0\n`;
      writeFileSync(join(repo, program), planted, { mode: 0o755 });
      writeFileSync(join(repo, "bin", program), planted, { mode: 0o755 });
    }
    return { repo, marker, keyFile };
  }

  it("the FIFO is made by the system's mkfifo, not by one planted in the working directory", async () => {
    const { repo, marker, keyFile } = await clonedRepo("fifo-repo", ["mkfifo"]);
    for (const path of BEFORE_SYSTEM) {
      const r = await hush(["exec-file", "app.yaml", "--", "/bin/cat", "{}"], { cwd: repo, env: { PATH: path, SOPS_AGE_KEY_FILE: keyFile } });
      expect(existsSync(marker), `PATH=${path}: exec-file ran the repository's mkfifo`).toBe(false);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("password: s3cr3t\n");
    }
    const none = await hush(["exec-file", "app.yaml", "--", "/bin/cat", "{}"], { cwd: repo, env: { PATH: ":bin:/nonexistent", SOPS_AGE_KEY_FILE: keyFile } });
    expect(existsSync(marker)).toBe(false);
    expect(none.status).toBe(3);
    expect(none.stderr).toBe("hush: cannot create a FIFO: mkfifo not found in PATH's absolute directories (install it, or use --no-fifo)\n");
  });

  it("--user looks the user up and hands over the file with the system's programs, not with a planted getent, id or chown", async () => {
    if (process.geteuid?.() !== 0) throw new Error("exec-file --user needs root: run the suite as root, e.g. in the project's container");
    const { repo, marker, keyFile } = await clonedRepo("user-repo", ["getent", "id", "chown"]);
    for (const path of BEFORE_SYSTEM) {
      for (const fifo of [[], ["--no-fifo"]]) {
        const r = await hush(["exec-file", ...fifo, "--user", "nobody", "app.yaml", "--", "/bin/sh", "-c", 'test "$(/usr/bin/id -u)" = 65534 && /bin/cat "$1"', "sh", "{}"], {
          cwd: repo,
          env: { PATH: path, SOPS_AGE_KEY_FILE: keyFile },
        });
        expect(existsSync(marker), `PATH=${path} ${fifo.join(" ")}: exec-file --user ran the repository's program`).toBe(false);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe("password: s3cr3t\n");
        expect(r.status).toBe(0);
      }
    }
  });
});
