import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageTestPluginKeyPair, installAgeTestPlugin, makeTempDir, type AgeTestPlugin, type AgeTestPluginKeyPair } from "@hush/testkit";
import { requireTool, sshKeygen } from "../../packages/key-source-age/test/tools.ts";
import { openTerminal } from "../workflows/terminal.ts";
import { HUSH_JS, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * age plugin keys (`age1hushtest1…`, `AGE-PLUGIN-HUSHTEST-1…`) through the built CLI, with the
 * real test plugin (packages/testkit/plugins/age-plugin-hushtest.cjs) on PATH, and the Debian
 * `age` CLI as the reference implementation of the plugin protocol's client.
 */

const PLAIN = "db:\n    password: s3cr3t\nport: 5432\n";

describe("age plugin keys", () => {
  const tmp = makeTempDir("hush-age-plugin-");
  let plugin: AgeTestPlugin;
  let pair: AgeTestPluginKeyPair;
  let pluginKeys: string;
  let native: AgeKey;
  const log = join(tmp.path, "plugin.log");
  /** Each plugin run, as the test plugin logs it ("--age-plugin=identity-v1 <pid>"). */
  const runs = (): string[] => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("--age-plugin=")) : []);
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ PATH: plugin.path, HUSHTEST_PLUGIN_LOG: log, ...extra });
  const write = (name: string, text: string): string => {
    const f = join(tmp.path, name);
    writeFileSync(f, text);
    return f;
  };
  const encryptTo = async (name: string, recipients: string, extra: Record<string, string> = {}): Promise<string> => {
    const f = write(name, PLAIN);
    const r = await hush(["encrypt", "-i", "--age", recipients, f], { env: env(extra) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return f;
  };
  /** The one-line error hush printed (the first line of stderr). */
  const firstLine = (stderr: string): string => stderr.split("\n")[0] ?? "";

  beforeAll(async () => {
    plugin = installAgeTestPlugin(tmp.path);
    pair = ageTestPluginKeyPair();
    pluginKeys = write("plugin-keys.txt", `# hushtest\n${pair.identity}\n`);
    native = await makeAgeKey(tmp.path, "native");
  });
  afterAll(() => tmp.cleanup());

  it("encrypts with --age age1hushtest1… and decrypts with the AGE-PLUGIN-HUSHTEST-1… identity (SOPS_AGE_KEY_FILE and the default keys file)", async () => {
    const f = await encryptTo("basic.yaml", pair.recipient);
    const text = readFileSync(f, "utf8");
    expect(text).toContain(`recipient: ${pair.recipient}\n`);
    // The wrapped key is an age file whose one stanza is the plugin's own.
    const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/.exec(text)![0];
    const header = Buffer.from(armored.split("\n").map((l) => l.trim()).filter((l) => !l.startsWith("-----")).join(""), "base64").toString("latin1");
    expect(header).toMatch(/^age-encryption\.org\/v1\n-> hushtest [A-Za-z0-9+/]{43}\n/);
    const byFile = await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) });
    expect(byFile.stderr).toBe("");
    expect(byFile.stdout).toBe(PLAIN);
    const config = join(tmp.path, "xdg");
    execFileSync("mkdir", ["-p", join(config, "sops", "age")]);
    writeFileSync(join(config, "sops", "age", "keys.txt"), `${pair.identity}\n`);
    const byDefault = await hush(["decrypt", f], { env: env({ XDG_CONFIG_HOME: config }) });
    expect(byDefault.stdout).toBe(PLAIN);
    expect(runs().map((l) => l.split(" ")[0])).toEqual(["--age-plugin=recipient-v1", "--age-plugin=identity-v1", "--age-plugin=identity-v1"]);
  });

  it("a .sops.yaml rule names the plugin recipient; a key group mixes it with a plain age key, and either opens the file", async () => {
    const dir = join(tmp.path, "repo");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: mixed\\.yaml$\n    key_groups:\n      - age:\n          - ${pair.recipient}\n          - ${native.recipient}\n  - path_regex: \\.yaml$\n    age: ${pair.recipient}\n`);
    writeFileSync(join(dir, "one.yaml"), PLAIN);
    writeFileSync(join(dir, "mixed.yaml"), PLAIN);
    for (const name of ["one.yaml", "mixed.yaml"]) {
      const r = await hush(["encrypt", "-i", name], { cwd: dir, env: env() });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    expect(readFileSync(join(dir, "one.yaml"), "utf8")).toContain(`recipient: ${pair.recipient}\n`);
    expect((await hush(["decrypt", "one.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) })).stdout).toBe(PLAIN);
    expect((await hush(["decrypt", "mixed.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) })).stdout).toBe(PLAIN);
    const before = runs().length;
    // The plain key opens the entry made for it: the plugin identity is not needed, and no plugin runs.
    expect((await hush(["decrypt", "mixed.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: native.file }) })).stdout).toBe(PLAIN);
    expect(runs().length).toBe(before);
  });

  it("rotate and updatekeys re-wrap to the plugin recipient", async () => {
    const f = await encryptTo("rotate.yaml", native.recipient);
    const rotated = await hush(["rotate", "-i", "--add-age", pair.recipient, f], { env: env({ SOPS_AGE_KEY_FILE: native.file }) });
    expect(rotated.stderr).toBe("");
    expect(rotated.status).toBe(0);
    expect((await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) })).stdout).toBe(PLAIN);
    // Rotating again with only the plugin identity: both entries are wrapped anew.
    const again = await hush(["rotate", "-i", f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) });
    expect(again.status, again.stderr).toBe(0);
    expect((await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: native.file }) })).stdout).toBe(PLAIN);

    const dir = join(tmp.path, "upd");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, "app.yaml"), readFileSync(await encryptTo("upd-src.yaml", native.recipient), "utf8"));
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${native.recipient},${pair.recipient}\n`);
    const upd = await hush(["updatekeys", "-y", "app.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: native.file }) });
    expect(upd.status, upd.stderr).toBe(0);
    expect(readFileSync(join(dir, "app.yaml"), "utf8")).toContain(`recipient: ${pair.recipient}\n`);
    expect((await hush(["decrypt", "app.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) })).stdout).toBe(PLAIN);
  });

  it("Shamir across a plugin group and a plain age group: both are needed, and the message names the group that failed", async () => {
    const dir = join(tmp.path, "shamir");
    execFileSync("mkdir", ["-p", dir]);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${pair.recipient}]\n      - age: [${native.recipient}]\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const enc = await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env: env() });
    expect(enc.status, enc.stderr).toBe(0);
    const both = join(tmp.path, "both-keys.txt");
    writeFileSync(both, `${readFileSync(pluginKeys, "utf8")}${readFileSync(native.file, "utf8")}`);
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: both }) })).stdout).toBe(PLAIN);
    const one = await hush(["decrypt", "s.yaml"], { cwd: dir, env: env({ SOPS_AGE_KEY_FILE: native.file }) });
    expect(one.status).toBe(128);
    expect(one.stdout).toBe("");
    expect(firstLine(one.stderr)).toMatch(/1 of 2 key groups opened, 2 needed/);
    expect(one.stderr).toContain(`group 0: age ${pair.recipient}: no matching identity`);
  });

  describe("failures: one line naming the key and group, exit 128 (encrypt: 1, as SOPS), nothing written", () => {
    let f: string;
    let encrypted: string;
    beforeAll(async () => {
      f = await encryptTo("fail.yaml", pair.recipient);
      encrypted = readFileSync(f, "utf8");
    });
    const decryptFails = async (extra: Record<string, string>, why: RegExp): Promise<string> => {
      const out = join(tmp.path, "fail.out.yaml");
      const r = await hush(["decrypt", "--output", out, f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys, ...extra }) });
      expect(r.status, r.stderr).toBe(128);
      expect(r.stdout).toBe("");
      expect(existsSync(out)).toBe(false);
      expect(firstLine(r.stderr)).toMatch(new RegExp(`could not decrypt the data key: group 0: age ${pair.recipient}: age-plugin-hushtest: ${why.source}`));
      expect(r.stderr).not.toContain(pair.identity);
      return r.stderr;
    };

    it("the plugin answers an error (decrypt and encrypt)", async () => {
      await decryptFails({ HUSHTEST_PLUGIN_MODE: "error" }, /hushtest refuses \(test\)$/);
      const g = write("fail-enc.yaml", PLAIN);
      const r = await hush(["encrypt", "-i", "--age", pair.recipient, g], { env: env({ HUSHTEST_PLUGIN_MODE: "error" }) });
      // Wrapping is not retrieving: SOPS's encrypt exits 1 ("Could not generate data key").
      expect(r.status).toBe(1);
      expect(firstLine(r.stderr)).toMatch(new RegExp(`group 0: age key ${pair.recipient}: age-plugin-hushtest: hushtest refuses \\(test\\)$`));
      expect(readFileSync(g, "utf8")).toBe(PLAIN);
      // SOPS's edit of a new file, unlike its encrypt, reports it as "could not retrieve key".
      const created = join(tmp.path, "fail-new.yaml");
      const e = await hush(["edit", "--age", pair.recipient, created], { env: env({ HUSHTEST_PLUGIN_MODE: "error", EDITOR: "true" }) });
      expect(e.status, e.stderr).toBe(128);
      // The file first, as encrypt names it.
      expect(firstLine(e.stderr)).toMatch(new RegExp(`^hush: ${created.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: group 0: age key ${pair.recipient}: age-plugin-hushtest: hushtest refuses \\(test\\)`));
      expect(existsSync(created)).toBe(false);
    });

    it("the plugin crashes, or writes something that is not the protocol", async () => {
      await decryptFails({ HUSHTEST_PLUGIN_MODE: "crash" }, /its output ended in the middle of the protocol \(it exited with status 3: hushtest: simulated crash\)$/);
      await decryptFails({ HUSHTEST_PLUGIN_MODE: "garbage" }, /wrote a malformed stanza opening line/);
      expect(readFileSync(f, "utf8")).toBe(encrypted);
    });

    it("the plugin is not installed: the message says what to install (decrypt and encrypt)", async () => {
      const bare = { PATH: "/usr/bin:/bin" };
      const stderr = await decryptFails(bare, /not found in PATH/);
      expect(stderr).toContain("install the age-plugin-hushtest program");
      const g = write("missing-enc.yaml", PLAIN);
      const r = await hush(["encrypt", "-i", "--age", pair.recipient, g], { env: env(bare) });
      expect(r.status).toBe(1);
      expect(firstLine(r.stderr)).toContain(`group 0: age key ${pair.recipient}: age-plugin-hushtest: not found in PATH`);
      expect(r.stderr).toContain("install the age-plugin-hushtest program");
      expect(readFileSync(g, "utf8")).toBe(PLAIN);
    });

    it("a plugin in a relative PATH directory (a cloned repository's own) is never run", async () => {
      const repo = join(tmp.path, "cloned");
      installAgeTestPlugin(repo);
      const before = runs().length;
      for (const path of [`bin:/usr/bin:/bin`, `:/usr/bin:/bin`, `./bin:/usr/bin:/bin`]) {
        const r = await hush(["decrypt", f], { cwd: repo, env: env({ PATH: path, SOPS_AGE_KEY_FILE: pluginKeys }) });
        expect(r.status).toBe(128);
        expect(r.stderr).toContain("age-plugin-hushtest: not found in PATH");
      }
      expect(runs().length).toBe(before);
    });

    it("a plugin that hangs is waited on, and killed with hush", async () => {
      const pidFile = join(tmp.path, "hang.pid");
      const child = spawn(process.execPath, [HUSH_JS, "decrypt", f], {
        env: { HOME: "/nonexistent-home", ...env({ SOPS_AGE_KEY_FILE: pluginKeys, HUSHTEST_PLUGIN_MODE: "hang", HUSHTEST_PLUGIN_PIDFILE: pidFile }) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal === null ? null : 128))));
      for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      const pid = Number(readFileSync(pidFile, "utf8"));
      // age tells the user after 5 seconds that it is waiting on the plugin; so does hush.
      await new Promise((r) => setTimeout(r, 5500));
      expect(stderr).toContain("age-plugin-hushtest: waiting on the plugin");
      child.kill("SIGTERM");
      expect(await exited).not.toBe(0);
      // Running, as opposed to exited: a killed plugin stays a zombie until whoever inherits it
      // from hush reaps it, which a busy machine may not do at once.
      const running = (): boolean => {
        try {
          return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
        } catch {
          return false;
        }
      };
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        alive = running();
        if (alive) await new Promise((r) => setTimeout(r, 50));
      }
      expect(alive, `plugin process ${pid} outlived hush`).toBe(false);
    }, 30_000);
  });

  describe("requests for input", () => {
    let f: string;
    beforeAll(async () => {
      f = await encryptTo("ask.yaml", pair.recipient);
    });

    it("msg goes to standard error; the file decrypts", async () => {
      const r = await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys, HUSHTEST_PLUGIN_MODE: "msg" }) });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(PLAIN);
      expect(r.stderr).toBe("age-plugin-hushtest: touch the hushtest key\n");
    });

    it("request-secret and confirm without a terminal are answered fail at once: the plugin says what it needed", async () => {
      for (const [mode, why] of [["pin", "no PIN was given"], ["confirm", "not confirmed"]] as const) {
        const r = await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys, HUSHTEST_PLUGIN_MODE: mode }), timeoutMs: 20_000 });
        expect(r.status).toBe(128);
        expect(r.stderr).toContain("age-plugin-hushtest: could not ask for its input (standard input is not a terminal); answered that it failed\n");
        expect(r.stderr).toContain(`age-plugin-hushtest: ${why}`);
      }
    });

    it("a file of many entries for the plugin asks for input twice at most, not once per entry", async () => {
      // Each entry's stanza is the reader's (a recipient is public): a hardware plugin would ask
      // for a touch or a PIN for each, in decrypt and in git diff alike.
      const text = readFileSync(f, "utf8");
      const entry = /\n( {8}- enc: \|\n(?: {10}[^\n]*\n)+)/.exec(text)![1]!;
      const many = write("ask-many.yaml", text.replace(entry, entry.repeat(8)));
      const before = runs().length;
      const r = await hush(["decrypt", many], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys, HUSHTEST_PLUGIN_MODE: "pin" }), timeoutMs: 20_000 });
      expect(r.status).toBe(128);
      expect(runs().length - before).toBe(2);
      expect(r.stderr).toContain("age-plugin-hushtest: not run: it asked for input 2 times without opening an entry");
    });
  });

  describe("requests for input on a terminal", () => {
    it("asks for the PIN without echo and for the confirmation on the terminal, and the file decrypts", async () => {
      const f = await encryptTo("tty.yaml", pair.recipient);
      const out = join(tmp.path, "tty.out.yaml");
      const term = openTerminal(tmp.path, "pin", [process.execPath, HUSH_JS, "decrypt", "--output", out, f], tmp.path, {
        HOME: "/nonexistent-home",
        ...env({ SOPS_AGE_KEY_FILE: pluginKeys, HUSHTEST_PLUGIN_MODE: "pin,confirm", HUSHTEST_PLUGIN_PIN: "424242" }),
      });
      try {
        await term.waitForScreen((s) => s.includes("age-plugin-hushtest: Enter the hushtest PIN:"), "the PIN prompt");
        term.type("424242");
        term.keys("Enter");
        const asked = await term.waitForScreen((s) => s.includes('(type 1 for "go" or 2 for "stop")'), "the confirmation");
        expect(asked).not.toContain("424242");
        term.type("1");
        term.keys("Enter");
        expect(await term.waitForExit()).toBe(0);
      } finally {
        term.close();
      }
      expect(readFileSync(out, "utf8")).toBe(PLAIN);
    }, 60_000);
  });

  describe("trust: only the user's own keys choose a plugin", () => {
    it("a file's stanzas and recipients never start a plugin: only a configured identity does", async () => {
      const f = await encryptTo("untrusted.yaml", pair.recipient);
      const before = runs().length;
      const r = await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_FILE: native.file }) });
      expect(r.status).toBe(128);
      expect(firstLine(r.stderr)).toContain(`group 0: age ${pair.recipient}: no matching identity`);
      expect(runs().length).toBe(before);
    });

    it("a plugin name age refuses is refused, and its program never runs (recipient, .sops.yaml, identity)", async () => {
      const { bech32Encode } = await import("../proof/support.ts");
      const marker = join(tmp.path, "tilde-ran");
      const bin = join(tmp.path, "evilbin");
      execFileSync("mkdir", ["-p", bin]);
      for (const program of ["age-plugin-hush~test", "age-plugin-hush test"]) {
        writeFileSync(join(bin, program), `#!/bin/sh\ntouch ${marker}\n`);
        chmodSync(join(bin, program), 0o755);
      }
      const e = { PATH: `${bin}:/usr/bin:/bin` };
      const recipient = bech32Encode("age1hush~test", new Uint8Array(32).fill(7));
      const g = write("tilde.yaml", PLAIN);
      const byFlag = await hush(["encrypt", "--age", recipient, g], { env: e });
      expect(byFlag.status).toBe(1);
      expect(byFlag.stderr).toContain("names an age plugin with characters outside [A-Za-z0-9+-._]; refusing it");
      const dir = join(tmp.path, "tilde-repo");
      execFileSync("mkdir", ["-p", dir]);
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
      writeFileSync(join(dir, "a.yaml"), PLAIN);
      const byConfig = await hush(["encrypt", "a.yaml"], { cwd: dir, env: e });
      expect(byConfig.status).not.toBe(0);
      const ids = write("tilde-keys.txt", `${bech32Encode("age-plugin-hush~test-", new Uint8Array(32).fill(8)).toUpperCase()}\n`);
      const f = await encryptTo("tilde-target.yaml", native.recipient);
      const byIdentity = await hush(["decrypt", f], { env: { ...e, SOPS_AGE_KEY_FILE: ids } });
      expect(byIdentity.status).toBe(128);
      expect(byIdentity.stderr).toContain("refusing it");
      expect(existsSync(marker)).toBe(false);
    });
  });

  it("the workspace build's decrypt of a plain age file loads no plugin code; a plugin identity loads it", async () => {
    // A module hook (in Node's loader thread) lists every module the run resolves.
    const modules = join(tmp.path, "modules.log");
    const hook = `data:text/javascript,${encodeURIComponent(
      `import { appendFileSync } from "node:fs"; export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(modules)}, r.url + "\\n"); return r; }`,
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(hook)});`)}`;
    const loads = (file: string, keys: string): string => {
      writeFileSync(modules, "");
      const cli = join(__dirname, "..", "..", "packages", "cli", "bin", "hush.js");
      const r = spawnSync(process.execPath, ["--import", register, cli, "decrypt", file], { env: { HOME: "/nonexistent-home", ...env({ SOPS_AGE_KEY_FILE: keys }) }, encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(modules, "utf8");
    };
    const plain = loads(await encryptTo("lazy-native.yaml", native.recipient), native.file);
    expect(plain).toContain("/key-source-age/dist/age-key-source.js");
    for (const absent of ["plugin-client.js", "plugin-process.js", "plugin-wire.js", "plugin-ui.js"]) expect(plain, absent).not.toContain(`/key-source-age/dist/${absent}`);
    expect(loads(await encryptTo("lazy-plugin.yaml", pair.recipient), pluginKeys)).toContain("/key-source-age/dist/plugin-client.js");
  });

  it("SOPS_AGE_KEY_CMD runs with SOPS_AGE_RECIPIENT set to the recipient of the entry being opened (SOPS 3.13)", async () => {
    const other = await makeAgeKey(tmp.path, "other");
    const f = await encryptTo("keycmd.yaml", `${other.recipient},${native.recipient}`);
    const asked = join(tmp.path, "keycmd.log");
    const cmd = write("keycmd.sh", `#!/bin/sh\necho "$SOPS_AGE_RECIPIENT" >> '${asked}'\nif [ "$SOPS_AGE_RECIPIENT" = '${native.recipient}' ]; then cat '${native.file}'; fi\n`);
    chmodSync(cmd, 0o755);
    const r = await hush(["decrypt", f], { env: env({ SOPS_AGE_KEY_CMD: cmd }) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(readFileSync(asked, "utf8")).toBe(`${other.recipient}\n${native.recipient}\n`);
  });

  it("a key command is told an SSH recipient without a comment the file's writer made hostile, and still opens the entry", async () => {
    const ssh = sshKeygen(tmp.path, "id_keycmd", ["-t", "ed25519"]);
    const key = ssh.publicKey.split(" ").slice(0, 2).join(" ");
    const f = await encryptTo("keycmd-ssh.yaml", `${native.recipient},${ssh.publicKey}`);
    // The writer's edit: a comment that a command handing the recipient to a shell would run.
    const marker = join(tmp.path, "ran");
    const text = readFileSync(f, "utf8").replace(`recipient: ${ssh.publicKey}`, `recipient: ${key} x$(touch${"${IFS}"}${marker});\`touch${"${IFS}"}${marker}\``);
    expect(text).toContain("$(touch");
    const g = write("keycmd-ssh-hostile.yaml", text);
    const asked = join(tmp.path, "keycmd-ssh.log");
    // As a key command that asks a key host over ssh would: the remote shell reads the recipient.
    const cmd = write(
      "keycmd-ssh.sh",
      `#!/bin/sh\nprintf '%s\\n' "$SOPS_AGE_RECIPIENT" >> '${asked}'\nsh -c "echo $SOPS_AGE_RECIPIENT" > /dev/null\nif [ "$SOPS_AGE_RECIPIENT" = '${key}' ]; then cat '${ssh.path}'; fi\n`,
    );
    chmodSync(cmd, 0o755);
    const r = await hush(["decrypt", g], { env: env({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: cmd, HOME: "/nonexistent-home" }) });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(asked, "utf8")).toBe(`${native.recipient}\n${key}\n`);
    // A comment as ssh-keygen writes it is passed on as it is, as SOPS passes it.
    writeFileSync(asked, "");
    const plain = await hush(["decrypt", f], { env: env({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: cmd, HOME: "/nonexistent-home" }) });
    expect(plain.stdout).toBe("");
    expect(readFileSync(asked, "utf8")).toBe(`${native.recipient}\n${ssh.publicKey}\n`);
  });

  describe("cross-check with the age CLI (the reference plugin client)", () => {
    let age: string;
    beforeAll(() => {
      age = requireTool("age", "age");
    });
    const ageEnv = (): NodeJS.ProcessEnv => ({ PATH: plugin.path, HOME: "/nonexistent-home" });

    it("hush wraps, age -d -i opens; age -r wraps, hush opens", async () => {
      const f = await encryptTo("cross.yaml", pair.recipient);
      const text = readFileSync(f, "utf8");
      const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----/.exec(text)![0];
      const unindented = `${armored.split("\n").map((l) => l.trim()).join("\n")}\n`;
      const dataKey = execFileSync(age, ["-d", "-i", pluginKeys], { input: unindented, env: ageEnv() });
      expect(dataKey.length).toBe(32);
      // age wraps the same data key to the plugin recipient; hush must open what age wrote.
      const byAge = execFileSync(age, ["-r", pair.recipient, "-a"], { input: dataKey, env: ageEnv() }).toString("utf8");
      expect(byAge).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      const indent = /\n( +)-----BEGIN AGE/.exec(text)![1]!;
      const swapped = text.replace(armored, byAge.trimEnd().split("\n").join(`\n${indent}`));
      expect(swapped).not.toBe(text);
      const g = write("cross-age.yaml", swapped);
      const r = await hush(["decrypt", g], { env: env({ SOPS_AGE_KEY_FILE: pluginKeys }) });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(PLAIN);
    });
  });
});
