import { HushError } from "@hush/core";
import { existsSync, mkdirSync } from "node:fs";
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
    // `-o ~/.config/sops/age/keys.txt` on a fresh machine: make the key's directories, private.
    mkdirSync(dirname(flags.output), { recursive: true, mode: 0o700 });
    try {
      // A key file that appears meanwhile (another keygen, a script) is kept: losing a key loses
      // every file encrypted to it.
      writeFileAtomic(flags.output, body, { plaintext: true, newFileOnly: true });
    } catch (err) {
      if (existsSync(flags.output)) throw keyFileExists(flags.output);
      throw err;
    }
  } else {
    await writeOut(io.stdout, body);
  }
  await writeOut(io.stderr, `Public key: ${pair.recipient}\n`);
  return 0;
}

function keyFileExists(path: string): HushError {
  return new HushError("KEY_FILE_EXISTS", `${path}: already exists, not overwriting a key file`, {
    located: true,
    details: ['next: its public key is on its "# public key:" line; to make another key, give another path with -o'],
  });
}
