import { isAbsolute, relative, resolve, sep } from "node:path";
import { formatFromPath, HushError, printable, WHOLE_FILE_FORMAT, type FileFormat } from "@hush/core";
import {
  auditFile,
  buildAccessReport,
  buildAuditReport,
  parseCommitObject,
  renderAuditText,
  renderReportHtml,
  summarizeVersion,
  type AccessInput,
  type CommitRef,
  type FileVersion,
  type LoggedCommit,
  type VersionSummary,
} from "@hush/git/report";
import type { CliIo } from "../../io.ts";
import { ObjectReader } from "../../git-objects.ts";
import { fileHistory, gitOutput } from "./git-history.ts";
import { loadReportConfig, printReport, readEncryptedFiles, writeHtml, type ReportFlags } from "./inputs.ts";

export interface AuditFlags extends ReportFlags {
  maxAge?: string;
  asOf?: string;
}

/** Blobs larger than this are not read (no configuration file is that big). */
const MAX_BLOB = 16 * 1024 * 1024;

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

/** `:(top,literal)path` for each of `paths` (the working directory when none), relative to the repository's top. */
function pathspecs(io: CliIo, root: string, paths: readonly string[]): string[] {
  return (paths.length === 0 ? ["."] : paths).map((p) => {
    const rel = relative(root, resolve(io.cwd, p));
    if (rel.startsWith("..") || isAbsolute(rel)) throw new HushError("INVALID_ARGUMENT", `${printable(p, 4096)}: outside the repository`);
    return `:(top,literal)${rel.split(sep).join("/")}`;
  });
}

function dateOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Reads each file's versions from history: one log for all files, then the blobs of every file's
 * last version (to keep only encrypted files), then the earlier blobs and the commit objects.
 */
async function readHistory(io: CliIo, root: string, paths: readonly string[]): Promise<Array<{ path: string; versions: FileVersion[] }>> {
  const log = await fileHistory(root, io.env, pathspecs(io, root, paths));
  // Per file, oldest first along first parents, then the versions on merged branches: the
  // commit and the new blob (null when deleted).
  const byFile = new Map<string, Array<{ commit: string; time: number; blob: string | null; merged: boolean }>>();
  const add = (commits: readonly LoggedCommit[], merged: boolean): void => {
    for (const c of commits) {
      for (const change of c.changes) {
        let list = byFile.get(change.path);
        if (list === undefined) byFile.set(change.path, (list = []));
        list.push({ commit: c.commit, time: c.authorTime, blob: change.blob, merged });
      }
    }
  };
  add([...log.firstParent].reverse(), false);
  add([...log.merged].reverse(), true);
  const reader = new ObjectReader(root, io.env);
  try {
    const summaries = new Map<string, Promise<VersionSummary | "clear" | "unreadable">>();
    const formatOf = (path: string): FileFormat => formatFromPath(path) ?? WHOLE_FILE_FORMAT;
    const readBlobs = async (wanted: Array<{ path: string; blob: string }>): Promise<void> => {
      const fresh = wanted.filter((w) => !summaries.has(`${w.blob} ${formatOf(w.path)}`));
      const names = [...new Set(fresh.map((w) => w.blob))];
      const formats = new Map<string, FileFormat[]>();
      for (const w of fresh) formats.set(w.blob, [...new Set([...(formats.get(w.blob) ?? []), formatOf(w.path)])]);
      await reader.read(names, (object) => {
        // Without the word "sops" a blob has no metadata: it is not parsed.
        const content = "content" in object && object.content.length <= MAX_BLOB ? object.content : undefined;
        for (const format of formats.get(object.name) ?? []) {
          const summary = content === undefined ? Promise.resolve("unreadable" as const) : content.includes("sops") ? summarizeVersion(content.toString("utf8"), format) : Promise.resolve("clear" as const);
          summaries.set(`${object.name} ${format}`, summary);
        }
      });
    };
    // Only files whose last version (along first parents) is encrypted are audited.
    const last = [...byFile].flatMap(([path, list]) => {
      const head = list.filter((v) => !v.merged).at(-1);
      return head === undefined || head.blob === null ? [] : [{ path, blob: head.blob }];
    });
    await readBlobs(last);
    const audited: string[] = [];
    for (const { path, blob } of last) if (typeof (await summaries.get(`${blob} ${formatOf(path)}`)) === "object") audited.push(path);
    audited.sort();
    await readBlobs(audited.flatMap((path) => byFile.get(path)!.flatMap((v) => (v.blob === null ? [] : [{ path, blob: v.blob }]))));
    const commits = new Map<string, { author: string; subject: string }>();
    const commitNames = [...new Set(audited.flatMap((path) => byFile.get(path)!.map((v) => v.commit)))];
    await reader.read(commitNames, (object, i) => {
      commits.set(commitNames[i]!, "content" in object ? parseCommitObject(object.content) : { author: "", subject: "" });
    });
    const out: Array<{ path: string; versions: FileVersion[] }> = [];
    for (const path of audited) {
      const versions: FileVersion[] = [];
      for (const v of byFile.get(path)!) {
        const info = commits.get(v.commit)!;
        const commit: CommitRef = { commit: v.commit, date: dateOf(v.time), author: info.author, subject: info.subject };
        const summary = v.blob === null ? null : await summaries.get(`${v.blob} ${formatOf(path)}`)!;
        // A version that does not parse says nothing about the values: it is left out.
        if (summary === "unreadable") continue;
        versions.push({ commit, summary: summary === "clear" ? "unencrypted" : summary, ...(v.merged ? { merged: true } : {}) });
      }
      out.push({ path, versions });
    }
    return out;
  } finally {
    reader.close();
  }
}

