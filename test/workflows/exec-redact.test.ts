import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, startHush, type KeyedDir } from "./helpers.ts";

/**
 * `exec-env FILE... -- PROGRAM ARGS` (no shell, several files) and `--redact`: a child that
 * prints every secret it was given (whole, byte by byte, split across writes, on stdout and
 * stderr) shows none of them.
 */

const A_TOKEN = "tok-3f9a2c71-alpha";
const B_PASSWORD = "p@ss w0rd;$(echo)";
const B_NESTED = "nested-77d1";
const SHORT = "zq";
const PEM_LINES = ["-----BEGIN PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "bKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "-----END PRIVATE KEY-----"];
const PEM = PEM_LINES.join("\n");
const UNICODE = "cl\u00e9-s\u00e9cr\u00e8te-\u00fc\u00f1\u00ee";

/** Prints PEM and UNICODE the ways programs log configuration: JSON, URLs, base64, line by line. */
const ENCODER = `
const pem = process.env.PEM, uni = process.env.UNICODE, tok = process.env.A_TOKEN;
const ascii = (s) => JSON.stringify(s).replace(/[^\\x00-\\x7f]/g, (c) => "\\\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
console.log("json " + JSON.stringify({ pem, uni, tok }));
console.log("python-json " + ascii(pem) + " " + ascii(uni));
console.log("url https://api.example/?t=" + encodeURIComponent(tok + " " + uni) + "&" + new URLSearchParams({ k: pem }));
for (const prefix of ["", "x", "xy"]) {
  console.log("b64 " + Buffer.from(prefix + tok).toString("base64") + " " + Buffer.from(prefix + pem).toString("base64url"));
}
console.log("basic " + Buffer.from("user:" + tok).toString("base64"));
for (const line of pem.split("\\n")) console.error("2026-12-05T00:00:00Z INFO key: " + line);
process.stdout.write(pem.replace(/\\n/g, "\\r\\n") + "\\r\\n");
console.log("nfd " + uni.normalize("NFD"));
`;

/** Prints every variable named in argv, in several ways. */
const PRINTER = `
const { writeSync } = require("node:fs");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  for (const name of process.argv.slice(2)) {
    const v = process.env[name] ?? "";
    console.log(name + "=" + v);
    console.error("stderr " + name + "=" + v);
    for (const byte of Buffer.from(v)) {
      writeSync(1, Buffer.from([byte]));
      await sleep(2);
    }
    writeSync(1, "\\n");
    const half = Math.floor(v.length / 2);
    writeSync(2, "split:" + v.slice(0, half));
    await sleep(30);
    writeSync(2, v.slice(half) + ":end\\n");
  }
  process.exitCode = 5;
})();
`;

/** Values whose spellings differ from encoder to encoder: `/`, `+`, `&`, `<`, quotes, a space, non-ASCII. */
const SPELLED = {
  API_SECRET: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  DB_URL: "postgres://app:Sup3rS3cret@db.internal/app?sslmode=require&password=Sup3rS3cret",
  SPECIAL: "s3cr&t<v>/\u00fc+k=e y'z",
  WINDOWS: 'C:\\Users\\ci\\"token"',
};

/**
 * Prints SPELLED the ways common encoders do: GNU `base64` (wrapped at 76 columns), PEM-style
 * base64 at 64 columns with `\r\n`, Go's and Gson's HTML-safe JSON, PHP's `\/`, Python's
 * `urllib.parse.quote` (keeps `/`), form encoding, lower-case percent-escapes, Python's `repr`,
 * and a `bash -x` trace.
 */
const SPELLINGS_ENCODER = `
const { execFileSync } = require("node:child_process");
const { API_SECRET: api, DB_URL: db, SPECIAL: sp, WINDOWS: win } = process.env;
const u = (c) => "\\\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
for (const prefix of ["", "x", "xy"]) {
  process.stdout.write(execFileSync("base64", { input: prefix + api }));
  console.log(Buffer.from(prefix + api).toString("base64").match(/.{1,64}/g).join("\\r\\n"));
}
console.log("go " + JSON.stringify({ db, sp }).replace(/[&<>\\u2028\\u2029]/g, u));
console.log("gson " + JSON.stringify({ sp }).replace(/[&<>=']/g, u));
console.log("php " + JSON.stringify({ api, sp }).replace(/[^\\x00-\\x7f]/g, u).replace(/\\//g, "\\\\/"));
console.log("quote " + encodeURIComponent(api).replace(/%2F/g, "/"));
console.log("form " + new URLSearchParams({ sp }));
console.log("lower " + encodeURIComponent(api).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
console.log("repr {'t': '" + win.replace(/\\\\/g, "\\\\\\\\") + "'}");
execFileSync("bash", ["-xc", 'true "$SPECIAL"'], { stdio: "inherit" });
`;

