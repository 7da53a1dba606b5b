/**
 * Which proxy, if any, a request to a key service goes through: the rules of Go's
 * `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy), which SOPS follows, so one
 * environment sends both programs the same way. Settings come only from the environment the
 * caller passes (the user's own), never from a file.
 */
import { BlockList, isIP, isIPv6 } from "node:net";
import { domainToASCII } from "node:url";
import { HushError } from "@hush/core";

/** The environment the settings are read from. */
export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** A proxy to go through, as the request needs it. */
export interface ProxyRoute {
  /** `http:` or `https:` (TLS to the proxy itself). */
  readonly protocol: "http:" | "https:";
  /** Host name or IP address (IPv6 without brackets). */
  readonly hostname: string;
  readonly port: number;
  /** `Basic …` from the URL's user and password, sent to the proxy only; undefined without them. */
  readonly authorization: string | undefined;
  /** `http://host:port`: the proxy as messages name it, never with its user or password. */
  readonly display: string;
  /** The variable the proxy was read from (`HTTPS_PROXY` or `https_proxy`), for messages. */
  readonly variable: string;
}

/** The first non-empty variable of `names`, as Go's getEnvAny: upper case wins. */
function firstSet(env: ProxyEnv, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== "") return { name, value };
  }
  return undefined;
}

/** Strips the brackets Node's URL keeps around an IPv6 host name. */
function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

/**
 * Parses a proxy variable as Go does: a value without a known scheme (`proxy.corp:3128`) is read
 * as `http://…`. The value itself never appears in a message: it may hold a password.
 */
function parseProxy(name: string, value: string): ProxyRoute {
  const known = ["http:", "https:", "socks5:", "socks5h:"];
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // Only a value without a scheme: `http://http://…` would make a host of the scheme's name.
  if ((url === undefined || !known.includes(url.protocol) || url.hostname === "") && !value.includes("://")) {
    try {
      url = new URL(`http://${value}`);
    } catch {
      url = undefined;
    }
  }
  const form = "http://[user:password@]host:port";
  if (url === undefined || url.hostname === "") throw new HushError("KEY_SOURCE_FAILED", `${name} is not a proxy address (${form}): correct or unset it`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HushError("KEY_SOURCE_FAILED", `${name} names a ${url.protocol.slice(0, -1)} proxy; hush goes through http and https proxies only (${form})`);
  }
  const protocol = url.protocol;
  const port = url.port === "" ? (protocol === "https:" ? 443 : 80) : Number(url.port);
  let authorization: string | undefined;
  if (url.username !== "" || url.password !== "") {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(url.username);
      password = decodeURIComponent(url.password);
    } catch {
      throw new HushError("KEY_SOURCE_FAILED", `${name}: the proxy's user or password is not valid percent-encoding: correct it`);
    }
    authorization = `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
  }
  return { protocol, hostname: bareHost(url.hostname), port, authorization, display: `${protocol}//${url.host}`, variable: name };
}

/** One NO_PROXY entry, as httpproxy's ipMatch, cidrMatch and domainMatch. */
type Bypass =
  | { readonly kind: "all" }
  | { readonly kind: "ip"; readonly list: BlockList; readonly port: string }
  | { readonly kind: "domain"; readonly suffix: string; readonly port: string; readonly matchHost: boolean };

function ipFamily(ip: string): "ipv4" | "ipv6" {
  return isIPv6(ip) ? "ipv6" : "ipv4";
}

/** Splits `host:port` / `[v6]:port` as Go's net.SplitHostPort, or undefined when it is not that form. */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? "", port: bracketed[2] ?? "" };
  const plain = /^([^:[\]]*):([^:]*)$/.exec(entry);
  return plain ? { host: plain[1] ?? "", port: plain[2] ?? "" } : undefined;
}

