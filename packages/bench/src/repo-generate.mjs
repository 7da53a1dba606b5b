/**
 * A generated repository for the keyless gate and the reports at scale (`hush check`,
 * `hush access`, `hush audit`): `files` encrypted files in YAML, JSON and dotenv under apps and
 * environments, a `.sops.yaml` with a rule for production (two recipients) and one for the rest,
 * the same rules in a `.sops.yaml` of the first app's own, plaintext files beside them, and `commits` commits of
 * history: values changed, a recipient added to and removed from production (the files re-keyed
 * with a fresh data key, as `hush rotate` does), files renamed, branches merged. Real git, real
 * age keys; the same arguments give the same tree on every machine (the ciphertext differs: the
 * data keys and IVs are random).
 *
 * As a program: `node repo-generate.mjs DIR FILES COMMITS` (hush's tsc build is used for keygen).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encryptText, openText } from "@hush/core";
import { defaultKeySources } from "@hush/cli";
import { generateFile, prng } from "./generate.mjs";

const FORMATS = ["yaml", "json", "dotenv"];
const EXT = { yaml: "yaml", json: "json", dotenv: "env" };
const ENVIRONMENTS = ["prod", "staging", "dev"];
/** Seconds between generated commits (a day): `hush audit --max-age` then finds old and new values. */
const DAY = 86400;
const START = Date.UTC(2024, 0, 1) / 1000;

/**
 * Generates the repository in `dir` (created; must not exist or be empty). `hush`: the command
 * (an array) that runs hush, for `keygen`. `env`: the environment git and hush run with.
 * Returns { repo, keyFile, recipients, files: paths of the encrypted files at HEAD }.
 */
