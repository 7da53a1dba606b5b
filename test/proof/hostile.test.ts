import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptText, isHushError, openText, storeFor, type FileFormat } from "@hush/core";
import { HUSH_BIN, makeTempDir, runHush, startKmsTestServer, type HushResult, type KmsTestServer } from "@hush/testkit";
import { bech32Encode, MARKER, noKeySources } from "./support.ts";

/**
 * Hostile input: files and settings written by an attacker. Each must be refused quickly with
 * one clear line (or, for keys that are merely unusual, handled exactly), without exhausting
 * memory, running programs, contacting unexpected hosts or polluting Object.prototype.
 *
 * The CLI runs with a 512 MB heap and a time limit, so that a failure here fails fast instead of
 * taking the machine down.
 */

/** CPU milliseconds (user + system) that a refusal may cost; see `hush` below. */
const QUICK_MS = 5_000;
const HEAP = "--max-old-space-size=512";
const DATA_KEY = new Uint8Array(32).fill(9);
const FAKE_KEYS = [[{ kind: "age" as const, recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", enc: "x" }]];

let dir: { path: string; cleanup: () => void };
let keyFile: string;
let recipient: string;

/**
 * Runs hush asynchronously (the KMS test server lives in this process and must keep answering)
 * with a heap cap, a time limit and room for large outputs. A timeout fails the test, saying so.
 */
function hush(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: join(dir.path, "home"),
    LANG: "C",
    SOPS_AGE_KEY_FILE: keyFile,
    NODE_OPTIONS: HEAP,
    ...options.env,
  };
  // `ms` is the CPU time (user + system) hush used, read from the shell's `times`: unlike wall-clock
  // time it does not grow when other processes load the machine, so the bounds below stay honest.
  const script = '"$0" "$@"; s=$?; printf "\\n%s\\n" "$TIMES_MARK" >&2; times >&2; exit $s';
  return new Promise((resolve, reject) => {
    execFile("sh", ["-c", script, HUSH_BIN, ...args], { cwd: dir.path, env: { ...env, TIMES_MARK }, timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024, encoding: "buffer" }, (err, stdout, stderrBytes) => {
      if (err !== null && (err as { killed?: boolean }).killed === true) {
        reject(new Error(`hush ${args.slice(0, 2).join(" ")} … did not finish in ${timeoutMs} ms`));
        return;
      }
      const status = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      const all = stderrBytes.toString("utf8");
      const at = all.lastIndexOf(`\n${TIMES_MARK}\n`);
      if (at < 0) {
        reject(new Error(`cannot read hush's CPU time (the shell's \`times\`): ${all.slice(-300)}`));
        return;
      }
      const children = all.slice(at + TIMES_MARK.length + 2).trim().split("\n")[1] ?? "";
      const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)];
      const ms = parts.reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
      resolve({ status, stdout: stdout.toString("utf8"), stderr: all.slice(0, at), stdoutBytes: stdout, ms });
    });
  });
}

const TIMES_MARK = "--hush-test-cpu-times--";

type Run = HushResult & { ms: number };

/** One clear message on stderr (a line, then indented details), a non-zero status, no plaintext, no crash text, quickly. */
function expectRefused(r: Run, pattern: RegExp): void {
  expect(r.status, r.stderr).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines.slice(1).every((l) => l.startsWith("  ")), r.stderr.slice(0, 500)).toBe(true);
  expect(lines[0]).toMatch(/^hush: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/Maximum call stack|heap out of memory|Cannot read prop|is not a function|\n\s+at /);
  expect(r.stderr).not.toContain(MARKER);
  expect(r.ms).toBeLessThan(QUICK_MS);
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir.path, name);
  writeFileSync(path, content);
  return path;
}

const protoNames = new Set(Object.getOwnPropertyNames(Object.prototype));
function pollution(): string[] {
  const added = Object.getOwnPropertyNames(Object.prototype).filter((n) => !protoNames.has(n));
  for (const n of added) delete (Object.prototype as Record<string, unknown>)[n];
  return added;
}

