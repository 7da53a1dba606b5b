import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { gitProgram } from "../../git-program.ts";

/**
 * Blob contents through one long-running `git cat-file --batch`: one request line per object, the
 * answers in order. Object names come from git's own output (abbreviated ids), never from a
 * shell. Reading only: nothing is written to the repository.
 */
export class ObjectReader {
  readonly #git: ChildProcessWithoutNullStreams;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #waiting: Array<(answer: Buffer | undefined) => void> = [];
  #failed: Error | undefined;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.#git = spawn(gitProgram(env), ["cat-file", "--batch"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.#git.stdout.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const fail = (err: Error): void => {
      this.#failed = err;
      for (const w of this.#waiting.splice(0)) w(undefined);
    };
    this.#git.on("error", fail);
    this.#git.on("close", () => fail(new Error("git cat-file ended")));
  }

  /** The object's bytes, or undefined when it is missing (a working-tree side) or not a blob. */
  read(name: string): Promise<Buffer | undefined> {
    if (this.#failed !== undefined || !/^[0-9a-f]{4,64}$/.test(name)) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#git.stdin.write(`${name}\n`);
    });
  }

  #drain(): void {
    for (;;) {
      const nl = this.#buffer.indexOf(10);
      if (nl < 0 || this.#waiting.length === 0) return;
      const header = this.#buffer.subarray(0, nl).toString("latin1");
      const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (m === null) {
        // "<name> missing" / "<name> ambiguous": no contents follow.
        this.#buffer = this.#buffer.subarray(nl + 1);
        this.#waiting.shift()!(undefined);
        continue;
      }
      const size = Number(m[2]);
      if (this.#buffer.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.#buffer.subarray(nl + 1, nl + 1 + size));
      this.#buffer = this.#buffer.subarray(nl + 1 + size + 1);
      this.#waiting.shift()!(m[1] === "blob" ? body : undefined);
    }
  }

  /** Ends the git process. */
  close(): void {
    this.#git.stdin.end();
  }
}
