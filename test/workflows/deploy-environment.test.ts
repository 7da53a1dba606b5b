import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SOPS_TEST_PGP_KEYS, sopsVector } from "@hush/testkit";
import { bash, CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * hush as a deploy script, an init container or a service unit runs it: nobody reads its output
 * but the exit status and stdout, and the process's surroundings are whatever the host left.
 */

describe("a working directory removed under the service", () => {
  let k: KeyedDir;
  let file: string;
  let gone: string;
  beforeAll(() => {
    k = keyedDir();
    file = encryptFile(k, "app.yaml", "db: hunter2-deploy\n");
    gone = k.path("release-1");
  });
  afterAll(() => k.cleanup());

  const NO_DIRECTORY = "hush: the working directory cannot be read (ENOENT: it was removed, or you may not enter it)\n  next: cd to a directory that exists, or name every file by its absolute path\n";

  /** Runs `script` in a directory that is removed before hush starts (bash stays in it). */
  const inRemovedDirectory = (script: string): ReturnType<typeof bash> => {
    mkdirSync(gone);
    return bash(k, `rmdir "$PWD" || exit 99\n${script}`, k.env, gone);
  };

  it("decrypts a file named by its absolute path, as it would from anywhere else", () => {
    const r = inRemovedDirectory(`hush decrypt '${file}'`);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("db: hunter2-deploy\n");
    expect(r.status).toBe(0);
  });

  it("says in one line what is wrong when a command needs the directory, without a stack trace", () => {
    const out = k.path("out");
    mkdirSync(out);
    const r = inRemovedDirectory(`hush decrypt --output-dir '${out}' '${file}'`);
    expect(r.stderr).toBe(NO_DIRECTORY);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });

  it("says the same for a relative path that Node resolves itself (--output, keygen -o), not Node's 'uv_cwd' with status 1", () => {
    const r = inRemovedDirectory(`hush decrypt --output out.yaml '${file}'; echo "decrypt=$?"\nhush keygen -o key.txt; echo "keygen=$?"`);
    expect(r.stdout).toBe("decrypt=2\nkeygen=2\n");
    expect(r.stderr).toBe(NO_DIRECTORY.repeat(2));
  });
});

describe("a directory as standard input (a secret volume mounted as a directory where a file was meant)", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    mkdirSync(k.path("mounted"));
  });
  afterAll(() => k.cleanup());

  it("is an input that cannot be read (exit 2), not an empty file found not encrypted, nor one filestatus passes", () => {
    const r = bash(
      k,
      [
        "hush decrypt --input-type yaml - < mounted; echo \"decrypt=$?\"",
        "hush exec-env --input-type dotenv - -- true < mounted; echo \"exec-env=$?\"",
        "hush filestatus --input-type yaml - < mounted; echo \"filestatus=$?\"",
      ].join("\n"),
    );
    expect(r.stdout).toBe("decrypt=2\nexec-env=2\nfilestatus=2\n");
    expect(r.stderr).toBe("hush: stdin: is a directory\n  next: name the file, or redirect standard input from a file\n".repeat(3));
  });
});

describe("the home directory key sources look in", () => {
  let k: KeyedDir;
  let file: string;
  beforeAll(() => {
    k = keyedDir();
    file = encryptFile(k, "app.yaml", "db: hunter2-home\n");
  });
  afterAll(() => k.cleanup());

  it("a user without an entry in the user database (a container's numeric UID) with HOME unset decrypts with SOPS_AGE_KEY_FILE", () => {
    if (process.geteuid?.() !== 0) throw new Error("this test runs hush as a user without a passwd entry, which needs root: run the suite as root, e.g. in the project's container");
    const uid = 48_213;
    expect(spawnSync("getent", ["passwd", String(uid)]).status, `uid ${uid} has a passwd entry here; pick another`).not.toBe(0);
    chmodSync(k.dir, 0o755);
    chmodSync(k.keyFile, 0o644);
    chmodSync(file, 0o644);
    const r = spawnSync(process.execPath, [CLI_JS, "decrypt", file], { uid, gid: uid, cwd: "/", env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", SOPS_AGE_KEY_FILE: k.keyFile }, encoding: "utf8", timeout: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("db: hunter2-home\n");
    expect(r.status).toBe(0);
  });

  it("a relative HOME does not make a key file of the working directory's (a repository someone else wrote) the user's", () => {
    // The directory holds home/.config/sops/age/keys.txt: with HOME=home, ~/.config/… named it.
    mkdirSync(k.path("home/.config/sops/age"), { recursive: true });
    copyFileSync(k.keyFile, k.path("home/.config/sops/age/keys.txt"));
    const r = k.hush(["decrypt", file], { env: { SOPS_AGE_KEY_FILE: undefined, HOME: "home" } });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("~/.ssh/id_ed25519: home directory unknown");
    expect(r.stderr).toContain("default age keys file: no config directory known");
  });

  it("nor a gpg keyring of the working directory's: gpg, which would take HOME/.gnupg as it is, is not run", () => {
    // A keyring with the key of the file in home/.gnupg, inside the directory hush runs in.
    const keyring = k.path("home/.gnupg");
    mkdirSync(keyring, { recursive: true, mode: 0o700 });
    const imported = spawnSync("gpg", ["--homedir", keyring, "--batch", "--import", sopsVector("sops_functional_tests_key.asc")], { encoding: "utf8" });
    if (imported.error !== undefined) throw new Error(`this test needs gpg (apt-get install -y gnupg): ${imported.error.message}`);
    try {
      writeFileSync(k.path("pgp.yaml"), "db: hunter2-pgp\n");
      const encrypted = k.hush(["encrypt", "-i", "--pgp", SOPS_TEST_PGP_KEYS.key1, k.path("pgp.yaml")], { env: { GNUPGHOME: keyring } });
      expect(encrypted.status, encrypted.stderr).toBe(0);
      const r = k.hush(["decrypt", k.path("pgp.yaml")], { env: { SOPS_AGE_KEY_FILE: undefined, HOME: "home" } });
      expect(r.stdout).toBe("");
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("gpg was not run: no home directory to find its keyring in (HOME is unset with no user database entry, or not an absolute path)");
    } finally {
      spawnSync("gpgconf", ["--homedir", keyring, "--kill", "gpg-agent"]);
    }
  });
});

describe("SIGQUIT (Ctrl+\\) while hush writes the plaintext", () => {
  let k: KeyedDir;
  let file: string;
  beforeAll(() => {
    k = keyedDir();
    // One value of 8 MiB: more than a pipe holds, so hush is still writing when the signal comes.
    file = encryptFile(k, "big.yaml", `blob: ${"q".repeat(8 << 20)}\n`);
  });
  afterAll(() => k.cleanup());

  it("ends hush with status 131, not by the signal, whose default action dumps its memory (the plaintext) to a core file", async () => {
    const child = spawn(process.execPath, [CLI_JS, "decrypt", file], { cwd: k.dir, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", ...k.env }, stdio: ["ignore", "pipe", "pipe"] });
    const ended = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (code, signal) => resolve([code, signal])));
    // The first bytes show that hush is writing; not reading on keeps it in the middle of the write.
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    child.stdout.pause();
    child.kill("SIGQUIT");
    child.stdout.resume();
    child.stderr.resume();
    expect(await ended).toEqual([131, null]);
    expect(readdirSync(k.dir).filter((name) => name.startsWith("core"))).toEqual([]);
  });
});
