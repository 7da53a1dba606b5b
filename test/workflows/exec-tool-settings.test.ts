import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Settings of common tools that a file, which anyone who can encrypt to it may write, would hand
 * to the command through `hush exec-env` (and the Node loader, which uses the same rules): each
 * is shown to run the file's program or send the caller's credentials with the real tool when
 * allowed, and refused without `--allow-env`, before anything runs.
 */

const TOKEN = "tok-5be1c0de-tool-settings";

/**
 * `hush exec-env ARGS` in `cwd` without blocking this process, so that a server of the test's
 * answers meanwhile; `env` adds to a minimal environment with the real HOME (rustup and pyenv
 * find their installations there).
 */
function hushAsync(k: KeyedDir, cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  const child = spawn(process.execPath, [CLI_JS, ...args], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root", LANG: "C", ...k.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  return new Promise((done) => child.on("close", (code) => done({ status: code ?? 128, stderr })));
}

describe("hush exec-env: Google credential configuration that names a program", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    // An external account whose subject token comes from a program: Google's libraries (gcloud's
    // Python, Node, Go, Java) run it when GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1, to get a
    // token, before any network call. A branch can commit this file next to the encrypted one.
    const external = {
      type: "external_account",
      audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/p",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
      token_url: "https://sts.googleapis.com/v1/token",
      credential_source: { executable: { command: `/usr/bin/touch ${k.path("started")}`, timeout_millis: 5000 } },
    };
    writeFileSync(k.path("gcp.json"), JSON.stringify(external));
  });
  afterAll(() => k.cleanup());

  /** `gcloud ARGS` through `hush exec-env FLAGS FILE`, with a gcloud configuration of the test's own. */
  function gcloud(flags: readonly string[], file: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
    const r = k.hush(["exec-env", ...flags, file, "--", "gcloud", ...args], { env: { CLOUDSDK_CONFIG: k.path("gcloud-config"), CLOUDSDK_CORE_DISABLE_PROMPTS: "1" } });
    if (r.stderr.includes("cannot run gcloud")) throw new Error("this test needs gcloud on PATH (https://cloud.google.com/sdk/docs/install)");
    return r;
  }

  it("GOOGLE_APPLICATION_CREDENTIALS and GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES are refused: the program never runs", () => {
    const names = ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"];
    const f = encryptFile(k, "adc.env", `GOOGLE_APPLICATION_CREDENTIALS=gcp.json\nGOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1\nAPI_TOKEN=${TOKEN}\n`);
    const args = ["auth", "application-default", "print-access-token"];
    const r = gcloud([], f, args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toMatch(/gcp\.json|tok-/);
    expect(existsSync(k.path("started"))).toBe(false);
    // What the refusal prevents: allowed, gcloud runs the program the credential file names.
    gcloud(names.flatMap((n) => ["--allow-env", n]), f, args);
    expect(existsSync(k.path("started"))).toBe(true);
    rmSync(k.path("started"));
  });

  it("gcloud's own credential settings (CLOUDSDK_AUTH_*: the credential file, the token endpoint) are refused too", () => {
    const f = encryptFile(k, "gcloud.env", `CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE=gcp.json\nCLOUDSDK_AUTH_TOKEN_HOST=https://tokens.example.net/token\nAPI_TOKEN=${TOKEN}\n`);
    const r = gcloud([], f, ["auth", "print-access-token"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE --allow-env CLOUDSDK_AUTH_TOKEN_HOST");
    expect(r.stderr).not.toMatch(/example\.net|tok-/);
    expect(existsSync(k.path("started"))).toBe(false);
  });
});

describe("hush exec-env: what wrapper scripts hand to the interpreter they start", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("gcloud's interpreter arguments (CLOUDSDK_PYTHON_ARGS: -c code) are refused, as its interpreter is", () => {
    const code = `-c__import__('os').system('touch\${IFS}${k.path("started")}')`;
    const f = encryptFile(k, "gcloud-args.yaml", `CLOUDSDK_PYTHON_ARGS: "${code}"\nAPI_TOKEN: ${TOKEN}\n`);
    const env = { CLOUDSDK_CONFIG: k.path("gcloud-config"), CLOUDSDK_CORE_DISABLE_PROMPTS: "1" };
    const r = k.hush(["exec-env", f, "--", "gcloud", "version"], { env });
    if (r.stderr.includes("cannot run gcloud")) throw new Error("this test needs gcloud on PATH (https://cloud.google.com/sdk/docs/install)");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env CLOUDSDK_PYTHON_ARGS");
    expect(existsSync(k.path("started"))).toBe(false);
    // What the refusal prevents: gcloud's wrapper passes the variable to Python, which runs it.
    k.hush(["exec-env", "--allow-env", "CLOUDSDK_PYTHON_ARGS", f, "--", "gcloud", "version"], { env });
    expect(existsSync(k.path("started"))).toBe(true);
    rmSync(k.path("started"));
  });

  it("pyenv's hook path is refused: every command its shims run (python3, pip, aws) would source the file's scripts", () => {
    const root = spawnSync("pyenv", ["root"], { encoding: "utf8" });
    if (root.status !== 0) throw new Error("this test needs pyenv on PATH (https://github.com/pyenv/pyenv#installation)");
    const python = `${root.stdout.trim()}/shims/python3`;
    // A relative path: the hooks a branch commits next to the encrypted file.
    mkdirSync(k.path("hooks/exec"), { recursive: true });
    writeFileSync(k.path("hooks/exec/run.bash"), `touch ${k.path("started")}\n`);
    const f = encryptFile(k, "pyenv.env", `PYENV_HOOK_PATH=hooks\nAPI_TOKEN=${TOKEN}\n`);
    const r = k.hush(["exec-env", f, "--", python, "-c", "print('ran')"], { env: { HOME: process.env["HOME"] ?? "/root" } });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env PYENV_HOOK_PATH");
    expect(existsSync(k.path("started"))).toBe(false);
    const allowed = k.hush(["exec-env", "--allow-env", "PYENV_HOOK_PATH", f, "--", python, "-c", "print('ran')"], { env: { HOME: process.env["HOME"] ?? "/root" } });
    expect(allowed.stdout).toBe("ran\n");
    expect(existsSync(k.path("started"))).toBe(true);
    rmSync(k.path("started"));
  });
});

