import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoPath } from "@hush/testkit";
import { encryptFile, keyedDir, type KeyedDir, appUsingWorkspaceCli } from "./helpers.ts";

/**
 * The Node loader as an application uses it: a real script in a temporary directory, with
 * `@hush/cli` installed in its node_modules, run as a child process with a minimal environment.
 */

const SECRETS = {
  yaml: "yaml-secret-Zq81",
  json: "json-secret-Kp27",
  dotenv: "dotenv-secret-Wm44",
  nested: "nested-secret-Hx09",
};

describe("Node loader (@hush/cli/config and loadEnv)", () => {
  let k: KeyedDir;
  let app: string;
  let home: string;
  let emptyHome: string;
  beforeAll(() => {
    k = keyedDir();
    app = appUsingWorkspaceCli(k);
    // Default key discovery from HOME: ~/.config/sops/age/keys.txt.
    home = k.path("home");
    mkdirSync(join(home, ".config", "sops", "age"), { recursive: true });
    writeFileSync(join(home, ".config", "sops", "age", "keys.txt"), k.keyText, { mode: 0o600 });
    emptyHome = k.path("empty-home");
    mkdirSync(emptyHome);
    encryptFile(k, "app/config.yaml", `YAML_SECRET: ${SECRETS.yaml}\ndb:\n    password: ${SECRETS.nested}\n    port: 5432\n`);
    encryptFile(k, "app/config.json", `{"JSON_SECRET": "${SECRETS.json}", "SHARED": "from-json"}\n`);
    encryptFile(k, "app/.env.enc", `DOTENV_SECRET=${SECRETS.dotenv}\nSHARED=from-dotenv\nPRESET=from-file\n`);
    encryptFile(k, "app/evil.env", "NODE_OPTIONS=--require ./x.js\nOK=1\n");
    encryptFile(k, "app/proto.env", "hasOwnProperty=x\ntoString=y\nOK=1\n");
    encryptFile(k, "app/keycmd.env", "SOPS_AGE_KEY_CMD=sh -c 'touch pwned'\nOK=1\n");
    encryptFile(k, "app/gcp.env", "GOOGLE_APPLICATION_CREDENTIALS=gcp.json\nGOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1\nOK=1\n");
    writeFileSync(
      join(app, "side-effect.mjs"),
      'import "@hush/cli/config";\nconst e = process.env;\nconsole.log(JSON.stringify({ y: e.YAML_SECRET, j: e.JSON_SECRET, d: e.DOTENV_SECRET, n: e.db__password, p: e.db__port, s: e.SHARED, pre: e.PRESET }));\n',
    );
    writeFileSync(join(app, "plain.mjs"), "console.log(JSON.stringify({ d: process.env.DOTENV_SECRET }));\n");
    writeFileSync(
      join(app, "api.mjs"),
      'import { loadEnv } from "@hush/cli";\nconst result = await loadEnv(JSON.parse(process.argv[2] ?? "{}"));\nconsole.log(JSON.stringify({ result, d: process.env.DOTENV_SECRET, pre: process.env.PRESET, n: process.env["db.password"] }));\n',
    );
  });
  afterAll(() => k.cleanup());

  function node(args: readonly string[], env: Record<string, string>): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [...args], { cwd: app, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", ...env }, encoding: "utf8", timeout: 15_000 });
    return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  /** A bash script in the application's directory: real pipes (a Node parent's are sockets). */
  function inShell(script: string, env: Record<string, string>): { status: number; stdout: string; stderr: string } {
    const r = spawnSync("bash", ["-c", script], { cwd: app, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", HOME: home, ...env }, encoding: "utf8", timeout: 15_000 });
    return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  it("import '@hush/cli/config' loads a YAML, a JSON and a dotenv file with the key in ~/.config/sops/age/keys.txt", () => {
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "config.yaml:config.json:.env.enc" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ y: SECRETS.yaml, j: SECRETS.json, d: SECRETS.dotenv, n: SECRETS.nested, p: "5432", s: "from-dotenv", pre: "from-file" });
  });

  it("node --import @hush/cli/config reads .env.enc by default, with SOPS_AGE_KEY_FILE", () => {
    const r = node(["--import", "@hush/cli/config", "plain.mjs"], { HOME: emptyHome, SOPS_AGE_KEY_FILE: k.keyFile });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ d: SECRETS.dotenv });
  });

  it("a key command written in Node, which inherits the loader through NODE_OPTIONS, runs once and does not load the files itself", () => {
    // Each load of the files would run the key command again, which would load them again: with
    // no end, as many processes as the machine allows, each waiting for the next.
    const runs = k.path("key-runs.log");
    const getKey = join(app, "get-key.cjs");
    writeFileSync(getKey, `const fs = require("node:fs");\nfs.appendFileSync(${JSON.stringify(runs)}, "run\\n");\nif (fs.readFileSync(${JSON.stringify(runs)}, "utf8").length > 20) process.exit(3);\nprocess.stdout.write(fs.readFileSync(${JSON.stringify(k.keyFile)}, "utf8"));\n`);
    const loader = pathToFileURL(repoPath("packages", "cli", "dist", "env-config.js")).href;
    // A path reaches the key command as it is; a package name would not resolve where it runs.
    for (const options of [`--import ${loader}`, `--import=${loader}`, "--import @hush/cli/config", "--no-warnings --import=@hush/cli/config"]) {
      writeFileSync(runs, "");
      const r = node(["plain.mjs"], { HOME: emptyHome, NODE_OPTIONS: options, HUSH_ENV_FILE: join(app, ".env.enc"), SOPS_AGE_KEY_CMD: `${process.execPath} ${getKey}` });
      expect(r.stderr, options).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({ d: SECRETS.dotenv });
      expect(readFileSync(runs, "utf8")).toBe("run\n");
    }
  });

  it("does nothing in the program's worker threads, which --import reaches: no second decryption, no secret put back after the program deleted it", () => {
    // The program reads its secret, deletes it and its key file's name from the environment (as
    // programs that keep secrets out of their children's reach do), then starts a worker thread,
    // which copies that environment and, through execArgv, runs the --import preload again.
    writeFileSync(
      join(app, "worker-app.mjs"),
      [
        'import { Worker } from "node:worker_threads";',
        "const read = process.env.DOTENV_SECRET;",
        "delete process.env.DOTENV_SECRET;",
        "delete process.env.SOPS_AGE_KEY_FILE;",
        'const worker = new Worker(new URL("./worker-thread.mjs", import.meta.url));',
        'let inWorker = "no answer";',
        "worker.on('message', (value) => { inWorker = value; });",
        'worker.on("exit", (code) => console.log(JSON.stringify({ read, inWorker, code })));',
        "",
      ].join("\n"),
    );
    // A worker from a file (one from eval'd code gets no --import preload).
    writeFileSync(join(app, "worker-thread.mjs"), 'import { parentPort } from "node:worker_threads";\nparentPort.postMessage(process.env.DOTENV_SECRET ?? null);\n');
    for (const [args, env] of [
      [["--import", "@hush/cli/config", "worker-app.mjs"], {}],
      [["worker-app.mjs"], { NODE_OPTIONS: "--import @hush/cli/config" }],
    ] as const) {
      const r = node(args, { HOME: emptyHome, SOPS_AGE_KEY_FILE: k.keyFile, ...env });
      expect(r.stderr, args.join(" ")).toBe("");
      expect(JSON.parse(r.stdout), args.join(" ")).toEqual({ read: SECRETS.dotenv, inWorker: null, code: 0 });
    }
    // Called on purpose in a worker, loadEnv still loads.
    const r = node(["-e", "new (require('node:worker_threads').Worker)(`import('@hush/cli').then(({ loadEnv }) => loadEnv()).then(() => console.log(process.env.DOTENV_SECRET))`, { eval: true })"], { HOME: emptyHome, SOPS_AGE_KEY_FILE: k.keyFile });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${SECRETS.dotenv}\n`);
  });

  it("imported in a worker thread's own code, where the thread that started it loaded nothing, loads there (a worker pool's setup file), and a missing file stops that worker", () => {
    writeFileSync(
      join(app, "pool-main.mjs"),
      'import { Worker } from "node:worker_threads";\nnew Worker(new URL("./pool-thread.mjs", import.meta.url)).on("exit", (code) => console.log(`exit ${code}`));\n',
    );
    writeFileSync(join(app, "pool-thread.mjs"), 'import "@hush/cli/config";\nconsole.log(`worker ${process.env.DOTENV_SECRET ?? "unset"}`);\n');
    const r = node(["pool-main.mjs"], { HOME: emptyHome, SOPS_AGE_KEY_FILE: k.keyFile });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`worker ${SECRETS.dotenv}\nexit 0\n`);
    const missing = node(["pool-main.mjs"], { HOME: emptyHome, SOPS_AGE_KEY_FILE: k.keyFile, HUSH_ENV_FILE: "missing.env.enc" });
    expect(missing.stderr).toBe("hush: missing.env.enc: no such file (named by HUSH_ENV_FILE)\n");
    expect(missing.stdout).toBe("exit 1\n");
  });

  it("does not load again in the processes the program starts with its environment (cluster workers, fork), unless they load other files", () => {
    // Each run of the key command is one decryption: it counts them.
    const count = k.path("key-command-runs");
    const keyCommand = `sh -c 'echo run >> ${count}; cat ${k.keyFile}'`;
    writeFileSync(
      join(app, "cluster-app.mjs"),
      [
        'import cluster from "node:cluster";',
        'import { fork } from "node:child_process";',
        "if (cluster.isPrimary) {",
        "  const read = process.env.DOTENV_SECRET;",
        "  delete process.env.DOTENV_SECRET;",
        "  const answers = [];",
        "  const done = () => { if (answers.length === 3) console.log(JSON.stringify({ read, answers: answers.sort() })); };",
        "  for (let i = 0; i < 2; i++) cluster.fork().on('message', (m) => { answers.push(`worker:${m}`); done(); });",
        '  // Another file: loads.',
        '  fork("cluster-child.mjs", { env: { ...process.env, HUSH_ENV_FILE: "config.yaml" } }).on("message", (m) => { answers.push(`child:${m}`); done(); });',
        "} else {",
        "  process.send(String(process.env.DOTENV_SECRET ?? null), () => process.disconnect());",
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(join(app, "cluster-child.mjs"), "process.send(String(process.env.YAML_SECRET ?? null), () => process.disconnect());\n");
    const r = node(["--import", "@hush/cli/config", "cluster-app.mjs"], { HOME: emptyHome, SOPS_AGE_KEY_CMD: keyCommand });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ read: SECRETS.dotenv, answers: [`child:${SECRETS.yaml}`, "worker:null", "worker:null"] });
    // The program's own load and the child's of another file: the workers asked no key.
    expect(readFileSync(count, "utf8")).toBe("run\nrun\n");
  });

  it("loads again in a process started after the file changed (a supervisor restarting the program, as nodemon or npm run with NODE_OPTIONS)", () => {
    const count = k.path("restart-key-command-runs");
    const keyCommand = `sh -c 'echo run >> ${count}; cat ${k.keyFile}'`;
    encryptFile(k, "app/restart.env", "RESTART_A=first\n");
    encryptFile(k, "app/restart-changed.env", "RESTART_A=second\nRESTART_B=added\n");
    writeFileSync(
      join(app, "supervisor.mjs"),
      [
        'import { renameSync } from "node:fs";',
        'import { spawnSync } from "node:child_process";',
        "const run = () => spawnSync(process.execPath, ['restart-app.mjs'], { encoding: 'utf8' }).stdout.trim();",
        "const before = run();",
        "// The secrets change, as `hush set` writes them, and the program is started again.",
        "renameSync('restart-changed.env', 'restart.env');",
        "console.log(JSON.stringify([before, run()]));",
        "",
      ].join("\n"),
    );
    writeFileSync(join(app, "restart-app.mjs"), "console.log(`${process.env.RESTART_A}/${process.env.RESTART_B}`);\n");
    const r = node(["supervisor.mjs"], { HOME: emptyHome, SOPS_AGE_KEY_CMD: keyCommand, NODE_OPTIONS: "--import @hush/cli/config", HUSH_ENV_FILE: "restart.env", HUSH_ENV_OVERRIDE: "1" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual(["first/undefined", "second/added"]);
    // The supervisor's load and the changed file's: the program started before the change asked no key.
    expect(readFileSync(count, "utf8")).toBe("run\nrun\n");
  });

  it("keeps variables already set unless overriding, and says which by name", () => {
    const kept = node(["api.mjs", JSON.stringify({ path: ".env.enc" })], { HOME: home, PRESET: "mine" });
    expect(JSON.parse(kept.stdout)).toEqual({ result: { files: [".env.enc"], set: ["DOTENV_SECRET", "SHARED"], skipped: ["PRESET"] }, d: SECRETS.dotenv, pre: "mine" });
    const replaced = node(["api.mjs", JSON.stringify({ path: ".env.enc", override: true })], { HOME: home, PRESET: "mine" });
    expect(JSON.parse(replaced.stdout).pre).toBe("from-file");
    const overridden = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: ".env.enc", PRESET: "mine", HUSH_ENV_OVERRIDE: "1" });
    expect(JSON.parse(overridden.stdout).pre).toBe("from-file");
    // yes and no are words for 1 and 0; another value stops the program rather than mean "no".
    expect(JSON.parse(node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: ".env.enc", PRESET: "mine", HUSH_ENV_OVERRIDE: "yes" }).stdout).pre).toBe("from-file");
    expect(JSON.parse(node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: ".env.enc", PRESET: "mine", HUSH_ENV_OVERRIDE: "no" }).stdout).pre).toBe("mine");
    const typo = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: ".env.enc", PRESET: "mine", HUSH_ENV_OVERRIDE: "ture" });
    expect([typo.stdout, typo.stderr, typo.status]).toEqual(["", "hush: HUSH_ENV_OVERRIDE=ture is neither 1 (the files' values replace variables already set) nor 0 (they do not)\n", 1]);
  });

  it("wrong arguments are HushErrors that say what loadEnv takes, not a TypeError or a load of another file", () => {
    writeFileSync(
      join(app, "bad-options.mjs"),
      'import { loadEnv } from "@hush/cli";\nfor (const options of JSON.parse(process.argv[2])) {\n  try {\n    await loadEnv(options);\n    console.log("loaded");\n  } catch (err) {\n    console.log(`${err.name} ${err.code}: ${err.message}`);\n  }\n}\n',
    );
    // The other options too: a wrong one does not quietly mean its default (`env: null` put the
    // secrets in process.env, `allowEnv: "PATH"` allowed the letters of PATH).
    const others = [{ env: null }, { env: [] }, { override: "true" }, { flatten: 0 }, { separator: 1 }, { format: ["yaml"] }, { allowEnv: "PATH" }, { allowEnv: [1] }, { cwd: 5 }, { cwd: "" }];
    const r = node(["bad-options.mjs", JSON.stringify(["config.yaml", null, { path: 42 }, { path: "" }, { path: [".env.enc", ""] }, { path: [] }, ...others.map((o) => ({ path: ".env.enc", ...o }))])], { HOME: home });
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "HushError INVALID_ARGUMENT: loadEnv takes an options object ({ path: \"config.yaml\" } for a file), not a string",
      "HushError INVALID_ARGUMENT: loadEnv takes an options object ({ path: \"config.yaml\" } for a file), not null",
      "HushError INVALID_ARGUMENT: loadEnv: `path` is a file name or an array of them, not a number",
      "HushError INVALID_ARGUMENT: loadEnv: `path` holds an empty file name",
      "HushError INVALID_ARGUMENT: loadEnv: `path` holds an empty file name",
      "HushError INVALID_ARGUMENT: loadEnv: `path` is an empty array: name at least one file (leave `path` out for HUSH_ENV_FILE or .env.enc)",
      "HushError INVALID_ARGUMENT: loadEnv: `env` is the object to fill (leave it out for process.env), not null",
      "HushError INVALID_ARGUMENT: loadEnv: `env` is the object to fill (leave it out for process.env), not an array",
      "HushError INVALID_ARGUMENT: loadEnv: `override` is true or false, not a string",
      "HushError INVALID_ARGUMENT: loadEnv: `flatten` is true or false, not a number",
      "HushError INVALID_ARGUMENT: loadEnv: `separator` is a string, not a number",
      "HushError INVALID_ARGUMENT: loadEnv: `format` is a string, not an array",
      "HushError INVALID_ARGUMENT: loadEnv: `allowEnv` is an array of variable names, not a string",
      "HushError INVALID_ARGUMENT: loadEnv: `allowEnv` is an array of variable names, not an array",
      "HushError INVALID_ARGUMENT: loadEnv: `cwd` is a directory's name, not a number",
      "HushError INVALID_ARGUMENT: loadEnv: `cwd` is empty (leave it out for the working directory)",
      "",
    ]);
    // Nothing was loaded by any of them.
    const untouched = node(["-e", 'import("@hush/cli").then(async ({ loadEnv }) => { try { await loadEnv({ path: ".env.enc", env: null }); } catch {} console.log(process.env.DOTENV_SECRET ?? "unset"); })'], { HOME: home });
    expect(untouched.stdout, untouched.stderr).toBe("unset\n");
  });

  it("flattens with a chosen separator", () => {
    const r = node(["api.mjs", JSON.stringify({ path: "config.yaml", separator: "." })], { HOME: home });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).n).toBe(SECRETS.nested);
  });

  it("a nested value without flatten, or two paths flattening to one name, name loadEnv's option as the way, not exec-env's flag", () => {
    const load = (options: object): string => node(["-e", `import("@hush/cli").then(({ loadEnv }) => loadEnv(${JSON.stringify(options)})).catch((e) => console.log(e.message))`], { HOME: home }).stdout;
    expect(load({ path: "config.yaml", flatten: false })).toBe("config.yaml: cannot use complex value in environment; offending key db (use loadEnv's `flatten: true` for one variable per nested value)\n");
    encryptFile(k, "app/collide.yaml", "db_password: x1\ndb:\n    password: y1\n");
    expect(load({ path: "collide.yaml", separator: "_" })).toBe('collide.yaml: ["db_password"] and ["db"]["password"] both become the variable db_password; rename one or choose another separator (loadEnv\'s `separator`)\n');
  });

  for (const file of ["config.yaml", "config.json", ".env.enc"]) {
    it(`fails with one line naming ${file}, no value, exit 128, when no key opens it`, () => {
      const r = node(["side-effect.mjs"], { HOME: emptyHome, HUSH_ENV_FILE: file });
      expect(r.status).toBe(128);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")).toHaveLength(2);
      expect(r.stderr).toMatch(new RegExp(`^hush: ${file.replace(".", "\\.")}: .*no matching identity.*\\n$`));
      for (const s of Object.values(SECRETS)) expect(r.stderr).not.toContain(s);
    });
  }

  it("a missing file is one line naming it and what named it; the program does not start", () => {
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "missing.env" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("hush: missing.env: no such file (named by HUSH_ENV_FILE)\n");
    const elsewhere = k.path("no-env-here");
    mkdirSync(elsewhere);
    const byDefault = spawnSync(process.execPath, [join(app, "side-effect.mjs")], { cwd: elsewhere, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home }, encoding: "utf8" });
    expect(byDefault.stderr).toBe("hush: .env.enc: no such file (the default; set HUSH_ENV_FILE, or pass `path` to loadEnv, to load another file)\n");
    expect(byDefault.status).toBe(1);
    writeFileSync(join(app, "missing-path.mjs"), 'import { loadEnv } from "@hush/cli";\nawait loadEnv({ path: ["config.yaml", "missing.yaml"] }).catch((err) => console.log(`${err.code}: ${err.message}`));\n');
    const byPath = node(["missing-path.mjs"], { HOME: home });
    expect(byPath.stdout).toBe("INVALID_ARGUMENT: missing.yaml: no such file (named by loadEnv's `path`)\n");
  });

  it("HUSH_ENV_FILE with an empty name (HUSH_ENV_FILE=$BASE:$STAGE, one unset) stops the program: it does not start without that file's secrets", () => {
    for (const list of [":", "config.yaml:", ":config.yaml", "config.yaml::config.json"]) {
      const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: list });
      expect(r.stdout, list).toBe("");
      expect(r.stderr, list).toBe(`hush: HUSH_ENV_FILE ${JSON.stringify(list)} holds an empty file name (an unset variable where a file was meant?): name each file, joined by ":"\n`);
      expect(r.status, list).toBe(1);
    }
    // HUSH_ENV_FILE=$STAGE_FILE, unset: not the default .env.enc beside the program (there is one).
    const empty = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "" });
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toBe("hush: HUSH_ENV_FILE is set but empty (an unset variable where a file was meant?): name the file, or unset HUSH_ENV_FILE to load .env.enc\n");
    expect(empty.status).toBe(1);
    // As loadEnv does (the CommonJS loader's side: test/workflows/require-loader.test.ts).
    const api = node(["api.mjs"], { HOME: home, HUSH_ENV_FILE: "config.yaml:" });
    expect(api.stdout).toBe("");
    expect(api.stderr).toContain("HUSH_ENV_FILE \"config.yaml:\" holds an empty file name");
    // One name, or several, still load.
    expect(JSON.parse(node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "config.yaml:config.json" }).stdout)).toMatchObject({ y: SECRETS.yaml, j: SECRETS.json });
  });

  it("a file that is not encrypted is refused in one line naming it and the next step, without its values", () => {
    writeFileSync(join(app, "plain.env"), `DOTENV_SECRET=${SECRETS.dotenv}\n`);
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "plain.env" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("hush: plain.env: sops metadata not found; the file is not encrypted (`hush encrypt -i plain.env` encrypts it in place)\n");
  });

  it("a file whose name gives no format is not called unencrypted: the line says to rename it or pass `format`", () => {
    // It is encrypted, as dotenv: what the line for a plaintext file says (`hush encrypt -i`) is
    // no next step for it.
    writeFileSync(join(app, "prod.env.enc"), readFileSync(join(app, ".env.enc")));
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "prod.env.enc" });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "hush: prod.env.enc: sops metadata not found; its name gives no format, so it was read as a binary file: name it .env.enc, *.env, *.yaml, *.json, *.ini or *.toml, or pass `format` to loadEnv\n",
    );
    expect(r.status).toBe(1);
    const withFormat = node(["api.mjs", JSON.stringify({ path: "prod.env.enc", format: "dotenv" })], { HOME: home });
    expect(JSON.parse(withFormat.stdout).d).toBe(SECRETS.dotenv);
  });

  it("refuses empty values added without the key in numbers or with names no program could be started with (every child of the app would fail with E2BIG)", () => {
    // Empty values are outside SOPS's MAC: a branch adds them to an encrypted file without its
    // key. Nested under long keys, one flattened name outgrows what Linux lets one variable hold;
    // many of them make the start slow (each setenv scans the environment) and the environment
    // too large for any child.
    const base = encryptFile(k, "app/padded-base.yaml", `YAML_SECRET: ${SECRETS.yaml}\n`);
    const text = readFileSync(base, "utf8");
    const at = text.indexOf("sops:");
    let deep = "";
    for (let d = 0; d < 140; d++) deep += `${"  ".repeat(d)}k${d}${"x".repeat(1000)}:\n`;
    deep += `${"  ".repeat(140)}leaf: ''\n`;
    writeFileSync(join(app, "long-name.yaml"), text.slice(0, at) + deep + text.slice(at));
    writeFileSync(join(app, "many-names.yaml"), `${text.slice(0, at)}pad: [${Array.from({ length: 20_000 }, () => "''").join(", ")}]\n${text.slice(at)}`);
    const spawns = "import '@hush/cli/config'; import { spawnSync } from 'node:child_process'; console.log(spawnSync('true').error?.code ?? 'spawned');";
    const long = node(["--input-type=module", "-e", spawns], { HOME: home, HUSH_ENV_FILE: "long-name.yaml" });
    expect(long.stdout).toBe("");
    expect(long.stderr).toMatch(/^hush: long-name\.yaml: the key path \["k0x+[^\n]{0,200} gives a variable name of 5018 bytes, more than the 4096 a name may have\n$/);
    expect(long.status).toBe(1);
    const many = node(["--input-type=module", "-e", spawns], { HOME: home, HUSH_ENV_FILE: "many-names.yaml" });
    expect(many.stdout).toBe("");
    expect(many.stderr).toBe("hush: many-names.yaml: the files give more than 10000 variables, which no environment holds well (empty values count too, and anyone can add those without the key)\n");
    expect(many.status).toBe(1);
  });

  it("refuses a file that would tell the program's own hush or sops which command gives keys", () => {
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "keycmd.env" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: keycmd\.env: not loading: the file sets SOPS_AGE_KEY_CMD \(tells sops or hush which commands to run/);
  });

  it("refuses names every object already has (process.env.hasOwnProperty would stop being a function)", () => {
    const probe = "import '@hush/cli/config'; console.log(typeof process.env.hasOwnProperty, Object.keys(process.env).includes('OK'));";
    for (const override of ["0", "1"]) {
      const r = node(["--input-type=module", "-e", probe], { HOME: home, HUSH_ENV_FILE: "proto.env", HUSH_ENV_OVERRIDE: override });
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("hush: proto.env: not loading: the file sets hasOwnProperty, toString, which every JavaScript object has (process.env.toString() and the like would stop working); rename them\n");
      expect(r.status).toBe(1);
    }
  });

  it("a file that is a device (a link to /dev/zero in a cloned repository) is refused at once, not read", () => {
    symlinkSync("/dev/zero", join(app, "zero.env"));
    const started = Date.now();
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "zero.env" });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("hush: zero.env: not a regular file (a device or socket); point HUSH_ENV_FILE or `path` at the encrypted file\n");
    expect(r.status).toBe(2);
  });

  it("a directory is refused as unreadable input, exit 2 as for a device", () => {
    mkdirSync(join(app, "dir.env"));
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "dir.env" });
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("hush: dir.env: is a directory; point HUSH_ENV_FILE or `path` at the encrypted file\n");
    expect(r.status).toBe(2);
  });

  it("a link to an endless file or to the program's own output pipe is refused at once, not read", () => {
    // /proc/self/pagemap says it is a regular file of size 0 and never ends; /proc/self/fd/1 is
    // the program's own stdout, a pipe under `| cat`, which nobody would ever write to.
    symlinkSync("/proc/self/pagemap", join(app, "pagemap.env"));
    symlinkSync("/proc/self/fd/1", join(app, "stdout.env"));
    for (const [file, what] of [
      ["pagemap.env", "a file that holds more than its size says, such as /proc/self/pagemap"],
      ["stdout.env", "a link to a pipe"],
    ] as const) {
      const started = Date.now();
      const r = inShell("node side-effect.mjs | cat; exit ${PIPESTATUS[0]}", { HUSH_ENV_FILE: file });
      expect(Date.now() - started, file).toBeLessThan(10_000);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(`hush: ${file}: not a regular file (${what}); point HUSH_ENV_FILE or \`path\` at the encrypted file\n`);
      expect(r.status).toBe(2);
    }
  });

  it("reads a pipe named as one (/dev/stdin, or /dev/fd/N from a shell's <(…))", () => {
    writeFileSync(
      join(app, "pipe.mjs"),
      'import { loadEnv } from "@hush/cli";\nconst r = await loadEnv({ path: process.argv[2], format: "dotenv" });\nconsole.log(JSON.stringify({ set: r.set, d: process.env.DOTENV_SECRET }));\n',
    );
    for (const script of ["cat .env.enc | node pipe.mjs /dev/stdin", "node pipe.mjs <(cat .env.enc)"]) {
      const r = inShell(script, {});
      expect(r.stderr, script).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({ set: ["DOTENV_SECRET", "SHARED", "PRESET"], d: SECRETS.dotenv });
    }
  });

  it("refuses variables that change how programs start, as exec-env does, unless allowed", () => {
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "evil.env" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: evil\.env: not loading: the file sets NODE_OPTIONS \(makes Node\.js or its package managers load code or options\); [^\n]*If they are meant to be there, load the file with loadEnv\(\{ allowEnv: \["NODE_OPTIONS"\] \}\)\n$/);
    const allowed = node(["api.mjs", JSON.stringify({ path: "evil.env", allowEnv: ["NODE_OPTIONS"] })], { HOME: home });
    expect(JSON.parse(allowed.stdout).result.set).toEqual(["NODE_OPTIONS", "OK"]);
  });

  it("refuses the binding path every napi-rs loader requires first (rolldown under Vite, SWC, oxc): a file encrypted to the app's public key would run its code in the program", () => {
    encryptFile(k, "app/napi.env", `NAPI_RS_NATIVE_LIBRARY_PATH=${join(app, "planted.cjs")}\nOK=1\n`);
    writeFileSync(join(app, "planted.cjs"), 'require("node:fs").writeFileSync("planted-ran", "");\n');
    // What rolldown's generated loader does the first time the program imports it.
    writeFileSync(join(app, "napi-app.mjs"), 'import "@hush/cli/config";\nimport { createRequire } from "node:module";\nif (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) createRequire(import.meta.url)(process.env.NAPI_RS_NATIVE_LIBRARY_PATH);\nconsole.log(process.env.OK);\n');
    const r = node(["napi-app.mjs"], { HOME: home, HUSH_ENV_FILE: "napi.env" });
    expect(r.stderr).toMatch(/^hush: napi\.env: not loading: the file sets NAPI_RS_NATIVE_LIBRARY_PATH \(makes Node\.js libraries load or run a native engine or browser of its choosing\); [^\n]*allowEnv: \["NAPI_RS_NATIVE_LIBRARY_PATH"\][^\n]*\n$/);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(existsSync(join(app, "planted-ran"))).toBe(false);
  });

  it("refuses a Google credential file and the switch that lets it name a program, which the application's Google client would run", () => {
    const r = node(["side-effect.mjs"], { HOME: home, HUSH_ENV_FILE: "gcp.env" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hush: gcp\.env: not loading: the file sets GOOGLE_APPLICATION_CREDENTIALS \(.*\), GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES \(lets programs run the commands their credential configuration names\);.*loadEnv\(\{ allowEnv: \["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"\] \}\)\n$/);
  });
});
