import { createInterface } from "node:readline";
import { writeOut, type CliIo } from "../io.ts";

/** Why {@link confirm} got no answer, in words for the caller's "no answer to … (WHY)". */
export interface NoAnswer {
  readonly why: string;
}

/**
 * The longest line read as an answer. Standard input is whatever a script connects: `/dev/zero`
 * (no newline, ever) grew one line until Node could not hold it and hush crashed with a trace.
 */
const MAX_ANSWER_CHARS = 1000;

/**
 * How many answers other than y or n are asked again. `yes x | hush updatekeys` asked forever,
 * a line of output per answer, as an editor that was a script was reopened forever.
 */
const MAX_QUESTIONS = 20;

/**
 * Asks SOPS's question (`Is this okay? (y/n):`) until the answer is y or n. The end of input,
 * a line too long to be an answer or {@link MAX_QUESTIONS} answers that are neither give a
 * {@link NoAnswer}, so a script that forgot `--yes` changes nothing instead of hanging, and the
 * caller can tell it apart from a "no".
 */
export async function confirm(io: CliIo, question = "Is this okay? (y/n):"): Promise<boolean | NoAnswer> {
  const rl = createInterface({ input: io.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  // readline holds the line until its newline comes: the line's length is counted as it arrives,
  // and reading stops once it is too long.
  let pending = 0;
  let tooLong = false;
  const count = (chunk: Buffer | string): void => {
    const text = typeof chunk === "string" ? chunk : chunk.toString("latin1");
    const newline = text.lastIndexOf("\n");
    pending = newline === -1 ? pending + text.length : text.length - newline - 1;
    if (pending > MAX_ANSWER_CHARS && !tooLong) {
      tooLong = true;
      rl.close();
    }
  };
  io.stdin.on("data", count);
  try {
    for (let asked = 0; asked < MAX_QUESTIONS; asked++) {
      await writeOut(io.stdout, `${question}\n`);
      const next = await lines.next();
      if (tooLong) return { why: `an answer longer than ${MAX_ANSWER_CHARS} characters` };
      if (next.done === true) return { why: "input ended" };
      const answer = String(next.value).trim().toLowerCase();
      if (answer === "y" || answer === "yes") return true;
      if (answer === "n" || answer === "no") return false;
    }
    return { why: `${MAX_QUESTIONS} answers that were neither y nor n` };
  } finally {
    io.stdin.removeListener("data", count);
    rl.close();
  }
}
