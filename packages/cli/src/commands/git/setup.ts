import { mkdirSync, readFileSync, realpathSync, unlinkSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { leadsOutside, HushError, compileRe2, isHushError, printable, shellQuote, showInvisible } from "@hush/core";
import {
  attributePatternMatches,
  detectFormat,
  driverConfig,
  exactPattern,
  globPattern,
  globsForRegex,
  hasControlCharacter,
  HOOK_MARKER,
  managedPatterns,
  preCommitHook,
  removeManagedBlock,
  rootRelativePattern,
  withManagedBlock,
  DRIVER,
} from "@hush/git";
import { loadConfig } from "../../config.ts";
import { installedCommand } from "../../installation.ts";
import { checkWritableFile, readFileBounded, writeFileAtomic, writeOut, type CliIo } from "../../io.ts";
import { listFiles, openRepo, readLocalConfig, type Repo } from "./repo.ts";
import { refuseLinkedDirectory } from "../../work-tree-links.ts";
import { gitPathLine } from "../../git-program.ts";
import { gitWrite } from "../../git-write.ts";
import { lockWaitMs } from "../../workflows/file-lock.ts";

export interface SetupFlags {
  dryRun?: boolean;
  hook?: boolean;
  command?: string;
  config?: string;
}

/**
 * How git should run hush: this very installation, node and the CLI script by absolute path (as
 * git-crypt writes its own path). GUIs and IDEs run git without the shell's PATH, so a bare
 * `hush` (or a `#!/usr/bin/env node` script) would not be found there. When hush or node moves,
 * `hush check` names the missing program and `hush git setup` writes the new path. Each word is
 * quoted for sh, which git runs drivers through.
 */
function defaultCommand(): string {
  return installedCommand()
    .map((word) => {
      try {
        return shellQuote(realpathSync(word));
      } catch {
        return shellQuote(word); // keep the path as stated
      }
    })
    .join(" ");
}

function posix(p: string): string {
  return p.split(sep).join("/");
}

/**
 * True when the start of a file looks like a SOPS-encrypted document (cheap, then a real parse).
 * Only regular files are read: a clone can commit a link to `/dev/zero` (an endless read), and git
 * shows a link's target name, never the file behind it, so no link needs a pattern.
 */
async function isEncryptedFile(abs: string): Promise<boolean> {
  let bytes: Buffer;
  try {
    bytes = readFileBounded(abs, { regularFileOnly: true, maxBytes: 4 * 1024 * 1024 });
  } catch {
    return false;
  }
  if (!bytes.includes("ENC[AES256_GCM,") || !bytes.includes("sops")) return false;
  return (await detectFormat(abs, bytes.toString("utf8")))?.encrypted === true;
}

/**
 * The patterns to manage: the ones given, or globs derived from the creation rules' path_regex,
 * plus exact paths for existing files the globs miss (rules beyond the glob subset, or encrypted
 * files no rule names).
 */
async function computePatterns(io: CliIo, repo: Repo, given: readonly string[], flags: SetupFlags, notes: string[]): Promise<string[]> {
  if (given.length > 0) return given.map(givenPattern);
  const patterns: string[] = [];
  const add = (p: string): void => {
    if (!patterns.includes(p)) patterns.push(p);
  };
  const listed = await listFiles(repo, ["--cached", "--others", "--exclude-standard"]);
  // A name that is not UTF-8 names no file hush can open, nor one a pattern of it would match.
  const files = listed.paths.filter((p) => !listed.notUtf8.has(p));
  const covered = (file: string): boolean => patterns.some((p) => attributePatternMatches(p, file));
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  if (loaded !== undefined) {
    const configDir = posix(relative(repo.root, loaded.dir));
    const inRepo = !leadsOutside(configDir);
    for (const [i, rule] of loaded.config.creationRules.entries()) {
      if (rule.pathRegex === "") {
        notes.push(`creation rule ${i} has no path_regex (it matches every file); only files already encrypted are listed for it`);
        continue;
      }
      const globs = globsForRegex(rule.pathRegex);
      if (globs === undefined) notes.push(`creation rule ${i}: path_regex ${JSON.stringify(rule.pathRegex)} has no glob equivalent; its existing files are listed one by one (re-run setup after adding files, or pass patterns)`);
      else {
        if (globs.some(hasControlCharacter)) {
          // A newline here would end the attribute line and let the rest set any attribute.
          throw new HushError(
            "CONFIG_INVALID",
            `${printable(loaded.path)}: creation rule ${i}: path_regex ${JSON.stringify(rule.pathRegex)} contains a control character; hush does not write it to .gitattributes: fix the rule, or pass the patterns to cover`,
            { located: true },
          );
        }
        for (const g of globs) add(globPattern(inRepo ? rootRelativePattern(g, configDir) : g));
      }
      if (!inRepo) continue;
      const matches = await compileRe2(rule.pathRegex, `creation_rules[${i}].path_regex`).catch((err: unknown) => {
        throw err instanceof HushError ? err.withFile(loaded.path) : err;
      });
      for (const file of files) {
        const rel = posix(relative(loaded.dir, join(repo.root, file)));
        if (leadsOutside(rel) || rel === ".sops.yaml" || rel.endsWith("/.sops.yaml")) continue;
        if (matches(rel) && !covered(file)) add(exactPattern(file));
      }
    }
  }
  for (const file of files) {
    if (!covered(file) && (await isEncryptedFile(join(repo.root, file)))) add(exactPattern(file));
  }
  if (patterns.length === 0) {
    throw new HushError(
      "NOTHING_TO_SET_UP",
      "nothing to set up: no .sops.yaml creation rule with a path_regex and no encrypted file found; pass the patterns to cover, e.g. `hush git setup '*.enc.yaml'`",
      { located: true },
    );
  }
  return patterns;
}

/**
 * A pattern given on the command line, in gitattributes syntax: already quoted (`"a b/*"`) or
 * plain (quoted here when it holds blanks). Control characters are refused: written raw they
 * would break the line, and no one types them on purpose.
 */
function givenPattern(pattern: string): string {
  if (hasControlCharacter(pattern)) {
    throw new HushError("INVALID_ARGUMENT", `pattern ${JSON.stringify(pattern)} contains a control character; .gitattributes cannot hold it raw: pass a glob without it`, { located: true });
  }
  if (/^"(?:[^"\\]|\\.)*"$/.test(pattern)) return pattern;
  return globPattern(pattern);
}

