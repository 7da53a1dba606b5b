/**
 * KMS benchmark: decrypting many KMS-wrapped files in one `hush` process against the project's
 * KMS test server with an added latency per call, as a ratio over decrypting one such file.
 *
 * Each file needs one kms:Decrypt round trip. Done one after another, 50 files cost 50 round
 * trips; `hush verify` opens files concurrently (8 at a time by default), so the aim is at most
 * 3x the time of a single file (process start-up included in both). A `--jobs 1` row shows what
 * the concurrency saves.
 *
 * Run after `pnpm build`: `node packages/bench/src/kms-bench.mjs`, or through `pnpm bench`.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadStartKmsTestServer } from "./kms-server.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const HUSH = join(root, "packages", "cli", "bin", "hush.js");

function run(args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [HUSH, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`hush ${args.join(" ")} exited ${code}: ${stderr.trim().slice(0, 500)}`));
      else resolve({ ms, stdout });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Runs the benchmark and returns rows `{ name, ms, ratio }` (ms: median wall time of one `hush`
 * process; ratio: over the one-file row).
 *
 * @param {{ files?: number, latencyMs?: number, repeats?: number, log?: (line: string) => void }} [options]
 */
export async function runKmsBench(options = {}) {
  const files = options.files ?? 50;
  const latencyMs = options.latencyMs ?? 50;
  const repeats = options.repeats ?? 3;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "hush-kms-bench-"));
  let server;
  try {
    const startKmsTestServer = await loadStartKmsTestServer(dir);
    server = await startKmsTestServer();
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dir, "home"), LANG: "C", ...server.env };
    const arn = server.createKey({ description: "hush kms bench" });

    // Fixtures are encrypted in this process with the built library (50 CLI processes would take
    // longer than the benchmark itself); each file gets its own data key and KMS-wrapped entry.
    const one = join(dir, "one");
    const many = join(dir, "many");
    mkdirSync(one);
    mkdirSync(many);
    const { encryptText, registerKeyBackends } = await import(pathToFileURL(join(root, "packages", "core", "dist", "index.js")).href);
    const { awsKmsBackend } = await import(pathToFileURL(join(root, "packages", "key-source-aws-kms", "dist", "backend.js")).href);
    registerKeyBackends([awsKmsBackend]);
    const { AwsKmsKeySource } = await import(pathToFileURL(join(root, "packages", "key-source-aws-kms", "dist", "index.js")).href);
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const kms = new AwsKmsKeySource({ env: server.env });
    const plain = (i) => `database:\n    host: db${i}.internal\n    password: pw-${i}-${"x".repeat(24)}\napi:\n    token: t-${i}\n    timeout: 30\n`;
    log(`encrypting ${files} files with ${arn} ...`);
    const sources = await Promise.all(
      Array.from({ length: files }, async (_, i) => {
        const f = join(many, `secret-${String(i).padStart(3, "0")}.yaml`);
        const text = await encryptText(plain(i), {
          format: "yaml",
          keyGroups: [[{ kind: "kms", arn, role: "", context: {}, awsProfile: "" }]],
          keySources: async (kind) => (kind === "kms" ? kms : undefined),
        });
        writeFileSync(f, text);
        return f;
      }),
    );
    await kms.close();
    writeFileSync(join(one, "secret.yaml"), readFileSync(sources[0]));

    server.setLatency(latencyMs);
    const measure = async (name, args) => {
      await run(args, env); // warm the file system cache and Node's compile cache
      const times = [];
      for (let r = 0; r < repeats; r++) times.push((await run(args, env)).ms);
      const ms = median(times);
      log(`${name}: ${ms.toFixed(0)} ms`);
      return { name, ms };
    };
    const single = await measure(`kms: verify 1 file (${latencyMs} ms per KMS call)`, ["verify", join(one, "secret.yaml")]);
    server.resetStats();
    const batch = await measure(`kms: verify ${files} files in one process (${latencyMs} ms per KMS call)`, ["verify", many]);
    const peak = server.maxConcurrency;
    const serial = await measure(`kms: verify ${files} files, --jobs 1 (${latencyMs} ms per KMS call)`, ["verify", "--jobs", "1", many]);
    log(`most KMS calls in flight at once: ${peak}`);
    return [single, batch, serial].map((r) => ({ name: r.name, ms: Math.round(r.ms), ratio: Number((r.ms / single.ms).toFixed(2)) }));
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rows = await runKmsBench({ log: (l) => process.stderr.write(`${l}\n`) });
  for (const r of rows) process.stdout.write(`${r.name.padEnd(64)} ${String(r.ms).padStart(7)} ms  ${r.ratio.toFixed(2)}x\n`);
  const batch = rows[1];
  process.stdout.write(`aim: ${batch.name} at most 3x one file: ${batch.ratio <= 3 ? "met" : "NOT met"}\n`);
}
