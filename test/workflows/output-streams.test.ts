import { execFileSync, spawnSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * `--output` naming a stream: scripts written for SOPS give `--output /dev/stdout`, process
 * substitution (`--output >(kubectl apply -f -)`, a `/dev/fd/N` name) and `/dev/null`. These are
 * written into, not replaced through a temporary file beside them. Links are followed only where
 * the kernel names the process's own descriptors: a link in a work tree stays refused.
 */

const PLAIN = "db:\n  password: hunter2\nport: 5432\n";

describe("--output to a stream", () => {
  let k: KeyedDir;
  let enc: string;
  beforeAll(() => {
    k = keyedDir();
    enc = encryptFile(k, "app.enc.yaml", PLAIN);
  });
  afterAll(() => k.cleanup());

  /** Runs `hush ARGS` inside bash, so that `shellTail` can redirect descriptors around it. */
  const viaBash = (args: readonly string[], shellTail = ""): { status: number | null; stdout: string; stderr: string } =>
    spawnSync("bash", ["-c", `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_JS)} ${args.map((a) => JSON.stringify(a)).join(" ")} ${shellTail}`], {
      cwd: k.dir,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: k.dir, LANG: "C", ...k.env },
      encoding: "utf8",
      timeout: 20_000,
    });

  it("decrypt --output /dev/stdout, /dev/fd/1 and /proc/self/fd/1 print the plaintext as SOPS does", () => {
    for (const name of ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]) {
      const r = viaBash(["decrypt", "--output", name, enc]);
      expect(r.stderr, name).toBe("");
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toBe(PLAIN);
    }
  });

  it("decrypt --output /dev/stderr writes the plaintext to standard error, /dev/null nowhere", () => {
    const err = viaBash(["decrypt", "--output", "/dev/stderr", enc]);
    expect([err.status, err.stdout, err.stderr]).toEqual([0, "", PLAIN]);
    const none = viaBash(["decrypt", "--output", "/dev/null", enc]);
    expect([none.status, none.stdout, none.stderr]).toEqual([0, "", ""]);
  });

  it("process substitution and a named pipe receive the plaintext", () => {
    const sub = viaBash(["decrypt", "--output"], `>(cat > from-pipe.yaml) ${JSON.stringify(enc)}; wait; sleep 0.2`);
    expect(sub.stderr).toBe("");
    expect(sub.status).toBe(0);
    expect(readFileSync(k.path("from-pipe.yaml"), "utf8")).toBe(PLAIN);

    execFileSync("mkfifo", [k.path("fifo")]);
    const fifo = viaBash(["decrypt", "--output", "fifo", enc], "& cat fifo > from-fifo.yaml; wait");
    expect(fifo.stderr).toBe("");
    expect(readFileSync(k.path("from-fifo.yaml"), "utf8")).toBe(PLAIN);
    expect(lstatSync(k.path("fifo")).isFIFO(), "the pipe is written into, not replaced").toBe(true);
  });

  it("a descriptor the shell opened on a file gets exactly the output, from the start", () => {
    writeFileSync(k.path("fd3.yaml"), "x".repeat(200));
    const r = viaBash(["decrypt", "--output", "/dev/fd/3", enc], "3<>fd3.yaml");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(k.path("fd3.yaml"), "utf8")).toBe(PLAIN);
  });

  it("encrypt, encrypt --reuse and rotate write ciphertext to /dev/stdout", async () => {
    writeFileSync(k.path("plain.yaml"), PLAIN);
    const outputs = [
      viaBash(["encrypt", "--age", k.recipient, "--output", "/dev/stdout", "plain.yaml"]),
      viaBash(["encrypt", "--reuse", enc, "--output", "/dev/stdout", "plain.yaml"]),
      viaBash(["rotate", "--output", "/dev/stdout", enc]),
    ];
    for (const [i, r] of outputs.entries()) {
      expect(r.status, `${i}: ${r.stderr}`).toBe(0);
      writeFileSync(k.path(`out-${i}.enc.yaml`), r.stdout);
      expect(await k.decrypt(k.path(`out-${i}.enc.yaml`))).toBe(PLAIN);
    }
    // The input was read, not replaced: no lock or temporary file was made beside it.
    expect(await k.decrypt(enc)).toBe(PLAIN);
    expect(readdirSync(k.dir).filter((n) => n.includes(".hush"))).toEqual([]);
  });

  it("a link in the work tree to a stream is still refused, and its target left alone", () => {
    symlinkSync("/dev/null", k.path("null-link.yaml"));
    execFileSync("mkfifo", [k.path("fifo-target")]);
    symlinkSync(k.path("fifo-target"), k.path("fifo-link.yaml"));
    for (const name of ["null-link.yaml", "fifo-link.yaml"]) {
      const r = viaBash(["decrypt", "--output", name, enc]);
      expect(r.status, name).toBe(3);
      expect(r.stderr, name).toContain(`${name} is a symbolic link`);
      expect(r.stdout).toBe("");
    }
  });
});
