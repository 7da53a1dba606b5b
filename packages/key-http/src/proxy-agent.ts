/**
 * An `https.Agent` that goes through the environment's HTTPS proxy, for clients hush does not
 * write itself (the AWS SDK takes an agent): each new connection is decided by the same rules as
 * hush's own requests ({@link proxyFor}) and tunnelled with {@link openTunnel}.
 */
import { Agent, type AgentOptions } from "node:https";
import type { ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import type { ConnectionOptions } from "node:tls";
import { hasHttpsProxy, proxyFor, type ProxyEnv } from "./proxy-settings.ts";
import { openTunnel, TunnelError } from "./tunnel.ts";

/** The TLS options an agent passes on that matter inside a tunnel. */
const TLS_OPTION_NAMES = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "ALPNProtocols", "minVersion", "maxVersion", "ciphers", "checkServerIdentity", "session"] as const;

class ProxyTunnelAgent extends Agent {
  readonly #env: ProxyEnv;
  readonly #timeoutMs: number;

  constructor(env: ProxyEnv, timeoutMs: number, options: AgentOptions) {
    super(options);
    this.#env = env;
    this.#timeoutMs = timeoutMs;
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? "localhost");
    const port = Number(options.port ?? 443);
    let route;
    try {
      route = proxyFor("https:", host, String(port), this.#env);
    } catch (err) {
      // A proxy setting hush cannot use, for a host that would go through it: reported as the
      // connection's failure (a throw here would escape the SDK's request).
      callback?.(new TunnelError((err as Error).message), undefined as unknown as Duplex);
      return undefined;
    }
    if (route === undefined) return super.createConnection(options, callback);
    const tls: Record<string, unknown> = {};
    const given = options as Record<string, unknown>;
    for (const name of TLS_OPTION_NAMES) if (given[name] !== undefined) tls[name] = given[name];
    openTunnel(route, { host, port, tls: tls as ConnectionOptions }, this.#timeoutMs, undefined, (err, socket) => {
      if (callback === undefined) return;
      if (err !== null || socket === undefined) callback(err ?? new Error("no tunnel"), undefined as unknown as Duplex);
      else callback(null, socket);
    });
    return undefined;
  }
}

/**
 * An agent for an SDK's https requests that honours `HTTPS_PROXY`/`NO_PROXY` from `env`, or
 * undefined when `env` names no https proxy (the SDK's own agent is then used, unchanged).
 *
 * @param timeoutMs - bounds each CONNECT exchange with the proxy
 */
export function proxyAgentFromEnv(env: ProxyEnv, timeoutMs: number): Agent | undefined {
  if (!hasHttpsProxy(env)) return undefined;
  // The AWS SDK's own agent: keep-alive, at most 50 sockets per host.
  return new ProxyTunnelAgent(env, timeoutMs, { keepAlive: true, maxSockets: 50 });
}
