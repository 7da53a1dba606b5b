import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, run } from "./helpers.ts";

/**
 * `node -r hush-secrets/config -r ./agent.cjs app.js`: dotenv's habit puts the env loader first so
 * that the preloads after it (an APM agent, a tracer, a register hook that reads its settings)
 * find the variables set, as they do after `-r dotenv/config`. The loader decrypts asynchronously
 * and holds the entry back; the preloads named after it are held back with the entry and run, in
 * their order, once the variables are set, or not at all when the files cannot be loaded.
 */
describe("preloads named after `-r hush-secrets/config`", () => {
  let tmp: { path: string; cleanup: () => void };
  let app: string;
  let env: Record<string, string>;
  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-config-preloads-");
    app = join(tmp.path, "app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    symlinkSync(BUNDLE_OUT, join(app, "node_modules", "hush-secrets"), "dir");
    env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmp.path, LANG: "C" };
    const hush = join(BUNDLE_OUT, "bin", "hush.cjs");
    const key = join(tmp.path, "key.txt");
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(run(process.execPath, [hush, "keygen", "-o", key], { cwd: app, env }).stderr)?.[1];
    expect(recipient).toBeDefined();
    writeFileSync(join(app, "plain.env"), "AGENT_KEY=agent-Tz52\n");
    const enc = run(process.execPath, [hush, "encrypt", "--age", recipient!, "--output", join(app, ".env.enc"), join(app, "plain.env")], { cwd: app, env });
    expect(enc.status, enc.stderr).toBe(0);
    env = { ...env, SOPS_AGE_KEY_FILE: key };
    writeFileSync(join(app, "agent.cjs"), 'process.stdout.write(`agent:${process.env.AGENT_KEY ?? "unset"} `);\n');
    writeFileSync(join(app, "tracer.cjs"), 'process.stdout.write(`tracer:${process.env.AGENT_KEY ?? "unset"} `);\n');
    writeFileSync(join(app, "entry.cjs"), 'process.stdout.write(`entry:${process.env.AGENT_KEY ?? "unset"}`);\n');
    writeFileSync(join(app, "entry.mjs"), 'process.stdout.write(`entry:${process.env.AGENT_KEY ?? "unset"}`);\n');
  });
  afterAll(() => tmp?.cleanup());

  it("run after the variables are set, in their order, before a CommonJS or an ES module entry", () => {
    for (const entry of ["entry.cjs", "entry.mjs"]) {
      const r = run(process.execPath, ["-r", "hush-secrets/config", "-r", "./agent.cjs", "--require=./tracer.cjs", entry], { cwd: app, env });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("agent:agent-Tz52 tracer:agent-Tz52 entry:agent-Tz52");
      expect(r.status).toBe(0);
    }
    // NODE_OPTIONS's preloads come before the command line's.
    const r = run(process.execPath, ["-r", "./tracer.cjs", "entry.cjs"], { cwd: app, env: { ...env, NODE_OPTIONS: "-r hush-secrets/config -r ./agent.cjs" } });
    expect(r.stdout, r.stderr).toBe("agent:agent-Tz52 tracer:agent-Tz52 entry:agent-Tz52");
  });

  it("in a worker thread, which Node starts without runMain, a preload that NODE_OPTIONS names after the loader runs as it did", () => {
    // A worker created with `argv` looks like a program start to the loader (it loads the files
    // again, and finds its variables set); its preloads must not wait for an entry that never comes.
    writeFileSync(join(app, "worker-agent.cjs"), 'const { isMainThread } = require("node:worker_threads");\nprocess.stdout.write(`${isMainThread ? "main" : "worker"}-agent:${process.env.AGENT_KEY ?? "unset"} `);\n');
    writeFileSync(
      join(app, "threads.cjs"),
      'const { Worker } = require("node:worker_threads");\nnew Worker("process.stdout.write(`worker:${process.env.AGENT_KEY} `)", { eval: true, argv: ["x"] }).on("exit", () => process.stdout.write("done"));\n',
    );
    const r = run(process.execPath, ["threads.cjs"], { cwd: app, env: { ...env, NODE_OPTIONS: "-r hush-secrets/config -r ./worker-agent.cjs" }, timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("main-agent:agent-Tz52 worker-agent:agent-Tz52 worker:agent-Tz52 done");
  });

  it("a preload of the program's own that requires the loader goes on once the variables are set, as `require` promises", () => {
    writeFileSync(join(app, "setup.cjs"), 'require("hush-secrets/config");\nprocess.stdout.write(`setup:${process.env.AGENT_KEY ?? "unset"} `);\n');
    const r = run(process.execPath, ["-r", "./setup.cjs", "entry.cjs"], { cwd: app, env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("setup:agent-Tz52 entry:agent-Tz52");
    expect(r.status).toBe(0);
    const keyless = run(process.execPath, ["-r", "./setup.cjs", "entry.cjs"], { cwd: app, env: { ...env, SOPS_AGE_KEY_FILE: join(tmp.path, "missing-key.txt") } });
    expect(keyless.stdout).toBe("");
    expect(keyless.stderr).toMatch(/^hush: \.env\.enc: [^\n]*no matching identity[^\n]*\n$/);
    expect(keyless.status).toBe(128);
  });

  it("a held preload that wraps Module.runMain, as module loaders and agents do, starts the entry through its wrapper", () => {
    writeFileSync(
      join(app, "wrap-main.cjs"),
      'const Module = require("node:module");\nconst runMain = Module.runMain;\nModule.runMain = function (...args) {\n  process.stdout.write(`wrapper:${process.env.AGENT_KEY ?? "unset"} `);\n  return runMain.apply(this, args);\n};\n',
    );
    const r = run(process.execPath, ["-r", "hush-secrets/config", "-r", "./wrap-main.cjs", "entry.cjs"], { cwd: app, env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("wrapper:agent-Tz52 entry:agent-Tz52");
    expect(r.status).toBe(0);
  });

  it("a preload named before the loader runs before it, as Node orders them", () => {
    const r = run(process.execPath, ["-r", "./agent.cjs", "-r", "hush-secrets/config", "entry.cjs"], { cwd: app, env });
    expect(r.stdout, r.stderr).toBe("agent:unset entry:agent-Tz52");
  });

  it("never run when the files cannot be loaded: the loader's one line and status only", () => {
    const r = run(process.execPath, ["-r", "hush-secrets/config", "-r", "./agent.cjs", "entry.cjs"], { cwd: app, env: { ...env, SOPS_AGE_KEY_FILE: join(tmp.path, "missing-key.txt") } });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hush: \.env\.enc: [^\n]*no matching identity[^\n]*\n$/);
    expect(r.status).toBe(128);
  });

  it("a held preload that throws stops the program as a failing preload does, before the entry", () => {
    writeFileSync(join(app, "broken.cjs"), 'throw new Error("agent-broken");\n');
    const r = run(process.execPath, ["-r", "hush-secrets/config", "-r", "./broken.cjs", "entry.cjs"], { cwd: app, env });
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Error: agent-broken");
    expect(r.status).toBe(1);
    const missing = run(process.execPath, ["-r", "hush-secrets/config", "-r", "./no-such-agent.cjs", "entry.cjs"], { cwd: app, env });
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("Cannot find module './no-such-agent.cjs'");
    expect(missing.status).toBe(1);
  });

  it("required in a worker thread's own code, where the thread that started it loaded nothing, loads there; a worker whose starting thread loaded does not load again", () => {
    writeFileSync(join(app, "pool-thread.cjs"), 'require("hush-secrets/config");\nprocess.stdout.write(`worker:${process.env.AGENT_KEY ?? "unset"} `);\n');
    writeFileSync(join(app, "pool.cjs"), 'const { Worker } = require("node:worker_threads");\nnew Worker(require("node:path").join(__dirname, "pool-thread.cjs")).on("exit", (code) => process.stdout.write(`exit:${code}`));\n');
    const r = run(process.execPath, ["pool.cjs"], { cwd: app, env, timeoutMs: 30_000 });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("worker:agent-Tz52 exit:0");
    const keyless = run(process.execPath, ["pool.cjs"], { cwd: app, env: { ...env, SOPS_AGE_KEY_FILE: join(tmp.path, "missing-key.txt") }, timeoutMs: 30_000 });
    expect(keyless.stderr).toMatch(/^hush: \.env\.enc: [^\n]*no matching identity[^\n]*\n$/);
    expect(keyless.stdout).toBe("exit:128");
    // Loaded by the program first, with its key file named no more: a second load would fail.
    writeFileSync(join(app, "loaded-pool.cjs"), 'require("hush-secrets/config");\ndelete process.env.SOPS_AGE_KEY_FILE;\nrequire("./pool.cjs");\n');
    const inherited = run(process.execPath, ["loaded-pool.cjs"], { cwd: app, env, timeoutMs: 30_000 });
    expect(inherited.stderr).toBe("");
    expect(inherited.stdout).toBe("worker:agent-Tz52 exit:0");
  });

  it("required where Node's permission model refuses worker threads, stops with the loader's one line naming the way round, not Node's stack trace", () => {
    const permission = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
    const flags = ["--no-warnings", permission, "--allow-fs-read=*"];
    const r = run(process.execPath, [...flags, "-e", 'require("hush-secrets/config"); process.stdout.write("started");'], { cwd: app, env, timeoutMs: 30_000 });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("hush: the env loader cannot start its worker thread (ERR_ACCESS_DENIED); preload it instead, which needs none: node -r hush-secrets/config app.js, or --import hush-secrets/config\n");
    expect(r.status).toBe(1);
    // The way round works there.
    const preloaded = run(process.execPath, [...flags, "-r", "hush-secrets/config", "entry.cjs"], { cwd: app, env, timeoutMs: 30_000 });
    expect(preloaded.stderr).toBe("");
    expect(preloaded.stdout).toBe("entry:agent-Tz52");
  });
});
