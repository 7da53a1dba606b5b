/**
 * Where Cloud KMS requests go and how their answers read. The endpoint comes from the
 * environment only (`SOPS_GCP_KMS_ENDPOINT`, `SOPS_GCP_KMS_UNIVERSE_DOMAIN`, as SOPS reads them),
 * never from a file: the file contributes only the key's resource name, checked in resource-id.ts.
 */
import { printable } from "@hush/core";
import { localFailure, notJsonText, requireHttpsOrLoopback, statusReason, type HttpAnswer } from "@hush/key-http";

/** Google's public Cloud KMS endpoint. */
export const DEFAULT_GCP_KMS_ENDPOINT = "https://cloudkms.googleapis.com";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The endpoint requests go to: `SOPS_GCP_KMS_ENDPOINT` (a URL, or `host[:port]` as SOPS's gRPC
 * client takes it, meaning https), else `https://cloudkms.{SOPS_GCP_KMS_UNIVERSE_DOMAIN}`, else
 * Google's. https, or http to loopback only.
 *
 * @throws HushError KEY_SOURCE_FAILED (BadConfiguration) naming the variable when the value is not an origin
 */
export function gcpKmsEndpoint(env: Env): string {
  const endpoint = env["SOPS_GCP_KMS_ENDPOINT"]?.trim() ?? "";
  const universe = env["SOPS_GCP_KMS_UNIVERSE_DOMAIN"]?.trim() ?? "";
  let origin = DEFAULT_GCP_KMS_ENDPOINT;
  let setting = "the default endpoint";
  if (endpoint !== "") {
    setting = "SOPS_GCP_KMS_ENDPOINT";
    origin = toOrigin(endpoint.includes("://") ? endpoint : `https://${endpoint}`, setting);
  } else if (universe !== "") {
    setting = "SOPS_GCP_KMS_UNIVERSE_DOMAIN";
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(universe)) {
      throw localFailure("BadConfiguration", `SOPS_GCP_KMS_UNIVERSE_DOMAIN ${printable(universe)} is not a domain name`, "correct or unset SOPS_GCP_KMS_UNIVERSE_DOMAIN");
    }
    origin = `https://cloudkms.${universe}`;
  }
  requireHttpsOrLoopback(origin, setting, "Cloud KMS");
  return origin;
}

/** Which setting chose the endpoint: `SOPS_GCP_KMS_ENDPOINT`, `SOPS_GCP_KMS_UNIVERSE_DOMAIN`, or none (Google's). */
export function gcpKmsEndpointSetting(env: Env): string {
  if ((env["SOPS_GCP_KMS_ENDPOINT"]?.trim() ?? "") !== "") return "SOPS_GCP_KMS_ENDPOINT";
  if ((env["SOPS_GCP_KMS_UNIVERSE_DOMAIN"]?.trim() ?? "") !== "") return "SOPS_GCP_KMS_UNIVERSE_DOMAIN";
  return "Google's endpoint: SOPS_GCP_KMS_ENDPOINT is not set";
}

function toOrigin(address: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw localFailure("BadConfiguration", `${setting} ${printable(address)} is not a URL`, `correct or unset ${setting}`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || (url.pathname !== "/" && url.pathname !== "")) {
    throw localFailure("BadConfiguration", `${setting} ${printable(address)} is not scheme://host[:port] only`, `correct or unset ${setting}`);
  }
  return `${url.protocol}//${url.host}`;
}

/** The request deadline: `HUSH_GCP_KMS_TIMEOUT` seconds, 30 by default. */
export function gcpKmsTimeoutMs(env: Env): number {
  const seconds = Number(env["HUSH_GCP_KMS_TIMEOUT"] ?? "30");
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 30_000;
}

/**
 * A Google API error as one phrase: `PERMISSION_DENIED (HTTP 403: Permission … denied)`, from
 * `{"error": {"code", "message", "status"}}`; the server's text escaped and shortened.
 */
export function googleErrorText(answer: HttpAnswer): string {
  const error = (answer.body as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  const status = typeof error?.status === "string" && /^[A-Z_]{1,40}$/.test(error.status) ? error.status : statusReason(answer.status);
  const message = typeof error?.message === "string" && error.message !== "" ? printable(error.message, 240) : (notJsonText(answer) ?? "no error message");
  return `${status} (HTTP ${answer.status}: ${message})`;
}
