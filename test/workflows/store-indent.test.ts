import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * `.sops.yaml`'s `stores` section as SOPS applies it: an indent no one could want is refused
 * with the line instead of crashing hush.
 */

let k: KeyedDir;

beforeAll(() => {
  k = keyedDir();
});

afterAll(() => k.cleanup());

function writeConfig(stores: string, recipients: readonly string[] = [k.recipient]): void {
  writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${recipients.join(",")}\nstores:\n${stores}`);
}

describe("an indent past any screen", () => {
  it("in .sops.yaml: refused with the file and line, nothing written", () => {
    writeConfig("  json:\n    indent: 100000000\n");
    writeFileSync(k.path("s.json"), '{"a": {"b": "json-secret-1"}}\n');
    const enc = k.hush(["encrypt", "-i", "s.json"]);
    expect(enc.stderr).toBe(`hush: ${k.path(".sops.yaml")}: invalid .sops.yaml: line 5: stores.json.indent must be from -1 (a tab) to 100\n`);
    expect(enc.status).toBe(1);
    expect(readFileSync(k.path("s.json"), "utf8")).toBe('{"a": {"b": "json-secret-1"}}\n');
  });

  it("as --indent: refused as a bad argument", () => {
    writeConfig("  json:\n    indent: 2\n");
    const enc = k.hush(["encrypt", "--indent", "100000000", "s.json"]);
    expect(enc.stderr).toBe("hush: --indent must be a whole number from -1 (a tab) to 100\n");
    expect(enc.status).toBe(1);
    expect(enc.stdout).toBe("");
  });
});
