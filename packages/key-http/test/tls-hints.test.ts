import { describe, expect, it } from "vitest";
import { tlsFailureHint } from "../src/tls-hints.ts";

describe("what a failed TLS handshake means", () => {
  it("a server certificate hush does not accept points at the CA settings; the server's refusal of hush's own certificate at the client certificate", () => {
    for (const code of ["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]) {
      expect(tlsFailureHint(code), code).toMatch(/^: the server's TLS certificate was not accepted; trust its CA with NODE_EXTRA_CA_CERTS/);
    }
    // Where the first version told the user to trust the server's CA.
    for (const code of ["ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"]) {
      expect(tlsFailureHint(code), code).toBe(": the server did not accept a client certificate from hush (Vault: VAULT_CLIENT_CERT and VAULT_CLIENT_KEY)");
    }
    for (const code of [undefined, "ECONNRESET", "ERR_SSL_WRONG_VERSION_NUMBER", "EPROTO"]) expect(tlsFailureHint(code), String(code)).toBe("");
  });
});
