import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { gitProgram } from "../../git-program.ts";

/**
 * The `diff` attribute of paths through one long-running `git check-attr --stdin -z diff`, run
 * at the top of the working tree (paths are as git's patch output prints them). Answers are
 * cached per path.
 */
export class AttributeReader {
  readonly #git: ChildProcessWithoutNullStreams;
  #buffer = "";
  readonly #waiting: Array<(value: string | undefined) => void> = [];
  readonly #cache = new Map<string, Promise<string | undefined>>();
  #failed = false;

  constructor(topLevel: string, env: NodeJS.ProcessEnv) {
    this.#git = spawn(gitProgram(env), ["check-attr", "--stdin", "-z", "diff"], { cwd: topLevel, env, stdio: ["pipe", "pipe", "pipe"] });
    this.#git.stdout.on("data", (chunk: Buffer) => {
      this.#buffer += chunk.toString("utf8");
      // Each answer is three NUL-terminated fields: path, attribute, value.
      for (;;) {
        const parts = this.#buffer.split("\0");
        if (parts.length < 4 || this.#waiting.length === 0) return;
        const value = parts[2]!;
        this.#buffer = parts.slice(3).join("\0");
        this.#waiting.shift()!(value === "unspecified" || value === "unset" ? undefined : value);
      }
    });
    const fail = (): void => {
      this.#failed = true;
      for (const w of this.#waiting.splice(0)) w(undefined);
    };
    this.#git.on("error", fail);
    this.#git.on("close", fail);
  }

  /** The path's `diff` attribute value (`hush` for files set up with `hush git setup`), if set. */
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
