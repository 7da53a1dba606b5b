import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * `.sops.yaml`'s `stores` section as SOPS applies it: `json_binary.indent` lays out an encrypted
 * binary file's envelope (stores/json NewBinaryStore), go-yaml writes YAML with 2 spaces when the
 * indent is outside 2..9 (emitterc.go yaml_emitter_emit_stream_start), and an indent no one could
 * want is refused with the line instead of crashing hush.
 */

let k: KeyedDir;

beforeAll(() => {
  k = keyedDir();
});

afterAll(() => k.cleanup());

/** The indentation of the line that holds `"sops"` (or `sops:`'s first entry in YAML). */
function jsonSopsIndent(text: string): string {
  return /^([ \t]*)"sops":/m.exec(text)?.[1] ?? "(no sops line)";
}

function yamlMetadataIndent(text: string): string {
  return /^sops:\n( *)\S/m.exec(text)?.[1] ?? "(no sops block)";
}

function writeConfig(stores: string, recipients: readonly string[] = [k.recipient]): void {
  writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${recipients.join(",")}\nstores:\n${stores}`);
}

describe("stores.json_binary.indent", () => {
  it("lays out an encrypted binary file, not json's indent nor a tab", () => {
    writeConfig("  json_binary:\n    indent: 2\n  json:\n    indent: 6\n");
    writeFileSync(k.path("blob.bin"), "binary-secret-1");
    const enc = k.hush(["encrypt", "-i", "--input-type", "binary", "blob.bin"]);
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    expect(jsonSopsIndent(readFileSync(k.path("blob.bin"), "utf8"))).toBe("  ");
  });

  it("is kept by updatekeys, which rewrites the envelope", () => {
    const other = keyedDir();
    try {
      writeConfig("  json_binary:\n    indent: 2\n  json:\n    indent: 6\n", [k.recipient, other.recipient]);
      const r = k.hush(["updatekeys", "-y", "--input-type", "binary", "blob.bin"]);
      expect(r.status, r.stderr).toBe(0);
      const text = readFileSync(k.path("blob.bin"), "utf8");
      expect(text).toContain(other.recipient);
      expect(jsonSopsIndent(text)).toBe("  ");
    } finally {
      other.cleanup();
    }
  });
});

describe("stores.yaml.indent outside 2..9", () => {
  for (const [indent, written] of [
    ["12", "  "],
    ["1", "  "],
    ["9", " ".repeat(9)],
    ["0", "    "],
  ] as const) {
    it(`${indent}: the metadata is indented with ${written.length} spaces, as go-yaml writes it`, () => {
      writeConfig(`  yaml:\n    indent: ${indent}\n`);
      writeFileSync(k.path("s.yaml"), "a:\n  b: yaml-secret-1\n");
      const enc = k.hush(["encrypt", "s.yaml"]);
      expect(enc.stderr).toBe("");
      expect(enc.status).toBe(0);
      expect(yamlMetadataIndent(enc.stdout)).toBe(written);
    });
  }
});

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
    expect(enc.stderr).toBe("hush: --indent must be a whole number from -1 (a tab) to 100, written in decimal\n");
    expect(enc.status).toBe(1);
    expect(enc.stdout).toBe("");
  });
});
