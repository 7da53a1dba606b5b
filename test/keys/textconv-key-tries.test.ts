import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageTestPluginKeyPair, installAgeTestPlugin, makeTempDir, type AgeTestPlugin, type AgeTestPluginKeyPair } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * `hush git textconv` (git's diff driver, run once per file revision) asks each key at most once
 * per file, whatever view the file gets: a key may be a hardware token, a PIN prompt or a network
 * call. The age test plugin logs each run, so the runs are counted.
 */

const PLAIN = "password: s3cr3t\nport_unencrypted: 5432\n";

describe("textconv asks each key once", () => {
  const tmp = makeTempDir("hush-textconv-tries-");
  let plugin: AgeTestPlugin;
  let pair: AgeTestPluginKeyPair;
  let keys: string;
  let encrypted: string;
  const log = join(tmp.path, "plugin.log");
  const identityRuns = (): number => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("--age-plugin=identity-v1")).length : 0);
  const env = (): Record<string, string> => ({ PATH: plugin.path, HUSHTEST_PLUGIN_LOG: log, SOPS_AGE_KEY_FILE: keys });

  /** The view textconv prints for `text`, and how many times the plugin was asked for the key. */
  const textconv = async (name: string, text: string): Promise<{ stdout: string; runs: number }> => {
    const file = join(tmp.path, name);
    writeFileSync(file, text);
    const before = identityRuns();
    const r = await hush(["git", "textconv", file], { env: env() });
    expect(r.status, r.stderr).toBe(0);
    return { stdout: r.stdout, runs: identityRuns() - before };
  };

  beforeAll(async () => {
    plugin = installAgeTestPlugin(tmp.path);
    pair = ageTestPluginKeyPair();
    keys = join(tmp.path, "keys.txt");
    writeFileSync(keys, `${pair.identity}\n`);
    const file = join(tmp.path, "app.yaml");
    writeFileSync(file, PLAIN);
    const r = await hush(["encrypt", "-i", "--age", pair.recipient, file], { env: env() });
    expect(r.status, r.stderr).toBe(0);
    encrypted = readFileSync(file, "utf8");
  });
  afterAll(() => tmp.cleanup());

  it("an intact file: decrypted, one run", async () => {
    const view = await textconv("intact.yaml", encrypted);
    expect(view.stdout).toContain("password: s3cr3t\n");
    expect(view.runs).toBe(1);
  });

  it("a clear value changed (MAC mismatch): the unverified view, one run", async () => {
    const view = await textconv("mac.yaml", encrypted.replace("port_unencrypted: 5432", "port_unencrypted: 5433"));
    expect(view.stdout).toContain("WARNING: MAC mismatch");
    expect(view.stdout).toContain("password: s3cr3t\n");
    expect(view.runs).toBe(1);
  });

  it("an encrypted value damaged: the damaged view, one run", async () => {
    const damaged = encrypted.replace(/^password: ENC\[AES256_GCM,data:([A-Za-z0-9+/])/m, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A"));
    expect(damaged).not.toBe(encrypted);
    const view = await textconv("damaged.yaml", damaged);
    expect(view.stdout).toContain("WARNING: this file does not decrypt");
    expect(view.stdout).not.toContain("s3cr3t");
    expect(view.runs).toBe(1);
  });
});
