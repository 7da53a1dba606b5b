// The built-in demo: makes a throwaway age key, encrypts a config file, shows it, edits one
// value, decrypts it, and opens the committed example repository with its demo key.
// Run it with `pnpm demo` (which builds first).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const hushBin = join(here, "..", "node_modules", ".bin", "hush");
const work = mkdtempSync(join(tmpdir(), "hush-demo-"));

function hush(args, env = {}) {
  const r = spawnSync(hushBin, args, { cwd: work, env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`hush ${args[0]} failed with exit ${r.status}`);
  }
  return r;
}
const title = (t) => console.log(`\n\x1b[1m== ${t}\x1b[0m`);

try {
  title("1. a throwaway age key: hush keygen -o key.txt");
  const keygen = hush(["keygen", "-o", "key.txt"]);
  const recipient = /Public key: (\S+)/.exec(keygen.stderr)[1];
  console.log(`public key (the recipient): ${recipient}`);

  title("2. a plaintext config: app.yaml");
  const plain = readFileSync(join(here, "plain", "app.yaml"), "utf8");
  writeFileSync(join(work, "app.yaml"), plain);
  console.log(plain);

  title(`3. hush encrypt -i --age ${recipient.slice(0, 16)}… app.yaml  (keys stay readable, values are encrypted)`);
  hush(["encrypt", "-i", "--age", recipient, "app.yaml"]);
  console.log(readFileSync(join(work, "app.yaml"), "utf8"));

  const env = { SOPS_AGE_KEY_FILE: join(work, "key.txt") };
  title("4. hush decrypt app.yaml  (byte for byte the original)");
  const back = hush(["decrypt", "app.yaml"], env).stdout;
  process.stdout.write(back);
  console.log(back === plain ? "\n✔ identical to the plaintext, comments and formatting included" : "\n✘ differs from the plaintext");

  title("5. one value: hush decrypt --extract '[\"database\"][\"password\"]' app.yaml");
  console.log(hush(["decrypt", "--extract", '["database"]["password"]', "app.yaml"], env).stdout);

  title("6. the example repository (examples/), opened with its committed demo key");
  const demoEnv = { SOPS_AGE_KEY_FILE: join(here, "keys", "demo.agekey") };
  for (const f of ["secrets/prod/app.yaml", "secrets/prod/payments.json"]) {
    console.log(`--- hush decrypt examples/${f}`);
    process.stdout.write(hush(["decrypt", join(here, f)], demoEnv).stdout);
  }
  console.log("\nDone. Next: read README.md (setup, formats, keys, git integration).");
} finally {
  rmSync(work, { recursive: true, force: true });
}
