import { lstatSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { leadsOutside, formatFromPath, HushError, printable, WHOLE_FILE_FORMAT, type FileFormat } from "@hush/core";
import { Lineage, parseCommitObject, summarizeVersion, versionKind, type PlacedVersion, type AtHead, type ClearOrNot, type CommitRef, type FileVersion, type LoggedCommit, type VersionSummary } from "@hush/git/report";
import type { CliIo } from "../../io.ts";
import { ObjectReader } from "../../git-objects.ts";
import { commitChanges, fileHistory, type FileHistory, type MainLine } from "./git-history.ts";

/**
 * The versions `hush audit` reads from history: of every file encrypted at HEAD (all it needs to
 * date values and removals), and of every other file at a path the current `.sops.yaml` covers
 * (only whether each version was clear).
 */

/** Blobs larger than this are not read (no configuration file is that big). */
const MAX_BLOB = 16 * 1024 * 1024;

/** A file of the audit: encrypted at HEAD with its versions' summaries, or covered with its versions' clear-or-not. */
export type HistoryFile =
  | { readonly path: string; readonly atHead: "encrypted"; readonly versions: readonly FileVersion[] }
  | { readonly path: string; readonly atHead: Exclude<AtHead, "encrypted">; readonly versions: readonly ClearOrNot[] };

/** Whether the current `.sops.yaml` rules cover a path (relative to the repository's top, forward slashes). */
export type CoveredPath = (path: string) => Promise<boolean>;

/**
 * Where the search for a history path's `.sops.yaml` starts: the deepest directory on its path
 * that is a real directory of the working tree. A path from history may run through a directory
 * deleted since, or through a name that is now a symbolic link (the repository's to choose): the
 * search never follows one, so it never reads a `.sops.yaml` outside the repository that the
 * repository points at.
 */
export class RealDirectories {
  readonly #root: string;
  readonly #isDirectory = new Map<string, boolean>();

  /** `root`: the repository's top level. */
  constructor(root: string) {
    this.#root = root;
  }

  /** For `path` (relative to the top, forward slashes), the absolute directory to search from. */
  deepest(path: string): string {
    let dir = this.#root;
    for (const part of path.split("/").slice(0, -1)) {
      const next = join(dir, part);
      let real = this.#isDirectory.get(next);
      if (real === undefined) {
        try {
          real = lstatSync(next).isDirectory();
        } catch {
          real = false;
        }
        this.#isDirectory.set(next, real);
      }
      if (!real) break;
      dir = next;
    }
    return dir;
  }
}

/** `paths` (the working directory when none) relative to the repository's top, forward slashes ("" for the top). */
function fromTop(io: CliIo, root: string, paths: readonly string[]): string[] {
  return (paths.length === 0 ? ["."] : paths).map((p) => {
    const rel = relative(root, resolve(io.cwd, p));
    if (leadsOutside(rel)) throw new HushError("INVALID_ARGUMENT", `${printable(p, 4096)}: outside the repository`);
    return rel.split(sep).join("/");
  });
}

const literal = (path: string): string => `:(top,literal)${path}`;

function dateOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const formatOf = (path: string): FileFormat => formatFromPath(path) ?? WHOLE_FILE_FORMAT;

type Read = VersionSummary | "encrypted" | "clear" | "unreadable";
interface Version {
  readonly commit: string;
  readonly time: number;
  /** The new blob, null when deleted. */
  readonly blob: string | null;
  readonly merged: boolean;
  /** Position along first parents, oldest first (-1 on a merged branch). */
  readonly order: number;
}

/** Per file, oldest first along first parents (placed by `history.mainLine`), then the versions on merged branches. */
function versionsByFile(history: FileHistory): Map<string, Version[]> {
  const byFile = new Map<string, Version[]>();
  const add = (commits: readonly LoggedCommit[], merged: boolean): void => {
    for (const c of commits) {
      for (const change of c.changes) {
        let list = byFile.get(change.path);
        if (list === undefined) byFile.set(change.path, (list = []));
        list.push({ commit: c.commit, time: c.authorTime, blob: change.blob, merged, order: merged ? -1 : history.mainLine.get(c.commit)! });
      }
    }
  };
  add([...history.firstParent].reverse(), false);
  add([...history.merged].reverse(), true);
  return byFile;
}

/** Rounds of moves followed out of PATHS (a file moved from a file moved from …), and files taken in each. */
const MAX_MOVE_ROUNDS = 8;
const MAX_MOVED_FROM = 1000;

/**
 * The files outside an audit's PATHS that its `audited` files (encrypted at HEAD) were moved
 * from, with their versions: a file deleted in a commit (along first parents) that adds one of
 * them, or adds a file found so. `inside`: every file under PATHS.
 * `git mv secrets/production secrets/prod` leaves `hush audit secrets/prod` a history that starts
 * at the move, its values dated then (a `--max-age` passed by a renamed directory) and the
 * readers removed before unseen; the whole-repository audit followed them (lineage.ts), and now a
 * path-limited one reads the same. Two git processes a round, and a round only while a round
 * finds such files; a move whose deletion is in another commit than its addition is not followed
 * (the whole-repository audit follows it).
 */
async function movedInFrom(root: string, env: CliIo["env"], audited: ReadonlyMap<string, Version[]>, inside: ReadonlyMap<string, Version[]>, mainLine: MainLine): Promise<Map<string, Version[]>> {
  const found = new Map<string, Version[]>();
  // Files under PATHS on the way (`git mv other/x secrets/tmp`, then `git mv secrets/tmp
  // secrets/final`): their history is read already, and where they were moved from is looked for
  // as for the audited files.
  const onTheWay = new Set(audited.keys());
  let frontier: ReadonlyMap<string, Version[]> = audited;
  for (let round = 0; round < MAX_MOVE_ROUNDS && found.size < MAX_MOVED_FROM; round++) {
    const adds = new Set<string>();
    for (const list of frontier.values()) {
      const placed = list.filter((v) => !v.merged);
      placed.forEach((v, i) => {
        if (v.blob !== null && (i === 0 || placed[i - 1]!.blob === null)) adds.add(v.commit);
      });
    }
    const sources = new Set<string>();
    const insideNext = new Map<string, Version[]>();
    for (const c of await commitChanges(root, env, [...adds])) {
      for (const change of c.changes) {
        if (change.blob !== null) continue;
        const own = inside.get(change.path);
        if (own !== undefined) {
          if (!onTheWay.has(change.path)) insideNext.set(change.path, own);
          onTheWay.add(change.path);
        } else if (!found.has(change.path) && sources.size < MAX_MOVED_FROM - found.size) sources.add(change.path);
      }
    }
    if (sources.size === 0 && insideNext.size === 0) break;
    const next = sources.size === 0 ? new Map<string, Version[]>() : versionsByFile(await fileHistory(root, env, [...sources].map(literal), { mainLine, onStdin: true }));
    for (const [path, list] of next) if (sources.has(path)) found.set(path, list);
    frontier = new Map([...next, ...insideNext]);
  }
  return found;
}

/**
 * Reads the files under `paths` from history: one log for all files, then through one
 * `git cat-file --batch`, the blobs of every file's last version (to find the encrypted ones),
 * then the other versions of those and of the covered files, then the commit objects.
 * Without the word `sops` a blob has no metadata and is not parsed; a covered file's versions
 * are parsed only as far as telling encrypted from clear. `logged`: every path git history has
 * under `paths` (relative to the top, forward slashes).
 */
export async function readHistory(io: CliIo, root: string, paths: readonly string[], covered: CoveredPath): Promise<{ files: HistoryFile[]; logged: ReadonlySet<string> }> {
  const asked = fromTop(io, root, paths);
  const log = await fileHistory(root, io.env, asked.map(literal));
  const byFile = versionsByFile(log);
  const logged = new Set(byFile.keys());
  const reader = new ObjectReader(root, io.env);
  try {
    // By blob and format: what was read, and whether it was read whole (a summary) or only as clear or not.
    const reads = new Map<string, { whole: boolean; value: Promise<Read> }>();
    const keyOf = (path: string, blob: string): string => `${blob} ${formatOf(path)}`;
    const readBlobs = async (wanted: ReadonlyArray<{ path: string; blob: string; whole: boolean }>): Promise<void> => {
      const needs = new Map<string, Map<FileFormat, boolean>>();
      for (const w of wanted) {
        const done = reads.get(keyOf(w.path, w.blob));
        if (done !== undefined && (done.whole || !w.whole)) continue;
        let formats = needs.get(w.blob);
        if (formats === undefined) needs.set(w.blob, (formats = new Map()));
        const format = formatOf(w.path);
        formats.set(format, formats.get(format) === true || w.whole);
      }
      const names = [...needs.keys()];
      await reader.read(names, (object, i) => {
        const content = "content" in object && object.content.length <= MAX_BLOB ? object.content : undefined;
        const text = content?.includes("sops") === true ? content.toString("utf8") : undefined;
        for (const [format, whole] of needs.get(names[i]!)!) {
          const value: Promise<Read> = content === undefined ? Promise.resolve("unreadable") : text === undefined ? Promise.resolve("clear") : whole ? summarizeVersion(text, format) : versionKind(text, format);
          reads.set(`${names[i]!} ${format}`, { whole, value });
        }
      });
    };
    const readOf = (path: string, blob: string): Promise<Read> => reads.get(keyOf(path, blob))!.value;
    const headOf = (list: readonly Version[]): Version | undefined => list.filter((v) => !v.merged).at(-1);

    // Files whose last version along first parents is encrypted are audited whole.
    const last = [...byFile].flatMap(([path, list]) => {
      const blob = headOf(list)?.blob;
      return blob === undefined || blob === null ? [] : [{ path, blob, whole: true }];
    });
    await readBlobs(last);
    const audited = new Set<string>();
    for (const { path, blob } of last) if (typeof (await readOf(path, blob)) === "object") audited.add(path);
    // Audited below PATHS only: the files outside them that the audited files were moved from.
    const outside = asked.includes("") || audited.size === 0 ? new Map<string, Version[]>() : await movedInFrom(root, io.env, new Map([...audited].map((p) => [p, byFile.get(p)!])), byFile, log.mainLine);
    for (const [path, list] of outside) byFile.set(path, list);
    // The others are searched for clear versions when the current rules cover their path.
    const coveredOnly: string[] = [];
    for (const path of logged) if (!audited.has(path) && (await covered(path))) coveredOnly.push(path);
    const blobsOf = (path: string, whole: boolean): Array<{ path: string; blob: string; whole: boolean }> => byFile.get(path)!.flatMap((v) => (v.blob === null ? [] : [{ path, blob: v.blob, whole }]));
    // Files deleted along first parents may be where an audited file was moved or copied from
    // with its data key (lineage.ts): their versions are read whole too, as are those of the
    // files outside PATHS that files under them were moved from.
    const deleted = [...byFile].filter(([path, list]) => !audited.has(path) && (outside.has(path) || list.some((v) => !v.merged && v.blob === null))).map(([path]) => path);
    await readBlobs([...[...audited, ...deleted].flatMap((p) => blobsOf(p, true)), ...coveredOnly.flatMap((p) => blobsOf(p, false))]);

    const kindOf = async (path: string, blob: string | null): Promise<Read | null> => (blob === null ? null : await readOf(path, blob));
    const clearOf = new Map<string, Array<boolean | null>>();
    for (const path of coveredOnly) {
      const kinds: Array<boolean | null> = [];
      for (const v of byFile.get(path)!) {
        const kind = await kindOf(path, v.blob);
        kinds.push(kind === null ? null : kind === "clear");
      }
      clearOf.set(path, kinds);
    }
    // Commit objects: every version of an audited file, the clear versions of a covered one.
    const wantedCommits = [
      ...[...audited, ...deleted].flatMap((path) => byFile.get(path)!.map((v) => v.commit)),
      ...coveredOnly.flatMap((path) => byFile.get(path)!.filter((_, i) => clearOf.get(path)![i] === true).map((v) => v.commit)),
    ];
    const commitNames = [...new Set(wantedCommits)];
    const commits = new Map<string, { author: string; subject: string }>();
    await reader.read(commitNames, (object, i) => {
      commits.set(commitNames[i]!, "content" in object ? parseCommitObject(object.content) : { author: "", subject: "" });
    });
    const refOf = (v: Version): CommitRef => {
      const info = commits.get(v.commit) ?? { author: "", subject: "" };
      return { commit: v.commit, date: dateOf(v.time), author: info.author, subject: info.subject };
    };

    const histories = new Map<string, { placed: PlacedVersion[]; merged: FileVersion[] }>();
    for (const path of [...audited, ...deleted]) {
      const placed: PlacedVersion[] = [];
      const merged: FileVersion[] = [];
      for (const v of byFile.get(path)!) {
        const summary = await kindOf(path, v.blob);
        // A version that does not parse says nothing about the values: it is left out.
        if (summary === "unreadable" || summary === "encrypted") continue;
        const version: FileVersion = { commit: refOf(v), summary: summary === "clear" ? "unencrypted" : summary, ...(v.merged ? { merged: true } : {}) };
        if (v.merged) merged.push(version);
        else placed.push({ version, order: v.order });
      }
      histories.set(path, { placed, merged });
    }
    const lineage = new Lineage(histories);
    const out: HistoryFile[] = [];
    for (const path of audited) out.push({ path, atHead: "encrypted", versions: lineage.versionsOf(path) });
    for (const path of coveredOnly) {
      const kinds = clearOf.get(path)!;
      const versions: ClearOrNot[] = byFile.get(path)!.map((v, i) => ({ commit: kinds[i] === true ? refOf(v) : { commit: v.commit, date: dateOf(v.time), author: "", subject: "" }, clear: kinds[i]!, ...(v.merged ? { merged: true } : {}) }));
      const head = headOf(byFile.get(path)!);
      const headKind = head === undefined ? null : await kindOf(path, head.blob);
      out.push({ path, atHead: headKind === null ? "absent" : headKind === "clear" ? "unencrypted" : "unreadable", versions });
    }
    return { files: out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)), logged };
  } finally {
    reader.close();
  }
}
