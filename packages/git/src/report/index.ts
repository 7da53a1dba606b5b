/**
 * `@hush/git/report`: keyless reports over a repository's encrypted files: who can open what
 * (`hush access`) and how old every encrypted value is (`hush audit`), as data, terminal tables
 * and one self-contained HTML page. Kept out of `@hush/git`'s main entry so the diff and merge
 * drivers do not load it.
 */
export * from "./model.ts";
export { buildAccessReport, recipientRef, compareRecipients, type AccessInput } from "./access.ts";
export { summarizeVersion, versionKind, auditFile, auditClearHistory, buildAuditReport, ageInDays, type VersionSummary, type FileVersion, type ClearOrNot } from "./audit.ts";
export { Lineage, type PlacedVersion } from "./lineage.ts";
export { parseRawLog, parseCommitObject, LOG_FORMAT, type LoggedCommit } from "./git-output.ts";
export { BatchReader, type BatchObject } from "../cat-file-batch.ts";
export { renderAccessText, renderAuditText, auditFindings, textTable } from "./text.ts";
export { renderReportHtml, html } from "./html.ts";
