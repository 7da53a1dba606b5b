import type { HttpAnswer } from "./request.ts";

/**
 * The reason class of a key service's refusal by its HTTP status, the same words for every
 * network key source (and AWS KMS's where they meet): `Unauthorized` (the credential was not
 * accepted), `AccessDenied`, `KeyNotFound`, `Throttled`, `ServerError`, else `Refused`.
 */
export function statusReason(status: number): string {
  if (status === 401) return "Unauthorized";
  if (status === 403) return "AccessDenied";
  if (status === 404) return "KeyNotFound";
  if (status === 429) return "Throttled";
  return status >= 500 ? "ServerError" : "Refused";
}

/**
 * What an error answer was when it is not the service's JSON (an HTML page of a proxy, a load
 * balancer or a login portal): `the answer is not JSON (text/html)`. undefined when it is JSON.
 * Only the media type is shown: the page itself is someone else's text.
 */
export function notJsonText(answer: HttpAnswer): string | undefined {
  if (answer.body !== undefined) return undefined;
  const header = answer.headers["content-type"];
  const type = typeof header === "string" ? /^\s*([A-Za-z0-9.+-]{1,40}\/[A-Za-z0-9.+-]{1,60})/.exec(header)?.[1] : undefined;
  return `the answer is not JSON${type === undefined ? "" : ` (${type.toLowerCase()})`}: not the service's own; is a proxy or gateway in between?`;
}