beforeAll(() => {
  dir = makeTempDir("hush-hostile-");
  keyFile = join(dir.path, "key.txt");
  const kg = runHush(["keygen", "-o", keyFile]);
  expect(kg.status).toBe(0);
  recipient = /Public key: (age1[a-z0-9]+)/.exec(kg.stderr)![1]!;
});
afterAll(() => dir.cleanup());

describe("prototype-pollution keys", () => {
  const docs: Record<Exclude<FileFormat, "binary">, string> = {
    yaml: `__proto__:\n    polluted: ${MARKER}1\nconstructor:\n    prototype:\n        polluted: ${MARKER}2\nprototype: ${MARKER}3\n`,
    json: `{"__proto__": {"polluted": "${MARKER}1"}, "constructor": {"prototype": {"polluted": "${MARKER}2"}}, "prototype": "${MARKER}3"}\n`,
    dotenv: `__proto__=${MARKER}1\nconstructor=${MARKER}2\nprototype=${MARKER}3\n`,
    ini: `[__proto__]\npolluted = ${MARKER}1\n[constructor]\nprototype = ${MARKER}2\n`,
    toml: `[__proto__]\npolluted = "${MARKER}1"\n[constructor.prototype]\npolluted = "${MARKER}2"\n`,
  };

  it.each(Object.keys(docs) as Array<keyof typeof docs>)("%s data keys: handled as plain keys or refused, never polluting", async (format) => {
    const store = await storeFor(format);
    let outcome: string;
    try {
      const enc = await encryptText(docs[format], { format, keySources: noKeySources, dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS });
      expect(enc).not.toContain(MARKER);
      const opened = await openText(enc, { format, keySources: noKeySources, dataKey: DATA_KEY });
      expect(opened.plaintext).toBe(docs[format]);
      const tree = store.toTree(opened.plaintext);
      for (const to of ["yaml", "json"] as const) (await storeFor(to)).emitTree(tree, {});
      outcome = "handled as plain keys (exact round trip)";
    } catch (err) {
      expect(isHushError(err), String(err)).toBe(true);
      expect((err as Error).message).not.toContain(MARKER);
      outcome = `refused: ${(err as Error).message}`;
    }
    expect(pollution()).toEqual([]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    console.log(`prototype keys in ${format}: ${outcome}`);
  });

  it.each([
    ["yaml", `a: ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n    __proto__:\n        polluted: x\n    age:\n        - __proto__:\n              polluted: x\n          recipient: age1x\n          enc: x\n    lastmodified: "2025-01-01T00:00:00Z"\n    mac: ""\n    version: 3.13.2\n`],
    ["json", `{"a": "x", "sops": {"__proto__": {"polluted": "x"}, "age": [{"__proto__": {"polluted": "x"}, "recipient": "age1x", "enc": "x"}], "lastmodified": "2025-01-01T00:00:00Z", "mac": "", "version": "3.13.2"}}\n`],
    ["dotenv", "a=x\nsops___proto____map_polluted=x\nsops_age__list_0__map___proto____map_polluted=x\nsops_age__list_0__map_recipient=age1x\nsops_age__list_0__map_enc=x\nsops_lastmodified=2025-01-01T00:00:00Z\nsops_version=3.13.2\n"],
    ["ini", "[a]\nb = x\n[sops]\n__proto____map_polluted = x\nage__list_0__map___proto____map_polluted = x\nage__list_0__map_recipient = age1x\nage__list_0__map_enc = x\nlastmodified = 2025-01-01T00:00:00Z\nversion = 3.13.2\n"],
    ["toml", `a = "x"\n[sops]\nlastmodified = "2025-01-01T00:00:00Z"\nversion = "3.13.2"\n[sops.__proto__]\npolluted = "x"\n[[sops.age]]\nrecipient = "age1x"\nenc = "x"\n[sops.age.__proto__]\npolluted = "x"\n`],
  ] as const)("%s metadata with __proto__ keys: refused without polluting", async (format, text) => {
    let refused: unknown;
    try {
      await openText(text, { format, keySources: noKeySources, dataKey: DATA_KEY });
    } catch (err) {
      refused = err;
    }
    const added = pollution();
    expect(added, `Object.prototype gained ${added.join(", ")} while reading ${format} metadata`).toEqual([]);
    expect(isHushError(refused), String(refused)).toBe(true);
  });

  it("through the CLI: encrypt, decrypt and convert a YAML file with such keys", async () => {
    write("proto.yaml", docs.yaml);
    const enc = await hush(["encrypt", "--age", recipient, "proto.yaml"]);
    if (enc.status !== 0) {
      expectRefused(enc, /proto|reserved|key/i);
      return;
    }
    write("proto.enc.yaml", enc.stdout);
    const dec = await hush(["decrypt", "proto.enc.yaml"]);
    expect(dec.status).toBe(0);
    expect(dec.stdout).toBe(docs.yaml);
    const json = await hush(["decrypt", "--output-type", "json", "proto.enc.yaml"]);
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(`{"__proto__": {"polluted": "${MARKER}1"}, "constructor": {"prototype": {"polluted": "${MARKER}2"}}, "prototype": "${MARKER}3"}`));
  });
});