/**
 * A write interrupted by SIGKILL or a crash can leave a lock file or a temporary file next to the
 * secret (ciphertext, but the plaintext itself for `decrypt -i` and `--output`); they must never be
 * committed. `.git/info/exclude` is local, like the driver config.
 */
const EXCLUDE_PATTERNS = [".*.hush-lock", ".*.hush-*.tmp"];
const EXCLUDE_BLOCK = `# hush: lock and temporary files\n${EXCLUDE_PATTERNS.join("\n")}\n`;

async function infoExcludePath(repo: Repo): Promise<string> {
  const p = gitPathLine(await repo.git.raw(["rev-parse", "--git-path", "info/exclude"]));
  return isAbsolute(p) ? p : join(repo.root, p);
}

/**
 * One `git config` write of setup or uninstall, waiting while another git command (`git config`
 * in another terminal, setup in a linked worktree, which shares the config) holds the config's
 * lock. A failure says what is left to do: both commands finish what an earlier run did not, so
 * the next step is to run `command` again.
 */
async function writeConfig(io: CliIo, repo: Repo, args: readonly string[], what: string, command: string): Promise<void> {
  const failed = await gitWrite(repo.root, repo.env, args, lockWaitMs(io.env));
  if (failed === undefined) return;
  const why = failed.busy ? "another git command holds the config's lock" : "git config failed";
  throw new HushError(failed.busy ? "FILE_BUSY" : "UNCLASSIFIED", `git config: ${what}: ${why} (${failed.line})`, {
    located: true,
    details: [`next: run ${command} again${failed.busy ? " once that command ends (if none runs, git left the lock behind: remove the lock file it names)" : ""}; it does what this run left undone`],
  });
}

/** The pre-commit hook's path (honours core.hooksPath). */
async function hookPath(repo: Repo): Promise<string> {
  const p = gitPathLine(await repo.git.raw(["rev-parse", "--git-path", "hooks/pre-commit"]));
  return isAbsolute(p) ? p : join(repo.root, p);
}

