import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMotoKms, type MotoKms } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, editEncrypted, git, hush, hushLines, setupDrivers, type Sandbox } from "./helpers.ts";

/**
 * The merge driver on files with AWS KMS keys (moto_server on 127.0.0.1): a KMS entry is shown to
 * hold a data key only through the key it names, which the merger's credentials may use.
 */

let sb: Sandbox;
let moto: MotoKms;
/** The sandbox's environment with moto's endpoint and test credentials. */
let env: Record<string, string>;

beforeAll(async () => {
  sb = createSandbox();
  moto = await startMotoKms();
  env = { ...sb.env, ...moto.env };
});

afterAll(async () => {
  await moto?.stop();
  sb.cleanup();
});

/** A repository whose rule wraps to the sandbox's age key and `arns` (if any), with `app.enc.yaml` committed. */
function kmsRepo(name: string, arns: readonly string[]): string {
  const repo = createRepo(sb, name);
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n${arns.length === 0 ? "" : `    kms: ${arns.join(",")}\n`}`);
  writeFileSync(join(repo, "app.enc.yaml"), "db_password: base-pw\n");
  const enc = hush(sb, ["encrypt", "-i", "app.enc.yaml"], { cwd: repo, env });
  expect(enc.status, enc.stderr).toBe(0);
  commitAll(sb, repo, "base");
  setupDrivers(sb, repo);
  return repo;
}

/** Decrypts with the KMS keys alone (no age key in the environment). */
function decryptWithKmsOnly(repo: string): ReturnType<typeof hush> {
  return hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env: { ...sb.keylessEnv, ...moto.env } });
}

describe("merging files with KMS keys", () => {
  it("a side rotated and edited by a holder of every key merges: its KMS entry opens through the key it names", async () => {
    const arn = await moto.createKey();
    const repo = kmsRepo("kms-rotated", [arn]);
    git(sb, repo, ["checkout", "-q", "-b", "rotated"]);
    const rotated = hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo, env });
    expect(rotated.status, rotated.stderr).toBe(0);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db_password: rotated-pw\n");
    commitAll(sb, repo, "rotate");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db_password: base-pw\nflag: enabled\n");
    commitAll(sb, repo, "main: flag");
    const merge = git(sb, repo, ["merge", "--no-edit", "rotated"], { allowFail: true, env });
    const said = hushLines(merge.stderr).join("\n");
    expect(merge.status, said).toBe(0);
    expect(said).toContain(`it is wrapped to age ${sb.recipient}, kms ${arn}`);
    expect(decryptWithKmsOnly(repo).stdout).toBe("db_password: rotated-pw\nflag: enabled\n");
  });

  it("a KMS key added on a branch (updatekeys) is left out of the fresh data key when main rotated, even one you may use", async () => {
    const [first, added] = [await moto.createKey(), await moto.createKey()];
    const repo = kmsRepo("kms-added", [first]);
    git(sb, repo, ["checkout", "-q", "-b", "add-key"]);
    writeFileSync(join(repo, ".sops.yaml"), readFileSync(join(repo, ".sops.yaml"), "utf8").replace(first, `${first},${added}`));
    const update = hush(sb, ["updatekeys", "-y", "app.enc.yaml"], { cwd: repo, env });
    expect(update.status, update.stderr).toBe(0);
    commitAll(sb, repo, "add a key");
    git(sb, repo, ["checkout", "-q", "main"]);
    const rotated = hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo, env });
    expect(rotated.status, rotated.stderr).toBe(0);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db_password: base-pw\nflag: enabled\n");
    commitAll(sb, repo, "main: rotate");
    const merge = git(sb, repo, ["merge", "--no-edit", "add-key"], { allowFail: true, env });
    const said = hushLines(merge.stderr).join("\n");
    expect(merge.status, said).toBe(0);
    expect(said).toContain(`kms ${added}, added since the common ancestor, is left out of the merged file`);
    expect(said).toContain(`it is wrapped to age ${sb.recipient}, kms ${first}\n`);
    expect(readFileSync(join(repo, "app.enc.yaml"), "utf8")).not.toContain(added);
    expect(decryptWithKmsOnly(repo).stdout).toBe("db_password: base-pw\nflag: enabled\n");
  });

  it("a cherry-picked commit whose parent the branch wrote cannot give a KMS key it names main's values", async () => {
    // Whoever owns a KMS key can let anyone's credentials use it: here, a key the branch's author
    // controls. The parent commit holds a file of theirs under a data key they drew, wrapped to
    // your age key (the same key names, values of their choosing); the picked commit adds an
    // entry for their KMS key that holds that data key.
    const theirKey = await moto.createKey();
    const repo = kmsRepo("kms-picked", []);
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const path = join(repo, "app.enc.yaml");
    writeFileSync(path, "db_password: anything\n");
    const enc = hush(sb, ["encrypt", "-i", "--age", sb.recipient, "--kms", theirKey, "app.enc.yaml"], { cwd: repo, env: { ...sb.keylessEnv, ...moto.env } });
    expect(enc.status, enc.stderr).toBe(0);
    const withTheirKey = readFileSync(path, "utf8");
    const kmsList = /^ {4}kms:\n(?: {8}.*\n)+/m.exec(withTheirKey)![0];
    writeFileSync(path, withTheirKey.replace(kmsList, ""));
    commitAll(sb, repo, "pr: parent");
    writeFileSync(path, withTheirKey);
    commitAll(sb, repo, "pr: their key");
    git(sb, repo, ["checkout", "-q", "main"]);
    await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "db_password: base-pw\napi_token: main-token-5e0a\n");
    commitAll(sb, repo, "main: token");
    const pick = git(sb, repo, ["cherry-pick", "pr"], { allowFail: true, env });
    const said = hushLines(pick.stderr).join("\n");
    const asTheirKey = decryptWithKmsOnly(repo);
    expect(asTheirKey.stdout).not.toContain("main-token-5e0a");
    expect(asTheirKey.status).not.toBe(0);
    expect(pick.status, said).toBe(0);
    expect(said).toContain(`kms ${theirKey}, added since the common ancestor, is left out of the merged file`);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("db_password: base-pw\napi_token: main-token-5e0a\n");
  });
});