describe("YAML alias bombs and deep nesting", () => {
  /** A billion-laughs document: nine levels of nine aliases (9^9 ≈ 387 million leaves). */
  const bomb = (prefix: string): string => {
    const lines = [`${prefix}a: &a ["${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}", "${MARKER}"]`];
    const names = "bcdefghij";
    for (let i = 0; i < names.length; i++) {
      const prev = i === 0 ? "a" : names[i - 1]!;
      lines.push(`${prefix}${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    return lines.join("\n") + "\n";
  };

  it("a billion-laughs plaintext file is refused quickly", async () => {
    write("bomb.yaml", bomb(""));
    expectRefused(await hush(["encrypt", "--age", recipient, "bomb.yaml"], { timeoutMs: 10_000 }), /alias|nest|large|expan/i);
  });

  it("a billion-laughs block in an encrypted file is refused quickly", async () => {
    write("small.yaml", `x: ${MARKER}\n`);
    const enc = await hush(["encrypt", "--age", recipient, "small.yaml"]);
    expect(enc.status).toBe(0);
    write("bomb.enc.yaml", bomb("lol_unencrypted_") + enc.stdout);
    expectRefused(await hush(["decrypt", "bomb.enc.yaml"], { timeoutMs: 10_000 }), /alias|nest|large|expan/i);
  });

  it("a billion-laughs block inside the sops metadata is refused quickly", async () => {
    write("small.yaml", `x: ${MARKER}\n`);
    const enc = await hush(["encrypt", "--age", recipient, "small.yaml"]);
    const text = enc.stdout.replace("\nsops:\n", `\nsops:\n${bomb("").replace(/^/gm, "    ").replace(/ +$/, "")}`);
    write("bomb-meta.enc.yaml", text);
    const r = await hush(["decrypt", "bomb-meta.enc.yaml"], { timeoutMs: 10_000 });
    // Unknown metadata keys are ignored (as in SOPS) and aliases there are never expanded: a
    // quick, exact answer is as good as a refusal.
    if (r.status === 0) expect(r.stdout).toBe(`x: ${MARKER}\n`);
    else expectRefused(r, /alias|nest|large|expan|metadata/i);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it("a billion-laughs .sops.yaml is refused quickly", async () => {
    const sub = join(dir.path, "bombconf");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, ".sops.yaml"), `${bomb("x_")}creation_rules:\n  - age: ${recipient}\n`);
    writeFileSync(join(sub, "a.yaml"), "k: v\n");
    const r = await hush(["encrypt", join(sub, "a.yaml")], { timeoutMs: 10_000, env: { SOPS_CONFIG: join(sub, ".sops.yaml") } });
    expectRefused(r, /sops\.yaml|alias|config/i);
  });

  it.each([
    ["YAML flow nesting", "deep1.yaml", `a: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`],
    ["YAML block nesting", "deep2.yaml", Array.from({ length: 5_000 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n") + ` ${MARKER}\n`],
    ["JSON nesting", "deep.json", `${'{"a":'.repeat(100_000)}"${MARKER}"${"}".repeat(100_000)}\n`],
    ["TOML array nesting", "deep.toml", `a = ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`],
    ["TOML inline-table nesting", "deep2.toml", `a = ${"{b = ".repeat(50_000)}"${MARKER}"${"}".repeat(50_000)}\n`],
  ])("%s 100,000 levels deep is refused quickly with a clear error", async (_name, file, text) => {
    write(file, text);
    expectRefused(await hush(["encrypt", "--age", recipient, file]), /nest|deep|depth|invalid|line/i);
  });
});

describe("huge lines", () => {
  const big = "x".repeat(32 * 1024 * 1024);
  it.each([
    ["yaml", "huge.yaml", `k: ${MARKER}${big}\n`],
    ["json", "huge.json", `{"k": "${MARKER}${big}"}\n`],
    ["dotenv", "huge.env", `K=${MARKER}${big}\n`],
    ["yaml key", "hugekey.yaml", `${big}: ${MARKER}\n`],
  ])("a 32 MB line (%s) is encrypted and decrypted exactly, or refused with a clear error, quickly", async (_name, file, text) => {
    write(file, text);
    const enc = await hush(["encrypt", "--age", recipient, file], { timeoutMs: 30_000 });
    if (enc.status !== 0) {
      expectRefused(enc, /large|long|size|limit|line/i);
      return;
    }
    expect(enc.stdout).not.toContain(`${MARKER}xxxxxxxxxxxxxxxx`);
    write(`enc.${file}`, enc.stdout);
    const dec = await hush(["decrypt", `enc.${file}`], { timeoutMs: 30_000 });
    expect(dec.status, dec.stderr).toBe(0);
    expect(dec.stdout === text).toBe(true);
    expect(enc.ms + dec.ms).toBeLessThan(20_000);
  }, 120_000);

  it("a 32 MB metadata value is refused quickly", async () => {
    write("small.env", `A=${MARKER}\n`);
    const enc = await hush(["encrypt", "--age", recipient, "small.env"]);
    expect(enc.status).toBe(0);
    write("hugemeta.env", enc.stdout.replace(/sops_version=.*/, `sops_version=${big}`));
    const r = await hush(["decrypt", "hugemeta.env"], { timeoutMs: 30_000 });
    // A long version string is not an error in itself; what matters is a quick, clean answer.
    if (r.status === 0) expect(r.stdout).toBe(`A=${MARKER}\n`);
    else expectRefused(r, /.+/);
    expect(r.ms).toBeLessThan(QUICK_MS * 2);
  }, 60_000);
});

describe("invalid UTF-8", () => {
  it.each(["yaml", "json", "env", "ini", "toml"])("a .%s file with invalid UTF-8 is refused by encrypt and decrypt", async (ext) => {
    const file = write(`bad.${ext}`, Buffer.concat([Buffer.from(ext === "json" ? '{"k": "' : ext === "toml" ? 'k = "' : ext === "ini" ? "[s]\nk = " : ext === "env" ? "K=" : "k: "), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(ext === "json" ? '"}\n' : ext === "toml" ? '"\n' : "\n")]));
    expectRefused(await hush(["encrypt", "--age", recipient, file]), /UTF-8/);
    expectRefused(await hush(["decrypt", file]), /UTF-8/);
  });
});

describe("age plugin names with a path separator", () => {
  let trap: string;
  let marker: string;
  beforeAll(() => {
    // If hush ever ran age-plugin-<name> with this name, `<cwd>/age-plugin-evil/../../trap` is
    // the program that would start; it leaves a file behind.
    const work = join(dir.path, "plugwork", "inner");
    mkdirSync(join(work, "age-plugin-evil"), { recursive: true });
    marker = join(dir.path, "trap-ran");
    trap = join(dir.path, "plugwork", "trap");
    writeFileSync(trap, `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(trap, 0o755);
  });
  const name = "evil/../../trap";
  const pluginRecipient = (): string => bech32Encode(`age1${name}`, new Uint8Array(32).fill(1));
  const pluginIdentity = (): string => bech32Encode(`age-plugin-${name}-`, new Uint8Array(32).fill(2)).toUpperCase();

  it("as a recipient on the command line, in SOPS_AGE_RECIPIENTS and in .sops.yaml", async () => {
    const cwd = join(dir.path, "plugwork", "inner");
    writeFileSync(join(cwd, "a.yaml"), `k: ${MARKER}\n`);
    const env = { PATH: `${join(dir.path, "plugwork")}:${process.env["PATH"] ?? ""}` };
    expectRefused(await hush(["encrypt", "--age", pluginRecipient(), join(cwd, "a.yaml")], { env }), /plugin|recipient/i);
    expectRefused(await hush(["encrypt", join(cwd, "a.yaml")], { env: { ...env, SOPS_AGE_RECIPIENTS: pluginRecipient() } }), /plugin|recipient/i);
    writeFileSync(join(cwd, "plug.sops.yaml"), `creation_rules:\n  - age: ${pluginRecipient()}\n`);
    expectRefused(await hush(["encrypt", join(cwd, "a.yaml")], { env: { ...env, SOPS_CONFIG: join(cwd, "plug.sops.yaml") } }), /plugin|recipient/i);
    expect(existsSync(marker)).toBe(false);
  });

  it("as an identity in the key file, and as the recipient named in a file's metadata", async () => {
    const cwd = join(dir.path, "plugwork", "inner");
    writeFileSync(join(cwd, "a.yaml"), `k: ${MARKER}\n`);
    const enc = await hush(["encrypt", "--age", recipient, join(cwd, "a.yaml")]);
    expect(enc.status).toBe(0);
    writeFileSync(join(cwd, "a.enc.yaml"), enc.stdout);
    writeFileSync(join(cwd, "plugin-keys.txt"), `${pluginIdentity()}\n`);
    const env = { PATH: `${join(dir.path, "plugwork")}:${process.env["PATH"] ?? ""}`, SOPS_AGE_KEY_FILE: join(cwd, "plugin-keys.txt") };
    expectRefused(await hush(["decrypt", join(cwd, "a.enc.yaml")], { env }), /plugin|identit|key/i);
    writeFileSync(join(cwd, "b.enc.yaml"), enc.stdout.replace(/recipient: age1[a-z0-9]+/, `recipient: ${pluginRecipient()}`));
    const other = await hush(["decrypt", join(cwd, "b.enc.yaml")], { env });
    expectRefused(other, /plugin|identit|key|recipient/i);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("KMS metadata pointing at another region or account", () => {
  let kms: KmsTestServer;
  let encrypted: string;
  let arn: string;
  beforeAll(async () => {
    kms = await startKmsTestServer();
    arn = kms.createKey();
    write("kms.yaml", `k: ${MARKER}\n`);
    const r = await hush(["encrypt", "--kms", arn, "kms.yaml"], { env: { ...kms.env } });
    expect(r.status, r.stderr).toBe(0);
    encrypted = r.stdout;
    write("kms.enc.yaml", encrypted);
    const ok = await hush(["decrypt", "kms.enc.yaml"], { env: { ...kms.env } });
    expect(ok.status, ok.stderr).toBe(0);
  });
  afterAll(() => kms.stop());

  it.each([
    ["another region", (a: string) => a.replace(":us-east-1:", ":eu-west-3:"), /KMS|key|region|denied|not found/i],
    ["another account", (a: string) => a.replace(/:\d{12}:/, ":999999999999:"), /KMS|key|account|denied|not found/i],
    ["a region that is a host name", (a: string) => a.replace(":us-east-1:", ":evil.example.com:"), /region/i],
    ["a region with a path", (a: string) => a.replace(":us-east-1:", ":us-east-1.evil.example/x:"), /region|ARN/i],
    ["an account that is not 12 digits", (a: string) => a.replace(/:\d{12}:/, ":1234@evil:"), /account|ARN/i],
  ] as const)("%s is refused quickly with a clear error", async (_name, change, pattern) => {
    write("kms-hostile.yaml", encrypted.replace(arn, change(arn)));
    const r = await hush(["decrypt", "kms-hostile.yaml"], { env: { ...kms.env } });
    expectRefused(r, pattern);
  });
});

describe(".sops.yaml with catastrophic or invalid regexes", () => {
  it.each([
    ["nested quantifiers", "^(a+)+$"],
    ["alternation blow-up", "^(a|aa)+$"],
    ["nested stars", "(x*)*y"],
  ])("%s in path_regex is evaluated in linear time", async (_name, regex) => {
    const sub = join(dir.path, `re-${regex.length}-${Math.random().toString(36).slice(2)}`);
    mkdirSync(sub);
    writeFileSync(join(sub, ".sops.yaml"), `creation_rules:\n  - path_regex: '${regex}'\n    age: ${recipient}\n`);
    const name = `${"a".repeat(60)}${"x".repeat(60)}!.yaml`;
    writeFileSync(join(sub, name), `k: ${MARKER}\n`);
    const r = await hush(["encrypt", join(sub, name)], { env: { SOPS_CONFIG: join(sub, ".sops.yaml") } });
    expect(r.ms).toBeLessThan(QUICK_MS);
    if (r.status !== 0) expectRefused(r, /creation rule|regex|match/i);
  });

  it("a catastrophic encrypted_regex on long keys is evaluated in linear time", async () => {
    const sub = join(dir.path, "re-keys");
    mkdirSync(sub);
    writeFileSync(join(sub, ".sops.yaml"), `creation_rules:\n  - encrypted_regex: '^(a+)+$'\n    age: ${recipient}\n`);
    writeFileSync(join(sub, "k.json"), `{"${"a".repeat(50_000)}!": "${MARKER}"}\n`);
    // The regex matches no key, so nothing would be encrypted: --allow-no-values lets it through.
    const r = await hush(["encrypt", "--allow-no-values", join(sub, "k.json")], { env: { SOPS_CONFIG: join(sub, ".sops.yaml") } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(QUICK_MS);
  });

  it.each([
    ["a backreference", "(a)\\1"],
    ["a lookahead", "(?=a)b"],
    ["an unclosed group", "(abc"],
  ])("%s is refused with a clear error", async (_name, regex) => {
    const sub = join(dir.path, `re-bad-${Math.random().toString(36).slice(2)}`);
    mkdirSync(sub);
    writeFileSync(join(sub, ".sops.yaml"), `creation_rules:\n  - path_regex: '${regex}'\n    age: ${recipient}\n`);
    writeFileSync(join(sub, "a.yaml"), `k: ${MARKER}\n`);
    expectRefused(await hush(["encrypt", join(sub, "a.yaml")], { env: { SOPS_CONFIG: join(sub, ".sops.yaml") } }), /regex|path_regex|invalid/i);
  });
});

describe("noise on stderr", () => {
  it("a .sops.yaml with YAML oddities (unknown tag, bad anchor) prints nothing but hush's own lines", async () => {
    const sub = join(dir.path, "noisy");
    mkdirSync(sub);
    writeFileSync(join(sub, ".sops.yaml"), `creation_rules:\n  - age: !custom ${recipient}\n    &anchor: x\n`);
    writeFileSync(join(sub, "a.yaml"), `k: ${MARKER}\n`);
    const r = await hush(["encrypt", join(sub, "a.yaml")], { env: { SOPS_CONFIG: join(sub, ".sops.yaml") } });
    expect(r.stderr).not.toMatch(/YAMLWarning|\(node:\d+\)|--trace-warnings/);
    for (const line of r.stderr.split("\n").filter((l) => l !== "")) expect(line).toMatch(/^hush: /);
  });
});

describe("control characters in metadata shown in messages", () => {
  it.each([
    ["a line break", "\\nFAKE hush: everything is fine"],
    ["a terminal escape sequence", "\\e[31mRED"],
    ["a carriage return", "\\rFAKE"],
  ])("an age recipient with %s is shown escaped, on one line", async (_name, injected) => {
    write("ctl.yaml", `k: ${MARKER}\n`);
    const enc = await hush(["encrypt", "--age", recipient, "ctl.yaml"]);
    expect(enc.status).toBe(0);
    write("ctl.enc.yaml", enc.stdout.replace(/recipient: (age1[a-z0-9]+)/, `recipient: "evil${injected} $1"`));
    write("empty-keys.txt", "");
    const r = await hush(["decrypt", "ctl.enc.yaml"], { env: { SOPS_AGE_KEY_FILE: join(dir.path, "empty-keys.txt") } });
    expectRefused(r, /recipient|identity|key/i);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});

