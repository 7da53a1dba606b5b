import { appendAll, shellQuote } from "@hush/core";
import { absolutePrograms, mergeDriverCommand, textconvCommand } from "./driver-command.ts";
import { globMatches } from "./glob-match.ts";

/**
 * What `hush git setup` writes, computed without touching anything: `.gitattributes` lines for the
 * files creation rules cover, the repository config entries for the diff and merge drivers, and
 * the pre-commit hook. The CLI applies these with git; `uninstall` removes exactly these.
 */

/** First and last line of the block hush manages in `.gitattributes`. */
export const ATTRIBUTES_BEGIN = "# >>> hush (managed by `hush git setup`; `hush git uninstall` removes this block)";
export const ATTRIBUTES_END = "# <<< hush";

/** The marker line that identifies a pre-commit hook written by hush. */
export const HOOK_MARKER = "# hush pre-commit hook (written by `hush git setup --hook`)";

/** The driver name used in `.gitattributes` and in the config keys. */
export const DRIVER = "hush";
/** What ends each line of the managed block after its pattern. */
const ATTRIBUTE_SUFFIX = ` diff=${DRIVER} merge=${DRIVER}`;

export interface ConfigEntry {
  readonly key: string;
  readonly value: string;
}

/**
 * The repository config for the drivers. The textconv cache (`diff.hush.cachetextconv`) is left
 * unset on purpose: git would store the decrypted text in the repository (refs/notes/textconv).
 * `--` ends the options: git hands a file at the top of the work tree by its bare name, and a
 * repository can name one `-h` or `--help.enc.yaml`. `recursive = binary`: where two branches
 * have several merge bases (each merged the other), git first merges those into one base; with
 * the driver itself, merge bases that conflict made a base of conflict markers, which no merge
 * can read (every difference then conflicts). git's binary driver takes their own common
 * ancestor instead, a real version of the file, encrypted as committed. Each driver checks first
 * that the programs it runs by absolute path are still there (see driver-command.ts). In the
 * order setup sets them.
 */
export function driverConfig(command: string): ConfigEntry[] {
  return [
    { key: `diff.${DRIVER}.textconv`, value: textconvCommand(command) },
    { key: `merge.${DRIVER}.name`, value: "hush: merge encrypted files by key path" },
    // Set before the driver: setup sets them one at a time, and one stopped in between must not
    // leave a driver that merges merge bases with itself.
    { key: `merge.${DRIVER}.recursive`, value: "binary" },
    { key: `merge.${DRIVER}.driver`, value: mergeDriverCommand(command) },
  ];
}

/** C0 control characters and DEL: raw in `.gitattributes`, a newline would start a new line. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Whether `text` holds a control character (a pattern with one must be quoted or refused). */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * `raw` in git's C-style quotes, which `.gitattributes` accepts for a pattern: backslash and
 * double quote escaped, control characters as `\n`, `\t`, `\r` or three octal digits.
 */
