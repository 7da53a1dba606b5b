/**
 * The Node loader (`node --import hush-secrets/config app.mjs`) against the same application
 * without it, and `hush decrypt` of the same file against `node -e 0`, all measured in turn
 * (node, app, app with loader, decrypt, node, …). The goal: what the loader adds to an
 * application's start-up is at most what `hush decrypt` costs beyond Node's own start-up, i.e.
 * loading secrets in-process is never slower than shelling out to decrypt them.
 *
 * The application is an empty ES module: `--import` starts Node's ES module loader, which an ES
 * module application starts anyway (about 6 ms here), so that cost is the application's, not the
 * loader's. The raw `node --import … -e 0` figure is reported too, and so is what the loader adds
 * to a service-like application that loads node:crypto and node:https itself (web servers, HTTP
 * clients and database drivers do): there the loader's use of node:crypto costs nothing more.
 * The goal is taken on the empty application, the case least favourable to the loader. What
 * `node -r hush-secrets/config` (the CommonJS entry, which holds the program's entry back until
 * the variables are set) adds to an empty CommonJS application is reported beside it.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureRounds, median } from "./measure.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Runs the benchmark on `encFile` (a small encrypted file) and returns its Markdown lines, its
 * goal ({ name, value, target, detail }) and the raw figures.
 */
export function runLoaderBench({ node, hush, env, scratch, encFile, runs, fmtMs, fmtX }) {
  const cwd = join(here, "..");
  const app = join(scratch, "loader-bench-app.mjs");
  writeFileSync(app, "export {};\n");
  const serviceApp = join(scratch, "loader-bench-service-app.mjs");
  writeFileSync(serviceApp, 'import "node:crypto";\nimport "node:https";\nexport {};\n');
  // The loader of the package that ships (hush-secrets/config), next to the `hush` it is compared with.
  const loaderModule = join(dirname(hush), "..", "dist", "config.mjs");
  const requiredLoader = join(dirname(hush), "..", "dist", "config.cjs");
  const commonJsApp = join(scratch, "loader-bench-app.cjs");
  writeFileSync(commonJsApp, "");
  const loaderEnv = { ...env, HUSH_ENV_FILE: encFile };
  const benches = [
    { command: [node, "-e", "0"], env, cwd },
    { command: [node, app], env, cwd },
    { command: [node, "--import", loaderModule, app], env: loaderEnv, cwd },
    { command: [node, "--import", loaderModule, "-e", "0"], env: loaderEnv, cwd },
    { command: [node, hush, "decrypt", encFile], env, cwd },
    { command: [node, serviceApp], env, cwd },
    { command: [node, "--import", loaderModule, serviceApp], env: loaderEnv, cwd },
    { command: [node, commonJsApp], env, cwd },
    { command: [node, "-r", requiredLoader, commonJsApp], env: loaderEnv, cwd },
  ];
  const [base, bareApp, appWithLoader, loaderRaw, decrypt, bareService, serviceWithLoader, bareCommonJs, commonJsWithLoader] = measureRounds(benches, { runs, scratch });
  const addedTo = (m, baseline) => median(m.samples.map((s, i) => s.ms - baseline.samples[i].ms));
  const loaderAdded = addedTo(appWithLoader, bareApp);
  const decryptAdded = addedTo(decrypt, base);
  const lines = [
    "",
    "### Node loader (`node --import hush-secrets/config`, the bundle), small YAML",
    "",
    `Measured in turn (median of ${base.runs} rounds; added = median over rounds of the time minus that round's baseline).`,
    "",
    "| run | time | baseline | added |",
    "|---|---:|---|---:|",
    `| node -e 0 | ${fmtMs(base.ms)} | — | — |`,
    `| node app.mjs (an empty ES module) | ${fmtMs(bareApp.ms)} | node -e 0 | ${fmtMs(addedTo(bareApp, base))} |`,
    `| node --import hush-secrets/config app.mjs | ${fmtMs(appWithLoader.ms)} | node app.mjs | ${fmtMs(loaderAdded)} |`,
    `| node --import hush-secrets/config -e 0 | ${fmtMs(loaderRaw.ms)} | node -e 0 | ${fmtMs(addedTo(loaderRaw, base))} |`,
    `| hush decrypt | ${fmtMs(decrypt.ms)} | node -e 0 | ${fmtMs(decryptAdded)} |`,
    `| node service-app.mjs (imports node:crypto and node:https) | ${fmtMs(bareService.ms)} | node -e 0 | ${fmtMs(addedTo(bareService, base))} |`,
    `| node --import hush-secrets/config service-app.mjs | ${fmtMs(serviceWithLoader.ms)} | node service-app.mjs | ${fmtMs(addedTo(serviceWithLoader, bareService))} |`,
    `| node -r hush-secrets/config app.cjs | ${fmtMs(commonJsWithLoader.ms)} | node app.cjs (an empty CommonJS module) | ${fmtMs(addedTo(commonJsWithLoader, bareCommonJs))} |`,
  ];
  const goal = {
    name: "loader adds ≤ 1× (hush decrypt − node -e 0)",
    value: loaderAdded / decryptAdded,
    target: 1,
    detail: `${fmtMs(loaderAdded)} vs ${fmtMs(decryptAdded)}; app with loader ${fmtX(appWithLoader.ms / base.ms)} node -e 0`,
  };
  return {
    lines,
    goal,
    figures: {
      nodeMs: base.ms,
      appMs: bareApp.ms,
      appWithLoaderMs: appWithLoader.ms,
      loaderRawMs: loaderRaw.ms,
      decryptMs: decrypt.ms,
      loaderAddedMs: loaderAdded,
      decryptAddedMs: decryptAdded,
      serviceLoaderAddedMs: addedTo(serviceWithLoader, bareService),
      requiredLoaderAddedMs: addedTo(commonJsWithLoader, bareCommonJs),
    },
  };
}
