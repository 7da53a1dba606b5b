/**
 * The output of `git cat-file --batch`, split into objects. One process answers every object a
 * command needs (review, the pre-commit check, audit), rather than one `git cat-file` per object.
 */

/** An object returned by `git cat-file --batch`, or a name git did not find. */
export type BatchObject = { readonly name: string; readonly type: string; readonly content: Buffer } | { readonly name: string; readonly missing: true };

/**
 * Splits the output of `git cat-file --batch` into objects as it arrives: each is
 * `<oid> <type> <size>\n<content>\n`, or `<name> missing\n`.
 */
export class BatchReader {
  #pending: Buffer = Buffer.alloc(0);
  /**
   * Chunks of an object still arriving, kept apart until all of it is there: joining each chunk
   * to what came before copied a large blob over and over (quadratic in its size).
   */
  #arriving: Buffer[] = [];
  #arrivingBytes = 0;
  /** How many bytes `#pending` must hold before the next object is complete (0: unknown). */
  #needed = 0;
  readonly #onObject: (object: BatchObject) => void;

  constructor(onObject: (object: BatchObject) => void) {
    this.#onObject = onObject;
  }

  /** Feeds the next chunk of output; calls back for every complete object in it. */
  push(chunk: Buffer): void {
    if (this.#pending.length + this.#arrivingBytes + chunk.length < this.#needed) {
      this.#arriving.push(chunk);
      this.#arrivingBytes += chunk.length;
      return;
    }
    this.#pending = this.#pending.length === 0 && this.#arriving.length === 0 ? chunk : Buffer.concat([this.#pending, ...this.#arriving, chunk]);
    this.#arriving = [];
    this.#arrivingBytes = 0;
    this.#needed = 0;
    for (;;) {
      const nl = this.#pending.indexOf(0x0a);
      if (nl === -1) return;
      const header = this.#pending.subarray(0, nl).toString("latin1");
      const missing = /^(\S+) (missing|ambiguous)$/.exec(header);
      if (missing !== null) {
        this.#pending = this.#pending.subarray(nl + 1);
        this.#onObject({ name: missing[1]!, missing: true });
        continue;
      }
      const found = /^(\S+) (\S+) (\d+)$/.exec(header);
      if (found === null) throw new Error(`unexpected git cat-file output: ${JSON.stringify(header.slice(0, 80))}`);
      const size = Number(found[3]);
      if (this.#pending.length < nl + 1 + size + 1) {
        this.#needed = nl + 1 + size + 1;
        return;
      }
      const content = Buffer.from(this.#pending.subarray(nl + 1, nl + 1 + size));
      this.#pending = this.#pending.subarray(nl + 1 + size + 1);
      this.#onObject({ name: found[1]!, type: found[2]!, content });
    }
  }

  /** Whether output is left over (an object cut short). */
  get incomplete(): boolean {
    return this.#pending.length + this.#arrivingBytes > 0;
  }
}
