import { writeOut, type CliIo } from "../io.ts";
import { nextAnswerLine } from "./answer-lines.ts";

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
  for (let asked = 0; asked < MAX_QUESTIONS; asked++) {
    await writeOut(io.stdout, `${question}\n`);
    // One queue of lines per input: what came after this answer is the next question's.
    const next = await nextAnswerLine(io.stdin, MAX_ANSWER_CHARS);
    if ("end" in next) return { why: next.end === "too long" ? `an answer longer than ${MAX_ANSWER_CHARS} characters` : "input ended" };
    const answer = next.line.trim().toLowerCase();
    if (answer === "y" || answer === "yes") return true;
    if (answer === "n" || answer === "no") return false;
  }
  return { why: `${MAX_QUESTIONS} answers that were neither y nor n` };
}
