import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, run } from "./helpers.ts";

/**
 * `require("hush-secrets/config")` from a program's code blocks its thread until the loader's
 * worker thread answers (build/config-require.cjs), so the worker must answer on every path it
 * can see, or the program hangs forever. Each case breaks a copy of the bundle's worker where the
 * loader would run: the program must stop with one `hush:` line and a failure status, quickly.
 */
describe("the CommonJS loader's worker thread answers on every path", () => {
  let tmp: { path: string; cleanup: () => void };
  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-config-worker-");
  });
  afterAll(() => tmp?.cleanup());

  const CALL = 'load("env-startup.cjs").loadEnvForRequiringThread()';

  it.each([
    ["process.exit in the code the worker runs", "(process.exit(3), undefined)", /^hush: the env loader stopped without an answer\n$/, 3],
    ["an error thrown outside the loader's reach", '(setTimeout(() => { throw new Error("stray failure"); }), new Promise(() => undefined))', /^hush: the env loader failed: stray failure\n$/, 1],
    ["a bundle that fails to load", 'load("no-such-module.cjs").loadEnvForRequiringThread()', /^hush: the env loader failed: ENOENT[^\n]*\n$/, 1],
  ] as const)("%s", (name, replacement, stderr, status) => {
    const pkg = join(tmp.path, name.replace(/\W+/g, "-"));
    cpSync(BUNDLE_OUT, pkg, { recursive: true });
    const worker = join(pkg, "dist", "config-worker.cjs");
    const text = readFileSync(worker, "utf8");
    expect(text).toContain(CALL);
    writeFileSync(worker, text.replace(CALL, replacement));
    const program = `require(${JSON.stringify(join(pkg, "dist", "config.cjs"))}); process.stdout.write("started");`;
    const r = run(process.execPath, ["-e", program], { cwd: tmp.path, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmp.path, HUSH_CODE_CACHE: "0" }, timeoutMs: 20_000 });
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(stderr);
    expect(r.status).toBe(status);
  });
});
