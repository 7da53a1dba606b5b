import { existsSync, readdirSync } from "node:fs";

/**
 * The file a name from the command line meant, as the bytes of its name when Node changed them.
 * git hands its drivers names as the file system holds them (the temporary copy of a blob keeps
 * the file's own name), and Node reads the command line as UTF-8: a byte that is not UTF-8 became
 * U+FFFD, the name named no file, and `git log -p` or `git diff` stopped at that file with "fatal:
 * unable to read files to diff", showing nothing of the files after it. So a branch could hide the
 * rest of a review behind a file named `caf\xe9.enc.yaml`.
 */

const REPLACED = "\uFFFD";
const SEPARATOR = 0x2f;

/**
 * `path` itself when it names a file (or holds no U+FFFD); else the path, as bytes, of the one
 * entry in each of its directories whose name read as UTF-8 is the component given; `path` when
 * none or more than one is (the read that follows reports it).
 */
export function nameOnDisk(path: string): string | Buffer {
  if (!path.includes(REPLACED) || existsSync(path)) return path;
  const absolute = path.startsWith("/");
  // The directory reached so far, as bytes: "/" or "." to begin with.
  let dir: Buffer = Buffer.from(absolute ? "/" : ".");
  for (const part of (absolute ? path.slice(1) : path).split("/")) {
    let component: Buffer = Buffer.from(part, "utf8");
    if (part.includes(REPLACED)) {
      let entries: Buffer[];
      try {
        entries = readdirSync(dir, { encoding: "buffer" });
      } catch {
        return path;
      }
      const matches = entries.filter((entry) => entry.toString("utf8") === part);
      if (matches.length !== 1) return path;
      component = matches[0]!;
    }
    dir = dir.length === 1 && dir[0] === SEPARATOR ? Buffer.concat([dir, component]) : Buffer.concat([dir, Buffer.of(SEPARATOR), component]);
  }
  return dir;
}
