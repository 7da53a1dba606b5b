import { resolve, sep } from "node:path";
import { HushError, isHushError, printable, type CreationRule } from "@hush/core";
import type { AccessInput } from "@hush/git/report";
import { creationRuleFor, loadConfig, type LoadedConfig } from "../../config.ts";
import { jsonReport, writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
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

/** The creation rule for a file, or undefined when the config has none for it. */
export async function ruleOrNone(loaded: LoadedConfig | undefined, abs: string, cwd: string): Promise<CreationRule | undefined> {
  try {
    return await creationRuleFor(loaded, abs, cwd);
  } catch (err) {
    if (isHushError(err, "CONFIG_NO_MATCH")) return undefined;
    throw err;
  }
}

/**
 * The encrypted files among `paths` (default: the working directory), read without a key.
 * Files found in directories that are not encrypted are left out; a named file that is not, or
 * a damaged one, is reported on stderr and counted in `failed`.
 */
export async function readEncryptedFiles(io: CliIo, paths: readonly string[], loaded: LoadedConfig | undefined): Promise<{ inputs: AccessInput[]; failed: number }> {
  const targets = expandTargets(paths.length === 0 ? ["."] : paths, io.cwd, undefined);
  const inputs: AccessInput[] = [];
  let failed = 0;
  for (const target of targets) {
    try {
      const file = await readSecretFile(target);
      inputs.push({ path: target.display.split(sep).join("/"), metadata: file.metadata, rule: await ruleOrNone(loaded, target.abs, io.cwd) });
    } catch (err) {
      if (err instanceof NotEncrypted) continue;
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      io.stderr.write(`hush: ${printable(target.display, 4096)}: ${printable(message, 4096)}\n`);
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
