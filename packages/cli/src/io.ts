import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { CliError, EXIT } from "./exit-codes.ts";

/** Everything the CLI touches outside itself; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Reads a file as bytes, with SOPS's "no file" exit status when it is missing. */
export function readInputFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") throw new CliError(EXIT.noFileSpecified, `${path}: no such file`);
    if (code === "EISDIR") throw new CliError(EXIT.couldNotReadInputFile, `${path}: is a directory`);
    throw new CliError(EXIT.couldNotReadInputFile, `${path}: cannot read (${code ?? "error"})`);
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * Replaces `path` atomically: a temporary file in the same directory, fsync, rename, then fsync
 * of the directory. A crash at any moment leaves the old file or the new one, never a truncated
 * one. The file keeps its mode (new files: 0600 when they hold plaintext, else 0644).
 */
export function writeFileAtomic(givenPath: string, data: Buffer | string, options: { newFileMode?: number } = {}): void {
  // A symlink is written through (its target replaced), as a plain write would, not replaced.
  let path = givenPath;
  try {
    if (lstatSync(givenPath).isSymbolicLink()) path = realpathSync(givenPath);
  } catch {
    // missing, or a dangling link: write the name as given
  }
  let mode = options.newFileMode ?? 0o644;
  let existed = false;
  try {
    mode = statSync(path).mode & 0o7777;
    existed = true;
  } catch {
    // new file
  }
  const tmp = join(dirname(path), `.${basename(path)}.hush-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", mode);
    // The umask narrowed the mode of the temp file; an existing file keeps its exact mode.
    if (existed) fchmodSync(fd, mode);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new CliError(EXIT.couldNotWriteOutputFile, `${path}: cannot write (${(err as { code?: string }).code ?? "error"})`);
  }
  try {
    const dfd = openSync(dirname(path), "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // directories cannot be fsynced everywhere; the rename is still atomic
  }
}

/** Writes to a stream and waits until it is flushed. */
export function writeOut(stream: NodeJS.WritableStream, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
