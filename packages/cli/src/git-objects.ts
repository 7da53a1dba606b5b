import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { HushError } from "@hush/core";
import { BatchReader, type BatchObject } from "@hush/git";
import { gitProgram } from "./git-program.ts";
import { gitOutput } from "./git-run.ts";
import { childEnvironment } from "./io.ts";

export type { BatchObject };

/** git's object name for a blob of these bytes (SHA-1, or SHA-256 for a 64-digit `hexLength`). */
export function gitBlobId(bytes: Buffer | string, hexLength: number): string {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  return createHash(hexLength === 64 ? "sha256" : "sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

/**
 * The sizes of `blobs` (object names) by name, through one `git cat-file --batch-check`: read
 * before the blobs themselves, so that one too large to check is never read (a branch can commit
 * a file of gigabytes). A name git does not know is left out.
 */
export async function blobSizes(root: string, env: Readonly<Record<string, string | undefined>>, blobs: Iterable<string>): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const names = [...new Set(blobs)];
  if (names.length === 0) return sizes;
  const listed = await gitOutput(root, env, ["cat-file", "--batch-check=%(objectname) %(objectsize)"], `${names.join("\n")}\n`);
  for (const line of listed.split("\n")) {
    const m = /^([0-9a-f]{40,64}) (\d+)$/.exec(line);
    if (m !== null) sizes.set(m[1]!, Number(m[2]));
  }
  return sizes;
}

/** A hex object name, the only kind of name {@link ObjectReader.read} sends: a path (`:path`, `rev:path`) could hold a newline, which would end the request early. */
const OBJECT_NAME = /^[0-9a-f]{4,64}$/;

/**
 * A path {@link ObjectReader.stagedBlob} may ask for: one request line, and echoed whole in git's
 * `<name> missing` answer, so no blank or control character.
 */
const INDEX_PATH = /^[^\s\x00-\x1f\x7f]+$/;

/**
 * Objects of a repository through one long-running `git cat-file --batch`, asked for in rounds:
 * the review of a patch, the pre-commit check of staged files and the audit of a history each
 * start one git process, not one per object. Reading only: nothing is written to the repository.
 */
export class ObjectReader {
  readonly #git: ChildProcessWithoutNullStreams;
  readonly #batch: BatchReader;
  #waiting: Array<(object: BatchObject) => void> = [];
  #failure: Error | undefined;

  /** Starts git in `root` (a repository's top level) with `env`. */
  constructor(root: string, env: Readonly<Record<string, string | undefined>>) {
    const childEnv = childEnvironment(env);
    this.#git = spawn(gitProgram(childEnv), ["cat-file", "--batch"], { cwd: root, env: childEnv, stdio: ["pipe", "pipe", "pipe"] });
    this.#batch = new BatchReader((object) => this.#waiting.shift()?.(object));
    this.#git.stdout.on("data", (chunk: Buffer) => {
      try {
        this.#batch.push(chunk);
      } catch (err) {
        this.#fail(err as Error);
      }
    });
    // git's complaints are not shown (an object the caller treats as missing); drained so git never blocks on them.
    this.#git.stderr.resume();
    this.#git.on("error", (e) => this.#fail(e));
    this.#git.on("close", () => this.#fail(new Error("git cat-file ended early")));
    // A failed write to git shows up as the process ending.
    this.#git.stdin.on("error", () => undefined);
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w({ name: "", missing: true });
  }

  /**
   * Reads `names` (hex object names) and calls `each` for every object in order, as it arrives,
   * so that contents need not all be held at once.
   * @throws HushError INVALID_ARGUMENT when a name is not hex or git cannot answer
   */
  async read(names: readonly string[], each: (object: BatchObject, index: number) => void): Promise<void> {
    if (names.length === 0) return;
    const bad = names.find((n) => !OBJECT_NAME.test(n));
    if (bad !== undefined) throw new HushError("INVALID_ARGUMENT", `not a git object name: ${JSON.stringify(bad.slice(0, 80))}`);
    await this.#request(names, each);
  }

  /** Sends checked requests (see {@link read}). */
  async #request(names: readonly string[], each: (object: BatchObject, index: number) => void): Promise<void> {
    await new Promise<void>((resolvePromise, reject) => {
      let left = names.length;
      names.forEach((_, i) =>
        this.#waiting.push((object) => {
          if (this.#failure !== undefined) {
            reject(new HushError("INVALID_ARGUMENT", `cannot read git objects: ${this.#failure.message}`));
            return;
          }
          each(object, i);
          if (--left === 0) resolvePromise();
        }),
      );
      if (this.#failure !== undefined) this.#fail(this.#failure);
      else this.#git.stdin.write(`${names.join("\n")}\n`);
    });
  }

  /** The bytes of blob `name`, or undefined when it is missing, not a blob, or git cannot answer. */
  async blob(name: string): Promise<Buffer | undefined> {
    return OBJECT_NAME.test(name) ? this.#blobOf(name) : undefined;
  }

  /**
   * The bytes of the index's merged (stage 0) entry at `path` (from the top of the working tree),
   * or undefined when there is none, it is not a blob, or git cannot answer. The explicit stage
   * keeps the path a path: `:/text` would otherwise search commit messages.
   */
  async stagedBlob(path: string): Promise<Buffer | undefined> {
    return INDEX_PATH.test(path) ? this.#blobOf(`:0:${path}`) : undefined;
  }

  /**
   * The object name of the blob at `path` (from the top of the working tree) in the commit that
   * `revision` names (`MERGE_HEAD`), or undefined when there is none (no merge in progress), it is
   * not a blob, or git cannot answer. A path with a line break or other control character cannot
   * be asked for on git's input line: undefined.
   */
  async blobNameAt(revision: string, path: string): Promise<string | undefined> {
    if (!/^[A-Z_]+$/.test(revision) || !/^[^\x00-\x1f\x7f]+$/.test(path)) return undefined;
    let found: string | undefined;
    try {
      await this.#request([`${revision}:${path}`], (object) => {
        if ("content" in object && object.type === "blob") found = object.name;
      });
    } catch {
      return undefined;
    }
    return found;
  }

  async #blobOf(request: string): Promise<Buffer | undefined> {
    let found: Buffer | undefined;
    try {
      await this.#request([request], (object) => {
        if ("content" in object && object.type === "blob") found = object.content;
      });
    } catch {
      return undefined;
    }
    return found;
  }

  /** Ends the git process. */
  close(): void {
    this.#git.stdin.end();
    this.#git.kill();
  }
}

