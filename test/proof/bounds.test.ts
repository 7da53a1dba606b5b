import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_BIN } from "@hush/testkit";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "../workflows/helpers.ts";

/**
 * Limits on the shape of untrusted metadata: a file (from any branch or clone) must not make a
 * decryption take minutes or overflow the stack. Each case is refused quickly, with one line
 * that names the file and the limit, and without a crash trace.
 */

let k: KeyedDir;
beforeAll(() => {
  k = keyedDir();
});
afterAll(() => k.cleanup());

/** Runs hush and returns the result with its wall-clock time. */
function timed(args: string[]): ReturnType<KeyedDir["hush"]> & { ms: number } {
  const started = Date.now();
  const r = k.hush(args);
  return { ...r, ms: Date.now() - started };
}

function expectRefusedQuickly(r: ReturnType<typeof timed>, file: string, pattern: RegExp): void {
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.stderr).not.toMatch(/Maximum call stack|RangeError|\n\s+at /);
  // One `hush:` line, then only indented detail lines (docs/errors.md).
  const lines = r.stderr.trim().split("\n");
  expect(lines[0]).toMatch(/^hush: /);
  expect(lines.slice(1).every((l) => l.startsWith("  ")), r.stderr.slice(0, 400)).toBe(true);
  expect(lines[0]).toContain(file);
  expect(lines[0]).toMatch(pattern);
  // Generous for a busy machine; before the limits, the stanza case alone took 27 s.
  expect(r.ms).toBeLessThan(10_000);
}

/** User plus system CPU seconds that one hush run takes (measured by the shell's `times`). */
function cpuSeconds(args: string[]): number {
  const r = spawnSync("sh", ["-c", '"$0" "$@" >/dev/null 2>&1; times', HUSH_BIN, ...args], {
    cwd: k.dir,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...k.env },
    encoding: "utf8",
  });
  const children = r.stdout.trim().split("\n")[1] ?? "";
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) throw new Error(`cannot read the CPU time from: ${r.stdout}`);
  return parts.reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";

/**
 * An age file (ASCII armor) with `extra` well-formed X25519 stanzas that no key opens, put first,
 * and with `grease` a stanza of an unknown type too (which takes the full age implementation).
 */
function withExtraStanzas(armored: string, extra: number, grease = false): string {
  const body = armored.replace(ARMOR_BEGIN, "").replace(ARMOR_END, "").replace(/\s/g, "");
  const file = Buffer.from(body, "base64");
  const nl = file.indexOf(0x0a);
  const b64 = (n: number): string => randomBytes(n).toString("base64").replace(/=+$/, "");
  const stanzas = Array.from({ length: extra }, () => `-> X25519 ${b64(32)}\n${b64(32)}\n`).join("") + (grease ? `-> grease-x ${b64(8)}\n${b64(20)}\n` : "");
  const grown = Buffer.concat([file.subarray(0, nl + 1), Buffer.from(stanzas, "latin1"), file.subarray(nl + 1)]);
  const lines = grown.toString("base64").match(/.{1,64}/g)!;
  return `${ARMOR_BEGIN}\n${lines.join("\n")}\n${ARMOR_END}\n`;
}

describe("age stanzas per entry", () => {
  it("an entry with 20,000 stanzas is refused quickly, naming the file and the limit", () => {
    const f = encryptFile(k, "stanzas.json", `{"a": "secret"}\n`);
    const doc = JSON.parse(readFileSync(f, "utf8"));
    doc.sops.age[0].enc = withExtraStanzas(doc.sops.age[0].enc, 20_000);
    writeFileSync(f, JSON.stringify(doc));
    expectRefusedQuickly(timed(["decrypt", f]), "stanzas.json", /20001 stanzas; hush reads at most 8/);
  });

  it("an entry with a few extra stanzas (under the limit) is judged by the age implementation, not by the limit", () => {
    const f = encryptFile(k, "few.json", `{"a": "secret"}\n`);
    const doc = JSON.parse(readFileSync(f, "utf8"));
    const enc: string = doc.sops.age[0].enc;
    expect(enc).toContain(ARMOR_BEGIN);
    // The header MAC covers the stanzas, so a changed header no longer opens: the point is that
    // it is judged (and refused) by the age implementation, not by the stanza limit.
    doc.sops.age[0].enc = withExtraStanzas(enc, 3);
    writeFileSync(f, JSON.stringify(doc));
    const r = timed(["decrypt", f]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/stanzas/);
  });
});

