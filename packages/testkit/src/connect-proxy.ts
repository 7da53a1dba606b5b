/**
 * An HTTP CONNECT proxy for tests, on 127.0.0.1: it opens each tunnel to 127.0.0.1 at the port
 * the CONNECT names, whatever the host name (so a client can be sent to `vault.hush.test:PORT`,
 * a name that is not loopback, and still reach a local test server), and records what it saw.
 * It never looks inside a tunnel: TLS runs between the client and the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect } from "node:net";
import { listenOnLoopback, type LoopbackListener } from "./loopback.ts";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";

/** One CONNECT the proxy received. */
export interface ConnectProxyCall {
  /** The CONNECT target as sent (`host:port`). */
  readonly target: string;
  /** The `Proxy-Authorization` header as sent, or undefined. */
  readonly proxyAuthorization: string | undefined;
  /** The status the proxy answered (200 when it opened the tunnel). */
  readonly status: number;
}

/** How the proxy answers every CONNECT. */
export type ConnectProxyMode =
  /** Open the tunnel (after checking `credentials`, when set). */
  | "tunnel"
  /** Answer 403 Forbidden. */
  | "forbid"
  /** Close the connection without an answer. */
  | "close"
  /** Never answer. */
  | "hang";

export interface ConnectProxyOptions {
  /** `user:password` the client must send as `Proxy-Authorization: Basic …`; else 407. */
  readonly credentials?: string;
  /** Speak TLS to clients with this certificate (an `https://` proxy). */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`). */
  readonly url: string;
  readonly port: number;
  readonly calls: readonly ConnectProxyCall[];
  /** Tunnels opened (CONNECTs answered 200). */
  readonly tunnels: number;
  /** Changes how later CONNECTs are answered. */
  setMode(mode: ConnectProxyMode): void;
  stop(): Promise<void>;
}

/** Starts a CONNECT proxy on 127.0.0.1 at a free port. */
export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const calls: ConnectProxyCall[] = [];
  let mode: ConnectProxyMode = "tunnel";
  const expected = options.credentials === undefined ? undefined : `Basic ${Buffer.from(options.credentials, "utf8").toString("base64")}`;
  const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(405, { Connection: "close" }).end("CONNECT only\n");
  };
  const server = options.tls === undefined ? createServer(onRequest) : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onRequest);
  server.on("connect", (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on("error", () => client.destroy());
    const target = req.url ?? "";
    const proxyAuthorization = req.headers["proxy-authorization"];
    const record = (status: number): void => {
      calls.push({ target, proxyAuthorization, status });
    };
    if (mode === "hang") return record(0);
    if (mode === "close") {
      record(0);
      client.destroy();
      return;
    }
    if (mode === "forbid") {
      record(403);
      client.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (expected !== undefined && proxyAuthorization !== expected) {
      record(407);
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const port = Number(/:(\d+)$/.exec(target)?.[1] ?? "");
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
      record(400);
      client.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const upstream = connect(port, "127.0.0.1", () => {
      record(200);
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("close", () => client.destroy());
    upstream.on("error", () => {
      if (!calls.some((c) => c.target === target && c.status === 200)) client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      upstream.destroy();
    });
    client.on("close", () => upstream.destroy());
  });
  const listening = await listenOnLoopback(server);
  const port = listening.port;
  return {
    url: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    port,
    calls,
    get tunnels() {
      return calls.filter((c) => c.status === 200).length;
    },
    setMode(next: ConnectProxyMode) {
      mode = next;
    },
    stop: listening.stop,
  };
}

/** A TLS front for a plain-http test server. */
export type TlsFront = LoopbackListener;

/**
 * Serves TLS on a free port of 127.0.0.1 with `cert` and passes the decrypted bytes to
 * 127.0.0.1:`targetPort`: it puts a plain-http test server (the KMS one) behind https, the way
 * a client behind a proxy reaches the real service.
 */
export async function startTlsFront(targetPort: number, cert: { readonly certPem: string; readonly keyPem: string }): Promise<TlsFront> {
  const server = createTlsServer({ cert: cert.certPem, key: cert.keyPem }, (client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) s.on("error", () => s.destroy());
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  return listenOnLoopback(server);
}
