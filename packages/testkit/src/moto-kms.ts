/**
 * Runs moto's server (a third-party AWS emulator) as a second, independent KMS implementation,
 * so the key source is checked against more than the project's own test server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { kmsCall } from "./kms-client.ts";

export interface MotoKms {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Environment for a client: endpoint (KMS and STS), test credentials, region. */
  readonly env: Readonly<Record<string, string>>;
  readonly region: string;
  /** Creates a symmetric key through the KMS API and returns its key ARN. */
  createKey(options?: { region?: string; description?: string }): Promise<string>;
  stop(): Promise<void>;
}

const INSTALL_HINT = "install it with: pip install 'moto[server]'";
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;
const REGION = "us-east-1";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function answers(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/moto-api/`, { method: "GET" }, (res) => {
      res.resume();
      resolve(true);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // The child leads its own process group, so this reaches a wrapper and its Python process alike.
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function startOnce(command: string, port: number): Promise<MotoKms> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
    env: { ...process.env, PYTHONUNBUFFERED: "1" },
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString("utf8")).slice(-4000);
  });
  const onExit = (): void => killGroup(child, "SIGKILL");
  process.once("exit", onExit);

  const exited = new Promise<Error>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === "ENOENT"
          ? new Error(`${command === "moto_server" ? command : `${command} (moto_server)`} was not found on PATH; ${INSTALL_HINT}`)
          : new Error(`moto_server could not be started (${err.message}); ${INSTALL_HINT}`),
      );
    });
    child.once("exit", (code, signal) => {
      resolve(
        new Error(
          `moto_server exited early (code ${String(code)}, signal ${String(signal)}; if moto lacks its server extras, ${INSTALL_HINT}): ${stderr.trim().slice(-800)}`,
        ),
      );
    });
  });
  let early: Error | undefined;
  void exited.then((e) => {
    early = e;
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (early !== undefined) {
      process.removeListener("exit", onExit);
      throw early;
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      process.removeListener("exit", onExit);
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${stderr.trim().slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    region: REGION,
    env: {
      AWS_ENDPOINT_URL_KMS: endpoint,
      AWS_ENDPOINT_URL_STS: endpoint,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
    },
    async createKey(options = {}) {
      const out = await kmsCall(
        endpoint,
        "CreateKey",
        options.description === undefined ? {} : { Description: options.description },
        { credentials: CREDENTIALS, region: options.region ?? REGION },
      );
      const meta = out["KeyMetadata"] as { Arn?: unknown } | undefined;
      if (typeof meta?.Arn !== "string") throw new Error("moto CreateKey answered without KeyMetadata.Arn");
      return meta.Arn;
    },
    async stop() {
      process.removeListener("exit", onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts `moto_server` on 127.0.0.1 at a free port and waits until it answers.
 * Throws (never skips) when moto is not installed, naming the install command.
 * `command` replaces the executable name (tests of the missing-tool message use it).
 */
export async function startMotoKms(options: { readonly command?: string } = {}): Promise<MotoKms> {
  const command = options.command ?? "moto_server";
  let last: Error | undefined;
  // A port found free can be taken before moto binds it; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(command, await freePort());
    } catch (e) {
      last = e as Error;
      if (/not found on PATH|could not be started/.test(last.message)) throw last;
    }
  }
  throw last ?? new Error("moto_server could not be started");
}
