/**
 * An HTTPS proxy for tests that answers CONNECT itself: it terminates TLS with a certificate made
 * for this process (trusted by a child through `SSL_CERT_FILE`) and hands each decrypted request
 * to a handler. It lets a program whose client ignores endpoint overrides talk to a local fake of
 * a public HTTPS service. Loopback only; certificates live in memory and in files the caller
 * removes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate and its private key, both PEM. */
export interface TestCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

const OPENSSL_HINT = "openssl is required by the SOPS interoperability tests: apt-get install -y openssl";
const certificates = new Map<string, TestCertificate>();

/**
 * A self-signed certificate for `hosts` (EC P-256, valid two days), made once per process and
 * host list with the openssl CLI. Go trusts a self-signed certificate found in `SSL_CERT_FILE`
 * as its own root.
 */
export function testCertificate(hosts: readonly string[]): TestCertificate {
  const cacheKey = hosts.join(",");
  const cached = certificates.get(cacheKey);
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "hush-test-ca-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    const r = spawnSync(
      "openssl",
      [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=hush test CA",
        "-addext", `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 },
    );
    if (r.error !== undefined) throw new Error(`cannot run openssl (${r.error.message}). ${OPENSSL_HINT}`);
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr.toString("utf8").trim()}. ${OPENSSL_HINT}`);
    const made: TestCertificate = { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
    certificates.set(cacheKey, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes `proxy` (a plain HTTP server on loopback) accept CONNECT to any of `hosts` on port 443 and
 * serve the tunnelled TLS connection with `handler`. Other CONNECT targets are refused with 403.
 * Returns the inner HTTPS server (not listening; close its connections with `closeAllConnections`).
 */
export function interceptConnect(
  proxy: HttpServer,
  hosts: readonly string[],
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): HttpsServer {
  const cert = testCertificate(hosts);
  const inner = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, handler);
  proxy.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const [host, port] = (req.url ?? "").split(":");
    if (port !== "443" || host === undefined || !hosts.includes(host)) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    socket.on("error", () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    inner.emit("connection", socket);
  });
  return inner;
}
