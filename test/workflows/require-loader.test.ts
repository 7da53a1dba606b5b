import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { loadEnvForRequiringThread } from "../../packages/cli/src/env-startup.ts";
import { runCliInProcess } from "../proof/support.ts";

/**
 * The worker side of `require("hush-secrets/config")` (packages/cli/src/env-startup.ts): what it
 * hands the waiting thread. The thread that requires the loader blocks until this answers, so it
 * must answer, never throw. The whole path, worker thread included, is tested on the installed
 * package (test/install/package.test.ts).
 */

describe("loadEnvForRequiringThread", () => {
  let tmp: { path: string; cleanup: () => void };
  let base: Record<string, string>;
  beforeAll(async () => {
    tmp = makeTempDir("hush-env-startup-");
    base = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmp.path, LANG: "C" };
    const keygen = await runCliInProcess(["keygen", "-o", join(tmp.path, "key.txt")], { env: base, cwd: tmp.path });
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(keygen.stderr)?.[1];
    expect(recipient, keygen.stderr).toBeDefined();
    writeFileSync(join(tmp.path, "plain.yaml"), "TOKEN: tok-Vb38\ndb:\n  password: pw-Lq02\n");
    const enc = await runCliInProcess(["encrypt", "--age", recipient!, "--output", join(tmp.path, "app.enc.yaml"), join(tmp.path, "plain.yaml")], { env: base, cwd: tmp.path });
    expect(enc.status, enc.stderr).toBe(0);
  });
  afterAll(() => tmp?.cleanup());

  const envFor = (extra: Record<string, string>): Record<string, string | undefined> => ({
    ...base,
    SOPS_AGE_KEY: readFileSync(join(tmp.path, "key.txt"), "utf8"),
    HUSH_ENV_FILE: join(tmp.path, "app.enc.yaml"),
    ...extra,
  });

  it("gives the variables to set, flattened, and leaves those already set unless HUSH_ENV_OVERRIDE=1", async () => {
    const file = join(tmp.path, "app.enc.yaml");
    const st = statSync(file);
    const versions = [`${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`];
    const loaded = (override: boolean): [string, string] => ["HUSH_ENV_LOADED", JSON.stringify({ files: [file], versions, override })];
    expect(await loadEnvForRequiringThread(envFor({}))).toEqual({ vars: [["TOKEN", "tok-Vb38"], ["db__password", "pw-Lq02"], loaded(false)] });
    expect(await loadEnvForRequiringThread(envFor({ TOKEN: "mine" }))).toEqual({ vars: [["db__password", "pw-Lq02"], loaded(false)] });
    expect(await loadEnvForRequiringThread(envFor({ TOKEN: "mine", HUSH_ENV_OVERRIDE: "1" }))).toEqual({ vars: [["TOKEN", "tok-Vb38"], ["db__password", "pw-Lq02"], loaded(true)] });
    // Marked as loaded by the process that started this one (a cluster worker, a fork): nothing
    // to do; another file, or overriding where that process did not, loads.
    expect(await loadEnvForRequiringThread(envFor({ HUSH_ENV_LOADED: loaded(false)[1] }))).toEqual({ vars: [] });
    expect(await loadEnvForRequiringThread(envFor({ HUSH_ENV_LOADED: loaded(false)[1], HUSH_ENV_OVERRIDE: "1" }))).toEqual({ vars: [["TOKEN", "tok-Vb38"], ["db__password", "pw-Lq02"], loaded(true)] });
    // The file changed since that process loaded it (rewritten in place, its size kept): loads.
    const before = loaded(false)[1];
    writeFileSync(file, readFileSync(file));
    const again = await loadEnvForRequiringThread(envFor({ HUSH_ENV_LOADED: before }));
    expect("vars" in again ? again.vars.map(([name]) => name) : again).toEqual(["TOKEN", "db__password", "HUSH_ENV_LOADED"]);
  });

  it("answers a failure with the line to print and hush's status, never a value", async () => {
    const noKey = await loadEnvForRequiringThread({ ...envFor({}), SOPS_AGE_KEY: undefined });
    expect(noKey).toMatchObject({ status: 128, message: expect.stringMatching(/app\.enc\.yaml: [^\n]*no matching identity/) });
    expect(JSON.stringify(noKey)).not.toMatch(/tok-Vb38|pw-Lq02/);
    const missing = await loadEnvForRequiringThread(envFor({ HUSH_ENV_FILE: join(tmp.path, "none.env") }));
    expect(missing).toMatchObject({ status: 1, message: expect.stringMatching(/none\.env: no such file/) });
    // HUSH_ENV_FILE=$A:$B with both unset names no file: the program must not start without its secrets.
    const unnamed = await loadEnvForRequiringThread(envFor({ HUSH_ENV_FILE: `:${join(tmp.path, "app.enc.yaml")}` }));
    expect(unnamed).toMatchObject({ status: 1, message: expect.stringMatching(/^HUSH_ENV_FILE "[^"]*" holds an empty file name/) });
    expect(await loadEnvForRequiringThread(envFor({ HUSH_ENV_FILE: ":" }))).toMatchObject({ status: 1 });
    expect(await loadEnvForRequiringThread(envFor({ HUSH_ENV_FILE: "" }))).toMatchObject({ status: 1, message: expect.stringMatching(/^HUSH_ENV_FILE is set but empty/) });
  });
});
