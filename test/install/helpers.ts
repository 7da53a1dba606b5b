import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The hush-secrets package directory `pnpm build:bundle` writes (packed and installed by these tests). */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BUNDLE_OUT = join(repoRoot, "packages", "hush-secrets", "out");

export function requireBundle(): void {
  if (!existsSync(join(BUNDLE_OUT, "bin", "hush.cjs"))) throw new Error(`${BUNDLE_OUT} is missing: run \`pnpm build:bundle\` first (\`pnpm test:all\` does)`);
}

export interface Ran {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(file: string, args: readonly string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Ran {
  const r = spawnSync(file, args, { cwd: options.cwd, env: options.env, encoding: "utf8", timeout: options.timeoutMs ?? 120_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/**
 * keygen, encrypt and decrypt through one `hush` command: checks that it decrypts back to the
 * plaintext (and `-d --extract` to one value).
 */
export function roundTrip(hush: readonly string[], dir: string, env: Record<string, string>): void {
  const [file, ...lead] = hush as [string, ...string[]];
  const key = join(dir, "key.txt");
  const kg = run(file, [...lead, "keygen", "-o", key], { cwd: dir, env });
  if (kg.status !== 0) throw new Error(`hush keygen failed: ${kg.stderr}`);
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(kg.stderr)?.[1];
  if (recipient === undefined) throw new Error(`no public key in: ${kg.stderr}`);
  const plain = join(dir, "app.yaml");
  spawnSync("sh", ["-c", `printf 'db:\\n  password: s3cret\\nport: 5432\\n' > '${plain}'`]);
  const enc = run(file, [...lead, "encrypt", "--age", recipient, "--output", join(dir, "app.enc.yaml"), plain], { cwd: dir, env });
  if (enc.status !== 0) throw new Error(`hush encrypt failed: ${enc.stderr}`);
  const keyed = { ...env, SOPS_AGE_KEY_FILE: key };
  const dec = run(file, [...lead, "decrypt", join(dir, "app.enc.yaml")], { cwd: dir, env: keyed });
  if (dec.status !== 0 || dec.stdout !== "db:\n  password: s3cret\nport: 5432\n") throw new Error(`hush decrypt gave ${dec.status}: ${dec.stdout}${dec.stderr}`);
  const extract = run(file, [...lead, "-d", "--extract", '["db"]["password"]', join(dir, "app.enc.yaml")], { cwd: dir, env: keyed });
  if (extract.status !== 0 || extract.stdout !== "s3cret") throw new Error(`hush -d --extract gave ${extract.status}: ${extract.stdout}${extract.stderr}`);
}