/** How many blobs {@link BlobsInOrder} asks git for in one request. */
const READ_AHEAD = 64;

/**
 * Blobs taken one at a time, in order (`hush check --staged` checks a file, then reads the next):
 * asked of the {@link ObjectReader} {@link READ_AHEAD} at a time, so that a commit that stages
 * thousands of files waits on git once per round rather than once per file. A blob is
 * held only until it is taken.
 */
export class BlobsInOrder {
  readonly #objects: ObjectReader;
  readonly #names: readonly string[];
  readonly #waiting = new Map<number, Promise<Buffer | undefined>>();
  /** Index of the first blob not yet asked for. */
  #asked = 0;

  /** `names`: the blobs' object names, in the order they will be taken. */
  constructor(objects: ObjectReader, names: readonly string[]) {
    this.#objects = objects;
    this.#names = names;
  }

  /** The bytes of blob number `index` (as {@link ObjectReader.blob}: undefined when git has none). Each index is taken once. */
  take(index: number): Promise<Buffer | undefined> {
    if (index >= this.#asked) this.#askFrom(index);
    const blob = this.#waiting.get(index) ?? Promise.resolve(undefined);
    this.#waiting.delete(index);
    return blob;
  }

  #askFrom(start: number): void {
    const end = Math.min(this.#names.length, start + READ_AHEAD);
    const names = this.#names.slice(start, end);
    const settle: Array<(blob: Buffer | undefined) => void> = [];
    names.forEach((_, k) => this.#waiting.set(start + k, new Promise((resolveBlob) => settle.push(resolveBlob))));
    this.#asked = end;
    // A name git cannot read, or one that is not hex, reads as missing, as ObjectReader.blob has it.
    const valid = names.map((n) => OBJECT_NAME.test(n));
    const asked = names.filter((_, k) => valid[k]);
    const index = names.map((_, k) => k).filter((k) => valid[k]);
    names.forEach((_, k) => {
      if (!valid[k]) settle[k]!(undefined);
    });
    this.#objects
      .read(asked, (object, i) => settle[index[i]!]!("content" in object && object.type === "blob" ? object.content : undefined))
      .catch(() => {
        for (const resolveBlob of settle) resolveBlob(undefined);
      });
  }
}
