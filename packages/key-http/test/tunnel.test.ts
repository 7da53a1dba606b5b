import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openTunnel } from "../src/tunnel.ts";

/**
 * What a proxy answers to CONNECT, read within bounds: an answer that is not HTTP, headers beyond
 * Node's limit, bytes sent before TLS starts, or an answer trickled in forever each end the
 * attempt with a short error naming the proxy, never a tunnel the key service's TLS runs over.
 */
describe("openTunnel against a proxy's raw answers", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  /** A proxy that answers the first bytes of the CONNECT with `answer(socket)`; what the attempt said. */
  async function attempt(answer: (socket: Socket) => void, timeoutMs = 1_500): Promise<{ said: string }> {
    server = createServer((socket) => {
      socket.on("error", () => socket.destroy());
      socket.once("data", () => answer(socket));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const proxy = { protocol: "http:" as const, hostname: "127.0.0.1", port, authorization: undefined, display: `http://127.0.0.1:${port}`, variable: "https_proxy" };
    return new Promise((resolve) => {
      openTunnel(proxy, { host: "kms.example.com", port: 443 }, timeoutMs, undefined, (err, socket) => {
        socket?.on("error", () => {});
        socket?.destroy();
        resolve({ said: (err?.message ?? "tunnel opened").replace(`:${port}`, ":PORT") });
      });
    });
  }

  it("an answer that is not HTTP, or headers over the limit, is named as the proxy's answer, not as a proxy out of reach", async () => {
    const header = `X-Padding: ${"a".repeat(1_000)}\r\n`;
    for (const [answer, code] of [
      ["SSH-2.0-OpenSSH_9.6\r\n", "HPE_INVALID_CONSTANT"],
      [`HTTP/1.1 200 OK\r\n${header.repeat(100)}\r\n`, "HPE_HEADER_OVERFLOW"],
    ] as const) {
      const r = await attempt((s) => s.write(answer));
      expect(r.said).toBe(`proxy http://127.0.0.1:PORT answered the CONNECT for kms.example.com:443 with no valid HTTP response (${code})`);
    }
  });

  it("a 407 names the variable the proxy was read from, as the user set it", async () => {
    const r = await attempt((s) => s.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'));
    expect(r.said).toBe("proxy http://127.0.0.1:PORT refused the tunnel to kms.example.com:443: HTTP 407 Proxy Authentication Required: check the user and password in https_proxy");
  });

  it("a 200 with bytes after it is refused; HTTP/1.0's 200 opens the tunnel", async () => {
    expect((await attempt((s) => s.write("HTTP/1.1 200 OK\r\n\r\nnot TLS"))).said).toBe("proxy http://127.0.0.1:PORT sent data before the tunnel to kms.example.com:443 opened");
    expect((await attempt((s) => s.write("HTTP/1.0 200 Connection established\r\n\r\n"))).said).toBe("tunnel opened");
  });

  it("an answer trickled in a header at a time ends at the deadline", async () => {
    const r = await attempt((s) => {
      s.write("HTTP/1.1 200 OK\r\n");
      const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write("X-Wait: 1\r\n")), 50);
    }, 800);
    // A deadline started again by each header would never fire: the test would time out.
    expect(r.said).toBe("proxy http://127.0.0.1:PORT did not open a tunnel to kms.example.com:443 within 800 ms");
  });
});
