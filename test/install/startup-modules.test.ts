import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, run } from "./helpers.ts";

/**
 * What the bundled env loader and `hush decrypt` load of Node's own modules to open an
 * age-encrypted file: every module is start-up time, paid at each start of the application (the
 * loader) and of the command. Running a program (child_process, and net, dgram and the socket
 * code behind it) is needed only on rare paths: a key command, an age plugin, git asked about a
 * link.
 */
const NOT_NEEDED = ["child_process", "net", "dgram"];

describe("Node modules the bundle loads to open an age-encrypted file", () => {
  let tmp: { path: string; cleanup: () => void };
  let app: string;
  let env: Record<string, string>;
  let hush: string;
  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-startup-modules-");
    app = join(tmp.path, "app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    symlinkSync(BUNDLE_OUT, join(app, "node_modules", "hush-secrets"), "dir");
    env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmp.path, LANG: "C" };
    hush = join(BUNDLE_OUT, "bin", "hush.cjs");
    const key = join(tmp.path, "key.txt");
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(run(process.execPath, [hush, "keygen", "-o", key], { cwd: app, env }).stderr)?.[1];
    expect(recipient).toBeDefined();
    writeFileSync(join(app, "plain.yaml"), "APP_TOKEN: token-Rb73\n");
    const enc = run(process.execPath, [hush, "encrypt", "--age", recipient!, "--output", join(app, "secrets.enc.yaml"), join(app, "plain.yaml")], { cwd: app, env });
    expect(enc.status, enc.stderr).toBe(0);
    env = { ...env, SOPS_AGE_KEY_FILE: key };
    // Which of NOT_NEEDED the process has loaded, when the application starts and when hush ends.
    const loaded = `process.moduleLoadList.filter((m) => ${JSON.stringify(NOT_NEEDED.map((m) => `NativeModule ${m}`))}.includes(m))`;
    // Read before process.stdout, a pipe here, loads net for the application.
    const report = `const seen = { token: process.env.APP_TOKEN, loaded: ${loaded} };\nprocess.stdout.write(JSON.stringify(seen));\n`;
    writeFileSync(join(app, "app.mjs"), report);
    writeFileSync(join(app, "app.cjs"), report);
    writeFileSync(join(app, "at-exit.cjs"), `process.on("exit", () => require("node:fs").writeFileSync(process.env.LOADED_OUT, JSON.stringify(${loaded})));\n`);
  });
  afterAll(() => tmp?.cleanup());

  it("the env loader (--import and -r) sets the variables without loading child_process, net or dgram", () => {
    const loaderEnv = { ...env, HUSH_ENV_FILE: "secrets.enc.yaml" };
    for (const args of [
      ["--import", "hush-secrets/config", "app.mjs"],
      ["-r", "hush-secrets/config", "app.cjs"],
    ]) {
      const r = run(process.execPath, args, { cwd: app, env: loaderEnv });
      expect(r.stderr, args.join(" ")).toBe("");
      expect(JSON.parse(r.stdout), args.join(" ")).toEqual({ token: "token-Rb73", loaded: [] });
    }
  });

  it("hush decrypt prints the file without loading child_process, net or dgram", () => {
    const out = join(tmp.path, "loaded.json");
    const r = run(process.execPath, ["-r", join(app, "at-exit.cjs"), hush, "decrypt", "secrets.enc.yaml"], { cwd: app, env: { ...env, LOADED_OUT: out } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("APP_TOKEN: token-Rb73\n");
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual([]);
  });
});
