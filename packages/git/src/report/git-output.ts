/**
 * Parsers for what `hush audit` reads from git, whatever the history holds: one
 * `git log --raw -z` listing, for every commit, the blob of each file it changed; and the commit
 * objects that `git cat-file --batch` returns (split by `BatchReader`, ../cat-file-batch.ts).
 * Only hashes, dates and NUL-terminated paths are read from the log; author and subject come from
 * the commit objects, so no commit message can break the parsing.
 */

/** The format `git log` is run with (`--format=` this): a NUL, the commit hash, a space and the author time. */
export const LOG_FORMAT = "%x00%H %at";

/** One commit of the log, and the files it changed. */
export interface LoggedCommit {
  readonly commit: string;
  /** Author time, seconds since the epoch. */
  readonly authorTime: number;
  /** Each changed path (relative to the repository's top) with its new blob, or null when deleted. */
  readonly changes: ReadonlyArray<{ readonly path: string; readonly blob: string | null }>;
}

const COMMIT_LINE = /^\n?([0-9a-f]{40}|[0-9a-f]{64}) (\d+)$/;
const RAW_LINE = /^\n?:\d{6} \d{6} [0-9a-f]+ ([0-9a-f]+) ([A-Z])\d*$/;

/**
 * Parses `git log -z --raw --no-abbrev --no-renames --format=LOG_FORMAT` output, newest first
 * as git prints it. Each raw line is followed by its path, read as the next field whatever it
 * looks like.
 */
export function parseRawLog(output: string): LoggedCommit[] {
  const fields = output.split("\0");
  const commits: Array<{ commit: string; authorTime: number; changes: Array<{ path: string; blob: string | null }> }> = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const raw = RAW_LINE.exec(field);
    if (raw !== null && commits.length > 0 && i + 1 < fields.length) {
      const path = fields[++i]!;
      const blob = raw[2] === "D" || /^0+$/.test(raw[1]!) ? null : raw[1]!;
      commits.at(-1)!.changes.push({ path, blob });
      continue;
    }
    const head = COMMIT_LINE.exec(field);
    if (head !== null) commits.push({ commit: head[1]!, authorTime: Number(head[2]), changes: [] });
  }
  return commits;
}

/** The author name and subject of a commit object (headers, a blank line, the message). */
export function parseCommitObject(content: Buffer): { author: string; subject: string } {
  const text = content.toString("utf8");
  const end = text.indexOf("\n\n");
  const headers = end === -1 ? text : text.slice(0, end);
  const author = headers.split("\n").map(authorName).find((name) => name !== undefined) ?? "";
  // As git's %s: the first paragraph of the message, its lines joined by spaces.
  const message = end === -1 ? "" : text.slice(end + 2);
  const subject = (message.split(/\n[ \t]*\n/)[0] ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ");
  return { author, subject };
}

/**
 * The name of a header line `author NAME <EMAIL> TIME ZONE`, or undefined for another line. Read
 * from the end by hand: a commit is anyone's to write, and a pattern with an open name before
 * ` <` backtracked quadratically on a long author line (1.8 s for 40,000 ` <`).
 */
function authorName(line: string): string | undefined {
  if (!line.startsWith("author ")) return undefined;
  const close = line.lastIndexOf(">");
  if (close === -1 || !/^> -?\d+ [+-]\d{4}$/.test(line.slice(close))) return undefined;
  const open = line.lastIndexOf(" <", close);
  return open < "author ".length ? undefined : line.slice("author ".length, open);
}
