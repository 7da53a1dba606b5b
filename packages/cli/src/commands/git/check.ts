import { isUtf8 } from "node:buffer";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, posix, relative, resolve, sep } from "node:path";
import { leadsOutside, appendAll, firstInvalidUtf8Line, printable, shellPath, type CreationRule } from "@hush/core";
import { checkFile, checkPassed, isRecipientFindingCode, isScannable, routedPlaintextProblem, type CheckProblem, type FileCheckResult } from "@hush/git";
import { jsonReport, writeOut, type CliIo } from "../../io.ts";
import { createKeySourceResolver } from "../../key-sources.ts";
import type { DriverAttributes, SetUpAt, StagedReader } from "./check-drivers.ts";
import type { BaseRuleAt, BranchFile } from "./check-since-start.ts";
import type { HeadVersion, StagedHead, StagedPlain } from "./check-staged-head.ts";
import { readCheckedFile, type Unreadable } from "./check-read.ts";
import { gitBlobId } from "../../git-objects.ts";
import { GlobRuleWatch } from "./check-glob-rules.ts";
import { baseRules, coveringRuleMatcher, workTreeRules } from "./check-rules.ts";

export interface CheckFlags {
  verify?: boolean;
  /** Verify the MAC of every file a key opens; files no key opens get a warning, not an error. */
  verifyIfKey?: boolean;
  /** Recipient findings (unexpected recipients, impossible wrapped keys) are errors. */
  strict?: boolean;
  json?: boolean;
  staged?: boolean;
  config?: string;
  /** A trusted revision (CI: the pull request's base): files its `.sops.yaml` rules cover must be encrypted too, and the values those rules encrypt; files put back to an older version than at the merge base are reported. */
  base?: string;
}

/** Directories never searched when `check` walks a tree. */
const SKIP_DIRS = new Set([".git", "node_modules", ".hg", ".svn"]);

interface Candidate {
  /** As shown to the user (relative to the working directory when possible). */
  readonly display: string;
  /** Absolute path of the file's place in the working tree (for config lookup). */
  readonly abs: string;
  /** Content, or why it was not read. */
  readonly read: () => Promise<Buffer | Unreadable>;
  /** With --staged: its blob in the index, and the version HEAD has of it (or of the file it was renamed or copied from). */
  readonly staged?: StagedFile;
}

/** Why a file whose name is not UTF-8 is not read: decoded, its name names no file. */
const NOT_UTF8_NAME: Unreadable = { unreadable: "its name is not UTF-8, so hush cannot open it (shown with U+FFFD in place of those bytes): rename it" };

/** Files under `dir`, each directory's entries read as bytes: a name that is not UTF-8 also goes to `notUtf8`. */
function walk(dir: string, out: string[], notUtf8: Set<string>): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, encoding: "buffer" });
  } catch {
    return;
  }
  for (const e of entries) {
    const name = e.name.toString("utf8");
    const p = join(dir, name);
    if (!isUtf8(e.name)) {
      // Neither entered nor read: the decoded name is not the entry's.
      if (e.isFile() || e.isDirectory()) {
        out.push(p);
        notUtf8.add(p);
      }
    } else if (e.isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(p, out, notUtf8);
    } else if (e.isFile()) out.push(p);
  }
}

/** A staged file: its path from the repository root and its blob in the index. */
interface StagedFile {
  readonly path: string;
  readonly blob: string;
  /** The regular file HEAD has there (or at the path it was renamed or copied from). */
  readonly head?: HeadVersion;
  /** Added by the commit: HEAD has no version of it. */
  readonly added?: boolean;
}

/** Git's name for a regular file of a file mode (`100644` or `100755`; not a link or a submodule). */
const REGULAR_FILE = /^100(?:644|755)$/;

/**
 * Staged files that exist in the index (with their blobs), and the directories of staged
 * `.gitattributes` changes, from `git diff --cached --raw --no-abbrev -z`: each change is
 * `:<old mode> <new mode> <old blob> <new blob> <status>`, then its path (two for a rename or copy).
 */