describe("hush exec-env: where rustup downloads the toolchain cargo runs", () => {
  let k: KeyedDir;
  let server: Server;
  let asked: string[];
  beforeAll(async () => {
    k = keyedDir();
    asked = [];
    server = createServer((req, res) => {
      asked.push(req.url ?? "");
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    // The repository pins a toolchain that is not installed, as a branch can.
    mkdirSync(k.path("crate"));
    writeFileSync(k.path("crate/rust-toolchain.toml"), '[toolchain]\nchannel = "1.70.0"\n');
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    k.cleanup();
  });

  it("RUSTUP_DIST_SERVER and RUSTUP_AUTO_INSTALL are refused: cargo never fetches a toolchain from the file's server", async () => {
    const address = server.address() as AddressInfo;
    const f = encryptFile(k, "rust.env", `RUSTUP_DIST_SERVER=http://127.0.0.1:${address.port}\nRUSTUP_AUTO_INSTALL=1\nAPI_TOKEN=${TOKEN}\n`);
    const r = await hushAsync(k, k.path("crate"), ["exec-env", f, "--", "cargo", "--version"]);
    if (r.stderr.includes("cannot run cargo")) throw new Error("this test needs rustup's cargo on PATH (https://rustup.rs)");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env RUSTUP_DIST_SERVER --allow-env RUSTUP_AUTO_INSTALL");
    expect(asked).toEqual([]);
    // What the refusal prevents: allowed, rustup asks the file's server for the toolchain it would run.
    await hushAsync(k, k.path("crate"), ["exec-env", "--allow-env", "RUSTUP_DIST_SERVER", "--allow-env", "RUSTUP_AUTO_INSTALL", f, "--", "cargo", "--version"]);
    expect(asked.some((path) => path.startsWith("/dist/"))).toBe(true);
  });
});

describe("hush exec-env: where botocore (aws, boto3) reads its endpoint rules", () => {
  let k: KeyedDir;
  let server: Server;
  let tokens: string[];
  beforeAll(async () => {
    k = keyedDir();
    tokens = [];
    server = createServer((req, res) => {
      tokens.push(String(req.headers["x-amz-security-token"]));
      res.writeHead(500).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    // Endpoint rules a branch commits next to the encrypted file: every STS request goes to the server.
    const rules = {
      version: "1.0",
      parameters: { Region: { builtIn: "AWS::Region", required: false, type: "String" } },
      rules: [{ conditions: [], endpoint: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, properties: {}, headers: {} }, type: "endpoint" }],
    };
    mkdirSync(k.path("aws-data/sts/2011-06-15"), { recursive: true });
    writeFileSync(k.path("aws-data/sts/2011-06-15/endpoint-rule-set-1.json"), JSON.stringify(rules));
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    k.cleanup();
  });

  /** The caller's own AWS credentials, in the environment as a CI job has them. */
  const credentials = { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", AWS_SESSION_TOKEN: "session-token-of-the-caller", AWS_DEFAULT_REGION: "us-east-1", AWS_MAX_ATTEMPTS: "1" };

  it("AWS_DATA_PATH is refused: the caller's signed request and session token never reach the file's server", async () => {
    const f = encryptFile(k, "aws.env", `AWS_DATA_PATH=aws-data\nAPI_TOKEN=${TOKEN}\n`);
    const argv = ["--", "aws", "sts", "get-caller-identity"];
    const r = await hushAsync(k, k.dir, ["exec-env", f, ...argv], credentials);
    if (r.stderr.includes("cannot run aws")) throw new Error("this test needs the AWS CLI on PATH (https://aws.amazon.com/cli/)");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env AWS_DATA_PATH");
    expect(tokens).toEqual([]);
    // What the refusal prevents: allowed, the request goes to the server, session token and all.
    await hushAsync(k, k.dir, ["exec-env", "--allow-env", "AWS_DATA_PATH", f, ...argv], credentials);
    expect(tokens).toEqual(["session-token-of-the-caller"]);
  });
});

describe("hush exec-env: psql's start-up file, in a deploy that runs psql with the file's DATABASE_URL", () => {
  let k: KeyedDir;
  let data: string;
  let socketDir: string;
  /** Runs a PostgreSQL program as the `postgres` user when this is root (the server refuses root). */
  function asServerUser(argv: readonly string[]): { status: number | null; stderr: string } {
    const [cmd, ...args] = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 60_000 });
    return { status: r.error === undefined ? r.status : null, stderr: r.stderr ?? r.error?.message ?? "" };
  }
  beforeAll(() => {
    k = keyedDir();
    // A server on a Unix socket in a directory of its own, trusting local connections; the
    // server's user only passes through the test's directory.
    chmodSync(k.dir, 0o711);
    socketDir = k.path("pg");
    mkdirSync(socketDir, { mode: 0o777 });
    chmodSync(socketDir, 0o777);
    data = join(socketDir, "data");
    const init = asServerUser(["initdb", "-D", data, "-A", "trust", "-U", "postgres"]);
    if (init.status !== 0) throw new Error(`this test needs PostgreSQL's initdb and pg_ctl on PATH: ${init.stderr}`);
    const start = asServerUser(["pg_ctl", "-D", data, "-w", "-o", `-k ${socketDir} -c listen_addresses=`, "-l", join(socketDir, "log"), "start"]);
    if (start.status !== 0) throw new Error(`PostgreSQL did not start: ${start.stderr}`);
    // The branch's start-up file, next to the encrypted one: `\!` runs a shell command.
    writeFileSync(k.path("deploy.psqlrc"), `\\! touch ${k.path("started")}\n`);
  }, 90_000);
  afterAll(() => {
    asServerUser(["pg_ctl", "-D", data, "-m", "immediate", "stop"]);
    k.cleanup();
  });

  it("PSQLRC is refused: the shell command in it never runs", () => {
    const f = encryptFile(k, "db.env", `DATABASE_URL=postgresql://postgres@/postgres?host=${socketDir}\nPSQLRC=deploy.psqlrc\n`);
    const argv = ["--", "/bin/sh", "-c", 'psql "$DATABASE_URL" -c "select 1"'];
    const r = k.hush(["exec-env", f, ...argv]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env PSQLRC");
    expect(r.stderr).not.toMatch(/postgresql:|psqlrc/);
    expect(existsSync(k.path("started"))).toBe(false);
    // What the refusal prevents: psql runs the file before the query, though given -c.
    const allowed = k.hush(["exec-env", "--allow-env", "PSQLRC", f, ...argv]);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(existsSync(k.path("started"))).toBe(true);
  });
});

describe("hush exec-env: Terraform's data directory, which records the state backend", () => {
  let k: KeyedDir;
  let server: Server;
  let asked: string[];
  const tf = { CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  beforeAll(async () => {
    k = keyedDir();
    asked = [];
    server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    // A configuration whose backend is given at `terraform init` (-backend-config), as CI does.
    mkdirSync(k.path("infra"));
    writeFileSync(k.path("infra/main.tf"), 'terraform {\n  backend "http" {}\n}\noutput "ok" { value = "1" }\n');
    // The data directory a branch commits: initialised against the branch's own state server.
    const init = await hushAsync(k, k.path("infra"), ["exec-env", "--allow-env", "TF_DATA_DIR", encryptFile(k, "init.env", "TF_DATA_DIR=committed-data\n"), "--", "terraform", "init", "-input=false", `-backend-config=address=http://127.0.0.1:${(server.address() as AddressInfo).port}/state`], tf);
    if (init.stderr.includes("cannot run terraform")) throw new Error("this test needs terraform on PATH (https://developer.hashicorp.com/terraform/install)");
    if (!existsSync(k.path("infra/committed-data/terraform.tfstate"))) throw new Error(`terraform init failed: ${init.stderr}`);
    asked.length = 0;
  }, 60_000);
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    k.cleanup();
  });

  it("TF_DATA_DIR is refused: terraform never reads or writes the state at the backend the file's directory names", async () => {
    const f = encryptFile(k, "tf.env", `TF_DATA_DIR=committed-data\nTF_VAR_db_password=${TOKEN}\n`);
    const r = await hushAsync(k, k.path("infra"), ["exec-env", f, "--", "terraform", "plan", "-input=false"], tf);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env TF_DATA_DIR");
    expect(r.stderr).not.toContain("TF_VAR_");
    expect(asked).toEqual([]);
    // What the refusal prevents: allowed, plan reads the state from that server (apply writes it there).
    await hushAsync(k, k.path("infra"), ["exec-env", "--allow-env", "TF_DATA_DIR", f, "--", "terraform", "plan", "-input=false"], tf);
    expect(asked).toContain("GET /state");
  });
});

describe("hush exec-env: the directory Maven reads the project's JVM options from", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    // A Java agent (code the JVM runs before Maven) and a .mvn/jvm.config that loads it, in a
    // directory of the repository other than the project's own .mvn.
    mkdirSync(k.path("tools/.mvn"), { recursive: true });
    writeFileSync(k.path("tools/Agent.java"), 'public class Agent { public static void premain(String a) throws Exception { new java.io.File(System.getProperty("agent.marker")).createNewFile(); } }\n');
    writeFileSync(k.path("tools/manifest.txt"), "Premain-Class: Agent\n");
    const javac = spawnSync("javac", ["Agent.java"], { cwd: k.path("tools"), encoding: "utf8" });
    const jar = spawnSync("jar", ["cfm", "agent.jar", "manifest.txt", "Agent.class"], { cwd: k.path("tools"), encoding: "utf8" });
    if (javac.status !== 0 || jar.status !== 0) throw new Error("this test needs a JDK (javac, jar) on PATH");
    writeFileSync(k.path("tools/.mvn/jvm.config"), `-javaagent:${k.path("tools/agent.jar")} -Dagent.marker=${k.path("started")}\n`);
  });
  afterAll(() => k.cleanup());

  it("MAVEN_BASEDIR is refused: mvn never takes JVM options, a Java agent among them, from the file's directory", () => {
    const f = encryptFile(k, "build.env", `MAVEN_BASEDIR=tools\nMAVEN_REPO_PASSWORD=${TOKEN}\n`);
    const r = k.hush(["exec-env", f, "--", "mvn", "-v"]);
    if (r.stderr.includes("cannot run mvn")) throw new Error("this test needs Maven on PATH (https://maven.apache.org/install.html)");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env MAVEN_BASEDIR");
    expect(r.stderr).not.toContain("MAVEN_REPO_PASSWORD");
    expect(existsSync(k.path("started"))).toBe(false);
    // What the refusal prevents: mvn's launcher reads .mvn/jvm.config there, and the JVM runs the agent.
    const allowed = k.hush(["exec-env", "--allow-env", "MAVEN_BASEDIR", f, "--", "mvn", "-v"]);
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(existsSync(k.path("started"))).toBe(true);
  });
});

