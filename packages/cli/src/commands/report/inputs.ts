import { resolve, sep } from "node:path";
import { findCreationRule, HushError, isHushError, printable } from "@hush/core";
import type { AccessInput } from "@hush/git/report";
import { loadConfig, type LoadedConfig } from "../../config.ts";
import { workTreeRules, type RuleFor } from "../git/check-rules.ts";
import { jsonReport, writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
import { describeError, ownNameDropped } from "../../rekey/batch.ts";
import { NotEncrypted, readSecretFile } from "../../rekey/secret-files.ts";
import { expandTargets } from "../../rekey/targets.ts";

/** What `hush access` and `hush audit` share: finding encrypted files, `.sops.yaml`, and writing the output. */

export interface ReportFlags {
  json?: boolean;
  html?: string;
  config?: string;
}

/** `.sops.yaml` as found from the working directory (or `--config`), or undefined. */
export function loadReportConfig(io: CliIo, flags: ReportFlags): Promise<LoadedConfig | undefined> {
  return loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
}

/**
 * Each file's creation rule, from the `.sops.yaml` nearest to it (or `--config`/`SOPS_CONFIG`
 * for every file), as `hush check` finds it: drift is the findings of `hush check`. The config
 * found from the working directory gave a file under a `.sops.yaml` of its own the rules of
 * another, so `hush access` reported drift that `hush check` did not, and the reverse.
 * Unlike `hush check`, a rule without `path_regex` is the rule of every file (as `encrypt` reads it).
 */
export function reportRules(io: CliIo, flags: ReportFlags): RuleFor {
  return workTreeRules(io, flags.config, async (config, configName, relativePath) => {
    try {
      return await findCreationRule(config, relativePath);
    } catch (err) {
      if (isHushError(err, "CONFIG_NO_MATCH")) return undefined;
      if (isHushError(err, "CONFIG_INVALID")) throw err.withFile(configName);
      throw err;
    }
  });
}

/**
 * The encrypted files among `paths` (default: the working directory), read without a key.
 * Files found in directories that are not encrypted are left out; a named file that is not, or
 * a damaged one, is reported on stderr and counted in `failed`.
 */
export async function readEncryptedFiles(io: CliIo, paths: readonly string[], ruleFor: RuleFor): Promise<{ inputs: AccessInput[]; failed: number }> {
  const targets = expandTargets(paths.length === 0 ? ["."] : paths, io.cwd, undefined);
  const inputs: AccessInput[] = [];
  let failed = 0;
  for (const target of targets) {
    try {
      const file = await readSecretFile(target);
      inputs.push({ path: target.display.split(sep).join("/"), metadata: file.metadata, rule: await ruleFor(target.abs) });
    } catch (err) {
      if (err instanceof NotEncrypted) continue;
      failed++;
      // The reading errors name the file already ("x.yaml: no such file"): said once, as batches say it.
      io.stderr.write(`hush: ${printable(target.display, 4096)}: ${printable(ownNameDropped(target, describeError(err)), 4096)}\n`);
    }
  }
  return { inputs, failed };
}

/** Writes the HTML page to `--html FILE` (a report, not a secret: mode 0644). */
export function writeHtml(io: CliIo, file: string, page: string): void {
  if (file === "") throw new HushError("INVALID_ARGUMENT", "--html needs a file name");
  writeFileAtomic(resolve(io.cwd, file), page, { plaintext: false });
}

/** Prints the report: JSON with `--json`, else the text tables. */
export async function printReport(io: CliIo, flags: ReportFlags, data: unknown, text: () => string): Promise<void> {
  await writeOut(io.stdout, flags.json === true ? jsonReport(data) : text());
}
