import { HushError, printable } from "@hush/core";
import { sendRequest, type HttpAnswer, type HttpRequest } from "./request.ts";

/**
 * Sends a request for an access token (an OAuth token endpoint, a metadata or managed identity
 * endpoint) and returns its answer. A failed exchange names the token endpoint: reported as the
 * key service's own failure, `NetworkError (ECONNRESET)` sent the user to look at the vault or
 * KMS endpoint, which had not been asked yet.
 *
 * @throws HushError KEY_SOURCE_FAILED `no access token from https://host/path: NetworkError (…)`
 *   (the URL without its query, which may carry the client id)
 */
export async function sendTokenRequest(request: HttpRequest): Promise<HttpAnswer> {
  try {
    return await sendRequest(request);
  } catch (err) {
    throw new HushError("KEY_SOURCE_FAILED", `no access token from ${tokenEndpointName(request.url)}: ${(err as Error).message}`);
  }
}

/** A token endpoint as messages name it: scheme, host and path, escaped. */
export function tokenEndpointName(url: URL): string {
  return printable(`${url.protocol}//${url.host}${url.pathname}`, 120);
}
