import { HushError, printable, type ErrorCode } from "@hush/core";

/** True for `localhost`, `127.x.y.z` and `[::1]`: hosts whose traffic never crosses a network. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Throws unless `address` is https, or plain http to a loopback host: a credential sent over
 * plain http to another machine can be read on the way.
 *
 * @param address - an absolute URL
 * @param what - names the key or setting, for the message
 * @param service - names the service, for the message (e.g. "Vault", "Cloud KMS")
 * @param code - the error code to raise (INVALID_ARGUMENT for a user's own flag)
 */
export function requireHttpsOrLoopback(address: string, what: string, service: string, code: ErrorCode = "KEY_SOURCE_FAILED"): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new HushError(code, `${what}: ${printable(address)} is not an absolute URL`);
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    throw new HushError(
      code,
      `${what}: the ${service} address ${printable(address)} is not https; hush sends credentials over plain http only to this machine (localhost, 127.0.0.1, [::1])`,
    );
  }
}
