import { mkdirSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * `exec-file --user` run by root from a login session: its XDG_RUNTIME_DIR (`/run/user/0`) is
 * root's alone, so the plaintext handed to another user cannot go there.
 */

describe("exec-file --user with root's XDG_RUNTIME_DIR set", () => {
  let k: KeyedDir;
  let runtimeDir: string;
  beforeAll(() => {
    k = keyedDir();
    encryptFile(k, "app.yaml", "password: s3cr3t\n");
    runtimeDir = k.path("run-user-0");
    mkdirSync(runtimeDir, { mode: 0o700 });
  });
  afterAll(() => k.cleanup());

  it("the user's command reads the FIFO or the file, and nothing is left in root's runtime directory", () => {
    if (process.geteuid?.() !== 0) throw new Error("exec-file --user needs root: run the suite as root, e.g. in the project's container");
    for (const fifo of [[], ["--no-fifo"]]) {
      const r = k.hush(["exec-file", ...fifo, "--user", "nobody", "app.yaml", "--", "/bin/sh", "-c", 'test "$(id -u)" = 65534 && cat "$1"', "sh", "{}"], { env: { XDG_RUNTIME_DIR: runtimeDir } });
      expect(r.stderr, fifo.join(" ")).toBe("");
      expect(r.stdout).toBe("password: s3cr3t\n");
      expect(r.status).toBe(0);
      expect(readdirSync(runtimeDir)).toEqual([]);
    }
  });
});

describe("exec-env and exec-file --user", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    encryptFile(k, "app.yaml", "password: s3cr3t\n");
  });
  afterAll(() => k.cleanup());

  it("do not hand hush's own age identities to the command, which runs with less", () => {
    if (process.geteuid?.() !== 0) throw new Error("exec-env --user needs root: run the suite as root, e.g. in the project's container");
    const show = 'echo "[${SOPS_AGE_KEY-unset}][${SOPS_AGE_KEY_FILE-unset}][${SOPS_AGE_KEY_CMD-unset}][${password-}][${AWS_PROFILE-}]"';
    const env = { SOPS_AGE_KEY: k.keyText, SOPS_AGE_KEY_CMD: `cat ${k.keyFile}`, AWS_PROFILE: "ops" };
    const asUser = k.hush(["exec-env", "--user", "nobody", "app.yaml", "--", "/bin/sh", "-c", show], { env });
    expect([asUser.status, asUser.stderr]).toEqual([0, ""]);
    expect(asUser.stdout).toBe("[unset][unset][unset][s3cr3t][ops]\n");
    const file = k.hush(["exec-file", "--user", "nobody", "app.yaml", "--", "/bin/sh", "-c", `cat "$1" >/dev/null; ${show}`, "sh", "{}"], { env });
    expect(file.stdout).toBe("[unset][unset][unset][][ops]\n");
    // Without --user the command is you: it gets your environment as it is.
    const asYou = k.hush(["exec-env", "app.yaml", "--", "/bin/sh", "-c", 'test -n "$SOPS_AGE_KEY" && echo "[${SOPS_AGE_KEY_FILE}]"'], { env });
    expect(asYou.stdout).toBe(`[${k.keyFile}]\n`);
  });

  it("--redact: the user's command writes to /dev/stdout and /dev/stderr by name, masked", () => {
    if (process.geteuid?.() !== 0) throw new Error("exec-env --user needs root: run the suite as root, e.g. in the project's container");
    const script = 'test "$(id -u)" = 65534 && echo "out $password" > /dev/stdout && echo "err $password" > /dev/stderr';
    const r = k.hush(["exec-env", "--redact", "--user", "nobody", "app.yaml", "--", "/bin/sh", "-c", script]);
    expect(r.stderr).toBe("err [redacted]\n");
    expect(r.stdout).toBe("out [redacted]\n");
    expect(r.status).toBe(0);
  });
});