describe("key groups and entries", () => {
  const entry = (i: number): string => `{"recipient": "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", "enc": "x${i}"}`;

  it("a group with 10,000 entries is refused quickly, naming the file and the limit", () => {
    const f = encryptFile(k, "entries.json", `{"a": "secret"}\n`);
    const doc = JSON.parse(readFileSync(f, "utf8"));
    doc.sops.age = [...doc.sops.age, ...JSON.parse(`[${Array.from({ length: 10_000 }, (_, i) => entry(i)).join(",")}]`)];
    writeFileSync(f, JSON.stringify(doc));
    expectRefusedQuickly(timed(["decrypt", f]), "entries.json", /10001 keys; hush reads at most 100 per group/);
  });

  it("a file with 1,000 key groups is refused quickly, naming the file and the limit", () => {
    const f = encryptFile(k, "groups.json", `{"a": "secret"}\n`);
    const doc = JSON.parse(readFileSync(f, "utf8"));
    doc.sops.key_groups = Array.from({ length: 1_000 }, () => ({ age: doc.sops.age }));
    delete doc.sops.age;
    doc.sops.shamir_threshold = 2;
    writeFileSync(f, JSON.stringify(doc));
    expectRefusedQuickly(timed(["decrypt", f]), "groups.json", /1000 key groups; hush reads at most 16/);
  });
});

describe("the worst case within the limits", () => {
  it("16 groups of 8 age entries of 8 stanzas, none of them ours, are refused within seconds", () => {
    const f = encryptFile(k, "worst.json", `{"a": "secret"}\n`);
    const doc = JSON.parse(readFileSync(f, "utf8"));
    const theirs = keyedDir();
    try {
      const other = JSON.parse(readFileSync(encryptFile(theirs, "other.json", `{"a": "x"}\n`), "utf8")).sops.age[0];
      const group = Array.from({ length: 8 }, () => ({ recipient: other.recipient, enc: withExtraStanzas(other.enc, 6, true) }));
      doc.sops.key_groups = Array.from({ length: 16 }, () => ({ age: group }));
    } finally {
      theirs.cleanup();
    }
    delete doc.sops.age;
    doc.sops.shamir_threshold = 16;
    writeFileSync(f, JSON.stringify(doc));
    const r = timed(["decrypt", f]);
    expect(r.status, r.stderr).toBe(128);
    expect(r.stderr).toMatch(/could not decrypt the data key/);
    // CPU time, not wall-clock time: the bound is on the work, whatever else the machine runs.
    expect(cpuSeconds(["decrypt", f])).toBeLessThan(4);
  });
});

describe("flattened metadata keys", () => {
  const deep = (prefix: string): string => `${prefix}${"__map_x".repeat(20_000)}=v`;

  it("a 20,000-level dotenv metadata key is refused quickly (no stack overflow)", () => {
    const f = encryptFile(k, "deep.env", "A=secret\n");
    writeFileSync(f, `${readFileSync(f, "utf8")}${deep("sops_deep")}\n`);
    expectRefusedQuickly(timed(["decrypt", "--input-type", "dotenv", f]), "deep.env", /metadata.*16 levels/);
  });

  it("a 20,000-level INI metadata key is refused quickly (no stack overflow)", () => {
    const f = encryptFile(k, "deep.ini", "[s]\nA = secret\n");
    writeFileSync(f, readFileSync(f, "utf8").replace("[sops]\n", `[sops]\n${deep("deep").replace("=", " = ")}\n`));
    expectRefusedQuickly(timed(["decrypt", f]), "deep.ini", /metadata.*16 levels/);
  });

  it("a huge list index in a flattened key is refused quickly", () => {
    const f = encryptFile(k, "index.env", "A=secret\n");
    writeFileSync(f, `${readFileSync(f, "utf8")}sops_age__list_400000000__map_enc=x\n`);
    expectRefusedQuickly(timed(["decrypt", "--input-type", "dotenv", f]), "index.env", /metadata.*list/);
  });
});

