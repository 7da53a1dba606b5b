/**
 * A small AWS KMS (TrentService, JSON 1.1) and STS (AssumeRole, query protocol) server for tests.
 *
 * Unlike a permissive mock it checks what a real service checks and a key source could get wrong:
 * SigV4 signatures against configured credentials, the signing region against key ARNs, the
 * encryption context on Decrypt (bound into the ciphertext with AES-GCM), per-key denial, and
 * session tokens of assumed-role credentials. It can also misbehave on purpose (latency, malformed
 * answers) so that timeouts and parsing of hostile answers can be tested. Loopback only.
 * This file is the HTTP and protocol side; keys and their cryptography are kms-test-keyring.ts.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ApiError, KmsTestKeyring } from "./kms-test-keyring.ts";
import { verifySigV4, type SigV4Credentials } from "./sigv4.ts";

/** How the server spoils successful Encrypt/Decrypt answers. */
export type KmsGarbageMode = "off" | "invalid-json" | "wrong-types" | "short-plaintext" | "html-500";

export interface KmsTestServerOptions {
  /** Accepted access key id; random when absent (see `env`). */
  readonly accessKeyId?: string;
  /** Secret of that access key; random when absent. */
  readonly secretAccessKey?: string;
  /** Region put in `env.AWS_REGION` and used by `createKey` by default. Default "us-east-1". */
  readonly region?: string;
  /** Account id in key ARNs. Default "111122223333". */
  readonly account?: string;
  /** Partition in key ARNs. Default "aws". */
  readonly partition?: string;
  /** Added delay before every answer, in ms. */
  readonly latencyMs?: number;
  readonly garbage?: KmsGarbageMode;
  /** Key ids or ARNs (key or alias) refused with AccessDeniedException. */
  readonly deny?: readonly string[];
  /** Role ARNs that AssumeRole accepts; any well-formed role ARN when absent. */
  readonly roles?: readonly string[];
}

/** One request as the server saw it. */
export interface KmsTestCall {
  readonly service: "kms" | "sts";
  /** "Encrypt", "Decrypt", "AssumeRole", ... ("" when the request named none). */
  readonly operation: string;
  /** Region of the signature scope ("" when unsigned or malformed). */
  readonly region: string;
  readonly accessKeyId: string;
  readonly status: number;
  /** AWS error type of a failed call. */
  readonly errorType?: string;
  /** Key ARN the call resolved to (KMS). */
  readonly keyArn?: string;
  /** RoleArn and RoleSessionName (STS). */
  readonly roleArn?: string;
  readonly roleSessionName?: string;
}

