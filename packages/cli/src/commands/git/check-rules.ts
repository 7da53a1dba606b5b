import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join, posix, relative, sep } from "node:path";
import { leadsOutside, compileRe2, HushError, isHushError, parseSopsConfig, printable, type CreationRule, type Matcher, type SopsConfig } from "@hush/core";
import { hasManagedBlock, type CheckProblem } from "@hush/git";
import { configRelativePath, loadConfig, type LoadedConfig } from "../../config.ts";
import type { CliIo } from "../../io.ts";
import type { Repo, TreeEntry } from "./repo.ts";

/**
 * Which creation rule covers a file for `hush check`: the rules of the `.sops.yaml` nearest to it
 * (as SOPS: the path relative to the config's directory, first match wins), and, with
 * `--base REV`, the rules that revision's `.sops.yaml` files have. A pull request's `.sops.yaml` is its
 * author's to change: in CI, the base branch's rules say which files must stay encrypted.
 */

/** The first rule covering `relativePath`; a rule without `path_regex` matches every file, so it cannot say which files must be secret: none. */
export type CoveringRule = (config: SopsConfig, configName: string, relativePath: string) => Promise<CreationRule | undefined>;

/** A {@link CoveringRule} that compiles each config's regexes once (a repository has many files). */
export function coveringRuleMatcher(): CoveringRule {
  const compiled = new WeakMap<SopsConfig, Promise<Array<{ rule: CreationRule; match: Matcher | undefined }>>>();
  return async (config, configName, relativePath) => {
    let rules = compiled.get(config);
    if (rules === undefined) {
      rules = Promise.all(
        config.creationRules.map(async (rule, i) => ({
          rule,
          match: rule.pathRegex === "" ? undefined : await compileRe2(rule.pathRegex, `${configName}: creation_rules[${i}].path_regex`),
        })),
      );
      compiled.set(config, rules);
    }
    for (const { rule, match } of await rules) {
      if (match === undefined) return undefined;
      if (match(relativePath)) return rule;
    }
    return undefined;
  };
}

/**
 * For a file's absolute path, the creation rule covering it, or undefined. `searchFrom` is the
 * directory the search for `.sops.yaml` starts in (default: the file's own).
 */
export type RuleFor = (abs: string, searchFrom?: string) => Promise<CreationRule | undefined>;

/** How far up `.sops.yaml` is searched for, as `loadSopsConfig` searches: the directory and 99 above it. */
const SEARCH_LEVELS = 100;

/**
 * Which directory's `.sops.yaml` a directory finds, as `loadSopsConfig` searches (from the
 * directory upwards), with each directory looked at once for a whole run.
 */
class ConfigDirectories {
  /** Directory → the nearest directory at or above it that holds a `.sops.yaml`, whatever the distance. */
  readonly #nearest = new Map<string, string | undefined>();

  /** The directory whose `.sops.yaml` the search from `dir` finds, or undefined. */
  nearest(dir: string): string | undefined {
    const found = this.#holder(dir);
    if (found === undefined) return undefined;
    let steps = 0;
    for (let d = dir; d !== found; d = dirname(d)) steps++;
    return steps < SEARCH_LEVELS ? found : undefined;
  }

  #holder(dir: string): string | undefined {
    if (this.#nearest.has(dir)) return this.#nearest.get(dir);
    const parent = dirname(dir);
    const found = existsSync(join(dir, ".sops.yaml")) ? dir : parent === dir ? undefined : this.#holder(parent);
    this.#nearest.set(dir, found);
    return found;
  }
}

/**
 * The coverage `hush check` and `hush audit` use: each file matched against the rules of the
 * `.sops.yaml` nearest to its directory in the working tree (monorepos have several), or of
 * `explicit` (`--config`, else `SOPS_CONFIG`) for every file. The file need not exist: a path
 * from history is matched as it would be today. `.sops.yaml` files themselves are never covered.
 * @throws HushError CONFIG_INVALID (from the returned function) when a config cannot be read
 */
export function workTreeRules(io: CliIo, explicitConfig: string | undefined, covering: CoveringRule): RuleFor {
  const explicit = explicitConfig ?? io.env["SOPS_CONFIG"];
  const named = explicit !== undefined && explicit !== "";
  // Each config file is read and parsed once, however many directories find it (a monorepo has
  // hundreds): one object per file, so its regexes compile once too.
  const configs = new Map<string, Promise<LoadedConfig | undefined>>();
  const holding = new ConfigDirectories();
  const configFor = (dir: string): Promise<LoadedConfig | undefined> => {
    const from = named ? io.cwd : holding.nearest(dir);
    if (from === undefined) return Promise.resolve(undefined);
    let c = configs.get(from);
    if (c === undefined) configs.set(from, (c = loadConfig(from, explicit)));
    return c;
  };
  return async (abs, searchFrom = dirname(abs)) => {
    if (basename(abs) === ".sops.yaml") return undefined;
    const loaded = await configFor(searchFrom);
    if (loaded === undefined) return undefined;
    // As SOPS (and encrypt): the path relative to the config's directory, first matching rule wins.
    return covering(loaded.config, loaded.path, configRelativePath(loaded, abs, searchFrom));
  };
}

