import { isUtf8 } from "node:buffer";
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { leadsOutside, HushError, formatFromPath, parseFormat, sniffFormats, WHOLE_FILE_FORMAT, type FileFormat } from "@hush/core";

/** One file a repository-wide command works on. */
export interface Target {
  /** The path as shown to the user (relative to the working directory when inside it). */
  readonly display: string;
  /** Absolute path as named or found (creation rules match this, as SOPS matches the name given). */
  readonly abs: string;
  /**
   * Absolute path of the file as named. A named symbolic link stays a link: rewriting it is
   * refused (a repository can commit a link to a file of the user's), not done to its target.
   */
  readonly path: string;
  /**
   * Format from `--input-type` or the file name; undefined for a file found in a directory walk
   * whose name says nothing (it is sniffed for SOPS's binary envelope when read).
   */
  readonly format: FileFormat | undefined;
  /**
   * True when the user named the file: a file without SOPS metadata is then an error. Files found
   * by walking a directory are skipped when they are not encrypted.
   */
  readonly explicit: boolean;
  /**
   * For a walked file whose name is not UTF-8 (a repository's names are bytes): its path as
   * bytes. `abs`, `path` and `display` then hold the name decoded with U+FFFD, which names no
   * file; {@link readTargetText} reads these bytes only to refuse an encrypted one by name.
   */
  readonly rawPath?: Buffer;
}

/** Directories a walk never enters: version control and dependency trees hold no secrets of ours. */
const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", ".hg", ".svn", "node_modules"]);

function displayName(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel === "" || leadsOutside(rel) ? abs : rel;
}

function realOrSelf(abs: string): string {
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/**
 * Expands files and directories into the files to process, in a stable order (arguments in
 * order, each directory sorted by name). Directories are walked recursively without following
 * symbolic links (no cycles, no surprises outside the tree). A path named twice is processed
 * once. A missing path becomes a target whose read fails, so the other files are still done.
 */
export function expandTargets(paths: readonly string[], cwd: string, typeFlag: string | undefined): Target[] {
  if (paths.length === 0) throw new HushError("NO_FILE", "no file or directory given", { located: true });
  // These commands rewrite, re-key or report on files by name: `-` is not a name they can write
  // back (verify reads standard input itself, before this).
  if (paths.includes("-")) throw new HushError("CONFLICTING_OPTIONS", "standard input (-) is not read here: name the encrypted files or directories (./- for a file called -)", { located: true });
  const forced = typeFlag === undefined ? undefined : parseFormat(typeFlag);
  const out: Target[] = [];
  const seen = new Set<string>();
  const add = (abs: string, explicit: boolean): void => {
    const real = realOrSelf(abs);
    if (seen.has(real)) return;
    const format = forced ?? formatFromPath(abs);
    seen.add(real);
    out.push({ display: displayName(abs, cwd), abs, path: abs, format: format ?? (explicit ? WHOLE_FILE_FORMAT : undefined), explicit });
  };
  /** `rawDir`: the directory's path as bytes, below a name that is not UTF-8. */
  const walk = (dir: string, rawDir?: Buffer): void => {
    let entries: Buffer[];
    try {
      // As bytes: a name that is not UTF-8, decoded, would name no file and be skipped unseen.
      entries = readdirSync(rawDir ?? dir, { encoding: "buffer" }).sort(Buffer.compare);
    } catch (err) {
      throw new HushError("READ_FAILED", `${displayName(dir, cwd)}: cannot read directory (${(err as { code?: string }).code ?? "error"})`, { located: true });
    }
    for (const entry of entries) {
      const name = entry.toString("utf8");
      const abs = join(dir, name);
      if (rawDir !== undefined || !isUtf8(entry)) {
        // Named by its bytes from here on; links are not followed, as below.
        const rawPath = Buffer.concat([rawDir ?? Buffer.from(dir), Buffer.from(sep), entry]);
        const st = lstatSync(rawPath, { throwIfNoEntry: false });
        if (st?.isDirectory() === true && !SKIPPED_DIRS.has(name)) walk(abs, rawPath);
        else if (st?.isFile() === true) out.push({ display: displayName(abs, cwd), abs, path: abs, format: forced ?? formatFromPath(abs), explicit: false, rawPath });
        continue;
      }
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(abs);
      } else if (st.isFile() && name !== ".sops.yaml") {
        // The config names keys; it is never a secret file itself.
        add(abs, false);
      }
    }
  };
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // reported when the file is read
    }
    // Walked by the name given, not its real path: a file found there is written by that name,
    // and a write refuses a name through a directory link inside a git work tree (a committed
    // `secrets -> ../../elsewhere` given as `secrets`).
    if (isDir) walk(abs);
    else add(abs, true);
  }
  return out;
}

/**
 * The format of a walked file whose name says nothing: SOPS's binary store writes a JSON object
 * with `data` and `sops`, so such a file is recognised by its content.
 */
export function sniffFormat(text: string): FileFormat | undefined {
  return sniffFormats(text)[0] === WHOLE_FILE_FORMAT && text.includes("ENC[AES256_GCM,") ? WHOLE_FILE_FORMAT : undefined;
}
