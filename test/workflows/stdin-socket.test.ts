import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir } from "./helpers.ts";

/**
 * A Node program, a service manager (systemd's `StandardInput=socket`) or an SSH server hands a
 * program its standard input as one end of a socket pair, not a pipe. Linux does not let
 * `/dev/stdin` be opened again then (ENXIO), and hush refused it as "a device or socket", so
 * `execFileSync("hush", ["decrypt", "/dev/stdin"], { input })` failed where a shell pipe worked.
 * It is read where it already is; a socket file named by path is still refused.
 */
describe("/dev/stdin and /dev/fd/0 that are a socket", () => {
  const k = keyedDir();
  afterAll(() => k.cleanup());
  const plain = "password: s3cret-Kt55\nport: 5432\n";

  it("decrypt and encrypt read them as they read a pipe (runHush's input is a socket pair)", () => {
    const encrypted = encryptFile(k, "app.enc.yaml", plain);
    const text = k.hush(["decrypt", "--input-type", "yaml", "/dev/stdin"], { input: readFileSync(encrypted, "utf8") });
    expect(text.stderr).toBe("");
    expect(text.stdout).toBe(plain);
    const viaFd = k.hush(["decrypt", "--input-type", "yaml", "/dev/fd/0"], { input: readFileSync(encrypted, "utf8") });
    expect(viaFd.stdout).toBe(plain);
    const made = k.hush(["encrypt", "--age", k.recipient, "--input-type", "yaml", "/dev/stdin"], { input: plain });
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toContain("password: ENC[AES256_GCM,");
  });

  it("a socket file named by its path is refused unread, as before", async () => {
    const path = k.path("app.sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const r = k.hush(["decrypt", "--input-type", "yaml", path]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("not a regular file (a device or socket)");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
