import { buildAccessReport, renderAccessText, renderReportHtml } from "@hush/git/report";
import type { CliIo } from "../../io.ts";
import { loadReportConfig, printReport, readEncryptedFiles, reportRules, writeHtml, type ReportFlags } from "./inputs.ts";

/**
 * `hush access [PATHS]`, without a key: for every encrypted file, its recipients per key group and
 * the threshold, a recipient × file matrix, and drift from `.sops.yaml`. Exit 0, or 1 when a
 * file could not be read.
 */
export async function runAccess(io: CliIo, paths: readonly string[], flags: ReportFlags): Promise<number> {
  const loaded = await loadReportConfig(io, flags);
  const { inputs, failed } = await readEncryptedFiles(io, paths, reportRules(io, flags));
  const report = buildAccessReport(inputs, loaded?.config);
  if (flags.html !== undefined) writeHtml(io, flags.html, renderReportHtml(report, undefined, new Date()));
  await printReport(io, flags, report, () => renderAccessText(report));
  return failed > 0 ? 1 : 0;
}
