import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsVector } from "@hush/testkit";
import { combineKeys, encValues, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

const PLAIN = "api_key: k-123\nnested:\n    token: t-456\n";

describe("key groups and Shamir thresholds", () => {
  const tmp = makeTempDir("hush-shamir-");
  let keys: AgeKey[];
  beforeAll(async () => {
    keys = await Promise.all(["g0", "g1", "g2"].map((n) => makeAgeKey(tmp.path, n)));
  });
  afterAll(() => tmp.cleanup());

  const config = (extra: string): void => {
    writeFileSync(
      join(tmp.path, ".sops.yaml"),
      `creation_rules:\n  - path_regex: \\.yaml$\n    key_groups:\n${keys.map((k) => `      - age:\n          - ${k.recipient}\n`).join("")}${extra}`,
    );
  };
  const encrypt = async (name: string, args: string[] = []): Promise<string> => {
    writeFileSync(join(tmp.path, name), PLAIN);
    const r = await hush(["encrypt", "-i", ...args, name], { cwd: tmp.path });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return readFileSync(join(tmp.path, name), "utf8");
  };
  const decryptWith = (name: string, idx: number[]) =>
    hush(["decrypt", name], { cwd: tmp.path, env: { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, `ids-${idx.join("")}`, idx.map((i) => keys[i]!)) } });

  it("three age groups with shamir_threshold 2 open with any two identities", async () => {
    config("    shamir_threshold: 2\n");
    const text = await encrypt("three.yaml");
    expect(text).toContain("    key_groups:\n");
    expect(text).toContain("    shamir_threshold: 2\n");
    for (const k of keys) expect(text).toContain(k.recipient);
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const r = await decryptWith("three.yaml", pair);
      expect(r.stderr, pair.join()).toBe("");
      expect(r.stdout).toBe(PLAIN);
    }
  });

  it("fails with one identity, naming every group that failed and why", async () => {
    for (const single of [0, 1, 2]) {
      const r = await decryptWith("three.yaml", [single]);
      expect(r.status).toBe(128);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("1 of 3 key groups opened, 2 needed");
      for (const other of [0, 1, 2].filter((g) => g !== single)) {
        expect(r.stderr).toContain(`group ${other}: age ${keys[other]!.recipient}: no matching identity`);
      }
      expect(r.stderr).not.toContain(`group ${single}:`);
    }
  });

  it("defaults the threshold to all groups and stores it", async () => {
    config("");
    const text = await encrypt("all.yaml");
    expect(text).toContain("    shamir_threshold: 3\n");
    expect((await decryptWith("all.yaml", [0, 1])).status).toBe(128);
    expect((await decryptWith("all.yaml", [0, 1, 2])).stdout).toBe(PLAIN);
  });

  it("--shamir-secret-sharing-threshold overrides shamir_threshold from .sops.yaml", async () => {
    config("    shamir_threshold: 3\n");
    const text = await encrypt("override.yaml", ["--shamir-secret-sharing-threshold", "2"]);
    expect(text).toContain("    shamir_threshold: 2\n");
    expect((await decryptWith("override.yaml", [1, 2])).stdout).toBe(PLAIN);
  });

  it.each([
    // Where the threshold comes from: the config's rule, or the flag.
    ["    shamir_threshold: 4\n", [], "{config}: creation_rules[0] (for unmeetable.yaml): shamir_threshold is 4 with 3 key groups; no 4 groups can open the file"],
    ["", ["--shamir-secret-sharing-threshold", "1"], "unmeetable.yaml: --shamir-secret-sharing-threshold: shamir_threshold is 1 with 3 key groups; a Shamir threshold is at least 2"],
  ])("refuses a threshold no set of groups can meet (%j %j), saying so and where it comes from, not that there are too many keys, and leaves the file as it was", async (extra, args, message) => {
    config(extra);
    const file = join(tmp.path, "unmeetable.yaml");
    writeFileSync(file, PLAIN);
    const r = await hush(["encrypt", "-i", ...args, "unmeetable.yaml"], { cwd: tmp.path });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`hush: ${message.replace("{config}", join(tmp.path, ".sops.yaml"))}\n  next: use a shamir_threshold from 2 to 3, or 0 for all groups\n`);
    expect(r.stderr).not.toContain("too many keys");
    expect(readFileSync(file, "utf8")).toBe(PLAIN);
  });

  it.each([
    [17, "the file has 17 key groups; hush reads at most 16"],
    // Past 255 groups, the threshold itself was the first thing found wrong, as an internal argument.
    [300, "the file has 300 key groups; hush reads at most 16"],
  ])("refuses a rule of %i key groups, naming the config and the rule, and leaves the file as it was", async (groups, message) => {
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - key_groups:\n${`      - age: [${keys[0]!.recipient}]\n`.repeat(groups)}`);
    const file = join(tmp.path, "many.yaml");
    writeFileSync(file, PLAIN);
    const r = await hush(["encrypt", "-i", "many.yaml"], { cwd: tmp.path });
    expect(r.stderr).toBe(`hush: ${join(tmp.path, ".sops.yaml")}: creation_rules[0] (for many.yaml): too many keys: ${message}\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(PLAIN);
  });

  it.each([
    // SOPS's updatekeys keeps the file's threshold; hush applies the rule's, and cut 5 down to 3 unasked.
    ["5", "shamir_threshold is 5 with 3 key groups; no 5 groups can open the file"],
    ["1", "shamir_threshold is 1 with 3 key groups; a Shamir threshold is at least 2"],
  ])("updatekeys refuses a rule's shamir_threshold %s that the groups cannot meet, as encrypt does, naming the config and the rule", async (threshold, message) => {
    config("    shamir_threshold: 2\n");
    const before = await encrypt("rekeyed.yaml");
    config(`    shamir_threshold: ${threshold}\n`);
    const env = { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all3", keys) };
    const r = await hush(["updatekeys", "-y", "rekeyed.yaml"], { cwd: tmp.path, env });
    expect(r.stderr).toBe(`hush: ${join(tmp.path, ".sops.yaml")}: creation_rules[0] (for rekeyed.yaml): ${message}\n  next: use a shamir_threshold from 2 to 3, or 0 for all groups\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(join(tmp.path, "rekeyed.yaml"), "utf8")).toBe(before);
  });

  it("groups add of a group gives the file a new data key (the first group alone opened the old one; --keep-data-key re-splits it); groups delete of a key leaving the file makes a new one", async () => {
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - age: ${keys[0]!.recipient}\n`);
    const one = await encrypt("grow.yaml");
    const env = { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all", keys) };
    // Kept, the data key would stay open to keys[0] alone (from the file's history) while the
    // file says keys[1] must agree: only --keep-data-key keeps it.
    const kept = await hush(["groups", "add", "-f", "grow.yaml", "--keep-data-key", "--age", keys[1]!.recipient], { cwd: tmp.path, env });
    expect(kept.stderr).toBe("");
    expect(encValues(kept.stdout).slice(0, 2)).toEqual(encValues(one).slice(0, 2));
    const add1 = await hush(["groups", "add", "-f", "grow.yaml", "-i", "--age", keys[1]!.recipient], { cwd: tmp.path, env });
    expect(add1.stderr).toBe("");
    const two = readFileSync(join(tmp.path, "grow.yaml"), "utf8");
    expect(encValues(two).slice(0, 2)).not.toEqual(encValues(one).slice(0, 2));
    expect(two).toContain("shamir_threshold: 2");
    expect((await decryptWith("grow.yaml", [0])).status).toBe(128);
    expect((await decryptWith("grow.yaml", [0, 1])).stdout).toBe(PLAIN);

    // keys[1] is in the file but not in .sops.yaml: it is listed, and --yes keeps it without asking.
    const add2 = await hush(["groups", "add", "-f", "grow.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "2", "--age", keys[2]!.recipient], {
      cwd: tmp.path,
      env,
    });
    expect(add2.status).toBe(0);
    expect(add2.stderr).toContain(`group 1: age ${keys[1]!.recipient}\n`);
    expect((await decryptWith("grow.yaml", [1, 2])).stdout).toBe(PLAIN);

    const del = await hush(["groups", "delete", "-f", "grow.yaml", "-i", "--yes", "0"], { cwd: tmp.path, env });
    expect(del.stderr).toBe(`hush: grow.yaml: the new data key would also go to recipients that .sops.yaml does not name for this file:\n    group 0: age ${keys[1]!.recipient}\n    group 1: age ${keys[2]!.recipient}\n`);
    const after = readFileSync(join(tmp.path, "grow.yaml"), "utf8");
    expect(after).not.toContain(keys[0]!.recipient);
    // keys[0] left the file: a new data key, every value re-encrypted.
    for (const v of encValues(after)) expect(encValues(two)).not.toContain(v);
    expect((await decryptWith("grow.yaml", [1, 2])).stdout).toBe(PLAIN);
    expect((await decryptWith("grow.yaml", [0, 1])).status).toBe(128);

    // Two groups, threshold 2: deleting one would lower what it takes to open the file.
    const before = readFileSync(join(tmp.path, "grow.yaml"));
    const refused = await hush(["groups", "delete", "-f", "grow.yaml", "-i", "0"], { cwd: tmp.path, env });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("fewer than the shamir threshold 2");
    expect(readFileSync(join(tmp.path, "grow.yaml"))).toEqual(before);
    // Explicitly lowering it is allowed: back to a single group holding the whole key.
    const lowered = await hush(["groups", "delete", "-f", "grow.yaml", "--yes", "--shamir-secret-sharing-threshold", "1", "0"], { cwd: tmp.path, env });
    expect(lowered.status).toBe(0);
    expect(lowered.stdout).not.toContain("key_groups");
    expect(lowered.stdout).not.toContain("shamir_threshold");
    expect(lowered.stdout).toContain(keys[2]!.recipient);
  });

  it.each([
    // An empty shell variable was read as group 0, and removed it; the others as group 1.
    { name: 'groups delete ""', args: ["groups", "delete", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "2", ""] },
    { name: 'groups delete " 1"', args: ["groups", "delete", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "2", " 1"] },
    { name: 'groups delete 0x1', args: ["groups", "delete", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "2", "0x1"] },
    { name: 'groups delete 1e0', args: ["groups", "delete", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "2", "1e0"] },
    // "" was read as 0 (all groups), and "abc" as NaN, which became all groups as well.
    { name: 'groups delete --shamir-secret-sharing-threshold ""', args: ["groups", "delete", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "", "2"] },
    { name: 'groups add --shamir-secret-sharing-threshold abc', args: ["groups", "add", "-f", "numbers.yaml", "-i", "--yes", "--shamir-secret-sharing-threshold", "abc", "--age", "{key0}"] },
    { name: 'encrypt --shamir-secret-sharing-threshold abc', args: ["encrypt", "-i", "--shamir-secret-sharing-threshold", "abc", "numbers.yaml"] },
    { name: 'rotate --indent ""', args: ["rotate", "-i", "--indent", "", "numbers.yaml"] },
  ])("refuses a number not written in decimal ($name) and leaves the file as it was", async ({ args }) => {
    config("    shamir_threshold: 2\n");
    const before = await encrypt("numbers.yaml");
    const env = { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all-numbers", keys) };
    const r = await hush(
      args.map((a) => a.replace("{key0}", keys[0]!.recipient)),
      { cwd: tmp.path, env },
    );
    expect(r.stderr).toMatch(/^hush: (the key group INDEX|--shamir-secret-sharing-threshold|--indent) must be a whole number from [^\n]*, written in decimal\n$/);
    expect(r.status).toBe(1);
    expect(readFileSync(join(tmp.path, "numbers.yaml"), "utf8")).toBe(before);
  });
});

describe("SOPS's empty key group cases (functional-tests.sops.yaml)", () => {
  const tmp = makeTempDir("hush-empty-groups-");
  afterAll(() => tmp.cleanup());

  it.each(["test_no_keygroups.yaml", "test_zero_keygroups.yaml", "test_empty_keygroup.yaml"])(
    "%s fails with SOPS's exact message and leaves the file alone",
    async (name) => {
      const file = join(tmp.path, name);
      copyFileSync(sopsVector("plainfile.yaml"), file);
      const before = readFileSync(file);
      const r = await hush(["--config", sopsVector("functional-tests.sops.yaml"), "encrypt", "-i", file], { cwd: tmp.path });
      expect(r.stderr).toBe("Could not generate data key: [empty key group provided]\n");
      expect(r.stdout).toBe("");
      expect(r.status).toBe(1);
      expect(readFileSync(file)).toEqual(before);
    },
  );
});
