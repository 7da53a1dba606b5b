import { checkString } from "../arguments.ts";

/**
 * `.sops.yaml` regexes written as globs, for a hint: `path_regex: *.yaml` does not compile, and
 * `path_regex: secrets/*.yaml` compiles but matches no file in `secrets/` (`/*` repeats the slash).
 */

/** A `*` at the start or after a slash, or a `**`: a glob's wildcard, rarely a regex's intent. */
const GLOB_WILDCARD = /(^|\/)\*|\*\*/;

/**
 * The anchored regular expression that matches what `pattern` would match as a glob (`*` within a
 * path segment, `**` across segments, `?` one character), or undefined when `pattern` does not
 * look like a glob.
 */
export function globAsRegex(pattern: string): string | undefined {
  checkString(pattern, "the pattern");
  if (!GLOB_WILDCARD.test(pattern)) return undefined;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      const acrossSlash = pattern[i + 2] === "/";
      out += acrossSlash ? "(?:.*/)?" : ".*";
      i += acrossSlash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += /[\\^$.|+()[\]{}]/.test(c) ? `\\${c}` : c;
  }
  return `^${out.replace(/^\//, "")}$`;
}
