/**
 * Likely secrets in files no creation rule covers: what a GitLeaks-style scanner would catch
 * before it reaches history. Known token shapes first (AWS key IDs, private key blocks, GitHub,
 * Slack, Stripe, Google, GitLab, npm, age), then high-entropy values: under a secret-like name
 * (`password`, `api_key`, `*_token`, …) from 16 characters, and anywhere from 24 characters when
 * the string mixes upper case, lower case and digits, in configuration files only. Tuned to stay quiet on ordinary
 * configuration: lowercase hex (commit ids, checksums), bech32 keys (age recipients), `${VAR}`
 * placeholders, `sha512-…` integrity strings, long data blobs and lock files are not reported.
 *
 * Findings give a line and a kind, never the value. A line holding `hush:allow` (in a comment:
 * `# hush:allow`, `// hush:allow`, `; hush:allow`) is never reported, nor is the line under a
 * comment line that holds only the marker.
 */

/** One likely secret: where (1-based line) and what kind, never the value. */
export interface LikelySecret {
  readonly line: number;
  /** "an AWS access key ID", "a private key", … (reads after "looks like"). */
  readonly kind: string;
}

/** The marker that silences a line. */
export const ALLOW_MARKER = "hush:allow";

const KNOWN: ReadonlyArray<{ readonly kind: string; readonly pattern: RegExp }> = [
  { kind: "a private key", pattern: /-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----/ },
  { kind: "an age secret key", pattern: /AGE-SECRET-KEY-1[0-9A-Z]{58}/ },
  // AWS's documentation uses key IDs ending in EXAMPLE.
  { kind: "an AWS access key ID", pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)(?![0-9A-Z]{9}EXAMPLE)[0-9A-Z]{16}(?![A-Z0-9])/ },
  { kind: "a GitHub token", pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})/ },
  { kind: "a Slack token", pattern: /(?<![A-Za-z0-9])xox[abposr]-[0-9A-Za-z-]{10,}/ },
  { kind: "a Slack webhook URL", pattern: /hooks\.slack\.com\/services\/T[0-9A-Z]+\/B[0-9A-Z]+\/[0-9A-Za-z]+/ },
  { kind: "a Stripe secret key", pattern: /(?<![A-Za-z0-9])[rs]k_live_[0-9A-Za-z]{20,}/ },
  { kind: "a Google API key", pattern: /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}/ },
  { kind: "a GitLab token", pattern: /(?<![A-Za-z0-9])glpat-[0-9A-Za-z_-]{20,}/ },
  { kind: "an npm token", pattern: /(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/ },
];

/**
 * `name: value`, `name = value`, `"name": "value"`, `NAME=value`: the name, and the first 12
 * characters of the value (it runs on to the first VALUE_END).
 */
