import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createRepo, createSandbox, findingCodes, git, hush, keylessCheck, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * Files whose names start with two dots (`..data.yaml`, Kubernetes' `..data` volume directories)
 * are inside the directory that holds them. SOPS matches `path_regex` against the path with the
 * config's directory cut off (config.go parseCreationRuleForFile, strings.TrimPrefix), so
 * `^\.\.data` covers `..data.yaml`; the repository's checks must see such a file as the
 * repository's own, not as a path outside it.
 */

let sb: Sandbox;
let other: AgeKey;

beforeAll(() => {
  sb = createSandbox();
  other = createAgeKey(sb, "other");
});

afterAll(() => sb.cleanup());

/** The age recipients of an encrypted YAML file. */
function recipientsOf(text: string): string[] {
  return [...text.matchAll(/recipient: (age1[0-9a-z]+)/g)].map((m) => m[1]!);
}

describe("a name that starts with two dots", () => {
  it("is matched by path_regex relative to the config's directory, as SOPS does", () => {
    const repo = createRepo(sb, "encrypt-dots", "^\\.\\.data");
    // A catch-all rule after it: matched by the absolute path, the file would go to the other key.
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: ^\\.\\.data\n    age: ${sb.recipient}\n  - age: ${other.recipient}\n`);
    writeFileSync(join(repo, "..data.yaml"), "token: dots-secret-1\n");
    const r = hush(sb, ["encrypt", "..data.yaml"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(recipientsOf(r.stdout)).toEqual([sb.recipient]);
  });

  it("is held to its creation rule by hush check", () => {
    const repo = createRepo(sb, "check-dots", "^\\.\\.prod");
    writeFileSync(join(repo, "..prod.yaml"), "token: dots-secret-2\n");
    commitAll(sb, repo, "a covered file in clear");
    const { status, report } = keylessCheck(sb, repo, ["--strict"]);
    expect(findingCodes(report)).toEqual(["..prod.yaml error not-encrypted"]);
    expect(status).toBe(1);
  });

  it("stays encrypted under hush check --base when a branch stores it in clear", () => {
    const repo = createRepo(sb, "base-dots", "^secrets/");
    writeFileSync(join(repo, "..extra.yaml"), "token: dots-secret-3\n");
    const enc = hush(sb, ["encrypt", "-i", "--config", "/dev/null", "--age", sb.recipient, "..extra.yaml"], { cwd: repo });
    expect(enc.status, enc.stderr).toBe(0);
    commitAll(sb, repo, "an encrypted file no rule names");
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    expect(hush(sb, ["decrypt", "-i", "..extra.yaml"], { cwd: repo }).status).toBe(0);
    expect(readFileSync(join(repo, "..extra.yaml"), "utf8")).toBe("token: dots-secret-3\n");
    commitAll(sb, repo, "in clear");
    const { status, report } = keylessCheck(sb, repo, ["--base", "main"]);
    expect(findingCodes(report)).toEqual(["..extra.yaml error not-encrypted"]);
    expect(status).toBe(1);
  });

  it("is a path of the repository to hush audit", () => {
    const repo = createRepo(sb, "audit-dots", "^\\.\\.data");
    writeFileSync(join(repo, "..data.yaml"), "token: dots-secret-4\n");
    expect(hush(sb, ["encrypt", "-i", "..data.yaml"], { cwd: repo }).status).toBe(0);
    commitAll(sb, repo, "encrypted");
    const r = hush(sb, ["audit", "..data.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.stderr).not.toContain("outside the repository");
    expect(r.stdout).toContain("..data.yaml");
  });
});
