/**
 * What a failed TLS handshake means, after Node's code: `DEPTH_ZERO_SELF_SIGNED_CERT` or
 * `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE` say neither which side's certificate failed nor what to do.
 * "" for other codes.
 */
export function tlsFailureHint(code: string | undefined): string {
  if (code === undefined) return "";
  // OpenSSL's verification of the server's certificate, and Node's check of its name. Prefixes
  // and a substring, not one pattern: `[A-Z_]*SELF_SIGNED_CERT[A-Z_]*` takes quadratic time on a
  // long code of repeats (a code comes from the TLS stack, but the rule is the same everywhere).
  if (/^[A-Z_]+$/.test(code) && (["ERR_TLS_CERT_", "UNABLE_TO_", "CERT_"].some((p) => code.startsWith(p)) || code.includes("SELF_SIGNED_CERT") || code === "HOSTNAME_MISMATCH")) {
    return ": the server's TLS certificate was not accepted; trust its CA with NODE_EXTRA_CA_CERTS (Vault: VAULT_CACERT), or check the address";
  }
  // The server's alert about hush's own certificate (mutual TLS).
  if (/^ERR_SSL_[A-Z0-9_]*ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE)$/.test(code)) {
    return ": the server did not accept a client certificate from hush (Vault: VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)";
  }
  return "";
}