const NAME_VALUE = /(?:^|[\s"'{,])(?:export\s+)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*["']?([^\s"'#,;]{12})/g;
const VALUE_END = /[\s"'#,;]/;
/**
 * A name that says its value is a secret. Tested on each name apart: one pattern with the word
 * between two open runs of name characters backtracked quadratically on a long name (half a
 * second for a 1 MB file of them).
 */
const SECRET_NAME = /secret|token|passw(?:or)?d|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key/i;

/** Values that stand for a secret rather than being one. */
const PLACEHOLDER = /^(?:\$\{|\$\(|\{\{|<|%\(|\[|ENC\[)|^(?:x+|\*+|changeme|example|placeholder|redacted|todo|none|null|true|false)$/i;

/** A token worth measuring on its own: base64/base62-like, not too long to be a token. */
const TOKEN = /[A-Za-z0-9+/_=-]{24,200}/g;

/** Files that are full of hashes by design, or not configuration at all. */
const SKIPPED_NAMES = /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|bun\.lockb?|go\.sum|[^/]*\.lock|[^/]*\.min\.(?:js|css)|[^/]*\.map|[^/]*\.svg)$/i;

/**
 * Where the entropy rules apply: configuration and key files (known formats, `.properties`,
 * `.conf`, `.tfvars`, `.pem`, dotfiles such as `.npmrc`, names without an extension). Source code
 * is full of test fixtures and identifiers: only known token shapes are looked for there.
 */
const CONFIG_NAMES = /(?:^|\/)(?:\.[^/.]+|[^/.]+|[^/]*\.(?:ya?ml|json|env|env\.[^/]*|ini|toml|properties|conf|cfg|config|tfvars|xml|txt|pem|key|netrc|npmrc|pypirc))$/i;

/** Files larger than this are not scanned (no hand-written configuration is that big). */
const MAX_SCAN_BYTES = 1024 * 1024;

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function classes(s: string): { upper: number; lower: number; digit: number } {
  return { upper: s.replace(/[^A-Z]/g, "").length, lower: s.replace(/[^a-z]/g, "").length, digit: s.replace(/[^0-9]/g, "").length };
}

/** A secret-like name with a value that is neither a placeholder nor plain words. */
function namedSecret(line: string): boolean {
  let value: string | undefined;
  // Pairs may overlap (`cfg={password:…}`: the value of cfg holds the next pair), so each is
  // looked for from the character after the last one's start. Only 12 characters of each value
  // are matched: a line of overlapping pairs would be read once per pair otherwise.
  NAME_VALUE.lastIndex = 0;
  for (let m = NAME_VALUE.exec(line); m !== null; m = NAME_VALUE.exec(line)) {
    if (SECRET_NAME.test(m[1]!)) {
      const start = m.index + m[0].length - m[2]!.length;
      let end = start + m[2]!.length;
      while (end < line.length && !VALUE_END.test(line[end]!)) end++;
      value = line.slice(start, end);
      break;
    }
    NAME_VALUE.lastIndex = m.index + 1;
  }
  if (value === undefined || PLACEHOLDER.test(value)) return false;
  const c = classes(value);
  const kinds = (c.upper > 0 ? 1 : 0) + (c.lower > 0 ? 1 : 0) + (c.digit > 0 ? 1 : 0);
  return value.length >= 16 && kinds >= 2 && c.digit > 0 && entropy(value) >= 3.5 && !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(value);
}

/** A random-looking token: all three character classes, high entropy, not an integrity hash. */
function highEntropyToken(line: string): boolean {
  for (const m of line.matchAll(TOKEN)) {
    const token = m[0];
    const before = line.slice(0, m.index);
    if (/sha(?:1|256|384|512)[-:]$/i.test(before) || /^sha(?:1|256|384|512)-/i.test(token)) continue;
    // SSH public keys (`ssh-ed25519 AAAA…`) are public.
    // The key type is short: only the end of the line before is read (all of it, quadratic).
    if (/(?<![a-z0-9-])(?:ssh-[a-z0-9]+|ecdsa-[a-z0-9-]+) $/.test(before.slice(-64)) && token.startsWith("AAAA")) continue;
    if (/[A-Za-z0-9]$/.test(before) || /^[A-Za-z0-9]/.test(line.slice(m.index + token.length))) continue;
    const c = classes(token);
    if (c.upper >= 2 && c.lower >= 2 && c.digit >= 2 && entropy(token) >= 4.2) return true;
  }
  return false;
}

/** Whether a file is worth scanning (by name and size; `hush check` skips binaries by content). */
export function isScannable(path: string, size: number): boolean {
  return size <= MAX_SCAN_BYTES && !SKIPPED_NAMES.test(path.split("\\").join("/"));
}

/** Likely secrets in `text`, one per line at most, in line order. */
export function findLikelySecrets(path: string, text: string): LikelySecret[] {
  const entropyRules = CONFIG_NAMES.test(path.split("\\").join("/"));
  if (text.includes("\0")) return [];
  const out: LikelySecret[] = [];
  const lines = text.split("\n");
  let inArmor = false;
  let allowNext = false;
  for (const [i, line] of lines.entries()) {
    if (inArmor) {
      if (/-----END [A-Z0-9 ]{1,60}-----/.test(line)) inArmor = false;
      continue;
    }
    const allowed = allowNext || line.includes(ALLOW_MARKER);
    // A comment line holding only the marker silences the line below (for files whose lines
    // cannot end in a comment, such as key files).
    allowNext = /^\s*(?:#|\/\/|;)\s*hush:allow\b/.test(line);
    if (line.length > 4096) continue;
    let kind = KNOWN.find((k) => k.pattern.test(line))?.kind;
    // The body of an armored block is base64: a private key is one finding at its first line,
    // public keys and certificates none.
    if (/-----BEGIN [A-Z0-9 ]{1,60}-----/.test(line)) inArmor = !/-----END/.test(line);
    if (allowed) continue;
    if (kind === undefined && entropyRules) kind = namedSecret(line) ? "a secret (a high-entropy value under a secret-like name)" : highEntropyToken(line) ? "a secret (a high-entropy string)" : undefined;
    if (kind !== undefined) out.push({ line: i + 1, kind });
  }
  return out;
}