export function quoteAttributePattern(raw: string): string {
  const named: Record<string, string> = { "\n": "\\n", "\t": "\\t", "\r": "\\r", '"': '\\"', "\\": "\\\\" };
  const body = raw.replace(/[\u0000-\u001f\u007f"\\]/g, (c) => named[c] ?? `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  return `"${body}"`;
}

/**
 * A glob as one `.gitattributes` pattern: quoted when it holds blanks or a double quote (unquoted,
 * `a b` would be the pattern `a` with an attribute `b`). Control characters are the caller's to
 * refuse: in a glob from a creation rule they are not a plausible file name but an injection.
 */
export function globPattern(glob: string): string {
  if (hasControlCharacter(glob)) throw new Error("a gitattributes glob must not contain control characters");
  return /[\s"]/.test(glob) ? quoteAttributePattern(glob) : glob;
}

/**
 * The `.gitattributes` line for a pattern (in gitattributes syntax: plain, or C-quoted). Refuses
 * anything that is not exactly one pattern, so that no input can add attributes or lines.
 */
export function attributeLine(pattern: string): string {
  const quoted = /^"(?:[^"\\]|\\.)*"$/.test(pattern);
  if (hasControlCharacter(pattern) || (!quoted && /[\s"]/.test(pattern)) || pattern === "") {
    throw new Error(`not a single gitattributes pattern: ${JSON.stringify(pattern)}`);
  }
  return `${pattern}${ATTRIBUTE_SUFFIX}`;
}

/**
 * The index of the managed block's last line, given its first at `start`: its end line, or, when
 * that is missing (a hand edit, or a branch's .gitattributes holding the first line alone), the
 * last of the attribute lines setup writes that follow the first line without a break. Never the
 * end of the file: the user's lines after a lone first line are theirs, and setup or uninstall
 * must not drop them.
 */
function managedBlockEnd(bareLines: readonly string[], start: number): number {
  const end = bareLines.indexOf(ATTRIBUTES_END, start + 1);
  if (end !== -1) return end;
  let last = start;
  while (last + 1 < bareLines.length && bareLines[last + 1]!.endsWith(ATTRIBUTE_SUFFIX)) last++;
  return last;
}

/** Lines of the managed block in `existing`, or undefined when there is none. */
export function managedPatterns(existing: string): string[] | undefined {
  const lines = existing.split(/\r?\n/);
  const start = lines.indexOf(ATTRIBUTES_BEGIN);
  if (start === -1) return undefined;
  const body = lines.slice(start + 1, managedBlockEnd(lines, start) + 1);
  return body.filter((l) => l.endsWith(ATTRIBUTE_SUFFIX)).map((l) => l.slice(0, -ATTRIBUTE_SUFFIX.length));
}

/** `existing` with the managed block removed (the rest byte for byte). */
export function removeManagedBlock(existing: string): string {
  const eol = existing.includes("\r\n") ? "\r\n" : "\n";
  const lines = existing.split(/\r?\n/);
  const start = lines.indexOf(ATTRIBUTES_BEGIN);
  if (start === -1) return existing;
  const end = managedBlockEnd(lines, start);
  const kept = [...lines.slice(0, start), ...lines.slice(end + 1)];
  // Drop the blank line we put before the block, and keep a single final newline.
  if (start > 0 && kept[start - 1] === "" && start - 1 === kept.length - 1) kept.splice(start - 1, 1);
  const out = kept.join(eol);
  if (out.trim() === "") return "";
  return withoutTrailingBreaks(out) + eol;
}

/**
 * `text` without the line breaks (LF or CRLF) at its end. A loop from the end: a pattern such as
 * `/(?:\r?\n)+$/`, tried from every line break of a run of them that text follows, took time
 * quadratic in its length (a branch's .gitattributes with 40,000 blank lines: 3 s).
 */
function withoutTrailingBreaks(text: string): string {
  let cut = text.length;
  while (cut > 0 && (text[cut - 1] === "\n" || (text[cut - 1] === "\r" && text[cut] === "\n"))) cut--;
  return text.slice(0, cut);
}

/**
 * `existing` with the managed block set to `patterns`. A block already there is replaced where it
 * stands, every other byte kept: moved to the end, it would come after lines the user put below
 * it, and for git a later line wins (a `secret.enc.yaml -diff` written after the block would be
 * overridden by the next setup), and each clone's setup would change the committed file again.
 * Without a block, it is appended after a blank line (the file's trailing line breaks made one),
 * so that a second run finds nothing to change.
 */
export function withManagedBlock(existing: string, patterns: readonly string[]): string {
  const eol = existing.includes("\r\n") ? "\r\n" : "\n";
  const block = [ATTRIBUTES_BEGIN, ...patterns.map(attributeLine), ATTRIBUTES_END].join(eol) + eol;
  // Lines with their own line breaks, so that the lines around the block keep theirs.
  const lines = existing === "" ? [] : existing.split(/(?<=\n)/);
  const bare = lines.map((l) => l.replace(/\r?\n$/, ""));
  const start = bare.indexOf(ATTRIBUTES_BEGIN);
  if (start === -1) {
    const rest = withoutTrailingBreaks(existing);
    return rest.trim() === "" ? block : rest + eol + eol + block;
  }
  return lines.slice(0, start).join("") + block + lines.slice(managedBlockEnd(bare, start) + 1).join("");
}

/**
 * The pre-commit hook script. It runs hush by the absolute paths setup found (GUIs run git
 * without the shell's PATH), so it first checks that they are still there: once hush or node is
 * moved or reinstalled, the commit stops with one line naming the path and the fix, not Node's
 * "Cannot find module" stack.
 */
export function preCommitHook(command: string): string {
  const programs = absolutePrograms(command);
  const guard =
    programs.length === 0
      ? ""
      : `for program in ${programs.map(shellQuote).join(" ")}; do\n` +
        '  if [ ! -e "$program" ]; then\n' +
        "    printf 'hush pre-commit hook: %s no longer exists (hush or node was moved or reinstalled): run `hush git setup --hook` again\\n' \"$program\" >&2\n" +
        "    exit 1\n" +
        "  fi\n" +
        "done\n";
  return (
    `#!/bin/sh\n${HOOK_MARKER}\n` +
    "# Fails the commit when a file that .sops.yaml covers is staged unencrypted, or when a staged\n" +
    "# encrypted file that a key here opens fails its MAC check (e.g. `git add -p` staged a value\n" +
    "# without its new MAC). Files no key here opens are named on stderr, not failed.\n" +
    guard +
    `exec ${command} check --staged --verify-if-key\n`
  );
}

/** Escapes a file path for use as an exact `.gitattributes` pattern. */
export function exactPattern(path: string): string {
  const escaped = `/${path.replace(/[\\*?[\]!#]/g, (c) => `\\${c}`)}`;
  // Names with blanks, quotes or control characters (a newline would end the line and start an
  // attacker's) need git's C-style quoting, which gitattributes accepts.
  if (/[\s"]/.test(escaped) || hasControlCharacter(escaped)) return quoteAttributePattern(escaped);
  return escaped;
}

/**
 * Globs for a creation rule's `path_regex` (RE2, unanchored, matched against the path relative
 * to the config file's directory), or undefined when the regex is beyond the simple subset:
 * literals, escaped punctuation, `.`, `.*`, `.+`, `[^/]*`, `?` on a literal, groups with `|`,
 * `^` and `$`. The caller checks the result against the real files and lists misses exactly.
 */
export function globsForRegex(regex: string): string[] | undefined {
  if (regex === "") return undefined;
  const variants = expand(regex);
  if (variants === undefined) return undefined;
  const out = new Set<string>();
  for (const v of variants) {
    const globs = variantToGlobs(v);
    if (globs === undefined) return undefined;
    for (const g of globs) out.add(g);
  }
  return [...out];
}

type Atom = { kind: "lit"; ch: string } | { kind: "any" } | { kind: "star" } | { kind: "plus" } | { kind: "seg-star" };

const MAX_VARIANTS = 16;

/** Expands groups, alternations and `x?` into plain sequences of atoms. */
function expand(regex: string): Atom[][] | undefined {
  let pos = 0;
  const parseAlt = (depth: number): Atom[][] | undefined => {
    const alts: Atom[][] = [];
    let current: Atom[][] = [[]];
    const append = (options: Atom[][]): boolean => {
      const next: Atom[][] = [];
      for (const c of current) for (const o of options) next.push([...c, ...o]);
      if (next.length > MAX_VARIANTS) return false;
      current = next;
      return true;
    };
    while (pos < regex.length) {
      const ch = regex[pos]!;
      if (ch === ")") {
        if (depth === 0) return undefined;
        break;
      }
      if (ch === "|") {
        appendAll(alts, current);
        current = [[]];
        pos++;
        continue;
      }
      let options: Atom[][];
      if (ch === "(") {
        pos++;
        if (regex.startsWith("?:", pos)) pos += 2;
        else if (regex[pos] === "?") return undefined;
        const inner = parseAlt(depth + 1);
        if (inner === undefined || regex[pos] !== ")") return undefined;
        pos++;
        options = inner;
      } else if (ch === "\\") {
        const next = regex[pos + 1];
        if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
        options = [[{ kind: "lit", ch: next }]];
        pos += 2;
      } else if (ch === ".") {
        pos++;
        if (regex[pos] === "*" || regex[pos] === "+") {
          options = [[{ kind: regex[pos] === "*" ? "star" : "plus" }]];
          pos++;
          if (regex[pos] === "?") pos++;
        } else options = [[{ kind: "any" }]];
      } else if (regex.startsWith("[^/]*", pos) || regex.startsWith("[^/]+", pos)) {
        options = [[{ kind: "seg-star" }]];
        pos += 5;
      } else if (/[[\]{}*+?^$]/.test(ch)) {
        if ((ch === "^" && pos === 0 && depth === 0) || (ch === "$" && pos === regex.length - 1 && depth === 0)) {
          options = [[{ kind: "lit", ch: ch === "^" ? "\u0001" : "\u0002" }]];
          pos++;
        } else return undefined;
      } else {
        options = [[{ kind: "lit", ch }]];
        pos++;
      }
      if (regex[pos] === "?") {
        pos++;
        options = [...options, []];
      } else if (regex[pos] === "*" || regex[pos] === "+" || regex[pos] === "{") return undefined;
      if (!append(options)) return undefined;
    }
    appendAll(alts, current);
    if (alts.length > MAX_VARIANTS) return undefined;
    return alts;
  };
  const result = parseAlt(0);
  if (result === undefined || pos !== regex.length) return undefined;
  return result;
}

/** One expanded variant as gitattributes globs. */
function variantToGlobs(atoms: Atom[]): string[] | undefined {
  let anchoredStart = false;
  let anchoredEnd = false;
  const body = [...atoms];
  if (body[0]?.kind === "lit" && body[0].ch === "\u0001") {
    anchoredStart = true;
    body.shift();
  }
  const last = body[body.length - 1];
  if (last?.kind === "lit" && last.ch === "\u0002") {
    anchoredEnd = true;
    body.pop();
  }
  if (body.some((a) => a.kind === "lit" && (a.ch === "\u0001" || a.ch === "\u0002"))) return undefined;
  // Leading/trailing "anything" is what an unanchored regex means anyway.
  while (body[0]?.kind === "star") body.shift();
  while (body.length > 0 && body[body.length - 1]!.kind === "star") {
    body.pop();
    anchoredEnd = false;
  }
  if (body.length === 0) return undefined;
  let glob = "";
  for (let i = 0; i < body.length; i++) {
    const a = body[i]!;
    const prev = glob[glob.length - 1];
    const next = body[i + 1];
    switch (a.kind) {
      case "lit":
        glob += /[*?[\\]/.test(a.ch) ? `\\${a.ch}` : a.ch;
        break;
      case "any":
        glob += "?";
        break;
      case "seg-star":
        glob += "*";
        break;
      case "star":
      case "plus": {
        // `.*` may cross directories: between slashes it is `**`, elsewhere `*` plus a `**/` form.
        const slashBefore = prev === "/" || glob === "";
        const slashAfter = next?.kind === "lit" && next.ch === "/";
        if (slashBefore && (slashAfter || next === undefined)) glob += "**";
        else if (slashBefore) glob += "**/*";
        else glob += "*";
        break;
      }
    }
  }
  const hasSlash = glob.replace(/\/$/, "").includes("/");
  let globs: string[];
  if (!anchoredStart) {
    // Unanchored: the match may start anywhere in the path.
    globs = hasSlash ? [`**/*${glob.startsWith("*") ? glob.replace(/^\*+\/?/, "") : glob}`] : [glob.startsWith("*") ? glob : `*${glob}`];
    if (!hasSlash && glob.endsWith("/")) globs = [`**/*${glob}**`];
  } else {
    globs = [`/${glob}`];
  }
  if (!anchoredEnd) {
    globs = globs.flatMap((g) => (g.endsWith("/") ? [`${g}**`] : g.endsWith("**") ? [g] : [`${g}*`, `${g}*/**`]));
  } else {
    globs = globs.map((g) => (g.endsWith("/") ? `${g}**` : g));
  }
  return globs.map((g) => g.replace(/\*\*\/\*\*\//g, "**/").replace(/\*{3,}/g, "**"));
}

/**
 * gitattributes-style matching of a path (forward slashes, relative to the repository root):
 * a pattern without a slash matches the file name at any depth; with one, the whole path
 * (a leading slash anchors it at the root); `*` and `?` stay within a directory, `**` crosses.
 */
export function attributePatternMatches(pattern: string, path: string): boolean {
  let p = pattern;
  if (p.startsWith('"') && p.endsWith('"') && p.length >= 2) {
    const named: Record<string, string> = { t: "\t", n: "\n", r: "\r", a: "\u0007", b: "\b", f: "\f", v: "\v" };
    p = p.slice(1, -1).replace(/\\([0-7]{3}|.)/g, (_m, c: string) => (c.length === 3 ? String.fromCharCode(parseInt(c, 8)) : (named[c] ?? c)));
  }
  if (!p.replace(/\/$/, "").includes("/")) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    return globMatches(p, name);
  }
  if (p.startsWith("/")) p = p.slice(1);
  return globMatches(p, path);
}

/** Joins a pattern relative to a subdirectory (the `.sops.yaml` directory) to the root. */
export function rootRelativePattern(pattern: string, dir: string): string {
  if (dir === "" || dir === ".") return pattern;
  const d = dir.replace(/(?<!\/)\/+$/, "");
  if (pattern.startsWith("/")) return `/${d}${pattern}`;
  if (!pattern.includes("/")) return `/${d}/**/${pattern}`;
  return `/${d}/${pattern.replace(/^\*\*\//, "**/")}`;
}