/**
 * The fetch that makes `rev` exist. A plain `git fetch origin main` updates `origin/main` only
 * where the clone's refspec names it, which a single-branch clone (a CI checkout) does not.
 */
function fetchAdvice(rev: string): string {
  const remoteBranch = /^([A-Za-z0-9._-]+)\/([A-Za-z0-9._/-]+)$/.exec(rev);
  if (remoteBranch === null) return "e.g. git fetch origin main:refs/remotes/origin/main, then --base origin/main";
  const [, remote, branch] = remoteBranch;
  return `git fetch ${remote} ${branch}:refs/remotes/${remote}/${branch}`;
}

/**
 * The text of each blob among `entries` (the `.sops.yaml` files, the root `.gitattributes`) by
 * path, through one `git cat-file --batch` however many configs a monorepo has; one git cannot
 * read (a submodule by that name) is left out.
 */
async function readConfigBlobs(repo: Repo, entries: readonly TreeEntry[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const blobs = entries.filter((e) => e.type === "blob");
  if (blobs.length === 0) return texts;
  const { ObjectReader } = await import("../../git-objects.ts");
  const reader = new ObjectReader(repo.root, repo.env);
  try {
    await reader.read(
      blobs.map((b) => b.object),
      (object, i) => {
        if ("content" in object && object.type === "blob") texts.set(blobs[i]!.path, object.content.toString("utf8"));
      },
    );
  } catch {
    // Each config git did not answer for is reported as unreadable by the caller.
  } finally {
    reader.close();
  }
  return texts;
}

/** Whether the root `.gitattributes` where the branch started (the merge base of HEAD and `commit`) holds hush's block. */
async function setUpAtStart(repo: Repo, rev: string, commit: string): Promise<boolean> {
  const { branchStart } = await import("./branch-start.ts");
  const start = await branchStart(repo, rev, commit);
  if (start === commit) return true;
  const root = /^\d+ (\S+) ([0-9a-f]{40,64})\t\.gitattributes$/.exec((await repo.git.raw(["ls-tree", "-z", "--full-tree", start, "--", ".gitattributes"])).split("\0")[0] ?? "");
  if (root === null) return false;
  const texts = await readConfigBlobs(repo, [{ type: root[1]!, object: root[2]!, path: ".gitattributes" }]);
  return hasManagedBlock(texts.get(".gitattributes") ?? "");
}

/** The base revision's coverage: for a file's absolute path, the rule covering it there, and where that rule is. */
export type BaseRuleFor = (abs: string) => Promise<{ rule: CreationRule; where: string } | undefined>;

/** What `hush check --base REV` holds a branch to: REV's `.sops.yaml` files. */
export interface BaseRevision {
  /** REV's creation rule for a file. */
  readonly ruleFor: BaseRuleFor;
  /**
   * The `destination_rules` problem of a `.sops.yaml` of the branch (`abs`, its text): a
   * `destination-rules-changed` finding (a warning; an error with `strict`) when they are not the
   * ones REV's file at that path has; undefined when they are, or it has none.
   */
  destinationRulesProblem(abs: string, text: string, strict: boolean): Promise<CheckProblem | undefined>;
  /**
   * Whether the root `.gitattributes` held the block `hush git setup` writes both in REV and where
   * the branch started: then the branch's covered encrypted files must still get hush's drivers,
   * even if the branch took the block out. Not when only REV has it: a branch made before the
   * base set the drivers up never had the block. The start is looked for only when REV has it.
   * @throws HushError INVALID_ARGUMENT when the start is needed and HEAD and REV have no common commit
   */
  setUp(): Promise<boolean>;
  /** How long the repository's object names are: 40 hex digits (SHA-1) or 64 (SHA-256). */
  readonly objectNameLength: number;
}

/**
 * Files' paths from the top of the repository at `root`, as git names them (`/`-separated), or
 * undefined for a file outside it. The directory is resolved (a checkout reached through a link
 * is still the repository), the file's own name is not. Each directory is resolved once: a
 * repository has thousands of files in far fewer directories.
 */
export class RepoPaths {
  readonly #root: string;
  /** The resolved root, or null when it cannot be resolved. */
  readonly #realRoot: string | null;
  /** Directory → its resolved path, or null when it cannot be resolved. */
  readonly #realDirs = new Map<string, string | null>();

  constructor(root: string) {
    this.#root = root;
    this.#realRoot = realOrNull(root);
  }

  /** The path of `abs` from the top, or undefined when it is outside. */
  of(abs: string): string | undefined {
    const dir = dirname(abs);
    let realDir = this.#realDirs.get(dir);
    if (realDir === undefined) this.#realDirs.set(dir, (realDir = realOrNull(dir)));
    // Either one unresolved (a directory deleted since): the paths are compared as given.
    const rel = this.#realRoot === null || realDir === null ? relative(this.#root, abs) : relative(this.#realRoot, join(realDir, basename(abs)));
    return rel === "" || leadsOutside(rel) ? undefined : rel.split(sep).join("/");
  }
}

function realOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * The creation rules of every `.sops.yaml` at `rev` (read from git's objects, never from the work
 * tree), matched for a file as at that revision: the nearest `.sops.yaml` above the file's path.
 * @throws HushError INVALID_ARGUMENT when `rev` is not a commit; CONFIG_INVALID naming `rev:path`
 *   when one of them does not parse.
 */
export async function baseRules(io: CliIo, rev: string, covering: CoveringRule): Promise<BaseRevision> {
  const { openRepo, resolveCommit, treeEntries } = await import("./repo.ts");
  const repo = await openRepo(io);
  const commit = await resolveCommit(repo, rev);
  if (commit === undefined) throw new HushError("INVALID_ARGUMENT", `--base ${printable(rev, 200)}: not a commit in this repository (fetch it first: ${fetchAdvice(rev)})`);
  const tree = await treeEntries(repo, commit);
  const entries = tree.filter((e) => posix.basename(e.path) === ".sops.yaml");
  // The root .gitattributes comes in the same read: whether hush's drivers were set up there.
  const texts = await readConfigBlobs(repo, [...entries, ...tree.filter((e) => e.path === ".gitattributes")]);
  const configs = new Map<string, SopsConfig>();
  for (const { path } of entries) {
    const where = `${rev}:${path}`;
    try {
      const text = texts.get(path);
      if (text === undefined) throw new Error("not a file");
      configs.set(posix.dirname(path), await parseSopsConfig(text));
    } catch (err) {
      throw new HushError("CONFIG_INVALID", `${printable(where, 1000)}: ${isHushError(err) ? err.message : "cannot be read"}`);
    }
  }
  const repoPaths = new RepoPaths(repo.root);
  const configWhere = (dir: string): string => `${rev}:${dir === "." ? "" : `${dir}/`}.sops.yaml`;
  let setUp: Promise<boolean> | undefined;
  return {
    objectNameLength: commit.length,
    setUp: () => (setUp ??= hasManagedBlock(texts.get(".gitattributes") ?? "") ? setUpAtStart(repo, rev, commit) : Promise.resolve(false)),
    ruleFor: async (abs) => {
      const path = repoPaths.of(abs);
      if (path === undefined || posix.basename(path) === ".sops.yaml") return undefined;
      for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
        const config = configs.get(dir);
        if (config !== undefined) {
          const where = configWhere(dir);
          const rule = await covering(config, where, dir === "." ? path : posix.relative(dir, path));
          return rule === undefined ? undefined : { rule, where };
        }
        if (dir === ".") return undefined;
      }
    },
    destinationRulesProblem: async (abs, text, strict) => {
      const path = repoPaths.of(abs);
      if (path === undefined) return undefined;
      const dir = posix.dirname(path);
      let own: string | undefined;
      try {
        own = (await parseSopsConfig(text)).destinationRules?.source;
      } catch (err) {
        // One a checked file looks up fails the check there; one no file looks up (alone in a
        // directory of the branch's) would fail nothing, though `sops publish`, which ignores
        // what it does not know, could read destination_rules in it. The base's all parse.
        return {
          severity: strict ? "error" : "warning",
          code: "destination-rules-changed",
          message: `hush cannot read this .sops.yaml (${isHushError(err) ? err.message : "invalid"}), so it cannot tell whether it adds or changes destination_rules, which \`sops publish\` by a key holder would read in it all the same: fix it`,
        };
      }
      const base = configs.get(dir)?.destinationRules?.source;
      if (own === undefined || own === base) return undefined;
      const which = base === undefined ? `destination_rules that ${printable(configWhere(dir), 1000)} does not have` : `destination_rules that differ from those of ${printable(configWhere(dir), 1000)}`;
      return {
        severity: strict ? "error" : "warning",
        code: "destination-rules-changed",
        message: `${which}: \`sops publish\` by a key holder would send the files they cover, re-encrypted to the keys they name or in clear to the Vault they name, and hush reads them nowhere else; ${base === undefined ? "add them" : "change them"} on the base branch first, in a change of .sops.yaml alone`,
      };
    },
  };
}
