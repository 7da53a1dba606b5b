import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ageTestPluginKeyPair, installAgeTestPlugin, makeTempDir } from "@hush/testkit";
import { startHush } from "../workflows/helpers.ts";
import { goneSoon, hush, waitForPids } from "./helpers.ts";

/**
 * An age plugin never outlives hush, also when the signal comes as it starts: it was watched only
 * once Node reported it started, and a SIGTERM before that found no handler and ended hush by
 * Node's default, the plugin (a hardware key's, waiting on a touch) left running. The plugin here
 * signals hush the moment it runs, then waits; hush runs in a session of its own, so the signal
 * is for hush alone, as a `kill PID` from a deploy script is. Several runs: before the fix the
 * plugin was left running in most of them, never in all.
 */
describe("a SIGTERM to hush as an age plugin starts", () => {
  const tmp = makeTempDir("hush-plugin-signal-");
  afterAll(() => tmp.cleanup());

  it("ends the plugin, and hush by SIGTERM, every time", { timeout: 60_000 }, async () => {
    const real = installAgeTestPlugin(tmp.path);
    const pair = ageTestPluginKeyPair();
    const keys = join(tmp.path, "keys.txt");
    writeFileSync(keys, `${pair.identity}\n`, { mode: 0o600 });
    const file = join(tmp.path, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    const encrypted = await hush(["encrypt", "-i", "--age", pair.recipient, file], { env: { PATH: real.path } });
    expect(encrypted.status, encrypted.stderr).toBe(0);
    const signalling = join(tmp.path, "signalling");
    mkdirSync(signalling);
    writeFileSync(join(signalling, "age-plugin-hushtest"), `#!/bin/sh\necho $$ > "$PLUGIN_PID_FILE"\nkill -TERM $PPID\nexec sleep 300\n`, { mode: 0o755 });
    for (let n = 0; n < 5; n++) {
      const pidFile = join(tmp.path, `plugin-${n}.pid`);
      const run = startHush(["decrypt", file], { cwd: tmp.path, env: { PATH: `${signalling}:/usr/bin:/bin`, SOPS_AGE_KEY_FILE: keys, PLUGIN_PID_FILE: pidFile }, newSession: true });
      const result = await run.done;
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: null, signal: "SIGTERM" });
      const [pid] = await waitForPids(pidFile);
      expect(await goneSoon(pid!), `run ${n}: plugin process ${pid}`).toBe(true);
    }
  });
});
