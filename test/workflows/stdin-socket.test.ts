import { readFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, startHush } from "./helpers.ts";

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

  /** A server listening on a socket file in the test directory; `onConnection` gets each connection. */
  async function listening(name: string, onConnection: (conn: import("node:net").Socket) => void = () => {}): Promise<Server> {
    const server = createServer(onConnection);
    await new Promise<void>((resolve) => server.listen(k.path(name), resolve));
    return server;
  }

  it("a listening socket (a service's Accept=no) is a READ_FAILED naming it and the next step, not a bare EINVAL", async () => {
    const server = await listening("listen.sock");
    try {
      // The listening socket itself, as a service manager hands it over.
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const r = await startHush(["decrypt", "--input-type", "yaml", "/dev/fd/3"], { cwd: k.dir, env: k.env, fd3: fd }).done;
      expect(r.stderr).toBe(
        "hush: /dev/fd/3: a socket with no connection to read (a listening socket, as a service's Accept=no hands over); next: give hush a connected socket, a pipe or a file\n",
      );
      expect(r.code).toBe(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("a non-blocking socket whose data has not come yet is refused with the way round, and its flag is left to the program that handed it over", async () => {
    const encrypted = readFileSync(encryptFile(k, "later.enc.yaml", plain), "utf8");
    // The text arrives once hush has started reading: its first read finds nothing.
    const server = await listening("later.sock", (conn) => setTimeout(() => conn.end(encrypted), 500));
    const client = connect(k.path("later.sock"));
    try {
      await new Promise<void>((resolve) => client.on("connect", resolve));
      const received = new Promise<string>((resolve) => {
        let text = "";
        client.on("data", (d: Buffer) => (text += d.toString()));
        client.on("end", () => resolve(text));
      });
      // Node's socket is non-blocking, and fd 3 stays so in the child.
      const r = await startHush(["decrypt", "--input-type", "yaml", "/dev/fd/3"], { cwd: k.dir, env: k.env, fd3: client }).done;
      expect(r.stderr).toBe("hush: /dev/fd/3: a non-blocking socket, whose data had not come when hush read it (EAGAIN); next: give it as standard input (-), or through a pipe or a file\n");
      expect(r.code).toBe(2);
      // What comes later is still this process's to read (a child's stdio pauses the socket here).
      client.resume();
      expect(await received).toBe(encrypted);
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
