import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_BIN, makeTempDir, requireBuiltCli } from "@hush/testkit";
import { keyedDir, type KeyedDir } from "./helpers.ts";
import { REPO_ROOT } from "./packed-install.ts";

/**
 * The README's example repository and demo, run as a new user runs them: `pnpm demo`'s script and
 * `cd examples && ENVIRONMENT=prod ./deploy.sh`, in a fresh HOME, also from a shell where the
 * user's own SOPS_AGE_KEY_FILE is exported (as SOPS users have it).
 */

let home: ReturnType<typeof makeTempDir>;
let own: KeyedDir;

beforeAll(() => {
  requireBuiltCli();
  home = makeTempDir("hush-examples-home-");
  own = keyedDir();
});

afterAll(() => {
  home?.cleanup();
  own?.cleanup();
});

function freshEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { HOME: home.path, PATH: `${join(REPO_ROOT, "node_modules", ".bin")}:/usr/local/bin:/usr/bin:/bin`, LANG: "C", TMPDIR: home.path, HUSH: HUSH_BIN, ...extra };
}

function deploy(env: Record<string, string>): ReturnType<typeof spawnSync> {
  return spawnSync("./deploy.sh", [], { cwd: join(REPO_ROOT, "examples"), env, encoding: "utf8", timeout: 60_000 });
}

describe("the example repository and the demo, as the README runs them", () => {
  it("cd examples && ENVIRONMENT=prod ./deploy.sh prints the deploy line (and dev by default)", () => {
    const prod = deploy(freshEnv({ ENVIRONMENT: "prod" }));
    expect(prod.stderr).toBe("");
    expect(prod.stdout).toBe("deploying with database app@db.internal.example.com:5432 (password: 28 chars)\n");
    expect(prod.status).toBe(0);
    const dev = deploy(freshEnv());
    expect(dev.stdout).toBe("deploying with database app@localhost:5432 (password: 16 chars)\n");
    expect(dev.status).toBe(0);
  });

  it("deploy.sh opens the examples with their demo key even when the user's own SOPS_AGE_KEY_FILE is exported", () => {
    const r = deploy(freshEnv({ ENVIRONMENT: "prod", SOPS_AGE_KEY_FILE: own.keyFile }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("deploying with database app@db.internal.example.com:5432 (password: 28 chars)\n");
    expect(r.status).toBe(0);
  });

  it("the demo (pnpm demo after its build) runs to the end: the round trip is byte for byte", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "examples", "demo.mjs")], { env: freshEnv({ SOPS_AGE_KEY_FILE: own.keyFile }), encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("✔ identical to the plaintext");
    expect(r.stdout).toContain('"client_secret": "pay-secret-7a6b5c"');
    expect(r.stdout).toContain("Done. Next: read README.md");
  });
});
