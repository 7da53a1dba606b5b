import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, makeTempDir, requireBuiltCli } from "@hush/testkit";
import { generateAgeKeyPair } from "@hush/key-source-age";

/**
 * `exec-file --user` needs hush to run as root: run by another user, it says so in one line
 * naming the user, writes nothing and runs nothing, instead of a system error naming its
 * private directory.
 */

const tmp = makeTempDir("hush-exec-user-");
afterAll(() => tmp.cleanup());

describe("exec-file --user run by a user other than root", () => {
  it("refuses with one line naming the user and the next step, for the FIFO and the file", async () => {
    if (process.geteuid?.() !== 0) throw new Error("this test runs hush as another user: run the suite as root, e.g. in the project's container");
    requireBuiltCli();
    const pair = await generateAgeKeyPair();
    chmodSync(tmp.path, 0o755);
    const keyFile = join(tmp.path, "key.txt");
    writeFileSync(keyFile, `${pair.identity}\n`, { mode: 0o644 });
    writeFileSync(join(tmp.path, "app.yaml"), "password: s3cr3t\n", { mode: 0o644 });
    const env = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: tmp.path, SOPS_AGE_KEY_FILE: keyFile };
    const enc = spawnSync(process.execPath, [HUSH_SCRIPT, "encrypt", "-i", "--age", pair.recipient, "app.yaml"], { cwd: tmp.path, env, encoding: "utf8" });
    expect(enc.stderr).toBe("");
    chmodSync(join(tmp.path, "app.yaml"), 0o644);
    const marker = join(tmp.path, "ran");
    for (const fifo of [[], ["--no-fifo"]]) {
      const r = spawnSync("runuser", ["-u", "nobody", "--", process.execPath, HUSH_SCRIPT, "exec-file", ...fifo, "--user", "root", "app.yaml", "--", "/bin/sh", "-c", `: > '${marker}'`], {
        cwd: tmp.path,
        env,
        encoding: "utf8",
      });
      expect(r.stderr).toBe("hush: --user root: cannot hand the file over to that user (EPERM); --user needs hush to run as root\n");
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
    }
    expect(spawnSync("test", ["-e", marker]).status).toBe(1);
  });
});
