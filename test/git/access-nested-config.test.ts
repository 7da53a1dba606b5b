import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgeKey, createRepo, createSandbox, expectOk, hush, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * `hush access` and a file under a `.sops.yaml` of its own: its drift is measured against the
 * rules of the nearest `.sops.yaml`, as `hush check` measures it. It used the config found from
 * the working directory, so run from the top it reported drift `hush check` did not.
 */

let sb: Sandbox;
let ops: AgeKey;
let repo: string;

beforeAll(() => {
  sb = createSandbox();
  ops = createAgeKey(sb, "ops");
  repo = createRepo(sb, "nested");
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n`);
  mkdirSync(join(repo, "ops"));
  writeFileSync(join(repo, "ops", ".sops.yaml"), `creation_rules:\n  - path_regex: ^db\\.enc\\.yaml$\n    age: ${ops.recipient}\n`);
  writeFileSync(join(repo, "ops", "db.enc.yaml"), "password: p\n");
  // As SOPS and hush find it from there: ops/.sops.yaml.
  expectOk(hush(sb, ["encrypt", "-i", "db.enc.yaml"], { cwd: join(repo, "ops") }));
});

afterAll(() => sb.cleanup());

describe("hush access: a file under its own .sops.yaml", () => {
  it("is matched against the nearest .sops.yaml from any directory, as hush check matches it", () => {
    for (const cwd of [repo, join(repo, "ops")]) {
      const r = hush(sb, ["access", "--json"], { cwd, env: sb.keylessEnv });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const file = (JSON.parse(r.stdout) as { files: Array<{ rule: string | null; drift: unknown }> }).files[0]!;
      expect(file.rule, cwd).toBe("^db\\.enc\\.yaml$");
      expect(file.drift, cwd).toEqual({ unexpected: [], missing: [], groups: null });
    }
    expect(hush(sb, ["check"], { cwd: repo, env: sb.keylessEnv }).status).toBe(0);
  });

  it("uses --config for every file when it is given", () => {
    const r = hush(sb, ["access", "--json", "--config", ".sops.yaml"], { cwd: repo, env: sb.keylessEnv });
    const file = (JSON.parse(r.stdout) as { files: Array<{ rule: string | null; drift: { missing: Array<{ identity: string }> } }> }).files[0]!;
    expect(file.rule).toBe("\\.enc\\.yaml$");
    expect(file.drift.missing.map((m) => m.identity)).toEqual([sb.recipient]);
  });
});
