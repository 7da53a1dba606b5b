import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRepo, createSandbox, expectOk, findingCodes, hush, keylessCheck, type Sandbox } from "./helpers.ts";

/**
 * `mac_only_encrypted: true` leaves a file's values in clear out of its MAC. The flag is bound to
 * the MAC, so no edit without the key adds it; a file made under another rule brings it along (a
 * branch copies dev/app.enc.yaml, whose rule sets it, to prod/, whose rule does not). The keyless
 * check says so, as writes ask about it.
 */
describe("hush check: a file's mac_only_encrypted where its creation rule has none", () => {
  let sb: Sandbox;
  let repo: string;
  beforeAll(() => {
    sb = createSandbox();
    repo = createRepo(sb);
    writeFileSync(
      join(repo, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^dev/\n    encrypted_regex: ^password$\n    mac_only_encrypted: true\n    age: ${sb.recipient}\n  - path_regex: ^prod/\n    encrypted_regex: ^password$\n    age: ${sb.recipient}\n`,
    );
    mkdirSync(join(repo, "dev"));
    mkdirSync(join(repo, "prod"));
    writeFileSync(join(repo, "dev", "app.enc.yaml"), "password: hunter2\nreplicas: 3\nimage: app:1.4\n");
    expectOk(hush(sb, ["encrypt", "-i", "dev/app.enc.yaml"], { cwd: repo }));
  });
  afterAll(() => sb?.cleanup());

  it("the copy in prod/ is named, with how many values its MAC leaves out and how to make it again; dev/ itself passes", () => {
    writeFileSync(join(repo, "prod", "app.enc.yaml"), readFileSync(join(repo, "dev", "app.enc.yaml")));
    const check = keylessCheck(sb, repo, ["dev/app.enc.yaml", "prod/app.enc.yaml"]);
    expect(findingCodes(check.report)).toEqual(["prod/app.enc.yaml warning mac-scope-differs"]);
    expect(check.report.files[1]!.problems[0]!.message).toBe(
      'the file\'s mac_only_encrypted: true leaves its 2 value(s) in clear out of its MAC (anyone can change them unseen), where the creation rule for it (path_regex "^prod/") has the MAC cover them; make it again under the rule: `hush decrypt prod/app.enc.yaml | hush encrypt --filename-override prod/app.enc.yaml - > prod/app.enc.yaml.new`, then move prod/app.enc.yaml.new over it',
    );
    expect(keylessCheck(sb, repo, ["--strict", "prod/app.enc.yaml"]).status).toBe(1);

    // The way out it gives works, and leaves nothing to say.
    const made = hush(sb, ["decrypt", "prod/app.enc.yaml"], { cwd: repo });
    expectOk(made);
    const again = hush(sb, ["encrypt", "--filename-override", "prod/app.enc.yaml", "-"], { cwd: repo, input: made.stdout });
    expectOk(again);
    writeFileSync(join(repo, "prod", "app.enc.yaml"), again.stdout);
    expect(findingCodes(keylessCheck(sb, repo, ["prod/app.enc.yaml"]).report)).toEqual([]);
  });

  it("a rule that names no keys (keys given as flags): the advice says to give the file's own, and following it works; set's question says the same", () => {
    mkdirSync(join(repo, "flags"));
    writeFileSync(join(repo, ".sops.yaml"), `${readFileSync(join(repo, ".sops.yaml"), "utf8")}  - path_regex: ^flags/\n    encrypted_regex: ^password$\n`);
    writeFileSync(join(repo, "flags", "app.enc.yaml"), readFileSync(join(repo, "dev", "app.enc.yaml")));
    const advice =
      "`hush decrypt flags/app.enc.yaml | hush encrypt --filename-override flags/app.enc.yaml --age … - > flags/app.enc.yaml.new`, then move flags/app.enc.yaml.new over it (the rule names no keys: give the file's own with --age, --pgp or --kms…, which `hush access flags/app.enc.yaml` lists)";
    const check = keylessCheck(sb, repo, ["flags/app.enc.yaml"]);
    expect(findingCodes(check.report)).toEqual(["flags/app.enc.yaml warning mac-scope-differs"]);
    expect(check.report.files[0]!.problems[0]!.message).toContain(`make it again under the rule: ${advice}`);
    const set = hush(sb, ["set", "flags/app.enc.yaml", '["replicas"]', "4"], { cwd: repo });
    expect(set.status, set.stderr).toBe(1);
    expect(set.stderr).toContain(`re-encrypt it under .sops.yaml's rule (${advice}), or pass --yes to write anyway`);

    // Without the file's keys, encrypt has no recipient; with them, the file is made again.
    const made = hush(sb, ["decrypt", "flags/app.enc.yaml"], { cwd: repo });
    expectOk(made);
    expect(hush(sb, ["encrypt", "--filename-override", "flags/app.enc.yaml", "-"], { cwd: repo, input: made.stdout }).status).not.toBe(0);
    const again = hush(sb, ["encrypt", "--filename-override", "flags/app.enc.yaml", "--age", sb.recipient, "-"], { cwd: repo, input: made.stdout });
    expectOk(again);
    writeFileSync(join(repo, "flags", "app.enc.yaml"), again.stdout);
    expect(findingCodes(keylessCheck(sb, repo, ["flags/app.enc.yaml"]).report)).toEqual([]);
  });
});