export interface KmsTestServer {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Environment for a client: endpoint (KMS and STS), credentials, region. */
  readonly env: Readonly<Record<string, string>>;
  readonly credentials: Required<Pick<SigV4Credentials, "accessKeyId" | "secretAccessKey">>;
  readonly region: string;
  readonly account: string;
  /** Creates a symmetric key (without a network call) and returns its key ARN. */
  createKey(options?: { region?: string; description?: string }): string;
  /** Creates `alias/<name>` for a key and returns the alias ARN. */
  createAlias(name: string, keyArn: string): string;
  /** Refuses (or again allows) a key id / key ARN / alias ARN. */
  deny(keyIdOrArn: string): void;
  allow(keyIdOrArn: string): void;
  setLatency(ms: number): void;
  setGarbage(mode: KmsGarbageMode): void;
  /** Every request received, oldest first (including rejected ones). */
  readonly calls: readonly KmsTestCall[];
  /** Number of requests received. */
  readonly callCount: number;
  /** Most requests in flight at once. */
  readonly maxConcurrency: number;
  resetStats(): void;
  stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Starts the server on 127.0.0.1 at a free port. */
export async function startKmsTestServer(options: KmsTestServerOptions = {}): Promise<KmsTestServer> {
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "111122223333";
  const partition = options.partition ?? "aws";
  const base: SigV4Credentials = {
    accessKeyId: options.accessKeyId ?? `AKIA${randomBytes(8).toString("hex").toUpperCase()}`,
    secretAccessKey: options.secretAccessKey ?? randomBytes(20).toString("base64"),
  };
  const accepted: SigV4Credentials[] = [base];
  const keyring = new KmsTestKeyring({ partition, account, region, deny: options.deny ?? [] });
  let latencyMs = options.latencyMs ?? 0;
  let garbage: KmsGarbageMode = options.garbage ?? "off";
  let calls: KmsTestCall[] = [];
  let inFlight = 0;
  let maxConcurrency = 0;
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  function spoil(operation: string, out: Record<string, unknown>): { status: number; body: string; type: string } {
    switch (garbage) {
      case "invalid-json":
        return { status: 200, body: '{"CiphertextBlob": "AAAA", "Plaintext": tr', type: "application/x-amz-json-1.1" };
      case "wrong-types":
        return {
          status: 200,
          body: JSON.stringify(operation === "Encrypt" ? { CiphertextBlob: 42, KeyId: ["x"] } : { Plaintext: { x: 1 }, KeyId: 7 }),
          type: "application/x-amz-json-1.1",
        };
      case "short-plaintext":
        return {
          status: 200,
          body: JSON.stringify(operation === "Encrypt" ? { ...out, CiphertextBlob: "" } : { ...out, Plaintext: "AAECAwQ=" }),
          type: "application/x-amz-json-1.1",
        };
      case "html-500":
        return { status: 500, body: "<html><body>upstream exploded</body></html>", type: "text/html" };
      default:
        return { status: 200, body: JSON.stringify(out), type: "application/x-amz-json-1.1" };
    }
  }

  function handleKms(
    operation: string,
    body: Buffer,
    signingRegion: string,
    caller: string,
  ): { status: number; body: string; type: string; keyArn?: string } {
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      input = parsed as Record<string, unknown>;
    } catch {
      throw new ApiError("SerializationException", "Request body is not a JSON object");
    }
    switch (operation) {
      case "Encrypt":
      case "Decrypt": {
        const { rec, out } = operation === "Encrypt" ? keyring.encrypt(input, signingRegion, caller) : keyring.decrypt(input, signingRegion, caller);
        return { ...spoil(operation, out), keyArn: rec.arn };
      }
      case "CreateKey": {
        const rec = keyring.createKey({ region: signingRegion, description: typeof input["Description"] === "string" ? input["Description"] : "" });
        return { status: 200, body: JSON.stringify({ KeyMetadata: keyring.keyMetadata(rec) }), type: "application/x-amz-json-1.1", keyArn: rec.arn };
      }
      case "DescribeKey": {
        const rec = keyring.resolveKey(input["KeyId"], signingRegion);
        return { status: 200, body: JSON.stringify({ KeyMetadata: keyring.keyMetadata(rec) }), type: "application/x-amz-json-1.1", keyArn: rec.arn };
      }
      case "CreateAlias": {
        const name = input["AliasName"];
        if (typeof name !== "string" || !/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.startsWith("alias/aws/")) {
          throw new ApiError("ValidationException", "AliasName is invalid");
        }
        const rec = keyring.resolveKey(input["TargetKeyId"], signingRegion);
        keyring.aliases.set(keyring.aliasArn(name, signingRegion), rec.id);
        return { status: 200, body: "", type: "application/x-amz-json-1.1", keyArn: rec.arn };
      }
      default:
        throw new ApiError("UnknownOperationException", "");
    }
  }