function stagedChanges(output: string): { present: StagedFile[]; deleted: HeadVersion[]; attributeDirs: string[] } {
  const fields = output.split("\0");
  const present: StagedFile[] = [];
  const deleted: HeadVersion[] = [];
  const attributeDirs = new Set<string>();
  for (let i = 0; i < fields.length && fields[i] !== ""; ) {
    const [oldMode = "", newMode = "", oldBlob = "", newBlob = "", status = ""] = fields[i]!.split(" ");
    // Renames and copies name the old and the new path.
    const paths = /^[RC]/.test(status) ? [fields[i + 1]!, fields[i + 2]!] : [fields[i + 1]!];
    i += 1 + paths.length;
    // `:` starts the old mode; an added file has none (all zeros). Files on both sides: a link
    // that replaces an encrypted file holds a name, not its values.
    const regular = REGULAR_FILE.test(newMode);
    const head = regular && /^[MTRC]/.test(status) && REGULAR_FILE.test(oldMode.slice(1)) ? { blob: oldBlob, path: paths[0]! } : undefined;
    if (!status.startsWith("D")) present.push({ path: paths.at(-1)!, blob: newBlob, ...(head === undefined ? {} : { head }), ...(regular && status.startsWith("A") ? { added: true } : {}) });
    else if (REGULAR_FILE.test(oldMode.slice(1))) deleted.push({ blob: oldBlob, path: paths[0]! });
    for (const p of paths) if (posix.basename(p) === ".gitattributes") attributeDirs.add(posix.dirname(p));
  }
  return { present, deleted, attributeDirs: [...attributeDirs] };
}

/** Index entries from `git ls-files --stage -z` (`<mode> <blob> <stage>\t<path>`), merged ones only: a conflicted path has no staged content yet. */
function indexEntries(output: string): StagedFile[] {
  const out: StagedFile[] = [];
  for (const entry of output.split("\0")) {
    const m = /^\d+ ([0-9a-f]+) 0\t(.*)$/s.exec(entry);
    if (m !== null) out.push({ path: m[2]!, blob: m[1]! });
  }
  return out;
}

/**
 * The files to check. With --staged, `readStaged` reads other staged files through the same git
 * process (the root `.gitattributes`), and `close` ends it; otherwise there is none.
 */
async function candidates(io: CliIo, paths: readonly string[], flags: CheckFlags): Promise<{ listed: Candidate[]; readStaged?: StagedReader; stagedHead?: StagedHead; close: () => void }> {
  const show = (abs: string): string => {
    const rel = relative(io.cwd, abs);
    return leadsOutside(rel) ? abs : rel.split(sep).join("/");
  };
  if (flags.staged === true) {
    const { openRepo } = await import("./repo.ts");
    const { BlobsInOrder, ObjectReader, blobSizes } = await import("../../git-objects.ts");
    const repo = await openRepo(io);
    // T too: a covered path that was a symbolic link (or a submodule) staged as a file is a new file.
    const { present, deleted, attributeDirs } = stagedChanges(await repo.git.raw(["diff", "--cached", "--raw", "--no-abbrev", "-z", "--diff-filter=ACMRTD"]));
    // A staged .gitattributes (added, changed or deleted) can take files it does not touch away
    // from hush's drivers: the files below it are checked too.
    const below = attributeDirs.length === 0 ? [] : indexEntries(await repo.git.raw(["ls-files", "--stage", "-z", "--", ...attributeDirs.map((d) => `:(top,literal)${d === "." ? "" : d}`)]));
    // By name and blob: names that are not UTF-8 are read decoded, so two files may share a
    // name here, and each must be checked (a file listed twice has one blob in the index).
    const staged = new Map<string, StagedFile>();
    for (const f of [...below, ...present]) staged.set(`${f.path}\0${f.blob}`, f);
    // One git process reads every staged file, ahead of the check as it reaches them in order.
    const objects = new ObjectReader(repo.root, io.env);
    const files = [...staged.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.blob < b.blob ? -1 : 1));
    const blobs = new BlobsInOrder(objects, files.map((f) => f.blob));
    const listed = files.map((f, i): Candidate => {
      const abs = join(repo.root, f.path);
      return { display: show(abs), abs, read: async () => (await blobs.take(i)) ?? { unreadable: "cannot read the staged file" }, staged: f };
    });
    const stagedHead: StagedHead = { deleted, objects, sizes: (names) => blobSizes(repo.root, io.env, names) };
    return { listed, readStaged: (path) => objects.stagedBlob(path), stagedHead, close: () => objects.close() };
  }
  let files: string[] = [];
  const notUtf8 = new Set<string>();
  // The repository whose files are listed: a link in it is read only when it stays inside it.
  let root: string | undefined;
  if (paths.length > 0) {
    for (const p of paths) {
      const abs = resolve(io.cwd, p);
      let isDir = false;
      try {
        isDir = statSync(abs).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) walk(abs, files, notUtf8);
      else files.push(abs);
    }
  } else {
    let tracked: string[] | undefined;
    try {
      const { openRepo, listFiles } = await import("./repo.ts");
      const repo = await openRepo(io);
      const rel = relative(repo.root, io.cwd).split(sep).join("/");
      // Tracked files and the ones git would track (untracked, not ignored): a plaintext secret
      // should be caught before it is ever added.
      const listed = await listFiles(repo, ["--cached", "--others", "--exclude-standard", ...(rel === "" ? [] : ["--", `:(top,literal)${rel}`])]);
      for (const p of listed.notUtf8) notUtf8.add(join(repo.root, p));
      // Files deleted from the work tree are skipped; a name that is not UTF-8 is not one.
      tracked = listed.paths.map((p) => join(repo.root, p)).filter((abs) => notUtf8.has(abs) || existsSync(abs));
      root = repo.root;
    } catch {
      tracked = undefined;
    }
    if (tracked === undefined) walk(io.cwd, files, notUtf8);
    else files = tracked;
  }
  const listed = [...new Set(files)].sort().map((abs) => ({ display: show(abs), abs, read: async () => (notUtf8.has(abs) ? NOT_UTF8_NAME : readCheckedFile(abs, root)) }));
  return { listed, close: () => undefined };
}

