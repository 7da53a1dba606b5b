/**
 * The Node loader (`node --import @hush/cli/config`) against `hush decrypt` of the same file and
 * `node -e 0`, measured in turn (node, loader, decrypt, node, …). The goal: what the loader adds
 * to a program's start-up is at most what `hush decrypt` costs beyond Node's own start-up, i.e.
 * loading secrets in-process is never slower than shelling out to decrypt them.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureRounds, median } from "./measure.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs the benchmark on `encFile` (a small encrypted file) and returns its Markdown lines, its
 * goal ({ name, value, target, detail }) and the raw figures.
 */
export function runLoaderBench({ node, hush, env, scratch, encFile, runs, fmtMs, fmtX }) {
  // The bench package depends on @hush/cli: the specifier resolves as it would in an application.
  const cwd = join(here, "..");
  const benches = [
    { command: [node, "-e", "0"], env, cwd },
    // The loader of the package that ships (hush-secrets/config), next to the `hush` it is compared with.
    { command: [node, "--import", join(dirname(hush), "..", "dist", "config.mjs"), "-e", "0"], env: { ...env, HUSH_ENV_FILE: encFile }, cwd },
    { command: [node, hush, "decrypt", encFile], env, cwd },
  ];
  const [base, loader, decrypt] = measureRounds(benches, { runs, scratch });
  const added = (m) => median(m.samples.map((s, i) => s.ms - base.samples[i].ms));
  const loaderAdded = added(loader);
  const decryptAdded = added(decrypt);
  const lines = [
    "",
    "### Node loader (`node --import hush-secrets/config`, the bundle), small YAML",
    "",
    `Measured in turn with \`node -e 0\` and \`hush decrypt\` of the same file (median of ${base.runs} rounds; added = median over rounds of the time minus that round's \`node -e 0\`).`,
    "",
    "| run | time | added to node -e 0 |",
    "|---|---:|---:|",
    `| node -e 0 | ${fmtMs(base.ms)} | — |`,
    `| node --import hush-secrets/config -e 0 | ${fmtMs(loader.ms)} | ${fmtMs(loaderAdded)} |`,
    `| hush decrypt | ${fmtMs(decrypt.ms)} | ${fmtMs(decryptAdded)} |`,
  ];
  const goal = {
    name: "loader adds ≤ 1× (hush decrypt − node -e 0)",
    value: loaderAdded / decryptAdded,
    target: 1,
    detail: `${fmtMs(loaderAdded)} vs ${fmtMs(decryptAdded)}; ${fmtX(loader.ms / base.ms)} node -e 0`,
  };
  return { lines, goal, figures: { nodeMs: base.ms, loaderMs: loader.ms, decryptMs: decrypt.ms, loaderAddedMs: loaderAdded, decryptAddedMs: decryptAdded } };
}
