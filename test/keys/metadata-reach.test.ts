import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, type GnupgHome, type LoopbackListener } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * What a file's metadata can reach on the reader's machine: hosts, programs and keys beyond the
 * ones the reader configured. Each attack is played by someone who controls only the file.
 */

/** An HTTP server on 127.0.0.1 that records every request it gets and answers 404. */
async function recordingServer(): Promise<{ readonly url: string; readonly hits: string[]; readonly stop: () => Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method ?? "?"} ${req.url ?? ""}`);
    res.statusCode = 404;
    res.end();
  });
  const listener: LoopbackListener = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${listener.port}`, hits, stop: () => listener.stop() };
}

function gpg(env: Record<string, string | undefined>, args: readonly string[], input?: Buffer | string): Buffer {
  const r = spawnSync("gpg", ["--batch", ...args], { env, input: input ?? "", maxBuffer: 16 << 20 });
  if (r.error !== undefined) throw new Error(`cannot run gpg (apt-get install -y gnupg): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

describe("a PGP entry signed by its writer", () => {
  // The reader's gpg.conf fetches unknown signers' keys (auto-key-retrieve, from the keyserver a
  // signature names with honor-keyserver-url, or by WKD from the signer's domain). The data key
  // carries no signature hush needs: checking one only lets the file send gpg (dirmngr) to a host.
  const fp = SOPS_TEST_PGP_KEYS.key1;
  let reader: GnupgHome;
  let writerHome: string;
  let tmp: ReturnType<typeof makeTempDir>;
  let keyserver: Awaited<ReturnType<typeof recordingServer>>;
  let file: string;

  beforeAll(async () => {
    keyserver = await recordingServer();
    reader = makeGnupgHome();
    writeFileSync(join(reader.home, "gpg.conf"), "auto-key-retrieve\nkeyserver-options honor-keyserver-url\n");
    tmp = makeTempDir("hush-metadata-reach-");
    file = join(tmp.path, "app.json");
    writeFileSync(file, '{"password": "hunter2"}\n');
    const enc = await hush(["encrypt", "-i", "--pgp", fp, file], { env: { GNUPGHOME: reader.home } });
    if (enc.status !== 0) throw new Error(`encrypt failed: ${enc.stderr}`);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { sops: { pgp: Array<{ enc: string }> } };
    // The writer knows the data key (they wrote the file) and the reader's public key.
    const dataKey = gpg({ ...reader.env, GNUPGHOME: reader.home }, ["--quiet", "--skip-verify", "--decrypt"], doc.sops.pgp[0]!.enc);
    writerHome = mkdtempSync(join(tmpdir(), "hush-gnupg-writer-"));
    chmodSync(writerHome, 0o700);
    const writer = { ...process.env, GNUPGHOME: writerHome };
    gpg(writer, ["--passphrase", "", "--quick-gen-key", "writer@example.com", "ed25519", "default", "never"]);
    gpg(writer, ["--import"], gpg(reader.env, ["--armor", "--export", fp]));
    const signed = gpg(writer, ["--trust-model", "always", "--sig-keyserver-url", keyserver.url, "-u", "writer@example.com", "-r", fp, "--armor", "--sign", "--encrypt"], dataKey);
    doc.sops.pgp[0]!.enc = signed.toString("utf8");
    writeFileSync(file, JSON.stringify(doc, null, 4));
  }, 120_000);

  afterAll(async () => {
    for (const home of [reader?.home, writerHome]) {
      if (home !== undefined) spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home }, stdio: "ignore" });
    }
    reader?.cleanup();
    if (writerHome !== undefined) rmSync(writerHome, { recursive: true, force: true });
    tmp?.cleanup();
    await keyserver?.stop();
  });

  it("decrypt and git textconv open it without checking the signature: gpg contacts no host the file names", async () => {
    const r = await hush(["decrypt", file], { env: { GNUPGHOME: reader.home } });
    const view = await hush(["git", "textconv", file], { env: { GNUPGHOME: reader.home } });
    expect(keyserver.hits).toEqual([]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ password: "hunter2" });
    expect(view.status).toBe(0);
    expect(view.stdout).toContain("hunter2");
  });
});
