import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runHush } from "@hush/testkit";
import { CLI_JS, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * A `.sops.yaml` found by searching upwards from the working directory decides who can read new
 * secrets, so one that another local user owns or can change is refused, as git refuses a
 * repository another user owns. A config named with --config or SOPS_CONFIG is the user's choice.
 */

const OTHER_UID = 65534;
const OTHER_GID = 65534;

function requireRoot(): void {
  if (process.geteuid?.() !== 0) {
    throw new Error("this test gives a file to another user with chown, which needs root: run the suite as root, e.g. in the project's container");
  }
}

function otherRecipient(dir: string): string {
  const r = runHush(["keygen", "-o", join(dir, "other-key.txt")], { cwd: dir });
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(r.stderr)?.[1];
  if (r.status !== 0 || recipient === undefined) throw new Error(`hush keygen failed: ${r.stderr}`);
  return recipient;
}

/** `<tmp>/.sops.yaml` naming another key, and a fresh git repository `<tmp>/repo` without a config. */
interface Layout {
  readonly k: KeyedDir;
  readonly config: string;
  readonly repo: string;
  readonly other: string;
  hushInRepo(args: readonly string[], env?: Record<string, string>): ReturnType<KeyedDir["hush"]>;
}

function layout(): Layout {
  const k = keyedDir();
  const other = otherRecipient(k.dir);
  const config = k.path(".sops.yaml");
  writeFileSync(config, `creation_rules:\n  - age: ${other}\n`);
  chmodSync(config, 0o644);
  const repo = k.path("repo");
  mkdirSync(repo);
  const init = spawnSync("git", ["init", "-q", repo]);
  if (init.error !== undefined || init.status !== 0) throw new Error(`git init failed (install git): ${init.error?.message ?? init.stderr.toString()}`);
  writeFileSync(join(repo, "n.yaml"), "token: s3cret\n");
  return {
    k,
    config,
    repo,
    other,
    hushInRepo: (args, env = {}) => runHush(args, { cwd: repo, env: { ...k.env, ...env } }),
  };
}

describe("a .sops.yaml found by searching upwards", () => {
  let l: Layout;
  beforeEach(() => {
    l = layout();
  });
  afterEach(() => l.k.cleanup());

  it("owned by another user is refused: nothing is encrypted to the key it names", () => {
    requireRoot();
    chownSync(l.config, OTHER_UID, OTHER_GID);
    chmodSync(l.config, 0o666);
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stdout).not.toContain(l.other);
    expect(r.stderr).toContain(`hush: ${l.config}: not using this config`);
    expect(r.stderr).toContain(`owned by uid ${OTHER_UID}`);
    expect(r.stderr).toContain(`--config ${l.config}`);
    expect(readFileSync(join(l.repo, "n.yaml"), "utf8")).toBe("token: s3cret\n");
  });

  it("owned by another user, even read-only, is refused by every command that reads it", () => {
    requireRoot();
    chownSync(l.config, OTHER_UID, OTHER_GID);
    for (const args of [["encrypt", "-i", "n.yaml"], ["updatekeys", "-y", "n.yaml"], ["check", "n.yaml"], ["edit", "new.yaml"]]) {
      const r = l.hushInRepo(args, { EDITOR: "true" });
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, args.join(" ")).toContain(`${l.config}: not using this config: it is owned by uid ${OTHER_UID}`);
    }
    expect(readFileSync(join(l.repo, "n.yaml"), "utf8")).toBe("token: s3cret\n");
  });

  it("writable by others is refused, though it is yours", () => {
    chmodSync(l.config, 0o666);
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${l.config}: not using this config: its mode 0666 lets other users change it`);
    expect(r.stderr).toContain(`chmod go-w ${l.config}`);
  });

  it("writable by a group that is not yours is refused; by your own group it is used", () => {
    requireRoot();
    chmodSync(l.config, 0o664);
    chownSync(l.config, 0, OTHER_GID);
    const refused = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`its mode 0664 lets other users change it (group ${OTHER_GID} can write it)`);
    // The per-user group of a umask-002 system: the file is still only yours to change.
    chownSync(l.config, 0, 0);
    const used = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(used.status, used.stderr).toBe(0);
    expect(used.stdout).toContain(`recipient: ${l.other}`);
  });

  it("reached through a symbolic link to another user's file is refused", () => {
    requireRoot();
    const elsewhere = l.k.path("theirs.yaml");
    writeFileSync(elsewhere, readFileSync(l.config));
    chownSync(elsewhere, OTHER_UID, OTHER_GID);
    symlinkSync(elsewhere, join(l.repo, ".sops.yaml"));
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join(l.repo, ".sops.yaml")}: not using this config: it is owned by uid ${OTHER_UID}`);
  });

  it("a FIFO planted as .sops.yaml is refused at once, not waited on", () => {
    const fifo = join(l.repo, ".sops.yaml");
    const made = spawnSync("mkfifo", [fifo]);
    if (made.error !== undefined || made.status !== 0) throw new Error("mkfifo failed (install coreutils)");
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${fifo}: not using this config: it is not a regular file`);
  });

  it("a .sops.yaml over 512 MiB is refused by its size, unread, saying why: it was read whole (a second and 1 GB), then \"cannot read config file\"", () => {
    const huge = join(l.repo, ".sops.yaml");
    // Sparse: no disk space.
    writeFileSync(huge, "");
    truncateSync(huge, 600 * 1024 * 1024);
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.stderr).toBe(`hush: ${huge}: larger than 536870888 bytes (512 MiB), the most hush reads as one file\n`);
    expect(r.status).toBe(1);
  });

  it("yours, above the repository (a monorepo's parent directory), is used", () => {
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`recipient: ${l.other}`);
  });

  it("the nearest config is the one checked: a trusted one in the repository hides another user's above it", () => {
    requireRoot();
    chownSync(l.config, OTHER_UID, OTHER_GID);
    writeFileSync(join(l.repo, ".sops.yaml"), `creation_rules:\n  - age: ${l.k.recipient}\n`);
    const r = l.hushInRepo(["encrypt", "n.yaml"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`recipient: ${l.k.recipient}`);
    expect(r.stdout).not.toContain(l.other);
  });

  it("named with --config or SOPS_CONFIG, another user's config is used: the user chose it", () => {
    requireRoot();
    chownSync(l.config, OTHER_UID, OTHER_GID);
    chmodSync(l.config, 0o666);
    const flag = l.hushInRepo(["encrypt", "--config", l.config, "n.yaml"]);
    expect(flag.status, flag.stderr).toBe(0);
    expect(flag.stdout).toContain(`recipient: ${l.other}`);
    const env = l.hushInRepo(["encrypt", "n.yaml"], { SOPS_CONFIG: l.config });
    expect(env.status, env.stderr).toBe(0);
    expect(env.stdout).toContain(`recipient: ${l.other}`);
  });
});

describe("a config named with --config that is a pipe", () => {
  let k: KeyedDir;
  beforeEach(() => {
    k = keyedDir();
  });
  afterEach(() => k.cleanup());

  const viaBash = (script: string): ReturnType<typeof spawnSync> =>
    spawnSync("bash", ["-c", script], { cwd: k.dir, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: k.dir, LANG: "C", ...k.env }, encoding: "utf8", timeout: 60_000 });
  const hushCommand = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI_JS)}`;

  it("is read (process substitution), and one that never ends is refused at 512 MiB instead of read until memory runs out", () => {
    writeFileSync(k.path("n.yaml"), "a: 1\n");
    const ok = viaBash(`${hushCommand} encrypt --config <(printf 'creation_rules:\\n  - age: ${k.recipient}\\n') n.yaml`);
    expect(ok.status, String(ok.stderr)).toBe(0);
    expect(String(ok.stdout)).toContain(`recipient: ${k.recipient}`);

    const endless = viaBash(`${hushCommand} encrypt --config <(yes) n.yaml`);
    expect(String(endless.stderr)).toMatch(/^hush: \/dev\/fd\/\d+: larger than 536870888 bytes \(512 MiB\), the most hush reads as one file\n$/);
    expect(endless.status).toBe(1);
  });
});
