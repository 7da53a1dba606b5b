import { createInterface } from "node:readline";
import { writeOut, type CliIo } from "../io.ts";

/**
 * Asks SOPS's question (`Is this okay? (y/n):`) until the answer is y or n. The end of input
 * gives undefined (no answer), so a script that forgot `--yes` changes nothing instead of
 * hanging, and the caller can tell it apart from a "no".
 */
export async function confirm(io: CliIo, question = "Is this okay? (y/n):"): Promise<boolean | undefined> {
  const rl = createInterface({ input: io.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    for (;;) {
      await writeOut(io.stdout, `${question}\n`);
      const next = await lines.next();
      if (next.done === true) return undefined;
      const answer = String(next.value).trim().toLowerCase();
      if (answer === "y" || answer === "yes") return true;
      if (answer === "n" || answer === "no") return false;
    }
  } finally {
    rl.close();
  }
}