/**
 * Whether the hook at `path` is this repository's own: under its work tree or its git directory
 * (the common one, which linked worktrees share). A `core.hooksPath` set in the user's global
 * config names a directory every repository of theirs runs hooks from.
 */
async function hookIsRepositorys(repo: Repo, path: string): Promise<boolean> {
  const inside = (dir: string): boolean => {
    const rel = relative(dir, path);
    return rel !== "" && !leadsOutside(rel);
  };
  if (inside(repo.root)) return true;
  const common = gitPathLine(await repo.git.raw(["rev-parse", "--git-common-dir"]));
  return inside(isAbsolute(common) ? common : join(repo.root, common));
}

/**
 * The text of a file setup edits, or "" when it does not exist. A symbolic link or non-file is
 * refused before anything is read or written: a repository can commit `.gitattributes` as a
 * link to a file of the user's, and appending lines to it would be writing there. Refusing
 * (rather than replacing the link with a regular file) leaves a link the project may have on
 * purpose to the user, and turns an attack into a visible error.
 */
function readManaged(path: string): string {
  return checkWritableFile(path) === undefined ? "" : readFileSync(path, "utf8");
}

/**
 * The pre-commit hook's text; undefined when there is none; null when something hush never
 * writes is there (a link, as hook managers install): it is not hush's to change or remove.
 * A hooks directory reached through a link in the work tree (`core.hooksPath` on a committed
 * `.githooks` link) is refused, not noted: the hook would be written or removed where the link
 * leads.
 */
function readHook(path: string): string | undefined | null {
  refuseLinkedDirectory(path, (realPath) =>
    realPath === undefined ? "point core.hooksPath at a directory that is not a link" : `point core.hooksPath at ${printable(dirname(realPath))} if you mean it, or at a directory that is not a link`,
  );
  try {
    return checkWritableFile(path) === undefined ? undefined : readFileSync(path, "utf8");
  } catch (err) {
    if (isHushError(err, "WRITE_REFUSED") || isHushError(err, "WRITE_FAILED")) return null;
    throw err;
  }
}

/**
 * Prints setup's or uninstall's summary lines. Patterns and notes quote `.sops.yaml` rules and
 * file names, the repository's to choose: their control, bidirectional and invisible characters
 * are shown escaped, as the review view shows text (the line breaks between entries kept).
 */
function printSummary(io: CliIo, lines: readonly string[]): Promise<void> {
  return writeOut(io.stdout, `${showInvisible(lines.join("\n")).text}\n`);
}