describe("hush exec-env: wget's system-wide start-up file", () => {
  let k: KeyedDir;
  let proxy: Server;
  let seen: string[];
  beforeAll(async () => {
    k = keyedDir();
    seen = [];
    proxy = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? ""}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", done));
    // A start-up file a branch commits: every request, credentials and all, through its proxy.
    const address = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
    writeFileSync(k.path("ci.wgetrc"), `use_proxy = on\nhttp_proxy = ${address}\nhttps_proxy = ${address}\n`);
  });
  afterAll(async () => {
    await new Promise((done) => proxy.close(done));
    k.cleanup();
  });

  it("SYSTEM_WGETRC is refused, as WGETRC is: the caller's credentials never go through the file's proxy", async () => {
    const f = encryptFile(k, "fetch.env", `SYSTEM_WGETRC=ci.wgetrc\nAPI_TOKEN=${TOKEN}\n`);
    const argv = ["--", "wget", "-q", "--tries=1", "--user=deploy", "--password=caller-password", "--auth-no-challenge", "-O", "/dev/null", "http://artifacts.example.invalid/release.tar.gz"];
    const r = await hushAsync(k, k.dir, ["exec-env", f, ...argv]);
    if (r.stderr.includes("cannot run wget")) throw new Error("this test needs GNU wget on PATH");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--allow-env SYSTEM_WGETRC");
    expect(seen).toEqual([]);
    // What the refusal prevents: allowed, wget sends the request and its password to the proxy.
    await hushAsync(k, k.dir, ["exec-env", "--allow-env", "SYSTEM_WGETRC", f, ...argv]);
    expect(seen).toEqual([`http://artifacts.example.invalid/release.tar.gz Basic ${Buffer.from("deploy:caller-password").toString("base64")}`]);
  });
});
