import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sopsEncryptDotenv } from "../interop/sops-dotenv-encrypt.ts";
import { keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * SOPS reads every dotenv value as the rest of its line; hush reads quotes by the dialect's rules,
 * in an encrypted file too, because exec-env and the Node loader read the decrypted text by those
 * rules. Where the two would differ, a value SOPS left in clear may open a quote that the dialect
 * closes on a later line, taking the lines between, secrets included, into one variable; and a
 * branch can add the closing quote itself (a key with an empty value needs no key, and the MAC
 * does not see it), or move a quote between two values in clear (the MAC joins values without a
 * separator). Each such file is refused, naming it, and no secret reaches a variable.
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

  it("refuses a file SOPS wrote whose value in clear opens a quote, where it would take the secrets after it", () => {
    const plain = `HOST_unencrypted="db.internal\nSECRET=${SECRET}\nTOKEN=${TOKEN}\nNOTE_unencrypted=x"\n`;
    const file = sopsFile("open.env", plain);
    for (const args of [["decrypt", file], ["exec-env", file, "--", process.execPath, "-e", PRINT_ENV]]) {
      const run = k.hush(args);
      expect(run.status, run.stderr).toBe(51);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/open\.env/);
      expect(run.stderr).not.toContain(SECRET);
    }
  });

  it("refuses a file where a branch's empty-valued line closes such a quote over the secrets", () => {
    // `" #=`: the key `" #` with an empty value for SOPS; for the dialect, the closing quote and a comment.
    const file = sopsFile("closed.env", `HOST_unencrypted="db.internal\nSECRET=${SECRET}\nTOKEN=${TOKEN}\n`, '" #=');
    const run = k.hush(["exec-env", file, "--", process.execPath, "-e", PRINT_ENV]);
    expect(run.status, run.stderr).not.toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/closed\.env/);
  });

  it("refuses a file hush wrote where a branch moved a quote between two values in clear and closed it", () => {
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
    expect(run.status, run.stderr).toBe(51);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/args\.env/);
  });
});
