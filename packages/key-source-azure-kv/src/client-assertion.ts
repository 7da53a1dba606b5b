/**
 * A service principal's certificate credential (`AZURE_CLIENT_CERTIFICATE_PATH`): a PEM file with
 * the certificate and its RSA private key, from which a client assertion is signed (a JWT, RS256,
 * with the certificate's SHA-1 thumbprint as `x5t`, as MSAL signs it) and sent to the token
 * endpoint instead of a secret.
 */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { printable } from "@hush/core";
import { localFailure, readSettingFile } from "@hush/key-http";

const SETTING = "AZURE_CLIENT_CERTIFICATE_PATH";
const NEXT = `correct or unset ${SETTING}`;

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |ENCRYPTED )?PRIVATE KEY-----/;

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/** The certificate and key of a PEM file; throws naming the variable and path when it holds neither. */
function readCertificate(path: string, password: string | undefined): { thumbprint: string; key: KeyObject } {
  const pem = readSettingFile(path, SETTING, "CredentialsUnloadable", NEXT).toString("utf8");
  const cert = CERTIFICATE.exec(pem)?.[0];
  const keyPem = PRIVATE_KEY.exec(pem)?.[0];
  if (cert === undefined || keyPem === undefined) {
    throw localFailure("CredentialsUnloadable", `${SETTING} ${printable(path)} is not a PEM file holding the certificate and its private key (PFX is not read)`, NEXT);
  }
  try {
    const key = createPrivateKey(password === undefined ? keyPem : { key: keyPem, passphrase: password });
    const der = new X509Certificate(cert).raw;
    return { thumbprint: b64url(createHash("sha1").update(der).digest()), key };
  } catch {
    throw localFailure("CredentialsUnloadable", `${SETTING} ${printable(path)}: the certificate or its key cannot be read`, "check AZURE_CLIENT_CERTIFICATE_PASSWORD, or correct the file");
  }
}

/**
 * A client assertion for `tokenUrl`: signed by the certificate's key, valid ten minutes.
 *
 * @throws HushError KEY_SOURCE_FAILED when the file cannot be read or holds no RSA key
 */
export function certificateAssertion(path: string, password: string | undefined, clientId: string, tokenUrl: string): string {
  const { thumbprint, key } = readCertificate(path, password);
  if (key.asymmetricKeyType !== "rsa") throw localFailure("CredentialsUnloadable", `${SETTING} ${printable(path)} holds a key that is not RSA`, "use the service principal's RSA certificate");
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5t: thumbprint }));
  const payload = b64url(JSON.stringify({ aud: tokenUrl, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600 }));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${b64url(signature)}`;
}