/** `hush git setup [PATTERNS...]`. */
export async function runSetup(io: CliIo, given: readonly string[], flags: SetupFlags): Promise<number> {
  const repo = await openRepo(io);
  const dry = flags.dryRun === true;
  const would = dry ? "would " : "";
  const notes: string[] = [];
  const changes: string[] = [];
  const patterns = await computePatterns(io, repo, given, flags, notes);
  const command = flags.command ?? defaultCommand();

  // Every file setup may write is checked first, so that a refusal leaves nothing half done.
  const attrPath = join(repo.root, ".gitattributes");
  const excludePath = await infoExcludePath(repo);
  const hook = flags.hook === true ? await hookPath(repo) : undefined;
  const existing = readManaged(attrPath);
  const exclude = readManaged(excludePath);
  const current = hook === undefined ? undefined : readHook(hook);
  const updated = withManagedBlock(existing, patterns);
  if (updated !== existing) {
    const before = managedPatterns(existing) ?? [];
    const added = patterns.filter((p) => !before.includes(p));
    const removed = before.filter((p) => !patterns.includes(p));
    changes.push(`${would}update .gitattributes (diff=${DRIVER} merge=${DRIVER}):${added.map((p) => `\n  + ${p}`).join("")}${removed.map((p) => `\n  - ${p}`).join("")}`);
    if (!dry) writeFileAtomic(attrPath, updated, { plaintext: false });
    notes.push("commit .gitattributes so that everyone gets these attributes; git config is never shared, so each clone runs `hush git setup` once");
  }
  // Read before any key is set: each key is compared with its own value only.
  const config = await readLocalConfig(repo);
  for (const { key, value } of driverConfig(command)) {
    if (config(key) === value) continue;
    changes.push(`${would}set git config ${key} = ${value}`);
    if (!dry) await writeConfig(io, repo, ["config", "--local", key, value], `cannot set ${key}`, "hush git setup");
  }
  if (hook !== undefined) {
    const path = hook;
    const script = preCommitHook(command);
    if (current === null) {
      notes.push(`${posix(relative(repo.root, path))} is a symbolic link or not a regular file, so hush leaves it alone; make the hook it leads to run: ${command} check --staged --verify-if-key`);
    } else if (current !== undefined && !current.includes(HOOK_MARKER)) {
      notes.push(`${posix(relative(repo.root, path))} already exists and was not written by hush; add this line to it: ${command} check --staged --verify-if-key`);
    } else if (current !== script) {
      changes.push(`${would}install the pre-commit hook ${posix(relative(repo.root, path))} (runs \`hush check --staged --verify-if-key\`)`);
      if (!(await hookIsRepositorys(repo, path))) {
        notes.push(`the pre-commit hook goes to ${printable(path, 1000)}, outside this repository (core.hooksPath names that directory): git runs it for every repository that uses it; \`hush git uninstall\` removes it`);
      }
      if (!dry) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileAtomic(path, script, { plaintext: false, mode: 0o755 });
      }
    }
  }
  if (!exclude.includes(EXCLUDE_BLOCK)) {
    changes.push(`${would}ignore hush's lock and temporary files in ${posix(relative(repo.root, excludePath))} (${EXCLUDE_PATTERNS.join(", ")})`);
    if (!dry) {
      mkdirSync(dirname(excludePath), { recursive: true });
      writeFileAtomic(excludePath, `${exclude}${exclude === "" || exclude.endsWith("\n") ? "" : "\n"}${EXCLUDE_BLOCK}`, { plaintext: false });
    }
  }
  const out = [...changes, ...notes.map((n) => `note: ${n}`)];
  if (changes.length === 0) out.unshift("hush git setup: already set up; nothing to change");
  else if (!dry) out.push("hush git setup: done (`git diff` now shows decrypted values; merges of these files go through hush)");
  await printSummary(io, out);
  return 0;
}

/** `hush git uninstall`: removes exactly what setup wrote. */
export async function runUninstall(io: CliIo, flags: { dryRun?: boolean }): Promise<number> {
  const repo = await openRepo(io);
  const dry = flags.dryRun === true;
  const would = dry ? "would " : "";
  const changes: string[] = [];
  const attrPath = join(repo.root, ".gitattributes");
  const excludePath = await infoExcludePath(repo);
  const path = await hookPath(repo);
  const existing = readManaged(attrPath);
  const exclude = readManaged(excludePath);
  const hook = readHook(path) ?? "";
  if (existing !== "") {
    const updated = removeManagedBlock(existing);
    if (updated !== existing) {
      if (updated === "") {
        changes.push(`${would}remove .gitattributes (it held only hush's entries)`);
        if (!dry) unlinkSync(attrPath);
      } else {
        changes.push(`${would}remove hush's block from .gitattributes`);
        if (!dry) writeFileAtomic(attrPath, updated, { plaintext: false });
      }
    }
  }
  // Read before any section is removed: each section's keys are looked up in their own section only.
  const config = await readLocalConfig(repo);
  for (const section of [`diff.${DRIVER}`, `merge.${DRIVER}`]) {
    const keys = driverConfig("hush").filter((e) => e.key.startsWith(`${section}.`));
    if (!keys.some(({ key }) => config(key) !== undefined)) continue;
    changes.push(`${would}remove git config section ${section}`);
    if (!dry) await writeConfig(io, repo, ["config", "--local", "--remove-section", section], `cannot remove section ${section}`, "hush git uninstall");
  }
  if (exclude.includes(EXCLUDE_BLOCK)) {
    changes.push(`${would}remove hush's lines from ${posix(relative(repo.root, excludePath))}`);
    if (!dry) writeFileAtomic(excludePath, exclude.replace(EXCLUDE_BLOCK, ""), { plaintext: false });
  }
  if (hook.includes(HOOK_MARKER)) {
    changes.push(`${would}remove the pre-commit hook ${posix(relative(repo.root, path))}`);
    if (!dry) unlinkSync(path);
  }
  const out = changes.length === 0 ? ["hush git uninstall: nothing to remove"] : changes;
  await printSummary(io, out);
  return 0;
}
