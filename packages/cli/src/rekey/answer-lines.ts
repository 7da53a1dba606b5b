/**
 * The lines a user types (or a script pipes) in answer to hush's questions, read one at a time
 * from one queue per input stream. One write can ask several questions (recipients, then values
 * in clear, then values out of the MAC): a reader made per question took the whole chunk a pipe
 * delivered (`printf 'y\ny\n' | hush set …`) and dropped the lines after the first when it closed,
 * so the second question found the input ended.
 */

/** What {@link nextAnswerLine} found: a line (without its newline), the end of input, or a line over the limit. */
export type AnswerLine = { readonly line: string } | { readonly end: "ended" | "too long" };

interface Queue {
  readonly lines: string[];
  partial: string;
  ended: boolean;
  tooLong: boolean;
}

const queues = new WeakMap<NodeJS.ReadableStream, Queue>();

/**
 * The next line of `input`, with lines that came in the same chunk kept for the next call. A line
 * longer than `maxChars` ends the reading (input such as `/dev/zero` never sends a newline); the
 * stream is paused between calls, so it keeps nothing running.
 */
export async function nextAnswerLine(input: NodeJS.ReadableStream, maxChars: number): Promise<AnswerLine> {
  let queue = queues.get(input);
  if (queue === undefined) queues.set(input, (queue = { lines: [], partial: "", ended: false, tooLong: false }));
  while (queue.lines.length === 0 && !queue.ended && !queue.tooLong) await readChunk(input, queue, maxChars);
  const line = queue.lines.shift();
  if (line !== undefined) return { line };
  return { end: queue.tooLong ? "too long" : "ended" };
}

/** Reads one chunk (or the end) of `input` into `queue`, then pauses it. */
function readChunk(input: NodeJS.ReadableStream, queue: Queue, maxChars: number): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      input.removeListener("data", onData);
      input.removeListener("end", onEnd);
      input.removeListener("error", onEnd);
      input.pause();
      resolve();
    };
    const onData = (chunk: Buffer | string): void => {
      const parts = (queue.partial + (typeof chunk === "string" ? chunk : chunk.toString("utf8"))).split("\n");
      queue.partial = parts.pop()!;
      for (const part of parts) queue.lines.push(part.replace(/\r$/, ""));
      if (queue.partial.length > maxChars) queue.tooLong = true;
      finish();
    };
    const onEnd = (): void => {
      // A last line without a newline is an answer too, as readline gives it.
      if (queue.partial !== "") queue.lines.push(queue.partial.replace(/\r$/, ""));
      queue.partial = "";
      queue.ended = true;
      finish();
    };
    if ((input as { readableEnded?: boolean }).readableEnded === true) return onEnd();
    input.on("data", onData);
    input.once("end", onEnd);
    input.once("error", onEnd);
    input.resume();
  });
}
