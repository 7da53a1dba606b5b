import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Writes that fail part way, as on a full disk. A file size limit (prlimit --fsize) stands in for
 * the disk: a write past it fails with EFBIG where a full disk gives ENOSPC, after a short write of
 * what fits, which is how a full disk stops a write too.
 */

let k: KeyedDir;
beforeAll(() => {
  k = keyedDir();
});
afterAll(() => k.cleanup());

/** Runs hush in the directory with files limited to `bytes`; standard error is a pipe, not limited. */
function hushLimited(bytes: number, args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const r = spawnSync("prlimit", [`--fsize=${bytes}`, "--", process.execPath, CLI_JS, ...args], {
    cwd: k.dir,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...k.env, ...env },
    encoding: "utf8",
  });
  if (r.error !== undefined) throw new Error(`prlimit could not run (${r.error.message}): install util-linux`);
  return r;
}

const plainWithValues = (n: number): string => Array.from({ length: n }, (_, i) => `key${i}: value-${i}\n`).join("");

describe("a lock that cannot be written", () => {
  it("leaves no lock file and no temporary file behind, and the file as it was (exit 3)", () => {
    const f = encryptFile(k, "locked.yaml", "a: 1\n");
    const before = readFileSync(f);
    // The lock holds "PID HOST\n": 5 bytes of it fit. That part was linked into place as the lock,
    // which the command then did not take for its own and left, blocking the next writer 5 s.
    const r = hushLimited(5, ["set", f, '["a"]', "2"]);
    expect(r.stderr).toBe(`hush: ${f}: cannot create lock file ${k.path(".locked.yaml.hush-lock")} (EFBIG)\n`);
    expect(r.status).toBe(3);
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(readdirSync(k.dir).filter((n) => n.includes("locked.yaml"))).toEqual(["locked.yaml"]);
  });
});

describe("decrypting several files when a write fails part way", () => {
  // The first plaintext fits under the limit, the second does not.
  const limit = 2048;
  const small = plainWithValues(3);
  const large = plainWithValues(200);

  it("-i says which files hold their plaintext now and which are still encrypted", async () => {
    const a = encryptFile(k, "a.yaml", small);
    const b = encryptFile(k, "b.yaml", large);
    const c = encryptFile(k, "c.yaml", small);
    const [bBefore, cBefore] = [readFileSync(b), readFileSync(c)];
    expect(large.length).toBeGreaterThan(limit);
    const r = hushLimited(limit, ["decrypt", "-i", a, b, c]);
    expect(r.stderr).toBe(
      `hush: ${b}: cannot write (EFBIG)\n  written already (plaintext, in place): ${a}\n  still encrypted: ${b}, ${c}\n  next: once the cause is fixed, decrypt the files still encrypted\n`,
    );
    expect(r.status).toBe(3);
    expect(readFileSync(a, "utf8")).toBe(small);
    expect(readFileSync(b).equals(bBefore)).toBe(true);
    expect(readFileSync(c).equals(cBefore)).toBe(true);
    expect(readdirSync(k.dir).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("--output-dir says which outputs were written; a first write that fails says nothing was", () => {
    const a = encryptFile(k, "d.yaml", small);
    const b = encryptFile(k, "e.yaml", large);
    const out = k.path("out");
    mkdirSync(out);
    const r = hushLimited(limit, ["decrypt", "--output-dir", out, a, b]);
    expect(r.stderr).toBe(`hush: ${out}/e.yaml: cannot write (EFBIG)\n  written already (plaintext): ${out}/d.yaml\n  not written: ${out}/e.yaml\n`);
    expect(r.status).toBe(3);
    expect(readdirSync(out)).toEqual(["d.yaml"]);
    const first = hushLimited(limit, ["decrypt", "-i", b, a]);
    expect(first.stderr).toBe(`hush: ${b}: cannot write (EFBIG)\n  nothing was written\n`);
    expect(first.status).toBe(3);
  });
});

describe("plaintext that cannot be written to the private directory (a full /dev/shm)", () => {
  it("edit and exec-file name the file and the directory (exit 3), change nothing and leave nothing", () => {
    const f = encryptFile(k, "shm.yaml", plainWithValues(20));
    const before = readFileSync(f);
    // XDG_RUNTIME_DIR, a directory of the user's with mode 0700, is where the plaintext goes first.
    const runtime = k.path("runtime");
    mkdirSync(runtime, { mode: 0o700 });
    const env = { XDG_RUNTIME_DIR: runtime, EDITOR: "true" };
    // The lock ("PID HOST") fits under the limit; the plaintext does not. Was "hush: EFBIG: file too large, write", exit 1.
    const edit = hushLimited(100, ["edit", f], env);
    expect(edit.stderr).toBe(`hush: ${f}: cannot write the decrypted text in ${runtime} (EFBIG); ${f} was not changed\n`);
    expect(edit.status).toBe(3);
    const exec = hushLimited(100, ["exec-file", "--no-fifo", f, "--", "cat", "{}"], env);
    expect(exec.stderr).toBe(`hush: ${f}: cannot write the decrypted text in ${runtime} (EFBIG)\n`);
    expect(exec.status).toBe(3);
    expect(readFileSync(f).equals(before)).toBe(true);
    expect(readdirSync(runtime)).toEqual([]);
    expect(readdirSync(k.dir).filter((n) => n.includes("shm.yaml"))).toEqual(["shm.yaml"]);
  });
});