/**
 * Adds `rolled-back` and `retyped-value` findings (`hush check --base`): what the branch did since
 * it started; a copy's recipient findings become those against the base's rule for its source,
 * and an `unexpected-recipient` for an entry the branch added that the base's rule does not name an error.
 */
async function addSinceStartProblems(io: CliIo, base: string, results: FileCheckResult[], checkedAt: ReadonlyMap<number, string>, files: readonly BranchFile[], strict: boolean, baseRuleAt: BaseRuleAt): Promise<void> {
  if (files.length === 0) return;
  const { sinceStartProblems } = await import("./check-since-start.ts");
  const found = await sinceStartProblems(io, base, files, strict, baseRuleAt);
  results.forEach((r, i) => {
    const since = found.get(checkedAt.get(i) ?? "");
    if (since === undefined) return;
    const own = since.recipients === undefined ? r.problems : r.problems.filter((p) => !isRecipientFindingCode(p.code)).concat(since.recipients);
    results[i] = { ...r, problems: own.concat(since.problems) };
  });
}

/** Adds to each result the problems `found` holds for its file (by absolute path), if any. */
function addFound(results: FileCheckResult[], checkedAt: ReadonlyMap<number, string>, found: ReadonlyMap<string, CheckProblem | readonly CheckProblem[]>): void {
  results.forEach((r, i) => {
    const problems = found.get(checkedAt.get(i) ?? "");
    if (problems !== undefined) results[i] = { ...r, problems: r.problems.concat(problems) };
  });
}

/**
 * An encrypted file that is not UTF-8 (SOPS reads its bytes): hush reads the file as text, so
 * every command refuses it; checked, it would be read with U+FFFD in place of those bytes.
 */
function notUtf8Problem(bytes: Buffer): CheckProblem {
  return {
    severity: "error",
    code: "not-utf8",
    line: firstInvalidUtf8Line(bytes),
    message: "not valid UTF-8: hush reads an encrypted file as UTF-8 text and will not open this one; next: write that line again as UTF-8 (a comment or a value left in clear), then check the MAC with `hush verify`",
  };
}

/**
 * hush's own files beside a file it changes (see `writeFileAtomic` and file-lock.ts): the
 * temporary file of a replacement (`.NAME.hush-HEX.tmp`) and the lock (`.NAME.hush-lock`, and
 * the files it is made and broken through). Only a write cut short (SIGKILL, a crash) leaves one.
 */