export async function generateRepository({ dir, files, commits, hush, env }) {
  const repo = join(dir, "repo");
  mkdirSync(repo, { recursive: true });
  const keyFile = join(dir, "keys.txt");
  const recipients = [];
  const identities = [];
  for (let i = 0; i < 3; i++) {
    const out = join(dir, `key-${i}.txt`);
    const r = spawnSync(hush[0], [...hush.slice(1), "keygen", "-o", out], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`hush keygen failed: ${r.stderr}`);
    recipients.push(/Public key: (age1[a-z0-9]+)/.exec(r.stderr)[1]);
    identities.push(readFileSync(out, "utf8"));
  }
  writeFileSync(keyFile, identities.join(""), { mode: 0o600 });
  const keySources = defaultKeySources({ ...env, SOPS_AGE_KEY_FILE: keyFile });
  const [ops, dev, auditor] = recipients;
  const rand = prng(7);
  let time = START;
  const gitEnv = () => ({ ...env, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_DATE: `@${time} +0000`, GIT_COMMITTER_DATE: `@${time} +0000` });
  const git = (...args) => {
    const r = spawnSync("git", args, { cwd: repo, env: gitEnv(), encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  git("init", "-q", "-b", "main");
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@example.com");

  /** Production's recipients now (changed by the history). */
  let prodRecipients = [ops, auditor];
  /** The rules: at the top (`prefix` `apps/[^/]+/`), and the first app's own (no prefix: paths are relative to its directory). */
  const sopsYaml = (prefix) =>
    [
      "creation_rules:",
      `  - path_regex: ^${prefix}prod/.*\\.enc\\.(yaml|json|env)$`,
      `    age: ${prodRecipients.join(",")}`,
      "  - path_regex: \\.enc\\.(yaml|json|env)$",
      `    age: ${ops},${dev}`,
      "",
    ].join("\n");
  const writeRules = () => {
    write(".sops.yaml", sopsYaml("apps/[^/]+/"));
    write("apps/app000/.sops.yaml", sopsYaml(""));
  };
  const write = (path, text) => {
    mkdirSync(dirname(join(repo, path)), { recursive: true });
    writeFileSync(join(repo, path), text);
  };

  /** Encrypted files by path: format, plaintext, opened file (for a change that keeps the data key). */
  const secrets = new Map();
  const recipientsFor = (path) => (/^apps\/[^/]+\/prod\//.test(path) ? prodRecipients : [ops, dev]);
  const encrypt = async (path, format, plain, previous) => {
    const text = await encryptText(plain, { format, keyGroups: [recipientsFor(path).map((recipient) => ({ kind: "age", recipient }))], keySources, previous, now: new Date(time * 1000) });
    write(path, text);
    secrets.set(path, { format, plain, opened: undefined, text });
  };
  const opened = async (path) => {
    const s = secrets.get(path);
    s.opened ??= await openText(s.text, { format: s.format, keySources });
    return s.opened;
  };

  // The tree: apps × environments, three formats, ten values a file.
  const apps = Math.max(1, Math.ceil(files / 15));
  writeRules();
  write("README.md", "# generated\n");
  for (let i = 0; i < files; i++) {
    const app = `app${String(i % apps).padStart(3, "0")}`;
    const environment = ENVIRONMENTS[Math.floor(i / apps) % ENVIRONMENTS.length];
    const format = FORMATS[i % FORMATS.length];
    const path = `apps/${app}/${environment}/secrets-${i}.enc.${EXT[format]}`;
    await encrypt(path, format, generateFile(format, 10, i + 1), undefined);
    // A plaintext file for every five encrypted ones: configuration that is not secret.
    if (i % 5 === 0) write(`apps/${app}/${environment}/settings-${i}.yaml`, `replicas: ${1 + (i % 4)}\nlog_level: info\n`);
  }
  git("add", "-A");
  git("commit", "-q", "-m", "Initial configuration");

  const paths = () => [...secrets.keys()];
  const pick = () => {
    const all = paths();
    return all[Math.floor(rand() * all.length)];
  };
  const changeValue = async (path) => {
    const s = secrets.get(path);
    const plain = s.plain.replace(/(password["]?\s*[:=]\s*"?)([A-Za-z0-9]+)/, (_m, head) => `${head}changed${Math.floor(rand() * 1e9)}`);
    await encrypt(path, s.format, plain, await opened(path));
  };
  const rekeyProd = async () => {
    writeRules();
    for (const path of paths().filter((p) => /^apps\/[^/]+\/prod\//.test(p))) await encrypt(path, secrets.get(path).format, secrets.get(path).plain, undefined);
  };

  for (let c = 1; c < commits; c++) {
    time += DAY;
    const kind = c % 10;
    if (kind === 6 && prodRecipients.length === 2) {
      prodRecipients = [...prodRecipients, dev];
      await rekeyProd();
      git("add", "-A");
      git("commit", "-q", "-m", `Give dev access to production (${c})`);
    } else if (kind === 7 && prodRecipients.length === 3) {
      prodRecipients = prodRecipients.slice(0, 2);
      await rekeyProd();
      git("add", "-A");
      git("commit", "-q", "-m", `Take dev's access to production away (${c})`);
    } else if (kind === 8) {
      const from = pick();
      const to = from.replace(/secrets-(\d+)/, `secrets-$1-r${c}`);
      renameSync(join(repo, from), join(repo, to));
      secrets.set(to, secrets.get(from));
      secrets.delete(from);
      git("add", "-A");
      git("commit", "-q", "-m", `Rename ${from} (${c})`);
    } else if (kind === 9) {
      git("checkout", "-q", "-b", `change-${c}`);
      await changeValue(pick());
      git("commit", "-q", "-a", "-m", `Change a value on a branch (${c})`);
      time += 60;
      git("checkout", "-q", "main");
      await changeValue(pick());
      git("commit", "-q", "-a", "-m", `Change a value on main (${c})`);
      time += 60;
      git("merge", "-q", "--no-ff", "--no-edit", `change-${c}`);
      git("branch", "-q", "-D", `change-${c}`);
    } else {
      await changeValue(pick());
      await changeValue(pick());
      git("commit", "-q", "-a", "-m", `Change values (${c})`);
    }
  }
  return { repo, keyFile, recipients, files: paths() };
}

// As a program: generate one repository and say where it is.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, files, commits] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write("usage: node repo-generate.mjs DIR FILES COMMITS\n");
    process.exit(2);
  }
  const hush = [process.execPath, join(dirname(fileURLToPath(import.meta.url)), "..", "..", "cli", "bin", "hush.js")];
  const env = { PATH: process.env.PATH, HOME: join(dir, "home"), LANG: "C" };
  mkdirSync(env.HOME, { recursive: true });
  const started = Date.now();
  const { repo } = await generateRepository({ dir, files: Number(files ?? 50), commits: Number(commits ?? 50), hush, env });
  process.stderr.write(`generated ${repo} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
