import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, writeSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { HushError, printable } from "@hush/core";
import { writeOut, writeOutput, type CliIo } from "./io.ts";

/**
 * Where `--output PATH` goes when PATH is a stream, not a file to replace: the process's own
 * standard output or error, or a pipe, terminal or `/dev/null` to write into. Scripts written for
 * SOPS give `--output /dev/stdout` and process substitution (`--output >(kubectl apply -f -)`, a
 * `/dev/fd/N` name); replacing such a name through a temporary file beside it cannot work.
 */
export type OutputStream =
  | { readonly kind: "stdout" }
  | { readonly kind: "stderr" }
  | { readonly kind: "device"; readonly path: string; readonly viaDescriptor: boolean };

/**
 * The directories whose links are the kernel's names for the process's own descriptors. They are
 * the only links `--output` follows: a name the user typed for a descriptor the shell opened,
 * never a link committed to a repository (which {@link checkWritableFile} refuses).
 */
const DESCRIPTOR_LINK_DIRECTORIES = new Set(["/dev", "/dev/fd", "/proc/self/fd", "/proc/thread-self/fd"]);

/** `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and `…/fd/N`: the descriptor number, else undefined. */
function descriptorNumber(path: string): number | undefined {
  const absolute = resolve(path);
  if (absolute === "/dev/stdin") return 0;
  if (absolute === "/dev/stdout") return 1;
  if (absolute === "/dev/stderr") return 2;
  const n = /^\/(?:dev|proc\/self|proc\/thread-self)\/fd\/(\d{1,9})$/.exec(absolute)?.[1];
  return n === undefined ? undefined : Number(n);
}

/** A pipe, socket, or character device (a terminal, `/dev/null`): written into, not replaced. */
function isStreamLike(st: Stats): boolean {
  return st.isFIFO() || st.isSocket() || st.isCharacterDevice();
}

/**
 * Tells whether `path`, given to `--output`, names a stream rather than a file (see
 * {@link OutputStream}); undefined for a missing path or anything else, which is replaced as a
 * file (and a link or a block device refused there). Follows a link only when it names one of
 * the process's descriptors in {@link DESCRIPTOR_LINK_DIRECTORIES}.
 */
export function outputStream(path: string): OutputStream | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) {
    if (!DESCRIPTOR_LINK_DIRECTORIES.has(dirname(resolve(path)))) return undefined;
    const fd = descriptorNumber(path);
    if (fd === 1) return { kind: "stdout" };
    if (fd === 2) return { kind: "stderr" };
    // `3>out.yaml` makes a descriptor name of a regular file: the user's own redirection. Any
    // other link there (`/dev/core`, `/dev/log`) is a link like any other: refused when replaced.
    return fd === undefined ? undefined : { kind: "device", path, viaDescriptor: true };
  }
  return isStreamLike(st) ? { kind: "device", path, viaDescriptor: false } : undefined;
}

function cannotWrite(path: string, err: unknown): HushError {
  return new HushError("WRITE_FAILED", `${printable(path)}: cannot write (${(err as { code?: string }).code ?? "error"})`, { located: true });
}

/**
 * Writes a command's result to the stream `--output` named. A device is opened without creating
 * or following anything new (`O_NOFOLLOW` when it was named directly) and checked once open: a
 * block device or a regular file reached otherwise than through a descriptor name is refused.
 */
export async function writeOutputStream(io: CliIo, stream: OutputStream, data: Buffer): Promise<void> {
  if (stream.kind === "stdout") return writeOutput(io, data);
  if (stream.kind === "stderr") return writeOut(io.stderr, data);
  const { path, viaDescriptor } = stream;
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY | (viaDescriptor ? 0 : constants.O_NOFOLLOW));
  } catch (err) {
    throw cannotWrite(path, err);
  }
  try {
    const st = fstatSync(fd);
    if (!isStreamLike(st) && !(viaDescriptor && st.isFile())) {
      throw new HushError("WRITE_REFUSED", `${printable(path)}: not a regular file, a pipe or a terminal; hush does not write there`, { located: true });
    }
    // A regular file behind a descriptor name is written as `sops --output` writes it: from the start.
    if (st.isFile()) ftruncateSync(fd, 0);
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written);
  } catch (err) {
    throw err instanceof HushError ? err : cannotWrite(path, err);
  } finally {
    closeSync(fd);
  }
}