const TEMPORARY_FILE = /^\..+\.hush-[0-9a-f]{12}\.tmp$/;
const LOCK_FILE = /^\..+\.hush-lock(?:\.[0-9a-f]{12}\.tmp|\.stale-[0-9a-f]{12})?$/;

/** The problem of a file that is one of hush's leftovers, by its name; undefined for any other. */
function leftoverProblem(name: string): CheckProblem | undefined {
  if (LOCK_FILE.test(name)) {
    return {
      severity: "error",
      code: "hush-leftover",
      message: "the lock hush holds while it changes a file, left by a write cut short; committed, it keeps hush in every clone from changing the file; next: git rm it",
    };
  }
  if (TEMPORARY_FILE.test(name)) {
    return {
      severity: "error",
      code: "hush-leftover",
      message:
        "a temporary file hush writes beside a file it replaces, left by a write cut short (SIGKILL, a crash); for decrypt -i and decrypt --output it holds the plaintext; next: git rm it, and change the secrets it holds if it was pushed",
    };
  }
  return undefined;
}

/**
 * A file read in clear, by its place in the work tree, and git's name for its bytes (SHA-1 or
 * SHA-256, as the repository names objects); or one not read, and why (`unread`: too large,
 * say), which may be in clear too.
 */
type PlainFile = { readonly abs: string; readonly display: string } & ({ readonly blob: string } | { readonly unread: string });

/**
 * `not-encrypted` findings for the files of `plain` (in clear here) that were encrypted where the
 * branch started (`hush check --base`): a branch could drop the `.gitattributes` line that held
 * a file no rule names to being encrypted, in the change that stores it in clear, or move the
 * file as it decrypts it (check-moved.ts).
 */
async function decryptedOnBranch(io: CliIo, rev: string, plain: readonly PlainFile[]): Promise<Array<{ path: string; display: string; problem: CheckProblem }>> {
  if (plain.length === 0) return [];
  const { openRepo, resolveCommit } = await import("./repo.ts");
  const { RepoPaths } = await import("./check-rules.ts");
  const { decryptedOnBranchProblem, encryptedAtStart, unreadOnBranchProblem } = await import("./check-decrypted.ts");
  const repo = await openRepo(io);
  const base = await resolveCommit(repo, rev);
  if (base === undefined) return [];
  const repoPaths = new RepoPaths(repo.root);
  const byPath = new Map<string, PlainFile>();
  for (const f of plain) {
    // The files git lists are under its top as it names it; resolved only when not (a linked working directory).
    const direct = relative(repo.root, f.abs);
    const path = leadsOutside(direct) ? repoPaths.of(f.abs) : direct.split(sep).join("/");
    if (path !== undefined && path !== "") byPath.set(path, f);
  }
  const { start, paths } = await encryptedAtStart(repo, rev, base, [...byPath].map(([path, f]) => ({ path, blob: "blob" in f ? f.blob : undefined })));
  const found =
    start === undefined
      ? []
      : [...paths].map((path) => {
          const f = byPath.get(path)!;
          return { path: f.abs, display: f.display, problem: "unread" in f ? unreadOnBranchProblem(start, f.unread) : decryptedOnBranchProblem(start) };
        });
  // A file moved as it was decrypted has a new path: the deleted file's keys tell it.
  const { movedInClear, movedInClearProblem } = await import("./check-moved.ts");
  const others = new Map([...byPath].filter(([path, f]) => !paths.has(path) && "blob" in f).map(([path, f]) => [path, f.abs]));
  for (const moved of await movedInClear(repo, rev, base, others)) {
    const f = byPath.get(moved.path)!;
    found.push({ path: f.abs, display: f.display, problem: movedInClearProblem(moved) });
  }
  return found;
}

/** Adds a problem of a file (a `.sops.yaml`) to its result, or as a result of its own when it has none. */
function addProblem(results: FileCheckResult[], checkedAt: Map<number, string>, found: { path: string; display: string; problem: CheckProblem }): void {
  if ([...checkedAt.values()].includes(found.path)) addFound(results, checkedAt, new Map([[found.path, found.problem]]));
  else checkedAt.set(results.push({ path: found.display, format: undefined, covered: false, encrypted: false, problems: [found.problem] }) - 1, found.path);
}

