import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sopsEncryptDotenv } from "../interop/sops-dotenv-encrypt.ts";
import { keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * A dotenv file SOPS wrote is read as SOPS reads it (every value the rest of its line), so a
 * value SOPS left in clear may open a quote the dialect would close on a later line. `hush
 * decrypt` prints SOPS's bytes; exec-env and the Node loader must then take SOPS's variables
 * too, not the dialect's reading of those bytes, in which the quote swallows the lines after it,
 * secrets included, into a variable that is not one. A branch can add the closing quote itself:
 * a key with an empty value needs no key and the MAC does not see it.
 *
 * Known gap: both tests are expected to fail until exec-env and the loader take the variables
 * from SOPS's reading of the file.
 */

const SECRET = "s3cr3t-Qm41";
const TOKEN = "tok-Xa07";
const PRINT_ENV = 'process.stdout.write(JSON.stringify(Object.fromEntries(["HOST_unencrypted", "SECRET", "TOKEN"].map((k) => [k, process.env[k] ?? null]))))';

describe("exec-env on a dotenv file SOPS wrote with a quote left open in a value in clear", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  function sopsFile(name: string, plaintext: string, branchLine?: string): string {
    const encrypted = sopsEncryptDotenv(plaintext, k.recipient);
    if (encrypted === undefined) throw new Error("SOPS would refuse this plaintext");
    // The branch's line goes before the metadata, after the owner's values.
    writeFileSync(k.path(name), branchLine === undefined ? encrypted : encrypted.replace(/^sops_/m, `${branchLine}\nsops_`));
    return k.path(name);
  }

  it.fails("gives the variables SOPS reads, as hush decrypt prints them", () => {
    const plain = `HOST_unencrypted="db.internal\nSECRET=${SECRET}\nTOKEN=${TOKEN}\nNOTE_unencrypted=x"\n`;
    const file = sopsFile("open.env", plain);
    const decrypted = k.hush(["decrypt", file]);
    expect(decrypted.status, decrypted.stderr).toBe(0);
    expect(decrypted.stdout).toBe(plain);
    const run = k.hush(["exec-env", file, "--", process.execPath, "-e", PRINT_ENV]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ HOST_unencrypted: '"db.internal', SECRET, TOKEN });
  });

  it.fails("does not let a branch's empty-valued line close the quote over the secrets", () => {
    // `" #=`: the key `" #` with an empty value for SOPS; for the dialect, the closing quote and a comment.
    const file = sopsFile("closed.env", `HOST_unencrypted="db.internal\nSECRET=${SECRET}\nTOKEN=${TOKEN}\n`, '" #=');
    const run = k.hush(["exec-env", file, "--", process.execPath, "-e", PRINT_ENV]);
    // Refused, or SOPS's variables: never the secrets inside HOST_unencrypted.
    if (run.status === 0) expect(JSON.parse(run.stdout)).toEqual({ HOST_unencrypted: '"db.internal', SECRET, TOKEN });
    else expect(run.stderr).toMatch(/closed\.env/);
  });

  it.fails("does not let a branch open such a quote in a file hush wrote, by moving a quote between two values in clear", () => {
    const plain = k.path("args.plain.env");
    writeFileSync(plain, `ARGS_unencrypted=-Dmode="fast"\nPORT_unencrypted=8080\nSECRET=${SECRET}\n`);
    const file = k.path("args.env");
    const enc = k.hush(["encrypt", "--age", k.recipient, "--unencrypted-suffix", "_unencrypted", "--output", file, plain]);
    expect(enc.status, enc.stderr).toBe(0);
    // The MAC joins the values with no separator, so the quote may end one value or start the next.
    const branch = readFileSync(file, "utf8")
      .replace('ARGS_unencrypted=-Dmode="fast"\n', 'ARGS_unencrypted=-Dmode="fast\n')
      .replace("PORT_unencrypted=8080\n", 'PORT_unencrypted="8080\n')
      .replace(/^sops_/m, '" #=\nsops_');
    writeFileSync(file, branch);
    const run = k.hush(["exec-env", file, "--", process.execPath, "-e", 'process.stdout.write(JSON.stringify({ port: process.env.PORT_unencrypted, secret: process.env.SECRET ?? null }))']);
    if (run.status === 0) expect(JSON.parse(run.stdout)).toEqual({ port: '"8080', secret: SECRET });
    else expect(run.stderr).toMatch(/args\.env/);
  });
});
