import { checkObject, checkString } from "../arguments.ts";
import { appendAll } from "../arrays.ts";
import { HushError } from "../errors.ts";
import { globAsRegex } from "./glob-as-regex.ts";
import type { EncryptionRule } from "../metadata/file-metadata.ts";
import type { KeyPath } from "../tree/values.ts";

/**
 * Which values and comments are encrypted (spec 2.5, SOPS `shouldBeEncrypted`).
 * Regexes use RE2 semantics through re2js (a port of RE2): JavaScript's RegExp backtracks and
 * reads `(?i)` and other RE2 syntax differently, and a `.sops.yaml` regex is untrusted input that
 * must not be able to hang us. re2js is imported only when a file actually uses a regex rule.
 */
export type Matcher = (text: string) => boolean;

/** A compiled pattern, or null when it does not compile. */
type Compiled = { matcher(text: string): { find(): boolean } } | null;

/**
 * Patterns compiled so far. A repository's files are matched against the same few `.sops.yaml`
 * regexes, one file at a time (`hush access` over thousands of files, each file's rule in
 * `hush check`): compiling is the costly part, and a compiled RE2 is immutable. Bounded, since the
 * patterns come from files.
 */
const compiledPatterns = new Map<string, Compiled>();
const MAX_COMPILED_PATTERNS = 1024;

/**
 * Compiles `pattern` with RE2 semantics (each distinct pattern once per process).
 * @throws HushError CONFIG_INVALID naming `what` when it is not a valid RE2 expression
 */
export async function compileRe2(pattern: string, what: string): Promise<Matcher> {
  checkString(pattern, "the regular expression");
  let re = compiledPatterns.get(pattern);
  if (re === undefined) {
    const { RE2JS } = await import("re2js");
    try {
      re = RE2JS.compile(pattern);
    } catch {
      re = null;
    }
    if (compiledPatterns.size >= MAX_COMPILED_PATTERNS) compiledPatterns.clear();
    compiledPatterns.set(pattern, re);
  }
  if (re === null) {
    const glob = globAsRegex(pattern);
    const details = glob === undefined ? undefined : [`it is RE2 syntax, not a glob: ${JSON.stringify(glob)} matches what the glob ${JSON.stringify(pattern)} would`];
    throw new HushError("CONFIG_INVALID", `${what}: invalid regular expression`, details === undefined ? {} : { details });
  }
  const compiled = re;
  return (text) => compiled.matcher(text).find();
}

/** A leaf as the rule engine sees it, in document order. */
export interface RuleLeaf {
  readonly kind: "scalar" | "comment";
  /** Full path; for comments, the containing collection's path. */
  readonly path: KeyPath;
  /** Comment text (without the marker), for comment leaves. */
  readonly comment?: string;
}

interface Frame {
  comments: string[];
  /** The item of this collection the pending comments attach to, once it appeared. */
  boundItem: string | number | undefined;
}

/**
 * Decides encryption for a stream of leaves. Create one per document and feed leaves in order:
 * comment-regex rules depend on the comments seen before a value (SOPS's comment stack: a run of
 * comments governs the next item of the same collection, with its whole subtree).
 */
export class EncryptionDecider {
  readonly #rule: EncryptionRule;
  readonly #regex: Matcher | undefined;
  readonly #frames = new Map<string, Frame>();

  private constructor(rule: EncryptionRule, regex: Matcher | undefined) {
    this.#rule = rule;
    this.#regex = regex;
  }

  static async create(rule: EncryptionRule): Promise<EncryptionDecider> {
    checkObject(rule, "the encryption rule");
    const regex = rule.kind.endsWith("_regex") ? await compileRe2(rule.value, rule.kind) : undefined;
    return new EncryptionDecider(rule, regex);
  }

  #frame(path: KeyPath, depth: number): Frame {
    const key = JSON.stringify(path.slice(0, depth));
    let f = this.#frames.get(key);
    if (f === undefined) {
      f = { comments: [], boundItem: undefined };
      this.#frames.set(key, f);
    }
    return f;
  }

  /** Comments that govern the item at `path`, updating frame bindings along the way. */
  #activeComments(path: KeyPath): string[] {
    const active: string[] = [];
    for (let depth = 0; depth < path.length; depth++) {
      const frame = this.#frame(path, depth);
      const item = path[depth];
      if (frame.comments.length === 0) continue;
      if (frame.boundItem === undefined) frame.boundItem = item;
      else if (frame.boundItem !== item) {
        frame.comments = [];
        frame.boundItem = undefined;
        continue;
      }
      appendAll(active, frame.comments);
    }
    return active;
  }

  #componentMatches(path: KeyPath, test: (segment: string) => boolean): boolean {
    return path.some((s) => typeof s === "string" && test(s));
  }

  /** The four path rules: a key path component decides (spec 2.5). */
  #pathRuleEncrypts(path: KeyPath): boolean | undefined {
    const { kind, value } = this.#rule;
    const regex = this.#regex;
    switch (kind) {
      case "unencrypted_suffix":
        return !this.#componentMatches(path, (s) => s.endsWith(value));
      case "encrypted_suffix":
        return this.#componentMatches(path, (s) => s.endsWith(value));
      case "unencrypted_regex":
        return !this.#componentMatches(path, regex!);
      case "encrypted_regex":
        return this.#componentMatches(path, regex!);
      default:
        return undefined;
    }
  }

  /** True when `leaf` must be encrypted. Call once per leaf, in document order. */
  shouldEncrypt(leaf: RuleLeaf): boolean {
    const regex = this.#regex;
    const encryptsWhenMatched = this.#rule.kind === "encrypted_comment_regex";
    // The path rules read no comments: only the comment-regex rules need their bindings.
    const byPath = this.#pathRuleEncrypts(leaf.path);
    if (byPath !== undefined) return byPath;
    if (leaf.kind === "comment") {
      const ancestors = this.#activeComments(leaf.path);
      const own = this.#frame(leaf.path, leaf.path.length);
      if (own.boundItem !== undefined) {
        own.comments = [];
        own.boundItem = undefined;
      }
      const runBefore = [...own.comments];
      const text = leaf.comment ?? "";
      own.comments.push(text);
      // Comment-regex rules: a comment follows the comments that govern it (its ancestors' and
      // the earlier ones of its own run). SOPS counts the comment itself for the unencrypted
      // regex (a matching comment stays readable) and skips it for the encrypted one.
      if (!encryptsWhenMatched && regex!(text)) return false;
      return [...ancestors, ...runBefore].some(regex!) === encryptsWhenMatched;
    }
    return this.#activeComments(leaf.path).some(regex!) === encryptsWhenMatched;
  }
}
