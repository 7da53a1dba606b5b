import { join, relative, resolve, sep } from "node:path";
import { HushError, printable } from "@hush/core";
import { auditClearHistory, auditFile, buildAccessReport, buildAuditReport, renderAuditText, renderReportHtml, type AccessInput, type FileAudit } from "@hush/git/report";
import type { CliIo } from "../../io.ts";
import { coveringRuleMatcher, workTreeRules } from "../git/check-rules.ts";
import { missing } from "../git/check-moved.ts";
import { readHistory, RealDirectories } from "./audit-history.ts";
import { gitOutput } from "../../git-run.ts";
import { gitPathLine } from "../../git-program.ts";
import { loadReportConfig, printReport, readEncryptedFiles, reportRules, writeHtml, type ReportFlags } from "./inputs.ts";

export interface AuditFlags extends ReportFlags {
  maxAge?: string;
  asOf?: string;
}

/** `--max-age`: days, as `365d`, `52w`, `1y` or a bare number of days. */
export function parseMaxAge(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d{1,6})([dwy]?)$/.exec(text.trim());
  if (m === null) throw new HushError("INVALID_ARGUMENT", `--max-age ${printable(text, 40)}: give a number of days, weeks or years, e.g. 365d, 26w or 1y`);
  const n = Number(m[1]);
  return m[2] === "w" ? n * 7 : m[2] === "y" ? n * 365 : n;
}

/** `--as-of`: the date ages are counted to (default now). */
export function parseAsOf(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(date.getTime())) throw new HushError("INVALID_ARGUMENT", `--as-of ${printable(text, 40)}: give a date such as 2026-01-31 or 2026-01-31T12:00:00Z`);
  return date;
}

/**
 * A shallow clone (a CI checkout's default) has cut history: its oldest commit looks like every
 * file's creation, so each value would be as young as that commit and called a new data key, and
 * every removal before it would be gone. `--max-age` would pass what is stale and a reader still
 * holding a data key would go unreported, so the audit refuses to run: the error to throw.
 */
function shallowClone(root: string): HushError {
  return new HushError("INVALID_ARGUMENT", `${printable(root, 4096)}: a shallow clone: its history is cut, so values would look younger than they are and recipients removed before the cut would not be reported`, {
    details: ["next: fetch the history (git fetch --unshallow, or a CI checkout with fetch-depth: 0), then run hush audit again"],
  });
}

/**
 * A PATH that is neither in the working tree nor in git history: a typo, which would otherwise
 * make `hush audit` a clean pass forever (`secret/` for `secrets/` in a scheduled CI job).
 * @throws HushError FILE_NOT_FOUND naming the first such path.
 */
function refuseUnknownPaths(io: CliIo, root: string, paths: readonly string[], logged: ReadonlySet<string>): void {
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (!missing(abs)) continue;
    const rel = relative(root, abs).split(sep).join("/");
    if (logged.has(rel) || [...logged].some((l) => l.startsWith(`${rel}/`))) continue;
    throw new HushError("FILE_NOT_FOUND", `${printable(p, 4096)}: no such file or directory, in the working tree or in git history`);
  }
}

/**
 * `hush audit [PATHS]`, without a key: for every encrypted value of the files under PATHS (as
 * committed on HEAD), when its ciphertext last changed and in which commit; which files kept
 * their data key after a recipient was removed; which had clear versions, also files no longer
 * at HEAD or never encrypted at paths the current `.sops.yaml` covers. Exit 1 when a value is
 * older than `--max-age`, a file was not re-keyed after a removal, or a clear version exists.
 */
export async function runAudit(io: CliIo, paths: readonly string[], flags: AuditFlags): Promise<number> {
  const maxAgeDays = parseMaxAge(flags.maxAge);
  const asOf = parseAsOf(flags.asOf);
  const root = gitPathLine(await gitOutput(io.cwd, io.env, ["rev-parse", "--show-toplevel"]).catch(() => {
    throw new HushError("INVALID_ARGUMENT", `${printable(io.cwd, 4096)}: not inside a git working tree (hush audit reads git history)`);
  }));
  // One git process: whether the clone is shallow (first line), and HEAD (git fails without one).
  const head = await gitOutput(root, io.env, ["rev-parse", "--is-shallow-repository", "--verify", "--quiet", "HEAD"]).catch(() => undefined);
  const hasHead = head !== undefined;
  if (head?.split("\n")[0] === "true") throw shallowClone(root);
  // Covered means covered by the rules in force now (as `hush check` matches them), not by the
  // rules of each commit: a secret committed before its rule was written, or under a rule a
  // later commit narrowed, is in the history all the same.
  const ruleFor = workTreeRules(io, flags.config, coveringRuleMatcher());
  const realDirs = new RealDirectories(root);
  const covered = async (path: string): Promise<boolean> => (await ruleFor(join(root, path), realDirs.deepest(path))) !== undefined;
  const { files: history, logged } = hasHead ? await readHistory(io, root, paths, covered) : { files: [], logged: new Set<string>() };
  refuseUnknownPaths(io, root, paths, logged);
  const loaded = await loadReportConfig(io, flags);
  const names = loaded?.config.recipientNames;
  // Paths as the user sees them: relative to the working directory.
  const shown = (p: string): string => relative(io.cwd, resolve(root, p)).split(sep).join("/");
  const files = history.flatMap((file): FileAudit[] => {
    if (file.atHead === "encrypted") return [auditFile(shown(file.path), file.versions, { asOf, maxAgeDays, names })];
    const audit = auditClearHistory(shown(file.path), file.versions, file.atHead);
    return audit === undefined ? [] : [audit];
  });
  const report = buildAuditReport(files, asOf, maxAgeDays);
  if (flags.html !== undefined) {
    const { inputs } = await readEncryptedFiles(io, paths, reportRules(io, flags));
    const access = buildAccessReport(inputs satisfies AccessInput[], loaded?.config);
    writeHtml(io, flags.html, renderReportHtml(access, report, asOf));
  }
  await printReport(io, flags, report, () => renderAuditText(report));
  const s = report.summary;
  return s.stale > 0 || s.notRekeyedAfterRemoval > 0 || s.unencryptedInHistory > 0 ? 1 : 0;
}
