import { writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { join } from "node:path";
import { expect } from "vitest";
import { listenOnLoopback } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * For the tests of how Vault transit, Cloud KMS and Key Vault fail, told as AWS KMS tells it: a
 * failure before any request (a credential file that is not there or cannot be read, a setting
 * that is not a URL) is `CredentialsUnloadable` or `BadConfiguration` naming the setting and the
 * next step; a failure to reach a token endpoint names that endpoint, not the key service; an
 * error answer that is not the service's JSON says so; the same status gets the same reason
 * everywhere. No message shows a token, a secret or a credential file's content.
 */

export const PLAIN = "password: cloud-failure-pw\n";
/** Planted in credential files and error pages: no message may show it. */
export const SECRET = "never-shown-secret-0451";
/** The settings whose values are secrets: no message may show them. */
const SECRET_SETTINGS = ["VAULT_TOKEN", "GOOGLE_OAUTH_ACCESS_TOKEN", "AZURE_CLIENT_SECRET", "IDENTITY_HEADER"];

/**
 * A server on 127.0.0.1 that answers every request with `status` and an HTML page holding
 * {@link SECRET} (or, given `jsonBytes`, a JSON document that long), or (status 0) closes the
 * connection at once.
 */
export async function misbehaving(status: number, jsonBytes?: number): Promise<{ address: string; stop: () => Promise<void>; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res: ServerResponse) => {
    requests++;
    req.resume();
    if (status === 0) {
      res.socket?.destroy();
      return;
    }
    if (jsonBytes !== undefined) {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ data: { padding: "x".repeat(jsonBytes) } }));
      return;
    }
    res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<html><body>${SECRET} gateway page</body></html>`);
  });
  const listening = await listenOnLoopback(server);
  return { address: `http://127.0.0.1:${listening.port}`, stop: listening.stop, requests: () => requests };
}

/** The file `name` in `dir` holding {@link PLAIN}, encrypted with `flag value` under `env`. */
export async function encryptedFile(dir: string, name: string, flag: string, value: string, env: Record<string, string>): Promise<string> {
  const f = join(dir, name);
  writeFileSync(f, PLAIN);
  const r = await hush(["encrypt", "-i", flag, value, f], { env });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return f;
}

/** A failed decrypt: exit 128, nothing on stdout, an error holding `expected`, no secret. Returns standard error. */
export async function failsWith(file: string, env: Record<string, string>, expected: string): Promise<string> {
  const r = await hush(["decrypt", file], { env });
  expect(r.stderr).toContain(expected);
  expect(r.status).toBe(128);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toContain(SECRET);
  for (const name of SECRET_SETTINGS) if (env[name] !== undefined) expect(r.stderr).not.toContain(env[name]);
  return r.stderr;
}