/** Adds `drivers-overridden` findings to covered encrypted files (`readStaged`: with --staged). */
async function addDriverProblems(
  attributes: DriverAttributes | undefined,
  results: FileCheckResult[],
  checkedAt: ReadonlyMap<number, string>,
  readStaged: StagedReader | undefined,
  setUpAt: SetUpAt | undefined,
): Promise<void> {
  const covered = results.flatMap((r, i) => (r.covered && r.encrypted ? [checkedAt.get(i)!] : []));
  if (covered.length === 0) return;
  const { driverProblems } = await import("./check-drivers.ts");
  // Only covered encrypted files were asked about, so only they have findings.
  addFound(results, checkedAt, await driverProblems(attributes, covered, readStaged, setUpAt));
}

/**
 * `hush check [PATHS]`: for pre-commit hooks and CI, without keys. Exit 0 when every file passes
 * (warnings allowed), 1 when any file has an error. `--verify` also checks MACs (a file no key
 * opens is an error); `--verify-if-key` checks the MAC of each file a key opens and says on stderr
 * which it could not; `--strict` makes recipient findings errors.
 */
export async function runCheck(io: CliIo, paths: readonly string[], flags: CheckFlags): Promise<number> {
  const covering = coveringRuleMatcher();
  const globRules = new GlobRuleWatch();
  const ruleFor = workTreeRules(io, flags.config, globRules.watch(covering));
  // With --base, a file the base revision's rules cover stays covered whatever this branch's say.
  const baseRevision = flags.base === undefined ? undefined : await baseRules(io, flags.base, covering);
  const baseRuleFor = baseRevision?.ruleFor;
  const verifying = flags.verify === true || flags.verifyIfKey === true;
  const keySources = verifying ? createKeySourceResolver(io.env) : undefined;
  // --verify wins over --verify-if-key: asking for verification means a file no key opens fails.
  const ifKeyed = flags.verify !== true;
  const results: FileCheckResult[] = [];
  /** The file (absolute path) of each result read from one, by its index: results are only appended to, or replaced in place. */
  const checkedAt = new Map<number, string>();
  const { listed, readStaged, stagedHead, close } = await candidates(io, paths, flags);
  const rules: Array<CreationRule | undefined> = [];
  /** Where a rule that only the base revision has comes from, by candidate. */
  const fromBase = new Map<number, string>();
  /** The base revision's rule for a file this branch's rules cover too: what it encrypts must stay encrypted. */
  const alsoBase = new Map<number, { rule: CreationRule; where: string }>();
  for (const [i, c] of listed.entries()) {
    const own = await ruleFor(c.abs);
    const base = await baseRuleFor?.(c.abs);
    if (base !== undefined && own === undefined) fromBase.set(i, base.where);
    else if (base !== undefined) alsoBase.set(i, base);
    rules.push(own ?? base?.rule);
  }
  // One `git check-attr` for every file: the attributes say which files git hands to hush's
  // drivers and whether a covered file's drivers were switched off.
  const { filesRoutedToHush, readDriverAttributes } = await import("./check-drivers.ts");
  const attributes = await readDriverAttributes(io, listed.map((c) => c.abs), flags.staged === true);
  // Files git hands to hush's drivers must be encrypted, whatever .sops.yaml says (a branch can
  // narrow its path_regex in one line), also those no rule covers.
  const routed = filesRoutedToHush(attributes, listed.filter((c, i) => rules[i] === undefined && basename(c.abs) !== ".sops.yaml").map((c) => c.abs));
  /** With --base: the covered encrypted files as this branch has them, to compare with where it started. */
  const branchFiles: BranchFile[] = [];
  /** Files read and checked, those without findings too (a file no rule covers is scanned for likely secrets). */
  let checked = 0;
  /** With --base: the files in clear here, each one's blob name; one encrypted where the branch started is an error. */
  const plainOnBranch: PlainFile[] | undefined = flags.base === undefined ? undefined : [];
  /** With --staged (and no --base): the staged files in clear, to compare with HEAD (check-staged-head.ts). */
  const plainStaged: StagedPlain[] | undefined = flags.base === undefined && stagedHead !== undefined ? [] : undefined;
  /** Their names as the repository's object format makes them: SHA-1, or SHA-256. */
  const blobNameLength = baseRevision?.objectNameLength ?? 40;
  try {
    for (const [i, c] of listed.entries()) {
      const rule = rules[i];
      // Not read: its name says what it is, and what it may hold is not to be scanned or shown.
      const leftover = leftoverProblem(basename(c.abs));
      if (leftover !== undefined) {
        checked++;
        checkedAt.set(results.push({ path: c.display, format: undefined, covered: rule !== undefined, encrypted: false, problems: [leftover] }) - 1, c.abs);
        continue;
      }
      const routedAttrs = routed.get(c.abs);
      const mustEncrypt = rule !== undefined || routedAttrs !== undefined;
      // Any case: where names ignore it (macOS, Windows), SOPS finds a .SOPS.yaml as its config.
      const isConfig = basename(c.abs).toLowerCase() === ".sops.yaml";
      const bytes = await c.read();
      if (!Buffer.isBuffer(bytes)) {
        // With --base, a .sops.yaml unread could hold destination_rules no one compared.
        if (mustEncrypt || paths.length > 0 || (isConfig && baseRevision !== undefined)) {
          checked++;
          results.push({ path: c.display, format: undefined, covered: rule !== undefined, encrypted: false, problems: [{ severity: "error", code: "unreadable", message: `cannot check the file: ${bytes.unreadable}` }] });
        } else if (!isConfig) {
          // A file encrypted where the branch started, padded past what is read, is not passed unread.
          plainOnBranch?.push({ abs: c.abs, display: c.display, unread: bytes.unreadable });
          if (c.staged !== undefined) plainStaged?.push({ abs: c.abs, display: c.display, ...c.staged, unread: bytes.unreadable });
        }
        continue;
      }
      // Files no rule covers are only scanned for likely secrets, unless they carry sops metadata;
      // a .sops.yaml of any size is compared with the base's (its destination_rules).
      if (!mustEncrypt && !isConfig && !bytes.includes("sops") && !isScannable(c.display, bytes.length)) {
        if (plainOnBranch !== undefined) plainOnBranch.push({ abs: c.abs, display: c.display, blob: gitBlobId(bytes, blobNameLength) });
        continue;
      }
      checked++;
      const text = bytes.toString("utf8");
      let result = await checkFile({
        path: c.display,
        text,
        creationRule: rule,
        baseRule: alsoBase.get(i),
        strict: flags.strict === true,
        ...(keySources === undefined ? {} : { verify: { keySources, ifKeyed } }),
      });
      if (result.encrypted && !isUtf8(bytes)) result = { ...result, problems: [...result.problems, notUtf8Problem(bytes)] };
      if (routedAttrs !== undefined && !result.encrypted && !result.problems.some((p) => p.severity === "error")) {
        result = { ...result, problems: [...result.problems, routedPlaintextProblem(routedAttrs)] };
      }
      const destinations = isConfig ? await baseRevision?.destinationRulesProblem(c.abs, text, flags.strict === true) : undefined;
      if (destinations !== undefined) result = { ...result, problems: [...result.problems, destinations] };
      // Staged, a MAC that does not match is most often a value hunk staged without its mac line.
      if (flags.staged === true) result = { ...result, problems: result.problems.map((p) => (p.code === "mac-mismatch" ? { ...p, message: `${p.message}; next: stage the whole file (git add ${shellPath(c.display)}): a changed value is staged only with its mac line` } : p)) };
      const baseConfig = fromBase.get(i);
      if (baseConfig !== undefined) result = { ...result, problems: result.problems.map((p) => (p.code === "not-encrypted" ? { ...p, message: `${p.message} (the rule is in ${baseConfig}; this branch's .sops.yaml no longer covers the file)` } : p)) };
      if (result.covered || result.encrypted || result.problems.length > 0) {
        checkedAt.set(results.push(result) - 1, c.abs);
      }
      if (!isConfig && !result.encrypted && !result.problems.some((p) => p.code === "not-encrypted")) {
        plainOnBranch?.push({ abs: c.abs, display: c.display, blob: gitBlobId(bytes, blobNameLength) });
        if (c.staged !== undefined) plainStaged?.push({ abs: c.abs, display: c.display, ...c.staged });
      }
      if (flags.base !== undefined && result.covered && result.encrypted && result.format !== undefined) {
        branchFiles.push({ abs: c.abs, format: result.format, text, rule, baseCovered: fromBase.has(i) || alsoBase.has(i) });
      }
    }
    if (flags.base !== undefined && plainOnBranch !== undefined) {
      for (const found of await decryptedOnBranch(io, flags.base, plainOnBranch)) addProblem(results, checkedAt, found);
    }
    if (plainStaged !== undefined && stagedHead !== undefined) {
      const { stagedAgainstHead } = await import("./check-staged-head.ts");
      for (const found of await stagedAgainstHead(plainStaged, stagedHead)) addProblem(results, checkedAt, found);
    }
    await addDriverProblems(attributes, results, checkedAt, readStaged, flags.base === undefined || baseRevision === undefined ? undefined : { rev: flags.base, setUp: () => baseRevision.setUp() });
    if (flags.base !== undefined && baseRuleFor !== undefined) await addSinceStartProblems(io, flags.base, results, checkedAt, branchFiles, flags.strict === true, baseRuleFor);
    if (flags.base !== undefined && baseRuleFor !== undefined) {
      // The branch's earlier commits too: merged without squashing, each stays in the history.
      const { branchCommitProblems } = await import("./check-history.ts");
      const scope = paths.length > 0 ? paths.map((p) => resolve(io.cwd, p)) : [io.cwd];
      appendAll(results, await branchCommitProblems(io, flags.base, async (abs) => (await baseRuleFor(abs))?.rule ?? (await ruleFor(abs)), scope));
    }
  } finally {
    close();
  }
  const { driverCommandProblems } = await import("./check-drivers.ts");
  appendAll(results, await driverCommandProblems(io));
  for (const found of await globRules.problems(io.cwd)) addProblem(results, checkedAt, found);
  const ok = checkPassed(results);
  const unverified = results.filter((r) => r.problems.some((p) => p.code === "not-verified"));
  const errors = results.reduce((n, r) => n + r.problems.filter((p) => p.severity === "error").length, 0);
  const warnings = results.reduce((n, r) => n + r.problems.filter((p) => p.severity === "warning").length, 0);
  if (flags.json === true) {
    await writeOut(io.stdout, jsonReport({ ok, files: results, summary: { checked, files: results.length, errors, warnings } }));
  } else if (flags.staged === true && errors + warnings === 0) {
    // The pre-commit hook runs on every commit: when all is well there is nothing to say.
  } else {
    const lines: string[] = [];
    // File names come from the repository: escaped so a name cannot forge lines or terminal sequences.
    for (const r of results) for (const p of r.problems) lines.push(`${printable(r.path, 4096)}${p.line === undefined ? "" : `:${p.line}`}: ${p.severity}: ${printable(p.message, 4096)} [${p.code}]`);
    const encrypted = results.filter((r) => r.encrypted).length;
    // The note claims no check that did not happen: none without an encrypted file or a key.
    const withCode = (codes: readonly string[]): number => results.filter((r) => r.problems.some((p) => codes.includes(p.code))).length;
    const keyless = withCode(["not-verified", "cannot-decrypt"]);
    // A file that is not UTF-8 was read with U+FFFD in it: its MAC counts as not verified.
    const unopened = withCode(["not-verified", "cannot-decrypt", "not-utf8"]);
    const noneVerified = keyless >= encrypted ? "; no MAC verified: no key here opens the files" : "; no MAC verified";
    const verifiedNote = !verifying || encrypted === 0 ? "" : unopened === 0 ? "; MACs verified" : unopened >= encrypted ? noneVerified : "; MACs verified where a key opens the file";
    lines.push(`hush check: ${checked} file(s) checked, ${encrypted} encrypted; ${errors} error(s), ${warnings} warning(s)${verifiedNote}`);
    await writeOut(io.stdout, `${lines.join("\n")}\n`);
  }
  if (unverified.length > 0) {
    io.stderr.write(`hush check: could not verify the MAC of ${unverified.length} file(s), no key here opens them (not an error): ${unverified.map((r) => printable(r.path, 4096)).join(", ")}\n`);
  }
  return ok ? 0 : 1;
}
