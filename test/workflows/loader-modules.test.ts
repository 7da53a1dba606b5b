import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir, appUsingWorkspaceCli } from "./helpers.ts";

/**
 * What the env loader loads is paid at every start of the application: reading and decrypting
 * a file needs none of the modules that write files (the link checks, git), nor a program run.
 */
describe("modules the env loader loads", () => {
  let k: KeyedDir;
  let app: string;
  beforeAll(() => {
    k = keyedDir();
    app = appUsingWorkspaceCli(k);
    encryptFile(k, "app/config.yaml", "APP_TOKEN: token-Qm40\n");
    writeFileSync(join(app, "app.mjs"), "process.stdout.write(String(process.env.APP_TOKEN));\n");
  });
  afterAll(() => k?.cleanup());

  it("loads a file without io.js, the link checks, git's program lookup or child_process", () => {
    // A module hook (in Node's loader thread) lists every module the run resolves.
    const log = k.path("modules.log");
    const hook = `data:text/javascript,${encodeURIComponent(
      `import { appendFileSync } from "node:fs"; export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + "\\n"); return r; }`,
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(hook)});`)}`;
    const r = spawnSync(process.execPath, ["--import", register, "--import", "@hush/cli/config", "app.mjs"], {
      cwd: app,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", HUSH_ENV_FILE: "config.yaml", ...k.env },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("token-Qm40");
    const loaded = readFileSync(log, "utf8");
    expect(loaded).toContain("/cli/dist/load-env.js");
    for (const absent of ["/cli/dist/io.js", "/cli/dist/work-tree-links.js", "/cli/dist/git-program.js", "node:child_process"]) {
      expect(loaded, absent).not.toContain(absent);
    }
  });
});
