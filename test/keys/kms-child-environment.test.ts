import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, makeTempDir, startKmsTestServer, type KmsTestServer } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * What hush sets in its own environment for the AWS SDK (the config files it must not read under
 * a relative HOME, its Node version warning) is hush's, not the user's: the command of
 * `exec-env`/`exec-file` and the editor got it, so an `aws` CLI run by the command read no config
 * and no credentials file although the user had them. They get the environment the user gave hush.
 */
describe("the programs hush runs after a KMS call get the user's environment", () => {
  let server: KmsTestServer;
  const tmp = makeTempDir("hush-kms-child-env-");
  let file: string;
  /** Prints the variables hush sets for the SDK, "-" for one not set. */
  const show = 'printf "%s|%s|%s" "${AWS_CONFIG_FILE--}" "${AWS_SHARED_CREDENTIALS_FILE--}" "${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED--}"';
  beforeAll(async () => {
    server = await startKmsTestServer();
    file = join(tmp.path, "s.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    const r = await hush(["encrypt", "-i", "--kms", server.createKey(), file], { env: server.env });
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  for (const home of ["h", ""]) {
    it(`HOME=${JSON.stringify(home)}: exec-env, exec-file and the editor see none of them`, async () => {
      const env = { ...server.env, HOME: home };
      const execEnv = await hush(["exec-env", file, "--", "sh", "-c", show], { cwd: tmp.path, env });
      expect(execEnv.stderr).toBe("");
      expect(execEnv.stdout).toBe("-|-|-");
      const execFile = await hush(["exec-file", file, "--", "sh", "-c", `cat "$1" > /dev/null; ${show}`, "sh", "{}"], { cwd: tmp.path, env });
      expect(execFile.stdout).toBe("-|-|-");
      const seen = join(tmp.path, `editor-saw-${home}`);
      const editor = join(tmp.path, "show-editor");
      writeFileSync(editor, `#!/bin/sh\n${show} > "$SEEN"\n`, { mode: 0o755 });
      const edit = await hush(["edit", file], { cwd: tmp.path, env: { ...env, EDITOR: editor, SEEN: seen } });
      expect(edit.status, edit.stderr).toBe(200);
      expect(readFileSync(seen, "utf8")).toBe("-|-|-");
    });
  }

  it("a user with no home at all (HOME unset, no entry in the user database): KMS opens the file, and the command sees no USERPROFILE", async () => {
    if (process.geteuid?.() !== 0) throw new Error("this test runs hush as a user the system does not list: run the suite as root, e.g. in the project's container");
    // A container run with an arbitrary uid: the file must be readable by it.
    chmodSync(tmp.path, 0o755);
    chmodSync(file, 0o644);
    const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
    for (const [name, value] of Object.entries(server.env)) if (name.startsWith("AWS_") && value !== undefined) env[name] = value;
    // Run asynchronously: the KMS test server answers from this process.
    const child = spawn("setpriv", ["--reuid", "54321", "--regid", "54321", "--clear-groups", process.execPath, HUSH_SCRIPT, "exec-env", file, "--", "sh", "-c", 'printf "%s|%s" "$password" "${USERPROFILE--}"'], { cwd: "/", env });
    const r = { stdout: "", stderr: "" };
    child.stdout.on("data", (d: Buffer) => (r.stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (r.stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.on("error", (err) => reject(new Error(`setpriv (util-linux) is required for this test: ${err.message}`)));
      child.on("close", () => resolve());
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("s3cr3t|-");
  });

  it("the values the user gave pass as they are", async () => {
    const mine = { AWS_CONFIG_FILE: "/etc/my-aws-config", AWS_SHARED_CREDENTIALS_FILE: "/etc/my-aws-credentials", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
    const r = await hush(["exec-env", file, "--", "sh", "-c", show], { cwd: tmp.path, env: { ...server.env, HOME: "h", ...mine } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("/etc/my-aws-config|/etc/my-aws-credentials|true");
  });
});