  function handleSts(body: Buffer): { status: number; body: string; roleArn: string; roleSessionName: string } {
    const params = new URLSearchParams(body.toString("utf8"));
    const roleArn = params.get("RoleArn") ?? "";
    const roleSessionName = params.get("RoleSessionName") ?? "";
    if (params.get("Action") !== "AssumeRole") throw new ApiError("InvalidAction", "Only AssumeRole is implemented");
    if (!/^arn:[\w-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) throw new ApiError("ValidationError", "RoleArn is invalid");
    if (!/^[\w+=,.@-]{2,64}$/.test(roleSessionName)) {
      throw new ApiError("ValidationError", "RoleSessionName must satisfy [\\w+=,.@-]{2,64}");
    }
    if (options.roles !== undefined && !options.roles.includes(roleArn)) {
      throw new ApiError("AccessDenied", `Not authorized to perform sts:AssumeRole on ${roleArn}`, 403);
    }
    const temp: SigV4Credentials = {
      accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString("base64"),
      sessionToken: randomBytes(48).toString("base64"),
    };
    accepted.push(temp);
    const roleName = roleArn.slice(roleArn.indexOf(":role/") + 6).split("/").pop() ?? "";
    const expiration = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const xml =
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<AssumedRoleUser><AssumedRoleId>AROA${randomBytes(8).toString("hex").toUpperCase()}:${roleSessionName}</AssumedRoleId>` +
      `<Arn>arn:${partition}:sts::${account}:assumed-role/${roleName}/${roleSessionName}</Arn></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${temp.accessKeyId}</AccessKeyId><SecretAccessKey>${temp.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${temp.sessionToken ?? ""}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
    return { status: 200, body: xml, roleArn, roleSessionName };
  }

  function sendError(res: ServerResponse, isKms: boolean, err: ApiError): void {
    if (isKms) {
      res.writeHead(err.status, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": err.type, "x-amzn-requestid": randomUUID() });
      res.end(JSON.stringify({ __type: err.type, message: err.message }));
    } else {
      const xml =
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
        `<Code>${err.type}</Code><Message>${err.message.replace(/[<&>]/g, "")}</Message></Error>` +
        `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      res.writeHead(err.status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
      res.end(xml);
    }
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new ApiError("ValidationException", "Request body too large", 413));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  function delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers["x-amz-target"];
    const isKms = typeof target === "string";
    const operation = isKms ? target.replace(/^TrentService\./, "") : "";
    const record: { -readonly [K in keyof KmsTestCall]: KmsTestCall[K] } = {
      service: isKms ? "kms" : "sts",
      operation,
      region: "",
      accessKeyId: "",
      status: 0,
    };
    calls.push(record);
    inFlight += 1;
    maxConcurrency = Math.max(maxConcurrency, inFlight);
    try {
      const body = await readBody(req);
      await delay(latencyMs);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
      }
      const verdict = verifySigV4({ method: req.method ?? "", url: req.url ?? "/", headers, body }, accepted);
      if (!verdict.ok) throw new ApiError(verdict.code, verdict.message, verdict.code === "MissingAuthenticationTokenException" ? 403 : 400);
      record.region = verdict.region;
      record.accessKeyId = verdict.accessKeyId;
      if (verdict.service !== (isKms ? "kms" : "sts")) {
        throw new ApiError("InvalidSignatureException", `Credential should be scoped to correct service: '${isKms ? "kms" : "sts"}'.`);
      }
      if (isKms) {
        if (typeof target !== "string" || !target.startsWith("TrentService.")) throw new ApiError("UnknownOperationException", "");
        const out = handleKms(operation, body, verdict.region, verdict.accessKeyId);
        if (out.keyArn !== undefined) record.keyArn = out.keyArn;
        record.status = out.status;
        res.writeHead(out.status, { "content-type": out.type, "x-amzn-requestid": randomUUID() });
        res.end(out.body);
      } else {
        const params = new URLSearchParams(body.toString("utf8"));
        record.operation = params.get("Action") ?? "";
        const out = handleSts(body);
        record.roleArn = out.roleArn;
        record.roleSessionName = out.roleSessionName;
        record.status = out.status;
        res.writeHead(out.status, { "content-type": "text/xml", "x-amzn-requestid": randomUUID() });
        res.end(out.body);
      }
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(isKms ? "KMSInternalException" : "InternalFailure", "internal error", 500);
      record.status = err.status;
      record.errorType = err.type;
      if (!res.headersSent && !res.destroyed) sendError(res, isKms, err);
    } finally {
      inFlight -= 1;
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ACCESS_KEY_ID: base.accessKeyId,
      AWS_SECRET_ACCESS_KEY: base.secretAccessKey,
      AWS_REGION: region,
    },
    credentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey },
    region,
    account,
    createKey: (opts) => keyring.createKey(opts).arn,
    createAlias(name, arn) {
      const m = /^arn:[^:]+:kms:([^:]+):\d{12}:key\/(.+)$/.exec(arn);
      const rec = m === null ? undefined : keyring.keys.get(m[2] ?? "");
      if (rec === undefined) throw new Error(`createAlias: unknown key ${arn}`);
      const full = keyring.aliasArn(name.startsWith("alias/") ? name : `alias/${name}`, rec.region);
      keyring.aliases.set(full, rec.id);
      return full;
    },
    deny: (k) => void keyring.denied.add(k),
    allow: (k) => void keyring.denied.delete(k),
    setLatency: (ms) => void (latencyMs = ms),
    setGarbage: (mode) => void (garbage = mode),
    get calls() {
      return calls;
    },
    get callCount() {
      return calls.length;
    },
    get maxConcurrency() {
      return maxConcurrency;
    },
    resetStats() {
      calls = [];
      maxConcurrency = inFlight;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
