import { HushError, printable } from "@hush/core";
import { existsSync, fstatSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic, writeOut, type CliIo } from "../io.ts";
import { refuseLinkedDirectory } from "../work-tree-links.ts";

export interface KeygenFlags {
  output?: string;
  pq?: boolean;
}

/**
 * Makes an age identity, like `age-keygen`: the identity file (mode 0600) to `--output` or
 * stdout (missing parent directories are made, mode 0700), and the public key (the recipient to put in `.sops.yaml`) on stderr.
 */
export async function runKeygen(io: CliIo, flags: KeygenFlags): Promise<number> {
  const age = await import("@hush/key-source-age");
  const pair = flags.pq === true ? await age.generateHybridAgeKeyPair() : await age.generateAgeKeyPair();
  const created = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const body = `# created: ${created}\n# public key: ${pair.recipient}\n${pair.identity}\n`;
  if (flags.output !== undefined) {
    if (existsSync(flags.output)) throw keyFileExists(flags.output);
    // Before any directory is made: `-o keys/new/age.txt` through a committed `keys` link would
    // make `new` wherever the link leads.
    refuseLinkedDirectory(flags.output);
    makeKeyDirectory(flags.output);
    try {
      // A key file that appears meanwhile (another keygen, a script) is kept: losing a key loses
      // every file encrypted to it.
      writeFileAtomic(flags.output, body, { plaintext: true, newFileOnly: true });
    } catch (err) {
      if (existsSync(flags.output)) throw keyFileExists(flags.output);
      throw err;
    }
  } else {
    // Before stdout is written (and built as a stream): `hush keygen > key.txt` makes the file
    // with the shell's umask, readable by every user as a rule.
    if (worldReadableFile(io.stdoutFd)) await writeOut(io.stderr, WORLD_READABLE_WARNING);
    await writeOut(io.stdout, body);
  }
  await writeOut(io.stderr, `Public key: ${pair.recipient}\n`);
  return 0;
}

/** What `age-keygen` warns too, with the way out. */
const WORLD_READABLE_WARNING = "hush: warning: writing the secret key to a world-readable file; chmod 600 it, or use -o FILE (made with mode 0600)\n";

/** Whether `fd` (the process's stdout, when it is) is a regular file other users may read. */
function worldReadableFile(fd: number | undefined): boolean {
  if (fd === undefined) return false;
  try {
    const st = fstatSync(fd);
    return st.isFile() && (st.mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

/**
 * `-o ~/.config/sops/age/keys.txt` on a fresh machine: makes the key's directories, private.
 * A directory that cannot be made (a file or a dangling link in the way, no permission) is the
 * output that cannot be written, named with the part in the way, not the system's own words.
 * @throws HushError WRITE_FAILED
 */
function makeKeyDirectory(output: string): void {
  const dir = dirname(output);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as { code?: string }).code ?? "error";
    const where = (err as { path?: string }).path ?? dir;
    const why = code === "ENOTDIR" ? "a file is in the way" : code === "ENOENT" ? "a link on the way leads nowhere" : code === "EEXIST" ? "something that is not a directory is in the way" : code === "EACCES" || code === "EPERM" ? "no permission to make it" : "it cannot be made";
    throw new HushError("WRITE_FAILED", `${printable(output)}: cannot make its directory ${printable(where)} (${code}): ${why}; give -o a path in a directory you can write`, { located: true });
  }
}

function keyFileExists(path: string): HushError {
  return new HushError("KEY_FILE_EXISTS", `${path}: already exists, not overwriting a key file`, {
    located: true,
    details: ['next: its public key is on its "# public key:" line; to make another key, give another path with -o'],
  });
}
