import { printable } from "@hush/core";

/**
 * A one-line progress display for commands that process many files. It draws only when the
 * stream is a terminal (scripts and CI logs get the per-file summary alone) and erases itself
 * before anything else is printed, so it never mixes with results.
 */
export class Progress {
  readonly #stream: NodeJS.WritableStream;
  readonly #total: number;
  readonly #label: string;
  readonly #enabled: boolean;
  #done = 0;
  #drawn = false;

  constructor(stream: NodeJS.WritableStream, label: string, total: number) {
    this.#stream = stream;
    this.#label = label;
    this.#total = total;
    this.#enabled = (stream as { isTTY?: boolean }).isTTY === true && total > 1;
  }

  /** Marks one file finished and redraws. */
  tick(name: string): void {
    this.#done += 1;
    if (!this.#enabled) return;
    const columns = (this.#stream as { columns?: number }).columns ?? 80;
    // The name comes from a directory walk: no terminal sequence of a file name reaches the screen.
    let line = `${this.#label} ${this.#done}/${this.#total} ${printable(name, 4096)}`;
    // Keep to one screen line: a wrapped line cannot be erased with \r.
    if (line.length > columns - 1) line = `${line.slice(0, Math.max(0, columns - 2))}…`;
    this.#stream.write(`\r\u001b[2K${line}`);
    this.#drawn = true;
  }

  /** Erases the line. */
  clear(): void {
    if (this.#drawn) this.#stream.write("\r\u001b[2K");
    this.#drawn = false;
  }
}
