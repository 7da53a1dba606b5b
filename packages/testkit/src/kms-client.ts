/**
 * A minimal signed client for the KMS JSON 1.1 protocol, for test setup (creating keys) against
 * moto or the test server without depending on the AWS SDK from the testkit package.
 */
import { request } from "node:http";
import { signSigV4, type SigV4Credentials } from "./sigv4.ts";

/** An error answer from a KMS-protocol server. */
export class KmsProtocolError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, status: number, message: string) {
    super(`${type} (HTTP ${status}): ${message}`);
    this.name = "KmsProtocolError";
    this.type = type;
    this.status = status;
  }
}

/** Sends one signed TrentService call and returns the parsed JSON answer. */
export async function kmsCall(
  endpoint: string,
  operation: string,
  input: Record<string, unknown>,
  options: { credentials: SigV4Credentials; region: string },
): Promise<Record<string, unknown>> {
  const url = new URL(endpoint);
  if (url.protocol !== "http:") throw new Error(`kmsCall supports http endpoints only, got ${url.protocol}`);
  const body = Buffer.from(JSON.stringify(input), "utf8");
  const headers = signSigV4(
    {
      method: "POST",
      url: "/",
      body,
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `TrentService.${operation}`,
      },
    },
    options.credentials,
    options.region,
    "kms",
  );
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: "POST", path: "/", headers: { ...headers, "content-length": String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`KMS call ${operation} to ${endpoint} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
  let parsed: unknown;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new KmsProtocolError("MalformedResponse", status, `answer to ${operation} is not JSON`);
  }
  const obj = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (status !== 200) {
    const type = String(obj["__type"] ?? "UnknownError").replace(/^.*#/, "");
    throw new KmsProtocolError(type, status, String(obj["message"] ?? obj["Message"] ?? ""));
  }
  return obj;
}