describe("deep key paths in data", () => {
  // 100,000 parts: a 200 KB file, which took minutes (each level copied the path above it).
  const dotted = `${"a.".repeat(100_000)}a = "secret"\n`;

  it("a TOML dotted key of 100,000 parts is refused quickly, in a plaintext and in an encrypted file", () => {
    writeFileSync(k.path("dotted.toml"), dotted);
    expectRefusedQuickly(timed(["encrypt", "--age", k.recipient, k.path("dotted.toml")]), "dotted.toml", /keys nested deeper than 256 levels .* at line 1$/);
    const f = encryptFile(k, "dotted.enc.toml", `x = "secret"\n`);
    writeFileSync(f, readFileSync(f, "utf8").replace(/^x = /m, `${"a.".repeat(100_000)}x = `));
    expectRefusedQuickly(timed(["decrypt", f]), "dotted.enc.toml", /keys nested deeper than 256 levels/);
    const check = timed(["check", f]);
    expect(check.status, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^.*dotted\.enc\.toml:1: error: cannot parse the file as TOML: invalid TOML: keys nested deeper than 256 levels/m);
    expect(check.ms).toBeLessThan(10_000);
  });

  it("a TOML table header of 100,000 parts is refused quickly", () => {
    writeFileSync(k.path("header.toml"), `[${"a.".repeat(100_000)}a]\nx = "secret"\n`);
    expectRefusedQuickly(timed(["encrypt", "--age", k.recipient, k.path("header.toml")]), "header.toml", /keys nested deeper than 256 levels .* at line 1$/);
  });

  it("a key path of 256 levels is read", () => {
    const f = encryptFile(k, "deep-ok.toml", `${"a.".repeat(255)}x = "secret"\n`);
    expect(k.hush(["decrypt", f]).stdout).toBe(`${"a.".repeat(255)}x = "secret"\n`);
  });

  it("YAML block mappings nested 5,000 deep are refused quickly, for their depth", () => {
    writeFileSync(k.path("deep-block.yaml"), `${Array.from({ length: 5_000 }, (_, i) => `${" ".repeat(i)}k:\n`).join("")}${" ".repeat(5_000)}k: v\n`);
    expectRefusedQuickly(timed(["encrypt", "--age", k.recipient, k.path("deep-block.yaml")]), "deep-block.yaml", /nested too deep|nesting deeper than 200 levels/);
  });
});

describe("binary envelopes", () => {
  it("a binary file nested 100,000 levels deep is answered quickly, without a stack overflow", () => {
    const f = k.path("deep.bin");
    writeFileSync(f, `{"data": "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]", "sops": {"x": ${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);
    expectRefusedQuickly(timed(["decrypt", f]), "deep.bin", /metadata not found/);
  });
});

describe("files and streams larger than hush can read", () => {
  // The longest string V8 makes is 2^29 - 24 UTF-16 units: a larger document could never become
  // text, and before the limit hush read it whole first (or, piped in, without end).
  const TOO_LARGE = /larger than 536870888 bytes \(512 MiB\), the most hush reads as one file$/;

  it("a file over 512 MiB is refused by its size, unread, naming it (exit 2), by every command that reads it", () => {
    const f = k.path("huge.enc.yaml");
    // Sparse: no disk space, and a read of it would take seconds and 600 MB of memory.
    writeFileSync(f, "");
    truncateSync(f, 600 * 1024 * 1024);
    try {
      for (const args of [["decrypt", f], ["encrypt", "--age", k.recipient, f], ["set", f, '["a"]', "1"], ["filestatus", f]]) {
        const r = timed(args);
        expectRefusedQuickly(r, "huge.enc.yaml", TOO_LARGE);
        expect(r.status, args.join(" ")).toBe(2);
      }
    } finally {
      unlinkSync(f);
    }
  });

  it("standard input that never ends (/dev/zero) is refused once it passed the limit, not read until memory runs out", () => {
    for (const command of ["decrypt", "encrypt"]) {
      const zero = openSync("/dev/zero", "r");
      const started = Date.now();
      const keys = command === "encrypt" ? ["--age", k.recipient] : [];
      // Address space capped at 2.5 GB, so that a run without the limit fails by memory at once
      // instead of taking the machine's.
      const r = spawnSync("prlimit", ["--as=2500000000", "--", process.execPath, CLI_JS, command, ...keys, "--input-type", "yaml", "-"], {
        cwd: k.dir,
        env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...k.env },
        stdio: [zero, "pipe", "pipe"],
        encoding: "utf8",
        timeout: 50_000,
      });
      closeSync(zero);
      if (r.error !== undefined) throw new Error(`prlimit could not run (${r.error.message}): install util-linux`);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^hush: stdin: ${TOO_LARGE.source.slice(0, -1)}\n$`));
      expect(r.stdout).toBe("");
      expect(Date.now() - started).toBeLessThan(30_000);
    }
  });
});
