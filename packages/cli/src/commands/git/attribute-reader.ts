import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { gitProgram } from "../../git-program.ts";

/**
 * The `diff` attribute of paths through one long-running `git check-attr --stdin -z diff`, run
 * at the top of the working tree (paths are as git's patch output prints them). Answers are
 * cached per path.
 */
export class AttributeReader {
  readonly #git: ChildProcessWithoutNullStreams;
  readonly #answers = new CheckAttrAnswers();
  readonly #waiting: Array<(value: string | undefined) => void> = [];
  readonly #cache = new Map<string, Promise<string | undefined>>();
  #failed = false;

  constructor(topLevel: string, env: NodeJS.ProcessEnv) {
    this.#git = spawn(gitProgram(env), ["check-attr", "--stdin", "-z", "diff"], { cwd: topLevel, env, stdio: ["pipe", "pipe", "pipe"] });
    this.#git.stdout.on("data", (chunk: Buffer) => {
      // git answers in the order it was asked, so each value goes to the oldest question.
      for (const value of this.#answers.push(chunk)) this.#waiting.shift()?.(value === "unspecified" ? undefined : value);
    });
    const fail = (): void => {
      this.#failed = true;
      for (const w of this.#waiting.splice(0)) w(undefined);
    };
    this.#git.on("error", fail);
    this.#git.on("close", fail);
  }

  /**
   * The path's `diff` attribute as git reports it (`hush` for files set up with `hush git setup`,
   * `set`, `unset` for `-diff`, another driver's name), or undefined when no attribute sets it.
   */
  diffAttribute(path: string): Promise<string | undefined> {
    let answer = this.#cache.get(path);
    if (answer === undefined) {
      answer = this.#failed || path.includes("\0")
        ? Promise.resolve(undefined)
        : new Promise((resolve) => {
            this.#waiting.push(resolve);
            this.#git.stdin.write(`${path}\0`);
          });
      this.#cache.set(path, answer);
    }
    return answer;
  }

  close(): void {
    this.#git.stdin.end();
  }
}

/**
 * The values in `git check-attr -z` output as it arrives: each answer is three NUL-terminated
 * fields (path, attribute, value). Each byte is scanned once, however many answers a chunk holds
 * (a diff over thousands of files asks about them all at once), and fields are decoded whole, so
 * a UTF-8 character split between two chunks stays one character.
 */
export class CheckAttrAnswers {
  /** The bytes after the last complete field. */
  #partial: Buffer = Buffer.alloc(0);
  /** How many fields of the current answer are complete (0 to 2). */
  #fieldsDone = 0;

  /** Takes the next chunk of output; returns the values of the answers it completes, in order. */
  push(chunk: Buffer): string[] {
    const bytes = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, chunk]);
    const values: string[] = [];
    let start = 0;
    for (let end = bytes.indexOf(0, start); end !== -1; end = bytes.indexOf(0, start)) {
      if (this.#fieldsDone === 2) values.push(bytes.toString("utf8", start, end));
      this.#fieldsDone = (this.#fieldsDone + 1) % 3;
      start = end + 1;
    }
    this.#partial = bytes.subarray(start);
    return values;
  }
}
