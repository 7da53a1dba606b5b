import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { hush, type Run } from "./helpers.ts";

/**
 * A PGP entry whose recipient is hidden (`gpg --throw-keyids`, key ID 0000000000000000) may be
 * for any secret key, so gpg tries the reader's, and gpg-agent asks for its passphrase. SOPS
 * reads such entries and so does hush; but a file may list 128 of them (anyone can write one),
 * and each brought the passphrase dialog back after the reader cancelled it, in `decrypt` and
 * in every `git diff`. The dialogs (pinentry) and the gpg runs are counted.
 */

const PASSPHRASE = "reader-passphrase";

function gpg(home: string, args: readonly string[], input: Buffer | string = ""): Buffer {
  const r = spawnSync("gpg", ["--homedir", home, "--batch", ...args], { input, maxBuffer: 16 << 20 });
  if (r.error !== undefined) throw new Error(`cannot run gpg (apt-get install -y gnupg): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

function newKey(home: string, user: string, passphrase = ""): string {
  gpg(home, ["--pinentry-mode", "loopback", "--passphrase", passphrase, "--quick-gen-key", user, "future-default", "default", "never"]);
  return /^fpr:+([0-9A-F]{40}):/m.exec(gpg(home, ["--with-colons", "--list-keys", user]).toString())![1]!;
}

describe("passphrase dialogs for PGP entries are bounded", () => {
  const tmp = makeTempDir("hush-gpg-dialogs-");
  const writer = join(tmp.path, "writer");
  const cancelling = join(tmp.path, "cancelling");
  const answering = join(tmp.path, "answering");
  const silent = join(tmp.path, "silent");
  const dialogs = join(tmp.path, "pinentry.log");
  const gpgRuns = join(tmp.path, "gpg.log");
  const homes = [writer, cancelling, answering, silent];
  let team: string;
  let flood: string;

  /** A pinentry (the dialog gpg-agent shows) that logs each launch and cancels, gives the passphrase, or is left unanswered a while. */
  function pinentry(home: string, reader: "cancels" | "answers" | "is away"): void {
    const program = join(home, "pinentry");
    const cancel = 'echo "ERR 83886179 Operation cancelled"';
    const pin = reader === "answers" ? `echo "D ${PASSPHRASE}"; echo OK` : reader === "cancels" ? cancel : `sleep 3; ${cancel}`;
    writeFileSync(program, `#!/bin/sh\necho launched >> '${dialogs}'\necho OK\nwhile read -r line; do case "$line" in GETPIN*) ${pin};; BYE*) echo OK; exit 0;; *) echo OK;; esac; done\n`);
    chmodSync(program, 0o755);
    writeFileSync(join(home, "gpg-agent.conf"), `pinentry-program ${program}\n`);
  }

  /** A hush run as the reader of `home`, with the dialogs it showed and the data keys gpg was asked for. */
  async function read(home: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run & { dialogs: number; decryptions: number }> {
    for (const log of [dialogs, gpgRuns]) writeFileSync(log, "");
    const r = await hush(args, { cwd: tmp.path, env: { ...env, GNUPGHOME: home, SOPS_GPG_EXEC: join(tmp.path, "gpg-logging") } });
    const count = (log: string, what: string): number => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((l) => l.includes(what)).length : 0);
    return { ...r, dialogs: count(dialogs, "launched"), decryptions: count(gpgRuns, "--decrypt") };
  }

  beforeAll(async () => {
    for (const home of [writer, answering]) mkdirSync(home, { mode: 0o700 });
    writeFileSync(join(tmp.path, "gpg-logging"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${gpgRuns}'\nexec gpg "$@"\n`, { mode: 0o755 });
    const reader = newKey(answering, "reader@example.com", PASSPHRASE);
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: answering }, stdio: "ignore" });
    for (const home of [cancelling, silent]) cpSync(answering, home, { recursive: true, filter: (src) => !/\/S\.[^/]*$/.test(src) });
    pinentry(answering, "answers");
    pinentry(cancelling, "cancels");
    pinentry(silent, "is away");
    // The writer hides every recipient (throw-keyids in gpg.conf applies to SOPS's gpg too).
    const others = ["one", "two", "three"].map((name) => newKey(writer, `${name}@example.com`));
    gpg(writer, ["--import"], gpg(answering, ["--armor", "--export", reader]));
    writeFileSync(join(writer, "gpg.conf"), "throw-keyids\ntrust-model always\n");
    team = join(tmp.path, "team.json");
    writeFileSync(team, '{"password": "hunter2"}\n');
    const enc = await hush(["encrypt", "-i", "--pgp", [...others, reader].join(","), team], { env: { GNUPGHOME: writer } });
    expect(enc.stderr).toBe("");
    // 128 entries to hidden recipients, none of them the reader: what anyone can write.
    const doc = JSON.parse(readFileSync(team, "utf8")) as { sops: Record<string, unknown> & { pgp?: unknown } };
    const entry = () => ({ fp: others[0]!, created_at: "2026-01-01T00:00:00Z", enc: gpg(writer, ["--armor", "--encrypt", "-r", others[0]!], Buffer.alloc(32, 7)).toString() });
    delete doc.sops.pgp;
    doc.sops["key_groups"] = [0, 1].map(() => ({ pgp: Array.from({ length: 64 }, entry) }));
    flood = join(tmp.path, "flood.json");
    writeFileSync(flood, JSON.stringify(doc, null, 4));
  }, 120_000);

  afterAll(() => {
    for (const home of homes) spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home }, stdio: "ignore" });
    tmp.cleanup();
  });

  it("a team file whose recipients are all hidden opens with one dialog when the reader answers it", async () => {
    const r = await read(answering, ["decrypt", team]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ password: "hunter2" });
    // The three other members' entries come first: the dialog for the first, then the kept passphrase.
    expect([r.dialogs, r.decryptions]).toEqual([1, 4]);
  });

  it("128 hidden entries: decrypt shows the cancelled dialog twice, not 128 times, and says why it stopped", async () => {
    const r = await read(cancelling, ["decrypt", flood]);
    expect(r.status).toBe(128);
    expect(r.stdout).toBe("");
    expect([r.dialogs, r.decryptions]).toEqual([2, 2]);
    expect(r.stderr).toContain("gpg-agent asked for a passphrase 2 times without opening an entry, and would ask again");
  });

  it("128 hidden entries: the review diff (git textconv) shows it twice too, and the file's values hidden", async () => {
    const r = await read(cancelling, ["git", "textconv", flood]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("values hidden");
    expect([r.dialogs, r.decryptions]).toEqual([2, 2]);
  });

  it("the team file, dialog cancelled: two dialogs, the reader's own entry is not asked for again", async () => {
    const r = await read(cancelling, ["decrypt", team]);
    expect(r.status).toBe(128);
    expect([r.dialogs, r.decryptions]).toEqual([2, 2]);
  });

  it("128 hidden entries, no one at the dialog: gpg is stopped twice at HUSH_GPG_TIMEOUT, not 128 times", async () => {
    const r = await read(silent, ["git", "textconv", flood], { HUSH_GPG_TIMEOUT: "1" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("values hidden");
    expect(r.decryptions).toBe(2);
  });
});
