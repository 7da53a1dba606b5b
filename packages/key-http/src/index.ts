/**
 * The HTTP client hush's network key backends (Vault transit, cloud KMS) share. Each request is
 * guarded the same way, because every address it reaches may have come from a file someone else
 * wrote: redirects are never followed (a redirect would carry a credential to an address nobody
 * allowed), one deadline covers the whole exchange (and an origin that let it pass is not asked
 * again for a minute), answers are bounded, plain http is for loopback only, and https goes
 * through the environment's HTTPS_PROXY (CONNECT, TLS end to end) as SOPS's Go client does.
 */
export { sendRequest, type HttpRequest, type HttpAnswer, type RequestBody, type TlsMaterial } from "./request.ts";
// Also at `@hush/key-http/addresses`, which a backend descriptor can import without loading node:http.
export { isLoopbackHost, requireHttpsOrLoopback } from "./addresses.ts";
export { readPemFromEnv } from "./tls-files.ts";
export { fileErrorText, headerValueFromSetting, localFailure, readSettingFile, urlFromSetting, type LocalFailureReason } from "./local-failure.ts";
export { notJsonText, statusReason } from "./answers.ts";
export { sendTokenRequest, tokenEndpointName } from "./token-request.ts";
export { TokenCache, tokenExpiry, type IssuedToken } from "./token-cache.ts";
// Also at `@hush/key-http/proxy-agent`, for a client that takes an https.Agent (the AWS SDK).
export { proxyAgentFromEnv } from "./proxy-agent.ts";
export { proxyFor, proxyForUrl, type ProxyRoute, type ProxyEnv } from "./proxy-settings.ts";
