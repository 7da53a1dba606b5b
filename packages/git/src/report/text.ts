import { appendAll, printable, shellPath } from "@hush/core";
import type { AccessReport, AuditReport } from "./model.ts";
import { atHeadNote, day, describeRecipient, driftLines, MATRIX_LEGEND, matrixCell, matrixIdentities, publishReaders, ruleText, shortCommit, thresholdText } from "./present.ts";

/** Plain-text tables of the reports, for a terminal. Cells are escaped before they are padded. */

/** Columns padded to their widest cell, two spaces apart, no trailing spaces. */
export function textTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  // Loops, not spreads: an audit has a row per value, and a spread passes one argument per row.
  const widths = headers.map((h) => h.length);
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return appendAll([line(headers)], rows.map(line));
}

/** `hush access` on a terminal: files, the recipient × file matrix, drift from `.sops.yaml`. */
export function renderAccessText(report: AccessReport): string {
  const out: string[] = [];
  const files = report.files;
  if (files.length === 0) return "hush access: no encrypted file found\n";
  appendAll(out, textTable(["#", "FILE", "NEEDED", "CREATION RULE"], files.map((f, i) => [`[${i + 1}]`, printable(f.path, 4096), thresholdText(f), ruleText(f.rule)])));
  out.push("", `Who can open which file (${MATRIX_LEGEND.join("; ")}; .: nothing)`);
  const identities = matrixIdentities(report.matrix);
  appendAll(
    out,
    textTable(
      ["RECIPIENT", "KIND", "IDENTITY", ...files.map((_, i) => `[${i + 1}]`)],
      report.matrix.map((row, ri) => [row.recipient.name === null ? "-" : printable(row.recipient.name, 60), printable(row.recipient.kind, 20), identities[ri]!, ...row.groups.map((g, fi) => matrixCell(g, files[fi]!))]),
    ),
  );
  const drift = files.flatMap((f) => driftLines(f).map((l) => `${printable(f.path, 4096)}: ${l}`));
  appendAll(out, ["", drift.length === 0 ? "No drift from .sops.yaml." : "Drift from .sops.yaml:"]);
  appendAll(out, drift);
  if (report.publishing.length > 0) {
    out.push("", "Where `sops publish` sends files (destination_rules of .sops.yaml; hush has no publish):");
    appendAll(out, textTable(["PATH_REGEX", "DESTINATION", "READABLE THERE BY"], report.publishing.map((p) => [printable(JSON.stringify(p.pathRegex), 400), printable(p.destination, 400), publishReaders(p)])));
  }
  out.push("", `hush access: ${files.length} file(s), ${report.matrix.length} recipient(s), ${files.filter((f) => driftLines(f).length > 0).length} file(s) drifted from .sops.yaml`);
  return `${out.join("\n")}\n`;
}

/** The findings of an audit, one line each (also used by the HTML page). */
export function auditFindings(report: AuditReport): string[] {
  const lines: string[] = [];
  for (const f of report.files) {
    const path = printable(f.path, 4096);
    // The command to paste: a file name from history is anyone's, `$(…)` and `;` included.
    const rotate = `hush rotate -i ${shellPath(f.path, 4096)}`;
    for (const r of f.removals) {
      if (r.rekeyedSince) continue;
      const who = r.removed.map((x) => describeRecipient(x)).join(", ");
      const removed = `${path}: ${who} removed in ${shortCommit(r.commit.commit)} (${day(r.commit.date)})`;
      const key = f.lastRekey;
      lines.push(
        r.restoredIn === null || key === null
          ? `${removed} without a new data key since: whoever held that key may still hold the file's data key; run \`${rotate}\``
          : `${removed}, but ${shortCommit(r.restoredIn.commit)} (${day(r.restoredIn.date)}) went back to a data key ${r.removed.length === 1 ? "it" : "they"} held (of ${shortCommit(key.commit)}, ${day(key.date)}): whoever held that key can open the file; run \`${rotate}\``,
      );
    }
    const where = `${path}${atHeadNote(f.atHead)}`;
    for (const c of f.unencryptedVersions) lines.push(`${where}: the version of ${shortCommit(c.commit)} (${day(c.date)}) was not encrypted: its values are in git history in clear; change them`);
  }
  return lines;
}

/** `hush audit` on a terminal: the age of every value, then the findings and a summary line. */
export function renderAuditText(report: AuditReport): string {
  const rows = report.files.flatMap((f) =>
    f.values.map((v) => [
      printable(f.path, 4096),
      printable(v.path, 400),
      day(v.changed.date),
      `${v.ageDays}d`,
      shortCommit(v.changed.commit),
      printable(v.changed.subject, 50),
      [v.stale ? "STALE" : "", v.rekey ? "rekey" : ""].filter((s) => s !== "").join(","),
    ]),
  );
  const findings = auditFindings(report);
  const nothing = "hush audit: no encrypted value found in git history";
  // Nothing to count either: the summary line would only repeat it in zeros.
  if (rows.length === 0 && findings.length === 0 && report.files.length === 0) return `${nothing}\n`;
  const out = rows.length === 0 ? [nothing] : textTable(["FILE", "KEY PATH", "CHANGED", "AGE", "COMMIT", "SUBJECT", "FLAGS"], rows);
  if (findings.length > 0) appendAll(appendAll(out, [""]), findings);
  const s = report.summary;
  const stale = report.maxAgeDays === null ? "" : `, ${s.stale} older than ${report.maxAgeDays} days`;
  out.push("", `hush audit: ${s.files} file(s), ${s.values} value(s) as of ${day(report.asOf)}${stale}; ${s.notRekeyedAfterRemoval} file(s) not re-keyed after a recipient was removed; ${s.unencryptedInHistory} file(s) with clear versions in history`);
  return `${out.join("\n")}\n`;
}
