import { printable } from "@hush/core";
import type { AccessReport, AuditReport } from "./model.ts";
import { atHeadNote, day, describeRecipient, driftLines, MATRIX_LEGEND, matrixCell, matrixIdentities, publishReaders, ruleText, shortCommit, thresholdText } from "./present.ts";
import { auditFindings } from "./text.ts";

/**
 * One self-contained HTML page for an auditor: the access matrix, each file's recipients and
 * drift from `.sops.yaml`, and, from `hush audit`, the age of every value. Inline CSS only: no
 * script, no external resource, and a Content-Security-Policy that forbids loading anything, so
 * the page shows the same offline, in a mail attachment or an archive.
 */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Untrusted text made safe for HTML: escaped for the terminal's sake too (invisible characters shown), then for markup. */
export function html(text: string, max = 4096): string {
  return printable(text, max).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;margin:2rem auto;max-width:1200px;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dbe2;padding-bottom:.3rem}
.meta{color:#5a6673;margin-top:0}
table{border-collapse:collapse;margin:.6rem 0;font-size:13px}
th,td{border:1px solid #d5dbe2;padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:#f1f4f7;font-weight:600}
td.cell{text-align:center;font-weight:600}
td.yes{background:#dff3e4;color:#14622b}td.no{color:#a9b2bc}
tr.stale td{background:#fdecea}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;white-space:nowrap}
ul.findings li{margin:.3rem 0}.bad{color:#a4161a;font-weight:600}.ok{color:#14622b}
.legend{color:#5a6673;font-size:12px}
`;

function accessSections(report: AccessReport): string {
  const files = report.files;
  const head = files.map((f, i) => `<th title="${html(f.path)}">[${i + 1}]<br><code>${html(f.path, 200)}</code></th>`).join("");
  const identities = matrixIdentities(report.matrix);
  const rows = report.matrix
    .map((row, ri) => {
      const cells = row.groups.map((g, fi) => {
        const text = matrixCell(g, files[fi]!);
        return `<td class="cell ${text === "." ? "no" : "yes"}">${text === "." ? "·" : html(text)}</td>`;
      });
      return `<tr><th>${row.recipient.name === null ? "<span class=\"legend\">(no name)</span>" : html(row.recipient.name, 100)}</th><td>${html(row.recipient.kind, 20)}</td><td><code title="${html(row.recipient.identity)}">${html(identities[ri]!)}</code></td>${cells.join("")}</tr>`;
    })
    .join("\n");
  const fileRows = files
    .map((f) => {
      const groups = f.groups.map((g, gi) => `group ${gi}: ${g.map((r) => html(describeRecipient(r))).join(", ")}`).join("<br>");
      const drift = driftLines(f);
      const driftCell = drift.length === 0 ? `<span class="ok">none</span>` : drift.map((l) => `<span class="bad">${html(l)}</span>`).join("<br>");
      return `<tr><td><code>${html(f.path)}</code></td><td>${html(thresholdText(f))}</td><td>${groups}</td><td>${f.rule === null || f.rule === "" ? html(ruleText(f.rule)) : `<code>${html(f.rule, 200)}</code>`}</td><td>${driftCell}</td></tr>`;
    })
    .join("\n");
  return `<h2>Access matrix</h2>
<p class="legend">${MATRIX_LEGEND.map((item) => html(item)).join(" · ")} · ·: cannot open the file</p>
<table><thead><tr><th>Recipient</th><th>Kind</th><th>Identity</th>${head}</tr></thead><tbody>
${rows}
</tbody></table>
<h2>Files and drift from .sops.yaml</h2>
<table><thead><tr><th>File</th><th>Needed</th><th>Recipients</th><th>Creation rule</th><th>Drift</th></tr></thead><tbody>
${fileRows}
</tbody></table>${publishingSection(report)}`;
}

/** The `destination_rules` (`sops publish`), when `.sops.yaml` has any. */
function publishingSection(report: AccessReport): string {
  if (report.publishing.length === 0) return "";
  const rows = report.publishing
    .map((p) => `<tr><td><code>${html(JSON.stringify(p.pathRegex), 400)}</code></td><td><code>${html(p.destination, 400)}</code></td><td${p.inClear ? ' class="bad"' : ""}>${html(publishReaders(p))}</td></tr>`)
    .join("\n");
  return `
<h2>Where <code>sops publish</code> sends files</h2>
<p class="legend">The destination_rules of .sops.yaml: only <code>sops publish</code> reads them (hush has no publish).</p>
<table><thead><tr><th>path_regex</th><th>Destination</th><th>Readable there by</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function auditSections(report: AuditReport): string {
  const rows = report.files
    .flatMap((f) =>
      f.values.map(
        (v) =>
          `<tr${v.stale ? ' class="stale"' : ""}><td><code>${html(f.path)}</code></td><td><code>${html(v.path, 400)}</code></td><td>${html(day(v.changed.date))}</td><td>${v.ageDays} days${v.stale ? ' <span class="bad">stale</span>' : ""}</td><td><code>${html(shortCommit(v.changed.commit))}</code></td><td>${html(v.changed.author, 100)}</td><td>${html(v.changed.subject, 120)}</td><td>${v.rekey ? "re-keyed" : ""}</td></tr>`,
      ),
    )
    .join("\n");
  const clearRows = report.files
    .flatMap((f) =>
      f.unencryptedVersions.map(
        (c) =>
          `<tr><td><code>${html(f.path)}</code>${html(atHeadNote(f.atHead))}</td><td>${html(day(c.date))}</td><td><code>${html(shortCommit(c.commit))}</code></td><td>${html(c.author, 100)}</td><td>${html(c.subject, 120)}</td></tr>`,
      ),
    )
    .join("\n");
  const findings = auditFindings(report);
  const s = report.summary;
  return `<h2>Age of every secret</h2>
<p class="legend">When each encrypted value's ciphertext last changed in git history, as of ${html(day(report.asOf))}${report.maxAgeDays === null ? "" : `; older than ${report.maxAgeDays} days is stale`}. "re-keyed": that commit gave the whole file a new data key.</p>
<table><thead><tr><th>File</th><th>Key path</th><th>Changed</th><th>Age</th><th>Commit</th><th>Author</th><th>Subject</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>
${
  clearRows === ""
    ? ""
    : `<h2>Versions committed in clear</h2>
<p class="legend">Versions without <code>sops</code> metadata of files encrypted at HEAD or at paths the current <code>.sops.yaml</code> covers: their values are in git history in clear.</p>
<table><thead><tr><th>File</th><th>Committed</th><th>Commit</th><th>Author</th><th>Subject</th></tr></thead><tbody>
${clearRows}
</tbody></table>`
}
<h2>Findings</h2>
<p>${s.files} file(s), ${s.values} value(s), ${s.stale} stale; ${s.notRekeyedAfterRemoval} file(s) not re-keyed after a recipient was removed; ${s.unencryptedInHistory} file(s) with clear versions in history.</p>
${findings.length === 0 ? '<p class="ok">No finding.</p>' : `<ul class="findings">${findings.map((l) => `<li class="bad">${html(l)}</li>`).join("\n")}</ul>`}`;
}

/** The report page: the access sections, and the audit sections when `audit` is given. */
export function renderReportHtml(access: AccessReport, audit: AuditReport | undefined, generated: Date): string {
  const title = audit === undefined ? "hush access report" : "hush access and audit report";
  const stamp = generated.toISOString().replace(/\.\d{3}Z$/, "Z");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${STYLE}</style></head>
<body>
<h1>${title}</h1>
<p class="meta">Generated ${html(stamp)} without any key, from the files' <code>sops</code> metadata${audit === undefined ? "" : " and git history"}. ${access.files.length} encrypted file(s), ${access.matrix.length} recipient(s).</p>
${accessSections(access)}
${audit === undefined ? "" : auditSections(audit)}
</body></html>
`;
}
