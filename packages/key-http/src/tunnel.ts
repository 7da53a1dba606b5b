/**
 * An HTTPS connection through an HTTP proxy's CONNECT tunnel: the proxy is asked for a raw TCP
 * stream to `host:port`, and TLS then runs inside it end to end, the certificate checked against
 * the key service's host name, never the proxy's. The proxy sees the host name and the port;
 * the request, its token and the answer stay encrypted.
 *
 * Written here rather than taken from a proxy-agent package: a CONNECT and a `tls.connect` over
 * its socket are a few lines, and a dependency would be one more thing that sees every request.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, isIPv6, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { MAX_TIMER_DELAY_MS, printable } from "@hush/core";
import type { ProxyRoute } from "./proxy-settings.ts";

/** Where the tunnel leads and how TLS inside it is checked. */
export interface TunnelTarget {
  /** Host name or IP (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** CA, client certificate and the like for the TLS session with the key service. */
  readonly tls?: Omit<ConnectionOptions, "socket" | "host" | "port" | "servername"> | undefined;
}

/** The error of a tunnel that did not open: a message naming the proxy (no password) and the target. */
export class TunnelError extends Error {
  override readonly name = "TunnelError";
  /** True when the proxy gave no answer in time (a timeout, not a refusal). */
  readonly timedOut: boolean;

  constructor(message: string, timedOut = false) {
    super(message);
    this.timedOut = timedOut;
  }
}

/**
 * Proxies that left a CONNECT unanswered until its deadline: when, and the deadline it had. A
 * file may name many hosts (Key Vaults, KMS regions), and every one goes through the same proxy:
 * for a while, a tunnel through such a proxy fails at once instead of waiting again.
 */
const silentProxies = new Map<string, { readonly at: number; readonly timeoutMs: number }>();
/** How long a proxy that let a CONNECT run out of time is not asked again. */
const SILENT_FOR_MS = 60_000;

/**
 * Opens a tunnel through `proxy` to `target` and starts TLS inside it; `done` gets the TLS socket
 * (before its handshake completes: its errors arrive on the socket) or a {@link TunnelError}.
 * The CONNECT exchange is bounded by `timeoutMs` and ends at once when `signal` aborts (the
 * caller's deadline, its reason the deadline in ms); either way, the proxy is not asked again
 * for a minute.
 */
export function openTunnel(
  proxy: ProxyRoute,
  target: TunnelTarget,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  done: (err: Error | null, socket?: TLSSocket) => void,
): void {
  const authority = `${isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}`;
  const via = `proxy ${proxy.display}`;
  const silent = silentProxies.get(proxy.display);
  if (silent !== undefined && Date.now() - silent.at < SILENT_FOR_MS) {
    const why = `${via} not asked for ${authority}: it did not answer an earlier CONNECT within ${silent.timeoutMs} ms`;
    process.nextTick(() => done(new TunnelError(why, true)));
    return;
  }
  const send = proxy.protocol === "https:" ? httpsRequest : httpRequest;
  const req = send({
    host: proxy.hostname,
    port: proxy.port,
    method: "CONNECT",
    path: authority,
    agent: false,
    headers: { Host: authority, ...(proxy.authorization === undefined ? {} : { "Proxy-Authorization": proxy.authorization }) },
    ...(proxy.protocol === "https:" && isIP(proxy.hostname) === 0 ? { servername: proxy.hostname } : {}),
  });
  let finished = false;
  const finish = (err: Error | null, socket?: TLSSocket): void => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    if (finished) {
      socket?.destroy();
      return;
    }
    finished = true;
    if (err !== null) done(err);
    else done(null, socket);
  };
  const started = Date.now();
  const timer = setTimeout(() => {
    req.destroy();
    silentProxies.set(proxy.display, { at: Date.now(), timeoutMs });
    finish(new TunnelError(`${via} did not open a tunnel to ${authority} within ${timeoutMs} ms`, true));
  }, Math.min(timeoutMs, MAX_TIMER_DELAY_MS));
  const onAbort = (): void => {
    req.destroy();
    // Aborted at the caller's deadline with the CONNECT still unanswered.
    const limit = typeof signal?.reason === "number" ? signal.reason : Date.now() - started;
    if (!finished) silentProxies.set(proxy.display, { at: Date.now(), timeoutMs: limit });
    finish(new TunnelError(`${via}: the request to ${authority} was given up`, true));
  };
  signal?.addEventListener("abort", onAbort);
  req.on("connect", (res: IncomingMessage, socket: Socket, head: Buffer) => {
    silentProxies.delete(proxy.display);
    if (res.statusCode !== 200) {
      socket.destroy();
      const status = `HTTP ${res.statusCode ?? 0}${res.statusMessage ? ` ${printable(res.statusMessage, 60)}` : ""}`;
      const hint = res.statusCode === 407 ? `: check the user and password in ${proxy.variable}` : "";
      finish(new TunnelError(`${via} refused the tunnel to ${authority}: ${status}${hint}`));
      return;
    }
    if (head.length > 0) {
      // Bytes before TLS starts would come from the proxy, not the key service.
      socket.destroy();
      finish(new TunnelError(`${via} sent data before the tunnel to ${authority} opened`));
      return;
    }
    const secure = tlsConnect({
      ...target.tls,
      socket,
      host: target.host,
      // SNI takes host names only; an IP address is still checked against the certificate.
      ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
    });
    finish(null, secure);
  });
  req.on("error", (err: NodeJS.ErrnoException) => {
    const why = printable(err.code ?? err.message, 80);
    if (err.code === "ECONNRESET") finish(new TunnelError(`${via} closed the connection before opening a tunnel to ${authority}`));
    // Node's HTTP parser refused the answer (not HTTP, headers over its limit): the proxy was reached.
    else if (err.code?.startsWith("HPE_") === true) finish(new TunnelError(`${via} answered the CONNECT for ${authority} with no valid HTTP response (${why})`));
    else finish(new TunnelError(`cannot reach ${via} for ${authority} (${why})`));
  });
  req.end();
}
