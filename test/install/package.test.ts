import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, repoRoot, requireBundle, roundTrip, run } from "./helpers.ts";

/**
 * The package users install: `npm pack` of the bundled build gives one tarball, which installs
 * offline into an empty prefix (no dependencies to fetch) and gives a working `hush`.
 */
describe("the hush-secrets package", () => {
  let tmp: { path: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-pkg-");
    const home = join(tmp.path, "home");
    mkdirSync(home);
    // npm's cache and config live in the test's own HOME, never the developer's.
    env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, LANG: "C", npm_config_cache: join(tmp.path, "npm-cache"), npm_config_update_notifier: "false" };
    const npm = run("npm", ["--version"], { cwd: tmp.path, env });
    if (npm.status !== 0) throw new Error("npm is not installed: install Node.js with npm to run this test");
  });
  afterAll(() => tmp?.cleanup());

  it("packs into one tarball without dependencies, installs offline into an empty prefix, and its hush decrypts", () => {
    const packed = run("npm", ["pack", BUNDLE_OUT, "--pack-destination", tmp.path, "--json"], { cwd: tmp.path, env });
    expect(packed.status, packed.stderr).toBe(0);
    const tarballs = readdirSync(tmp.path).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(BUNDLE_OUT, "package.json"), "utf8")) as { name: string; dependencies?: object; bin: Record<string, string> };
    expect(manifest.name).toBe("hush-secrets");
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.bin)).toEqual(["hush"]);

    const prefix = join(tmp.path, "prefix");
    mkdirSync(prefix);
    const installed = run("npm", ["install", "-g", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, join(tmp.path, tarballs[0]!)], { cwd: tmp.path, env });
    expect(installed.status, installed.stderr).toBe(0);

    const hush = join(prefix, "bin", "hush");
    const version = run(hush, ["--version"], { cwd: tmp.path, env });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^hush \d+\.\d+\.\d+ \(sops 3\.13\.2 format\)\n$/);
    const work = join(tmp.path, "work");
    mkdirSync(work);
    roundTrip([hush], work, env);

    // The API, as @hush/cli exports it.
    const api = run(process.execPath, ["-e", "const m = require('hush-secrets'); process.stdout.write([typeof m.runCli, typeof m.defaultKeySources, typeof m.EXIT, m.exitCodeFor('NO_MATCHING_KEY'), m.exitCodeFor('constructor')].join(' '))"], {
      cwd: tmp.path,
      env: { ...env, NODE_PATH: join(prefix, "lib", "node_modules") },
    });
    expect(api.stdout, api.stderr).toBe("function function object 128 1");
  });

  it("an application that installs it loads secrets with `import \"hush-secrets/config\"` and a typed `loadEnv`", () => {
    const tarball = readdirSync(tmp.path).find((f) => f.endsWith(".tgz"));
    expect(tarball, "the test above packs the tarball").toBeDefined();
    const app = join(tmp.path, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), '{ "name": "app", "private": true, "type": "module" }\n');
    const installed = run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(tmp.path, tarball!)], { cwd: app, env });
    expect(installed.status, installed.stderr).toBe(0);
    const hush = [process.execPath, join(app, "node_modules", "hush-secrets", "bin", "hush.cjs")];
    const key = join(app, "key.txt");
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(run(hush[0]!, [hush[1]!, "keygen", "-o", key], { cwd: app, env }).stderr)?.[1];
    expect(recipient).toBeDefined();
    writeFileSync(join(app, "plain.env"), "API_TOKEN=tok-Rq71\n");
    const enc = run(hush[0]!, [hush[1]!, "encrypt", "--age", recipient!, "--output", join(app, ".env.enc"), join(app, "plain.env")], { cwd: app, env });
    expect(enc.status, enc.stderr).toBe(0);
    const keyed = { ...env, SOPS_AGE_KEY_FILE: key };

    writeFileSync(join(app, "main.mjs"), 'import "hush-secrets/config";\nprocess.stdout.write(process.env.API_TOKEN ?? "unset");\n');
    const imported = run(process.execPath, ["main.mjs"], { cwd: app, env: keyed });
    expect(imported.stdout, imported.stderr).toBe("tok-Rq71");
    const preloaded = run(process.execPath, ["--import", "hush-secrets/config", "-e", 'process.stdout.write(process.env.API_TOKEN ?? "unset")'], { cwd: app, env: keyed });
    expect(preloaded.stdout, preloaded.stderr).toBe("tok-Rq71");

    // CommonJS: `node -r` (dotenv's habit) holds the program's entry back until the variables are
    // set, a CommonJS or an ES module one, whose exceptions stay its own; `-e` and `require` from
    // the program's code wait for the loader in a worker thread.
    writeFileSync(join(app, "entry.cjs"), 'process.stdout.write(process.env.API_TOKEN ?? "unset");\n');
    writeFileSync(join(app, "entry.mjs"), 'process.stdout.write(process.env.API_TOKEN ?? "unset");\n');
    for (const entry of ["entry.cjs", "entry.mjs"]) {
      const preloaded = run(process.execPath, ["-r", "hush-secrets/config", entry], { cwd: app, env: keyed });
      expect(preloaded.stdout, preloaded.stderr).toBe("tok-Rq71");
    }
    writeFileSync(join(app, "throws.cjs"), 'process.on("uncaughtException", (err, origin) => { process.stdout.write(`${origin}: ${err.message}`); process.exit(7); });\nthrow new Error("entry-failed");\n');
    const thrown = run(process.execPath, ["-r", "hush-secrets/config", "throws.cjs"], { cwd: app, env: keyed });
    expect(thrown.stdout, thrown.stderr).toBe("uncaughtException: entry-failed");
    expect(thrown.status).toBe(7);
    const required = run(process.execPath, ["-r", "hush-secrets/config", "-e", 'process.stdout.write(process.env.API_TOKEN ?? "unset")'], { cwd: app, env: keyed });
    expect(required.stdout, required.stderr).toBe("tok-Rq71");
    writeFileSync(join(app, "main.cjs"), 'require("hush-secrets/config");\nprocess.stdout.write(process.env.API_TOKEN ?? "unset");\n');
    const requiredInCode = run(process.execPath, ["main.cjs"], { cwd: app, env: keyed });
    expect(requiredInCode.stdout, requiredInCode.stderr).toBe("tok-Rq71");
    // A variable already set wins unless HUSH_ENV_OVERRIDE=1, as for --import.
    expect(run(process.execPath, ["main.cjs"], { cwd: app, env: { ...keyed, API_TOKEN: "mine" } }).stdout).toBe("mine");
    expect(run(process.execPath, ["main.cjs"], { cwd: app, env: { ...keyed, API_TOKEN: "mine", HUSH_ENV_OVERRIDE: "1" } }).stdout).toBe("tok-Rq71");
    // Through NODE_OPTIONS the preload reaches the program's worker threads too: they inherit the
    // loaded environment and do not load (or start a loader of their own) again.
    writeFileSync(
      join(app, "threads.cjs"),
      'const { Worker } = require("node:worker_threads");\nnew Worker("process.stdout.write(\\"worker:\\" + process.env.API_TOKEN)", { eval: true }).on("exit", () => process.stdout.write(" main:" + process.env.API_TOKEN));\n',
    );
    const threads = run(process.execPath, ["threads.cjs"], { cwd: app, env: { ...keyed, NODE_OPTIONS: "-r hush-secrets/config" }, timeoutMs: 30_000 });
    expect(threads.stdout, threads.stderr).toBe("worker:tok-Rq71 main:tok-Rq71");
    // The hush command itself is a Node program that NODE_OPTIONS reaches too: the preload meant for
    // the application does nothing there, so hush works where there is no .env.enc (it stopped
    // every command there) and keeps its environment its own.
    const elsewhere = join(app, "elsewhere");
    mkdirSync(elsewhere);
    for (const preload of ["-r hush-secrets/config", "--import hush-secrets/config"]) {
      const nodeOptions = { ...keyed, NODE_OPTIONS: preload, NODE_PATH: join(app, "node_modules") };
      const decrypted = run(hush[0]!, [hush[1]!, "decrypt", join(app, ".env.enc")], { cwd: elsewhere, env: nodeOptions });
      expect(decrypted.stdout, `${preload}: ${decrypted.stderr}`).toBe("API_TOKEN=tok-Rq71\n");
    }

    // The values in memory, without process.env: decryptText of a text the program holds (here
    // read from a buffer) and decryptFile, from an ES module and from CommonJS; a tampered text is
    // a HushError that isHushError narrows and that holds no value.
    writeFileSync(
      join(app, "memory.mjs"),
      'import { readFileSync } from "node:fs";\nimport { decryptFile, decryptText, defaultKeySources, isHushError } from "hush-secrets";\nconst keySources = defaultKeySources();\nconst text = readFileSync(".env.enc").toString("utf8");\nconst fromText = await decryptText(text, { format: "dotenv", keySources });\nconst fromFile = await decryptFile(".env.enc", { keySources });\nconst tampered = await decryptText(text.replace("API_TOKEN=", "API_TOKEM="), { format: "dotenv", keySources }).catch((err) => err);\nprocess.stdout.write(JSON.stringify([fromText, fromFile, process.env.API_TOKEN ?? "unset", isHushError(tampered), tampered.code, String(tampered).includes("tok-Rq71")]));\n',
    );
    const memory = run(process.execPath, ["memory.mjs"], { cwd: app, env: keyed });
    expect(JSON.parse(memory.stdout || "null"), memory.stderr).toEqual(["API_TOKEN=tok-Rq71\n", "API_TOKEN=tok-Rq71\n", "unset", true, "VALUE_TAMPERED", false]);
    const memoryCommonJs = run(process.execPath, ["-e", 'require("hush-secrets").decryptFile(".env.enc", { keySources: require("hush-secrets").defaultKeySources() }).then((t) => process.stdout.write(t))'], { cwd: app, env: keyed });
    expect(memoryCommonJs.stdout, memoryCommonJs.stderr).toBe("API_TOKEN=tok-Rq71\n");

    // No key: the one line naming the file and hush's status (128), and the program never runs.
    for (const args of [["main.cjs"], ["-r", "hush-secrets/config", "entry.cjs"]]) {
      const keyless = run(process.execPath, args, { cwd: app, env: { ...env, SOPS_AGE_KEY_FILE: join(app, "missing-key.txt") } });
      expect(keyless.stdout).toBe("");
      expect(keyless.stderr).toMatch(/^hush: \.env\.enc: [^\n]*\n$/);
      expect(keyless.status).toBe(128);
    }

    // TypeScript sees the package's declarations: a correct use type-checks, a wrong one does not.
    writeFileSync(
      join(app, "typed.ts"),
      'import "hush-secrets/config";\nimport { loadEnv, defaultKeySources, type LoadEnvResult } from "hush-secrets";\nconst result: LoadEnvResult = await loadEnv({ path: [".env.enc"], flatten: true, keySources: defaultKeySources() });\nexport const names: readonly string[] = result.set;\n' +
        'import { decryptFile, decryptText, isHushError } from "hush-secrets";\nexport const plain: string = await decryptText("", { format: "dotenv", keySources: defaultKeySources() }).catch((err: unknown) => (isHushError(err) ? `${err.code} ${err.location?.line ?? ""}` : "other"));\nexport const file: string = await decryptFile(".env.enc", { keySources: defaultKeySources(), ignoreMac: false });\n' +
        // The exit status hush ends with for an error, documented as exported (docs/install.md).
        'import { EXIT, exitCodeFor } from "hush-secrets";\nexport const status: number = await loadEnv({ path: "missing.env" }).then(() => 0, (err: unknown) => (isHushError(err) ? exitCodeFor(err.code) : EXIT.generic));\nexport const noKey: 128 = EXIT.couldNotRetrieveKey;\n',
    );
    writeFileSync(join(app, "wrong.ts"), 'import { loadEnv } from "hush-secrets";\nexport const r = await loadEnv({ path: 42 });\n');
    const tsc = (file: string) =>
      run(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--strict", "--skipLibCheck", "false", "--module", "nodenext", "--target", "es2022", file], { cwd: app, env });
    const good = tsc("typed.ts");
    expect(good.stdout + good.stderr).toBe("");
    expect(good.status).toBe(0);
    // A CommonJS module (`.cts`) requires the loader with its own declarations.
    writeFileSync(join(app, "typed.cts"), 'import "hush-secrets/config";\nimport { loadEnv } from "hush-secrets";\nexport const load: typeof loadEnv = loadEnv;\n');
    const goodCommonJs = tsc("typed.cts");
    expect(goodCommonJs.stdout + goodCommonJs.stderr).toBe("");
    expect(goodCommonJs.status).toBe(0);
    const bad = tsc("wrong.ts");
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable/);
  });
});