describe("hush exec-env -- PROGRAM, several files, --redact", () => {
  let k: KeyedDir;
  let a: string;
  let b: string;
  let printer: string;
  beforeAll(() => {
    k = keyedDir();
    a = encryptFile(k, "a.env", `A_TOKEN=${A_TOKEN}\nSHARED=from-a\nSHORT=${SHORT}\n`);
    b = encryptFile(k, "b.yaml", `B_PASSWORD: '${B_PASSWORD}'\nSHARED: from-b\nPUBLIC_unencrypted: visible-value\ndb:\n    nested: ${B_NESTED}\n`);
    printer = k.path("app.cjs");
    writeFileSync(printer, PRINTER);
  });
  afterAll(() => k.cleanup());

  const NAMES = ["A_TOKEN", "B_PASSWORD", "db__nested", "SHORT"];
  const SECRETS = [A_TOKEN, B_PASSWORD, B_NESTED, SHORT];

  it("without --redact the child gets every value (later files win) and prints them: the control", () => {
    const r = k.hush(["exec-env", "--flatten", a, b, "--", process.execPath, printer, ...NAMES, "SHARED"]);
    expect(r.status).toBe(5);
    for (const s of SECRETS) expect(r.stdout).toContain(s);
    expect(r.stdout).toContain("SHARED=from-b\n");
  });

  it("--redact: no secret appears in stdout or stderr, whole, byte by byte or split across writes", () => {
    const r = k.hush(["exec-env", "--redact", "--flatten", a, b, "--", process.execPath, printer, ...NAMES, "PUBLIC_unencrypted"]);
    expect(r.status).toBe(5);
    for (const s of SECRETS) {
      expect(r.stdout).not.toContain(s);
      expect(r.stderr).not.toContain(s);
    }
    expect(r.stdout).toContain("A_TOKEN=[redacted]\n[redacted]\n");
    expect(r.stdout).toContain("db__nested=[redacted]\n");
    expect(r.stderr).toContain("split:[redacted]:end\n");
    expect(r.stderr).toContain("stderr B_PASSWORD=[redacted]\n");
    // A value left in clear in the file is not a secret: anyone can read it in the repository.
    expect(r.stdout).toContain("PUBLIC_unencrypted=visible-value\n");
  });

  it("--redact masks a secret printed JSON-escaped, URL-encoded, in base64, line by line or in another Unicode form", () => {
    const c = encryptFile(k, "c.yaml", `PEM: ${JSON.stringify(PEM)}\nUNICODE: ${UNICODE}\n`);
    const encoder = k.path("encoder.cjs");
    writeFileSync(encoder, ENCODER);
    const plain = k.hush(["exec-env", a, c, "--", process.execPath, encoder]);
    expect(plain.status).toBe(0);
    const r = k.hush(["exec-env", "--redact", a, c, "--", process.execPath, encoder]);
    expect(r.stderr).toBe("2026-12-05T00:00:00Z INFO key: [redacted]\n".repeat(PEM_LINES.length));
    expect(r.status).toBe(0);
    const out = r.stdout + r.stderr;
    // Without --redact each spelling is there (the control); with it, none is.
    const spellings = [
      JSON.stringify(PEM).slice(1, -1),
      JSON.stringify(UNICODE).slice(1, -1),
      "\\u00e9-s\\u00e9cr\\u00e8te",
      encodeURIComponent(A_TOKEN),
      encodeURIComponent(UNICODE),
      new URLSearchParams({ k: PEM }).toString().slice(2),
      ...PEM_LINES.slice(1, 3),
      UNICODE.normalize("NFD"),
    ];
    for (const prefix of ["", "x", "xy"]) {
      spellings.push(Buffer.from(prefix + A_TOKEN).toString("base64").slice(4, -4), Buffer.from(prefix + PEM).toString("base64url").slice(4, -4));
    }
    spellings.push(Buffer.from(`user:${A_TOKEN}`).toString("base64").slice(8, -4));
    for (const s of spellings) expect(plain.stdout + plain.stderr).toContain(s);
    for (const s of [...spellings, A_TOKEN, PEM, UNICODE]) expect(out).not.toContain(s);
  });

  it("--redact masks the spellings of common encoders: wrapped base64, HTML-safe and slash-escaped JSON, percent-encoding variants, Python repr, a bash trace", () => {
    const d = encryptFile(
      k,
      "d.yaml",
      Object.entries(SPELLED)
        .map(([name, v]) => `${name}: ${JSON.stringify(v)}\n`)
        .join(""),
    );
    const encoder = k.path("spellings.cjs");
    writeFileSync(encoder, SPELLINGS_ENCODER);
    const plain = k.hush(["exec-env", d, "--", process.execPath, encoder]);
    expect(plain.status, plain.stderr).toBe(0);
    const r = k.hush(["exec-env", "--redact", d, "--", process.execPath, encoder]);
    expect(r.status, r.stderr).toBe(0);
    const { API_SECRET, DB_URL, SPECIAL, WINDOWS } = SPELLED;
    const html = (t: string) => t.replace(/[&<>\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const ascii = (t: string) => t.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const json = (t: string) => JSON.stringify(t).slice(1, -1);
    const spellings = [
      html(json(DB_URL)),
      html(json(SPECIAL)),
      html(json(SPECIAL)).replace(/=/g, "\\u003d").replace(/'/g, "\\u0027"),
      json(API_SECRET).replaceAll("/", "\\/"),
      ascii(json(SPECIAL)).replaceAll("/", "\\/"),
      encodeURIComponent(API_SECRET).replaceAll("%2F", "/"),
      encodeURIComponent(SPECIAL).replace(/%20/g, "+").replace(/'/g, "%27"),
      encodeURIComponent(API_SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      "C:\\\\Users\\\\ci\\\\\"token\"",
      `'${SPECIAL.replaceAll("'", "'\\''")}'`,
    ];
    const out = r.stdout + r.stderr;
    const control = plain.stdout + plain.stderr;
    for (const s of spellings) expect(control, s).toContain(s);
    expect(spellings.filter((s) => out.includes(s))).toEqual([]);
    expect(out).not.toContain(WINDOWS);
    // Wrapped base64 (GNU base64 at 76 columns, PEM at 64 with \r\n, shifted by a prefix): no run
    // of 12 characters of the secret's base64 shows, whatever the line breaks.
    for (const prefix of ["", "x", "xy"]) {
      const b64 = Buffer.from(prefix + API_SECRET).toString("base64");
      expect(control.replace(/\r?\n/g, "")).toContain(b64);
      const joined = out.replace(/\r?\n/g, "");
      const shown = [];
      for (let i = 4; i + 12 <= b64.length - 4; i++) if (joined.includes(b64.slice(i, i + 12))) shown.push(b64.slice(i, i + 12));
      expect(shown, prefix).toEqual([]);
    }
    expect(control).toContain("\r\n");
  });

  it("runs the program without a shell: arguments are passed as they are", () => {
    const r = k.hush(["exec-env", a, "--", process.execPath, "-e", "console.log(JSON.stringify(process.argv.slice(1)))", "$A_TOKEN", "a b;echo x", "*"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["$A_TOKEN", "a b;echo x", "*"]);
  });

  it("passes standard input through to the program when redacting", () => {
    const r = k.hush(["exec-env", "--redact", a, "--", process.execPath, "-e", "process.stdin.pipe(process.stdout)"], { input: `echo ${A_TOKEN} back\n` });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("echo [redacted] back\n");
  });

  it("--redact: a program that writes to /dev/stdout or /dev/stderr by name (tee, a log file setting, > /dev/stderr) is masked there, as it works without --redact", () => {
    const script = 'echo "out $A_TOKEN" > /dev/stdout && echo "err $A_TOKEN" | tee /dev/stderr > /dev/null && exit 4';
    const r = k.hush(["exec-env", "--redact", a, "--", "sh", "-c", script]);
    expect(r.stderr).toBe("err [redacted]\n");
    expect(r.stdout).toBe("out [redacted]\n");
    expect(r.status).toBe(4);
    const file = k.hush(["exec-file", "--redact", a, "--", "sh", "-c", 'cat "$1" | tee /dev/stderr > /dev/stdout', "sh", "{}"]);
    expect(file.stdout).toBe("A_TOKEN=[redacted]\nSHARED=[redacted]\nSHORT=[redacted]\n");
    expect(file.stderr).toBe(file.stdout);
    expect(file.status).toBe(0);
  });

  it("passes a signal to the redacted program and returns 128 + its number", async () => {
    const run = startHush(["exec-env", "--redact", a, "--", process.execPath, "-e", "console.log('ready ' + process.env.A_TOKEN); setInterval(() => {}, 1000)"], { cwd: k.dir, env: k.env });
    await new Promise<void>((resolve) => {
      run.child.stdout?.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) resolve();
      });
    });
    run.child.kill("SIGTERM");
    const done = await run.done;
    expect(done.code).toBe(143);
    expect(done.stdout).toBe("ready [redacted]\n");
  });

  /**
   * Runs hush on a terminal of its own (`script`), as in an interactive shell or an agent that
   * drives a terminal; `keys` is typed once the program prints "ready". Returns what the terminal showed.
   */
  async function onTerminal(hushArgs: readonly string[], keys: string): Promise<string> {
    if (spawnSync("script", ["--version"]).error !== undefined) throw new Error("this test needs `script` (util-linux: apt-get install util-linux / bsdutils) to give hush a terminal");
    const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
    // The shell around hush ignores SIGINT so that it lives to print hush's status.
    const line = `trap '' INT; ${[process.execPath, CLI_JS, ...hushArgs].map(quote).join(" ")}; echo "hush-status=$?"`;
    const term = spawn("script", ["-qec", line, "/dev/null"], { cwd: k.dir, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", SHELL: "/bin/sh", ...k.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let typed = false;
    term.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready") && !typed) {
        typed = true;
        setTimeout(() => term.stdin.write(keys), 200);
      }
    });
    await new Promise((resolve) => term.on("close", resolve));
    return out;
  }

  const SIGINT_COUNTER = 'let n = 0;\nprocess.on("SIGINT", () => { if (++n === 1) setTimeout(() => { console.log(`SIGINT received ${n} time(s)`); process.exit(0); }, 1500); });\nconsole.log("ready");\nsetInterval(() => {}, 1000);\n';

  it("Ctrl+C in a terminal reaches the program once: hush does not send it a second SIGINT (force quit for terraform, docker compose)", async () => {
    const counter = k.path("count-sigint.cjs");
    writeFileSync(counter, SIGINT_COUNTER);
    for (const redact of [[], ["--redact"]]) {
      // \x03 typed on a terminal is Ctrl+C.
      const out = await onTerminal(["exec-env", ...redact, a, "--", process.execPath, counter], "\x03");
      expect(out).toContain("SIGINT received 1 time(s)");
      expect(out).toContain("hush-status=0");
    }
  });

  it("--redact: a program cannot write a secret to the terminal through /dev/tty or its standard input", async () => {
    const writer = k.path("tty-writer.cjs");
    writeFileSync(
      writer,
      'const fs = require("fs");\ntry { fs.writeSync(fs.openSync("/dev/tty", "w"), "tty: " + process.env.A_TOKEN + "\\n"); } catch (e) { console.log("no terminal: " + e.code); }\n' +
        'console.log("stdin is a terminal: " + require("tty").isatty(0));\ntry { fs.writeSync(0, "fd0: " + process.env.A_TOKEN + "\\n"); } catch (e) { console.log("stdin not writable: " + e.code); }\nconsole.log("done");\n',
    );
    const plain = await onTerminal(["exec-env", a, "--", process.execPath, writer], "");
    expect(plain).toContain(`tty: ${A_TOKEN}`);
    expect(plain).toContain(`fd0: ${A_TOKEN}`);
    const out = await onTerminal(["exec-env", "--redact", a, "--", process.execPath, writer], "");
    expect(out).toContain("no terminal: ENXIO");
    expect(out).toContain("stdin is a terminal: false");
    expect(out).toContain("hush-status=0");
    expect(out).not.toContain(A_TOKEN);
  });

  it("--redact on a terminal: a program that reads /dev/stdin by name gets what is typed, as it does without --redact", async () => {
    const reader = 'echo ready; line=$(head -n 1 /dev/stdin) && echo "got: $line"';
    for (const redact of [[], ["--redact"]]) {
      const out = await onTerminal(["exec-env", ...redact, a, "--", "sh", "-c", reader], "typed-line\r");
      expect(out, redact.join(" ")).toContain("got: typed-line");
      expect(out).toContain("hush-status=0");
    }
  });

  it("--redact on a terminal: typing while the program has closed its standard input is dropped, not a crash that loses its output and status", async () => {
    // hush passes the terminal's input on through a pipe, whose reader the program closed.
    const closesStdin = 'exec 0<&-; echo ready; sleep 1; echo "done $A_TOKEN"; if [ -n "$1" ]; then cat "$1"; fi; exit 7';
    for (const [run, shown] of [
      [["exec-env", "--redact", a, "--", "sh", "-c", closesStdin], "done [redacted]"],
      [["exec-file", "--redact", a, "--", "sh", "-c", closesStdin, "sh", "{}"], "A_TOKEN=[redacted]"],
    ] as const) {
      const out = await onTerminal(run, "typed ahead\r");
      expect(out, run[0]).toContain(shown);
      expect(out, run[0]).toContain("hush-status=7");
      expect(out, run[0]).not.toContain("EPIPE");
      expect(out, run[0]).not.toContain(A_TOKEN);
    }
  });

  it("keeps SOPS's one-string form (through /bin/sh) and its argument rule", () => {
    const r = k.hush(["exec-env", "--redact", a, 'printf "%s|%s" "$0" "$A_TOKEN"']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("/bin/sh|[redacted]");
    expect(k.hush(["exec-env", a, b, "true"]).status).toBe(1);
  });

  it("applies the variable policy to every file, naming the one that sets it", () => {
    const evil = encryptFile(k, "evil.yaml", "NODE_OPTIONS: --require ./x.js\n");
    const r = k.hush(["exec-env", a, evil, "--", process.execPath, "-e", "0"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/evil\.yaml: not running the command: the file sets NODE_OPTIONS/);
    // A later file's empty value may not blank an earlier file's secret.
    const blank = encryptFile(k, "blank.env", "A_TOKEN=\n");
    const blanked = k.hush(["exec-env", a, blank, "--", process.execPath, "-e", "0"]);
    expect(blanked.status).toBe(1);
    expect(blanked.stderr).toMatch(/blank\.env: not running the command: the file sets A_TOKEN \(would replace your own value/);
  });

  it("--flatten names nested values by path; without it nested values are refused as in SOPS", () => {
    const r = k.hush(["exec-env", "--flatten-separator", "_", b, "--", process.execPath, "-e", "console.log(process.env.db_nested)"]);
    expect(r.stdout).toBe(`${B_NESTED}\n`);
    const refused = k.hush(["exec-env", b, "--", process.execPath, "-e", "0"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/b\.yaml: cannot use complex value in environment; offending key db \(use --flatten/);
  });

  it("--redact masks a first document's secret although a later document leaves the same key empty", () => {
    // exec-env reads the first document; the empty value at the same path in the second one is
    // not bound to its key, but says nothing about the first document's encrypted value.
    const stream = encryptFile(k, "stream-env.yaml", "PASSWORD: hunter2secret-e1\n---\nPASSWORD: \"\"\n");
    const r = k.hush(["exec-env", "--redact", stream, "--", "sh", "-c", 'echo "$PASSWORD"']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("[redacted]\n");
    expect(r.stderr).not.toContain("hunter2secret-e1");
  });

  it("reads a file from standard input with -", () => {
    const r = k.hush(["exec-env", "--input-type", "dotenv", "-", "--", process.execPath, "-e", "console.log(process.env.A_TOKEN)"], { input: readFileSync(a, "utf8") });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${A_TOKEN}\n`);
  });
});

describe("hush exec-file --redact masks each value as the file it writes spells it", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  /** `cat`s the file exec-file writes, redacted; the output with `[redacted]` where values were. */
  function catRedacted(name: string, plain: string, options: string[] = []): string {
    const f = encryptFile(k, name, plain);
    const r = k.hush(["exec-file", "--redact", ...options, f, "--", "cat", "{}"]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  }

  it("a TOML integer in hex, and control characters and a tab as TOML and YAML escape them", () => {
    const toml = catRedacted("spelled.toml", 'I = 0x1F2E3D\nC = "esc\\u001Bseq-tail-91"\nT = """\nfirst line\n\tsecond-line-92"""\n');
    expect(toml).toBe("I = [redacted]\nC = [redacted]\nT = [redacted]\n");
    const yaml = catRedacted("spelled.yaml", 'c: "esc\\eseq-tail-93"\nt: "first line\n  \\tsecond-line-94"\n');
    expect(yaml).toBe("c: [redacted]\nt: [redacted]\n");
  });

  it("a value in a later document of a YAML stream", () => {
    expect(catRedacted("stream.yaml", "a: first-doc-value-95\n---\ne: second-doc-secret-96\n")).toBe("a: [redacted]\n---\ne: [redacted]\n");
  });

  it("a value in one document of a YAML stream, although another document leaves the same path empty or null", () => {
    const out = catRedacted("stream-blank.yaml", 'password: ""\ntoken: null\n---\npassword: hunter2secret-f1\ntoken: tok-secret-f2\n');
    expect(out).not.toMatch(/hunter2secret-f1|tok-secret-f2/);
    expect(out).toBe('password: ""\ntoken: null\n---\npassword: [redacted]\ntoken: [redacted]\n');
  });

  it("a binary file's text that is not ASCII, whole or a line of it, as exec-env masks it", () => {
    const text = "cl\u00e9-secr\u00e8te-ligne-un\nsecond-line-\u00fc\u00f1\u00ee-f3\n";
    const f = k.path("note.bin");
    writeFileSync(f, text);
    const enc = k.hush(["encrypt", "-i", "--input-type", "binary", "--age", k.recipient, f]);
    expect(enc.status, enc.stderr).toBe(0);
    const control = k.hush(["exec-file", "--input-type", "binary", f, "--", "cat", "{}"]);
    expect(control.stdout).toBe(text);
    for (const print of ["cat", "head -1", "tail -1"]) {
      const r = k.hush(["exec-file", "--redact", "--input-type", "binary", f, "--", "sh", "-c", `${print} "$1"`, "sh", "{}"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, print).toBe(print === "cat" ? "[redacted]" : "[redacted]\n");
    }
    const env = k.hush(["exec-env", "--redact", "--input-type", "binary", f, "--", "printenv", "data"]);
    expect(env.stdout).toBe("[redacted]\n");
  });

  it("a dotenv value as the file's readers take it: without an inline comment or the blanks before it, its escapes read", () => {
    const f = encryptFile(k, "sourced.env", String.raw`TOKEN=tok-inline-f4 # rotated monthly
PADDED=  padded-f5
ESCAPED="line-f6\nline-f7"
`);
    // Node's own dotenv reader, as an application reads the file, printing each value.
    const reader = 'const v = require("node:util").parseEnv(require("node:fs").readFileSync(process.argv[1], "utf8")); for (const k of ["TOKEN", "PADDED", "ESCAPED"]) console.log(v[k]);';
    const control = k.hush(["exec-file", f, "--", process.execPath, "-e", reader, "{}"]);
    expect(control.stdout).toBe("tok-inline-f4\npadded-f5\nline-f6\nline-f7\n");
    const r = k.hush(["exec-file", "--redact", f, "--", process.execPath, "-e", reader, "{}"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/f4|f5|f6|f7/);
    // A shell that sources the file takes the value before the comment.
    const sourced = k.hush(["exec-file", "--redact", "--no-fifo", f, "--", "sh", "-c", '. "$1"; echo "$TOKEN"', "sh", "{}"]);
    expect(sourced.stdout).toBe("[redacted]\n");
  });

  it("a value that --output-type writes in another spelling (1.50e3 as dotenv's 1500.0)", () => {
    const out = catRedacted("number.yaml", "f: 1.50e3\nh: 0x1F\n", ["--output-type", "dotenv"]);
    expect(out).not.toMatch(/1500|31/);
    expect(out).toBe("f=[redacted]\nh=[redacted]\n");
  });
});
