import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { HushError, MAX_TIMER_DELAY_MS, printable } from "@hush/core";
import { proxyForUrl, type ProxyEnv, type ProxyRoute } from "./proxy-settings.ts";
import { tlsFailureHint } from "./tls-hints.ts";
import { openTunnel, TunnelError } from "./tunnel.ts";
import type { Duplex } from "node:stream";

/** Key-service answers are small; anything larger than this is not the service. */
const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Origins whose last request ran out of time: when, and the deadline it had. A file may list
 * many keys of one server (a Vault or a vault that does not answer, up to 128 entries), and each
 * would wait the whole deadline again; for a while, a request to such an origin fails at once.
 */
const silentOrigins = new Map<string, { readonly at: number; readonly timeoutMs: number }>();
/** How long an origin that let a request run out of time is not asked again. */
const SILENT_FOR_MS = 60_000;

/** A request body: JSON, or an HTML form (OAuth token endpoints take forms). */
export type RequestBody = { readonly json: unknown } | { readonly form: Readonly<Record<string, string>> };

/** TLS material beyond the system's trust store. */
export interface TlsMaterial {
  /** Extra CA certificates to trust (PEM). */
  readonly ca?: Buffer | undefined;
  /** A client certificate and its key (PEM), for mutual TLS. */
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
}

/** One request. */
export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: RequestBody | undefined;
  readonly tls?: TlsMaterial | undefined;
  /** One deadline for the whole exchange, connection to last byte. */
  readonly timeoutMs: number;
  readonly maxAnswerBytes?: number | undefined;
  /**
   * The user's environment, for `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy` only
   * (never a file's settings): an https request goes through that proxy's CONNECT tunnel.
   */
  readonly env: ProxyEnv;
}

/** An answer: status, headers, and the body parsed as JSON (undefined when it is not JSON). */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

function encodeBody(body: RequestBody | undefined): { type?: string; bytes?: Buffer } {
  if (body === undefined) return {};
  if ("json" in body) return { type: "application/json", bytes: Buffer.from(JSON.stringify(body.json), "utf8") };
  return { type: "application/x-www-form-urlencoded", bytes: Buffer.from(new URLSearchParams(body.form).toString(), "utf8") };
}

/**
 * Sends one request and returns the answer, whatever its status (3xx included: redirects are
 * never followed; the caller reports them).
 *
 * @throws HushError KEY_SOURCE_FAILED (`NetworkError (…)`, `NetworkTimeout (…)`,
 *   `MalformedResponse (…)` for an answer over the size bound, `BadConfiguration (…)` for a proxy
 *   setting hush cannot use; through a proxy, naming the proxy without its user or password); the
 *   message never holds a header or body of the request
 */
export function sendRequest(request: HttpRequest): Promise<HttpAnswer> {
  const origin = request.url.origin;
  const silent = silentOrigins.get(origin);
  if (silent !== undefined && Date.now() - silent.at < SILENT_FOR_MS) {
    return Promise.reject(new HushError("KEY_SOURCE_FAILED", `NetworkTimeout (not asked: it gave no answer within ${silent.timeoutMs} ms to an earlier request)`));
  }
  const { type, bytes } = encodeBody(request.body);
  const headers: Record<string, string | number> = { ...request.headers };
  if (type !== undefined && bytes !== undefined) {
    headers["Content-Type"] = type;
    headers["Content-Length"] = bytes.length;
  }
  const limit = request.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const tls = request.url.protocol === "https:";
  const send = tls ? httpsRequest : httpRequest;
  const material = tls ? request.tls : undefined;
  const tlsOptions = {
    ...(material?.ca ? { ca: material.ca } : {}),
    ...(material?.cert ? { cert: material.cert } : {}),
    ...(material?.key ? { key: material.key } : {}),
  };
  let proxy: ProxyRoute | undefined;
  try {
    proxy = proxyForUrl(request.url, request.env);
  } catch (err) {
    // A proxy setting hush cannot use is the user's to correct, as the other settings are.
    return Promise.reject(new HushError("KEY_SOURCE_FAILED", `BadConfiguration (${(err as Error).message}): no request was sent`));
  }
  const through = proxy === undefined ? "" : `, through proxy ${proxy.display}`;
  const giveUp = new AbortController();
  const tunnel =
    proxy === undefined
      ? {}
      : {
          createConnection: (_options: unknown, oncreate: (err: Error | null, socket: Duplex) => void): undefined => {
            const host = request.url.hostname.replace(/^\[(.*)\]$/, "$1");
            const port = request.url.port === "" ? 443 : Number(request.url.port);
            // The request's own deadline (below) comes first and gives the tunnel up.
            openTunnel(proxy, { host, port, tls: tlsOptions }, request.timeoutMs + 1000, giveUp.signal, (err, socket) => {
              if (err !== null || socket === undefined) oncreate(err ?? new Error("no tunnel"), undefined as unknown as Duplex);
              else oncreate(null, socket);
            });
            return undefined;
          },
        };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      // A request whose connection never came (a tunnel that did not open) never closes: its
      // deadline would keep the process alive for the whole timeout.
      clearTimeout(deadline);
      if (settled) return;
      settled = true;
      reject(new HushError("KEY_SOURCE_FAILED", why));
    };
    const req = send(
      request.url,
      { method: request.method, headers, ...tlsOptions, ...tunnel },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            req.destroy();
            // No key service answers this much: the answer is not the service's to read.
            fail(`MalformedResponse (an answer larger than ${limit} bytes)`);
          } else chunks.push(c);
        });
        res.on("end", () => {
          clearTimeout(deadline);
          if (settled) return;
          settled = true;
          silentOrigins.delete(origin);
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on("error", (err) => fail(`NetworkError (${printable(err.message)}${through})`));
      },
    );
    // One deadline for the whole exchange: a server that sends its answer a byte at a time never
    // trips the socket's idle timeout.
    const deadline = setTimeout(() => {
      giveUp.abort(request.timeoutMs);
      req.destroy();
      if (!settled) silentOrigins.set(origin, { at: Date.now(), timeoutMs: request.timeoutMs });
      fail(`NetworkTimeout (no answer within ${request.timeoutMs} ms${through})`);
    }, Math.min(request.timeoutMs, MAX_TIMER_DELAY_MS));
    req.on("close", () => clearTimeout(deadline));
    req.on("error", (err: NodeJS.ErrnoException) =>
      // A tunnel that did not open says which proxy and which host; the proxy is named anyway.
      fail(err instanceof TunnelError ? `${err.timedOut ? "NetworkTimeout" : "NetworkError"} (${printable(err.message, 240)})` : `NetworkError (${printable(err.code ?? err.message)}${tlsFailureHint(err.code)}${through})`),
    );
    req.end(bytes);
  });
}