/** Reads NO_PROXY: host names, domain suffixes (`.corp`, `*.corp`, `corp`), IPs, CIDRs, each with an optional port; `*` bypasses all. */
function parseNoProxy(value: string): Bypass[] {
  const bypasses: Bypass[] = [];
  for (const raw of value.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return [{ kind: "all" }];
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr && isIP(cidr[1] ?? "") !== 0) {
      const ip = cidr[1] ?? "";
      const prefix = Number(cidr[2]);
      if (prefix <= (isIPv6(ip) ? 128 : 32)) {
        const list = new BlockList();
        list.addSubnet(ip, prefix, ipFamily(ip));
        bypasses.push({ kind: "ip", list, port: "" });
      }
      continue;
    }
    const split = splitHostPort(entry);
    if (split !== undefined && split.host === "") continue; // no host part: malformed, ignored as Go does
    const host = split?.host ?? entry;
    const port = split?.port ?? "";
    if (isIP(host) !== 0) {
      const list = new BlockList();
      list.addAddress(host, ipFamily(host));
      bypasses.push({ kind: "ip", list, port });
      continue;
    }
    let suffix = host.startsWith("*.") ? host.slice(1) : host;
    const matchHost = !suffix.startsWith(".");
    if (matchHost) suffix = `.${suffix}`;
    suffix = domainToASCII(suffix.slice(1)) === "" ? suffix : `.${domainToASCII(suffix.slice(1))}`;
    bypasses.push({ kind: "domain", suffix, port, matchHost });
  }
  return bypasses;
}

function bypassMatches(bypass: Bypass, host: string, port: string): boolean {
  switch (bypass.kind) {
    case "all":
      return true;
    case "ip":
      return isIP(host) !== 0 && bypass.list.check(host, ipFamily(host)) && (bypass.port === "" || bypass.port === port);
    case "domain":
      return (host.endsWith(bypass.suffix) || (bypass.matchHost && host === bypass.suffix.slice(1))) && (bypass.port === "" || bypass.port === port);
  }
}

/** Loopback hosts never go through a proxy (Go: `localhost`, 127.0.0.0/8, ::1). */
function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) {
    const loop = new BlockList();
    loop.addAddress("::1", "ipv6");
    loop.addSubnet("::ffff:127.0.0.0", 104, "ipv6");
    return loop.check(host, "ipv6");
  }
  return false;
}

/**
 * The proxy an https request to `hostname:port` goes through, or undefined to go direct: the
 * first of `HTTPS_PROXY`/`https_proxy` that is set, unless the host is loopback or matches
 * `NO_PROXY`/`no_proxy`.
 *
 * Plain http requests never go through a proxy: hush sends plain http only to this machine
 * (which Go's rules never proxy either) and to the cloud metadata endpoints, which are on the
 * machine's own link, unreachable through a proxy, and answer with tokens a proxy would read.
 *
 * @param hostname - the request's host (a URL's `hostname`; IPv6 with or without brackets)
 * @throws HushError KEY_SOURCE_FAILED naming the variable when the proxy setting is not an http(s) URL
 */
export function proxyFor(protocol: string, hostname: string, port: string, env: ProxyEnv): ProxyRoute | undefined {
  if (protocol !== "https:") return undefined;
  const setting = firstSet(env, ["HTTPS_PROXY", "https_proxy"]);
  if (setting === undefined) return undefined;
  const host = bareHost(hostname).trim().toLowerCase();
  if (host === "" || isLoopback(host)) return undefined;
  const noProxy = firstSet(env, ["NO_PROXY", "no_proxy"]);
  const effectivePort = port === "" ? "443" : port;
  if (noProxy !== undefined && parseNoProxy(noProxy.value).some((b) => bypassMatches(b, host, effectivePort))) return undefined;
  return parseProxy(setting.name, setting.value);
}

/** {@link proxyFor} of a URL. */
export function proxyForUrl(url: URL, env: ProxyEnv): ProxyRoute | undefined {
  return proxyFor(url.protocol, url.hostname, url.port, env);
}

/**
 * True when the environment names an https proxy, whatever NO_PROXY says. The setting is checked
 * only when a request would use it: one that cannot be used (a socks5 proxy) must not stop
 * requests to hosts that bypass it.
 */
export function hasHttpsProxy(env: ProxyEnv): boolean {
  return firstSet(env, ["HTTPS_PROXY", "https_proxy"]) !== undefined;
}