/**
 * `hush audit [PATHS]`, without a key: for every encrypted value of the files under PATHS (as
 * committed on HEAD), when its ciphertext last changed and in which commit; which files kept
 * their data key after a recipient was removed; which had clear versions. Exit 1 when a value is
 * older than `--max-age`, a file was not re-keyed after a removal, or a clear version exists.
 */
export async function runAudit(io: CliIo, paths: readonly string[], flags: AuditFlags): Promise<number> {
  const maxAgeDays = parseMaxAge(flags.maxAge);
  const asOf = parseAsOf(flags.asOf);
  const root = (await gitOutput(io.cwd, io.env, ["rev-parse", "--show-toplevel"]).catch(() => {
    throw new HushError("INVALID_ARGUMENT", `${printable(io.cwd, 4096)}: not inside a git working tree (hush audit reads git history)`);
  })).replace(/\n$/, "");
  const hasHead = await gitOutput(root, io.env, ["rev-parse", "--verify", "--quiet", "HEAD"]).then(() => true, () => false);
  const history = hasHead ? await readHistory(io, root, paths) : [];
  const loaded = await loadReportConfig(io, flags);
  const names = loaded?.config.recipientNames;
  // Paths as the user sees them: relative to the working directory.
  const shown = (p: string): string => relative(io.cwd, resolve(root, p)).split(sep).join("/");
  const files = history.map(({ path, versions }) => auditFile(shown(path), versions, { asOf, maxAgeDays, names }));
  const report = buildAuditReport(files, asOf, maxAgeDays);
  if (flags.html !== undefined) {
    const { inputs } = await readEncryptedFiles(io, paths, loaded);
    const access = buildAccessReport(inputs satisfies AccessInput[], names);
    writeHtml(io, flags.html, renderReportHtml(access, report, asOf));
  }
  await printReport(io, flags, report, () => renderAuditText(report));
  const s = report.summary;
  return s.stale > 0 || s.notRekeyedAfterRemoval > 0 || s.unencryptedInHistory > 0 ? 1 : 0;
}
