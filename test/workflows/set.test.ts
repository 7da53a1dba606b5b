import { chmodSync, copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHush } from "@hush/testkit";
import { bigYaml, changedLines, encryptFile, keyedDir, nextSecond, startHush, type KeyedDir } from "./helpers.ts";

describe("hush set and unset", () => {
  let k: KeyedDir;
  let base: string;
  let baseText: string;
  beforeAll(async () => {
    k = keyedDir();
    base = encryptFile(k, "big.yaml", bigYaml());
    baseText = readFileSync(base, "utf8");
    await nextSecond();
  });
  afterAll(() => k.cleanup());

  const copy = (name: string): string => {
    const f = k.path(name);
    copyFileSync(base, f);
    return f;
  };

  it("changing one of 1,000 values changes exactly the value, mac and lastmodified lines", async () => {
    const f = copy("one.yaml");
    const r = k.hush(["set", f, '["section5"]["key50"]', '"changed"']);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
    const after = readFileSync(f, "utf8");
    const lines = changedLines(baseText, after).map((n) => after.split("\n")[n - 1]!);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {4}key50: ENC\[.*type:str\]$/);
    expect(lines[1]).toMatch(/^ {4}lastmodified: /);
    expect(lines[2]).toMatch(/^ {4}mac: ENC\[/);
    expect(await k.decrypt(f)).toBe(bigYaml().replace("value-5-50\n", "changed\n"));
  });

  it("a new key is inserted at the end of its map, a removed key's lines go; nothing else changes", async () => {
    const f = copy("struct.yaml");
    expect(k.hush(["set", f, '["section2"]["extra"]', '{"user": "u", "ports": [80, 443]}']).status).toBe(0);
    const plain = await k.decrypt(f);
    expect(plain).toBe(bigYaml().replace("    key99: value-2-99\n", "    key99: value-2-99\n    extra:\n        user: u\n        ports:\n            - 80\n            - 443\n"));
    expect(k.hush(["unset", f, '["section2"]["extra"]']).status).toBe(0);
    const after = readFileSync(f, "utf8");
    expect(changedLines(baseText, after)).toHaveLength(2);
    expect(await k.decrypt(f)).toBe(bigYaml());
  });

  it("a dotenv key written `export A=` or `A = v` is changed and removed in place: comments and the other lines stay", async () => {
    const plain = "# database\nDB_PORT = 5432\nexport API_KEY=sk-1\n# trailing note\nOTHER=x\n";
    const f = encryptFile(k, "keys.env", plain);
    expect(k.hush(["set", f, '["DB_PORT"]', '"5433"']).status).toBe(0);
    expect(await k.decrypt(f, "dotenv")).toBe("# database\nDB_PORT =5433\nexport API_KEY=sk-1\n# trailing note\nOTHER=x\n");
    expect(k.hush(["unset", f, '["API_KEY"]']).status).toBe(0);
    expect(await k.decrypt(f, "dotenv")).toBe("# database\nDB_PORT =5433\n# trailing note\nOTHER=x\n");
  });

  it("unset of a list item and of a missing path", async () => {
    const f = encryptFile(k, "list.yaml", "a:\n    - x\n    - y\n    - z\nb: 1 # note\n");
    expect(k.hush(["unset", f, '["a"][1]']).status).toBe(0);
    expect(await k.decrypt(f)).toBe("a:\n    - x\n    - z\nb: 1 # note\n");
    const before = readFileSync(f);
    const missing = k.hush(["unset", f, '["nope"]']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`hush: ${f}: Key not found: ["nope"]\n  next: nothing was changed; pass --idempotent to succeed when the key is already absent\n`);
    const out = k.hush(["unset", f, '["a"][7]']);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/Index 7 out of bounds/);
    expect(readFileSync(f).equals(before)).toBe(true);
    const idem = k.hush(["unset", "--idempotent", f, '["nope"]']);
    expect(idem.status).toBe(0);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it("values are JSON: strings, numbers (ints stay int), booleans, null, objects, arrays", async () => {
    const f = encryptFile(k, "types.yaml", "s: x\n");
    for (const [p, v] of [
      ['["i"]', "5432"],
      ['["f"]', "1.5"],
      ['["b"]', "true"],
      ['["nil"]', "null"],
      ['["q"]', '"5432"'],
      ['["o"]["deep"][0]', '{"k": "v"}'],
    ] as const) {
      const r = k.hush(["set", f, p, v]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    expect(await k.decrypt(f)).toBe('s: x\ni: 5432\nf: 1.5\nb: true\nnil: null\nq: "5432"\no:\n    deep:\n        - k: v\n');
    const enc = readFileSync(f, "utf8");
    expect(enc).toMatch(/^i: ENC\[.*type:int\]$/m);
    expect(enc).toMatch(/^f: ENC\[.*type:float\]$/m);
    expect(enc).toMatch(/^b: ENC\[.*type:bool\]$/m);
    expect(enc).toMatch(/^nil: null$/m);
  });

  it("JSON files keep their layout", async () => {
    const f = k.path("c.json");
    writeFileSync(f, '{\n\t"a": "x",\n\t"list": [\n\t\t1\n\t]\n}\n');
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    expect(k.hush(["set", f, '["list"][5]', "2"]).status).toBe(0);
    expect(k.hush(["set", f, '["new"]', '{"k": [true]}']).status).toBe(0);
    expect(k.hush(["unset", f, '["a"]']).status).toBe(0);
    expect(await k.decrypt(f, "json")).toBe('{\n\t"list": [\n\t\t1,\n\t\t2\n\t],\n\t"new": {\n\t\t"k": [\n\t\t\ttrue\n\t\t]\n\t}\n}\n');
  });

  it("--value-file and --value-stdin keep the value off the command line", async () => {
    const f = encryptFile(k, "vf.yaml", "a: 1\n");
    const vf = k.path("value.json");
    writeFileSync(vf, '"from a file"\n');
    expect(k.hush(["set", "--value-file", f, '["a"]', vf]).status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: from a file\n");
    const r = k.hush(["set", "--value-stdin", f, '["b"]'], { input: '{"x": 1}' });
    expect(r.status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: from a file\nb:\n    x: 1\n");
  });

  it.each([
    ["set", "{file}", '["a"]', '"hunter2-in-argv"'],
    ["--set", '["a"] "hunter2-in-argv"', "{file}"],
  ])("a value on the command line (%s) leaves the process list while hush waits (here for another writer's lock)", async (...args: string[]) => {
    const f = encryptFile(k, "title.yaml", "a: 1\n");
    const before = readFileSync(f);
    writeFileSync(k.path(".title.yaml.hush-lock"), `${process.pid} ${hostname()}\n`);
    const run = startHush(args.map((a) => a.replace("{file}", f)), { cwd: k.dir, env: { ...k.env, HUSH_LOCK_TIMEOUT: "20" } });
    const cmdline = (): string => readFileSync(`/proc/${run.child.pid}/cmdline`, "latin1").replace(/\0+/g, " ").trim();
    // Until hush has started, the command line is the one it was started with, value included.
    let shown = cmdline();
    for (let waited = 0; waited < 5_000 && !shown.startsWith("hush"); waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      shown = cmdline();
    }
    run.child.kill("SIGTERM");
    await run.done;
    rmSync(k.path(".title.yaml.hush-lock"), { force: true });
    expect(shown).toBe(args[0] === "set" ? "hush set" : "hush --set");
    expect(readFileSync(f)).toEqual(before);
  });

  it("bad input: clear error, exit code as SOPS, the file unchanged", () => {
    const f = encryptFile(k, "bad.yaml", "a: 1\nl:\n    - 1\n");
    const before = readFileSync(f);
    const latin1Value = k.path("latin1.json");
    writeFileSync(latin1Value, Buffer.from('"caf\u00e9"', "latin1"));
    const cases: Array<[string[], number, RegExp]> = [
      [["set", f, '["a"', '"x"'], 7, /invalid path/],
      [["set", f, '["a"]', "not json"], 7, /invalid value: it must be a JSON value/],
      [["set", f, '["a"]', '1, "b": 2'], 7, /invalid value/],
      [["set", f, '["a"]'], 100, /set takes FILE PATH VALUE/],
      [["set", f, '["l"]["k"]', "1"], 7, /needs a map, but \["l"\] is a list/],
      [["set", "--value-file", f, '["a"]', k.path("missing.json")], 2, /^hush: cannot read value file .*missing\.json: no such file; nothing was changed\n$/],
      [["set", "--value-file", f, '["a"]', k.dir], 2, /^hush: cannot read value file .*: is a directory; nothing was changed\n$/],
      [["set", "--value-file", "--value-stdin", f, '["a"]'], 8, /cannot be used together/],
      // Read as UTF-8, the Latin-1 byte would have been stored as U+FFFD.
      [["set", "--value-file", f, '["a"]', latin1Value], 2, /^hush: value file .*latin1\.json: line 1: not valid UTF-8 \(a value is JSON text; give bytes as a base64 string\); nothing was changed\n$/],
      [["unset", f], 100, /unset takes FILE PATH/],
      [["set", k.path("nofile.yaml"), '["a"]', "1"], 100, /no such file/],
    ];
    for (const [args, code, msg] of cases) {
      const r = k.hush(args);
      expect(r.status, args.join(" ")).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toContain("not json");
      expect(readFileSync(f).equals(before)).toBe(true);
    }
    const names = readdirSync(k.dir);
    expect(names.filter((n) => n.includes("hush-lock") || n.endsWith(".tmp"))).toEqual([]);
  });

  it("--value-file of a link to /dev/zero or /proc/self/pagemap (a repository can commit one) is refused at once, the file unchanged", () => {
    const f = encryptFile(k, "endless.yaml", "a: 1\n");
    const before = readFileSync(f);
    for (const target of ["/dev/zero", "/proc/self/pagemap"]) {
      const link = k.path(`endless-${target.split("/").pop()!}.pem`);
      symlinkSync(target, link);
      const started = Date.now();
      const r = runHush(["set", "--value-file", f, '["a"]', link], { cwd: k.dir, env: k.env, timeoutMs: 20_000 });
      expect(Date.now() - started, target).toBeLessThan(10_000);
      expect(r.status, `${target}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^hush: cannot read value file ${link.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a regular file \\(a (device or socket|file that holds more than its size says, such as /proc/self/pagemap)\\); nothing was changed\n$`));
      expect(readFileSync(f).equals(before)).toBe(true);
    }
  });

  it("the note that a file was rewritten from its values escapes the file's name", () => {
    const name = "named\u001b]0;x\u0007.bin";
    writeFileSync(k.path(name), "binary secret");
    expect(k.hush(["encrypt", "-i", "--input-type", "binary", "--age", k.recipient, name]).status).toBe(0);
    // A key the binary format does not write in place: the file is emitted from its values.
    const r = k.hush(["set", "--input-type", "binary", name, '["other"]', '"new secret"']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("hush: note: named\\x1b]0;x\\x07.bin was rewritten from its values; its comments and layout were not kept\n");
  });

  it("a top-level sops key is refused by name (exit 203), with no note of a rewrite that never happened", () => {
    const f = encryptFile(k, "reserved.yaml", "a: 1\n");
    const before = readFileSync(f);
    const r = k.hush(["set", f, '["sops"]', "1"]);
    expect(r.stderr).toBe(`hush: ${f}: cannot set ["sops"]: a top-level "sops" key (or "sops_" keys in dotenv/INI) is not allowed: hush writes the metadata itself\n`);
    expect(r.status).toBe(203);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it("--idempotent writes nothing when the value is already there", () => {
    const f = encryptFile(k, "idem.yaml", "a: x\n");
    const before = readFileSync(f);
    expect(k.hush(["set", "--idempotent", f, '["a"]', '"x"']).status).toBe(0);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it("keeps the file's mode", () => {
    const f = copy("mode.yaml");
    chmodSync(f, 0o600);
    expect(k.hush(["set", f, '["section0"]["key0"]', '"m"']).status).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it("a symlink is refused (its target untouched), and CRLF files keep CRLF", async () => {
    const target = encryptFile(k, "target.yaml", "a: 1\r\nb: 2\r\n");
    const link = k.path("link.yaml");
    symlinkSync(target, link);
    const before = readFileSync(target);
    const refused = k.hush(["set", link, '["c"]', "3"]);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain(`${link} is a symbolic link (to ${target}); hush does not write through links`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(k.hush(["set", target, '["c"]', "3"]).status).toBe(0);
    expect(await k.decrypt(target)).toBe("a: 1\r\nb: 2\r\nc: 3\r\n");
  });

  it("two hush set on one file at once: no update is lost", async () => {
    const f = encryptFile(k, "race.yaml", "start: 0\n");
    const runs = Array.from({ length: 6 }, (_, i) => startHush(["set", f, `["k${i}"]`, String(i)], { cwd: k.dir, env: k.env }));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const plain = await k.decrypt(f);
    for (let i = 0; i < 6; i++) expect(plain).toContain(`k${i}: ${i}\n`);
    expect(existsSync(k.path(".race.yaml.hush-lock"))).toBe(false);
  });

  it("a live lock is waited for and then refused with a clear message", () => {
    const f = encryptFile(k, "locked.yaml", "a: 1\n");
    // A lock held by this (living) test process.
    writeFileSync(k.path(".locked.yaml.hush-lock"), `${process.pid} ${hostname()}\n`);
    const before = readFileSync(f);
    const started = Date.now();
    const r = k.hush(["set", f, '["a"]', "2"], { env: { HUSH_LOCK_TIMEOUT: "0.3" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`locked\\.yaml is being changed by another hush process \\(pid ${process.pid}\\)`));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readFileSync(f).equals(before)).toBe(true);
  });

  it("rotate, updatekeys and groups wait for a live lock only as long as HUSH_LOCK_TIMEOUT says, as set does", () => {
    const f = encryptFile(k, "locked-rekey.yaml", "a: 1\n");
    // updatekeys writes only when the keys change: the rule names a second recipient.
    const second = runHush(["keygen", "-o", k.path("second-key.txt")], { cwd: k.dir });
    const other = /Public key: (age1[0-9a-z]+)/.exec(second.stderr)?.[1];
    writeFileSync(k.path("two-recipients.sops.yaml"), `creation_rules:\n  - age: ${k.recipient},${other}\n`);
    writeFileSync(k.path(".locked-rekey.yaml.hush-lock"), `${process.pid} ${hostname()}\n`);
    const before = readFileSync(f);
    for (const args of [
      ["rotate", "-i", f],
      // The file itself as --output: written without the lock, a set finishing meanwhile was undone.
      ["rotate", "--output", f, f],
      ["updatekeys", "-y", f],
      ["groups", "add", "-i", "-f", f, "--age", k.recipient],
    ]) {
      const started = Date.now();
      const r = k.hush(args, { env: { HUSH_LOCK_TIMEOUT: "0.3", SOPS_CONFIG: k.path("two-recipients.sops.yaml") } });
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr, args.join(" ")).toContain(`is being changed by another hush process (pid ${process.pid})`);
      // The default wait is 10 s.
      expect(Date.now() - started, args.join(" ")).toBeLessThan(5_000);
      expect(readFileSync(f).equals(before)).toBe(true);
    }
  });

  it("decrypt -i waits for a set that holds the lock instead of writing the plaintext of the version before it", async () => {
    const f = encryptFile(k, "decrypt-race.yaml", "a: 1\n");
    writeFileSync(k.path(".decrypt-race.yaml.hush-lock"), `${process.pid} ${hostname()}\n`);
    const before = readFileSync(f);
    const r = k.hush(["decrypt", "-i", f], { env: { HUSH_LOCK_TIMEOUT: "0.3" } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`decrypt-race.yaml is being changed by another hush process (pid ${process.pid})`);
    expect(readFileSync(f).equals(before)).toBe(true);
    rmSync(k.path(".decrypt-race.yaml.hush-lock"));
    const done = k.hush(["decrypt", "-i", f]);
    expect(done.status, done.stderr).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("a: 1\n");
    expect(existsSync(k.path(".decrypt-race.yaml.hush-lock"))).toBe(false);
  });

  it("decrypt --output naming the file itself (another spelling too) waits for a set that holds the lock, as -i does", () => {
    const f = encryptFile(k, "output-race.yaml", "a: 1\n");
    const lock = k.path(".output-race.yaml.hush-lock");
    writeFileSync(lock, `${process.pid} ${hostname()}\n`);
    const before = readFileSync(f);
    for (const output of [f, "./output-race.yaml"]) {
      const r = k.hush(["decrypt", "--output", output, f], { env: { HUSH_LOCK_TIMEOUT: "0.3" } });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`output-race.yaml is being changed by another hush process (pid ${process.pid})`);
      expect(readFileSync(f).equals(before)).toBe(true);
    }
    rmSync(lock);
    const done = k.hush(["decrypt", "--output", f, f]);
    expect(done.status, done.stderr).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("a: 1\n");
    expect(existsSync(lock)).toBe(false);
  });

  it("decrypt -i of several files holds each file's lock: a set holding one leaves every file as it was", () => {
    const a = encryptFile(k, "many-race-a.yaml", "a: 1\n");
    const b = encryptFile(k, "many-race-b.yaml", "b: 2\n");
    const lock = k.path(".many-race-b.yaml.hush-lock");
    writeFileSync(lock, `${process.pid} ${hostname()}\n`);
    const before = [readFileSync(a), readFileSync(b)];
    const r = k.hush(["decrypt", "-i", a, b], { env: { HUSH_LOCK_TIMEOUT: "0.3" } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`many-race-b.yaml is being changed by another hush process (pid ${process.pid})`);
    expect(readFileSync(a).equals(before[0]!)).toBe(true);
    expect(readFileSync(b).equals(before[1]!)).toBe(true);
    expect(existsSync(k.path(".many-race-a.yaml.hush-lock"))).toBe(false);
    rmSync(lock);
    const done = k.hush(["decrypt", "-i", a, b]);
    expect(done.status, done.stderr).toBe(0);
    expect([readFileSync(a, "utf8"), readFileSync(b, "utf8")]).toEqual(["a: 1\n", "b: 2\n"]);
    expect(readdirSync(k.dir).filter((n) => n.startsWith(".many-race"))).toEqual([]);
  });

  it("a stale lock (its process is gone) is taken over", async () => {
    const f = encryptFile(k, "stale.yaml", "a: 1\n");
    writeFileSync(k.path(".stale.yaml.hush-lock"), `999999999 ${hostname()}\n`);
    expect(k.hush(["set", f, '["a"]', "2"]).status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: 2\n");
    expect(existsSync(k.path(".stale.yaml.hush-lock"))).toBe(false);
  });

  it("a value deeper than the format is read is refused before the edit (exit 7, levels counted, file unchanged), not with a stack overflow or as the file's error", async () => {
    const deepPath = (n: number): string => Array.from({ length: n }, (_, i) => `["d${i}"]`).join("");
    const deepValue = (n: number): string => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    const files = { yaml: encryptFile(k, "deep.yaml", "a: 1\n"), json: encryptFile(k, "deep.json", '{"a": 1}\n'), toml: encryptFile(k, "deep.toml", "a = 1\n") };
    const cases: Array<[keyof typeof files, string, string, string]> = [
      // 3,000 parts overflowed the stack: "hush: Maximum call stack size exceeded", exit 1.
      ["yaml", deepPath(3000), '"v"', "a value 3000 levels deep (a key path of 3000 parts): hush reads YAML nested at most 200 levels"],
      ["json", deepPath(3000), '"v"', "a value 3000 levels deep (a key path of 3000 parts): hush reads JSON nested at most 200 levels"],
      ["toml", deepPath(3000), '"v"', "a value 3000 levels deep (a key path of 3000 parts): hush reads TOML nested at most 256 levels"],
      // 250 was refused as "deep.yaml: invalid YAML: nesting deeper than 200 levels" (exit 2), the file blamed.
      ["yaml", deepPath(201), '"v"', "a value 201 levels deep (a key path of 201 parts): hush reads YAML nested at most 200 levels"],
      ["json", deepPath(100), deepValue(150), "a value 250 levels deep (a key path of 100 parts and a value nested 150 deep): hush reads JSON nested at most 200 levels"],
      ["toml", deepPath(257), "1", "a value 257 levels deep (a key path of 257 parts): hush reads TOML nested at most 256 levels"],
    ];
    for (const [format, path, value, message] of cases) {
      const f = files[format];
      const before = readFileSync(f);
      const r = k.hush(["set", f, path, value]);
      expect(r.stderr).toBe(`hush: ${f}: cannot set ${message}\n`);
      expect(r.status).toBe(7);
      expect(readFileSync(f).equals(before)).toBe(true);
    }
    // At the limit, the value is set and reads back.
    expect(k.hush(["set", files.json, deepPath(200), '"v"']).status).toBe(0);
    expect(k.hush(["set", files.toml, deepPath(256), "1"]).status).toBe(0);
    expect(k.hush(["decrypt", files.toml]).status).toBe(0);
    expect(JSON.parse(k.hush(["decrypt", files.json]).stdout)).toHaveProperty("d0.d1.d2");
    expect(readdirSync(k.dir).filter((n) => n.includes("deep.") && n.startsWith("."))).toEqual([]);
  });
});
