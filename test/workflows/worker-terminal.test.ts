import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { openTerminal, requireTerminalTools } from "./terminal.ts";

/**
 * `require("hush-secrets/config")` runs the loader in a worker thread, whose process.stdin is a
 * stream from the parent thread, never a terminal. An age plugin's question (a PIN) is still
 * asked on the terminal the program runs in, as `--import` asks it: the check looks at fd 0.
 */

const PASSPHRASE_JS = fileURLToPath(new URL("../../packages/cli/dist/passphrase.js", import.meta.url));

let tmp: ReturnType<typeof makeTempDir>;
beforeAll(() => {
  requireTerminalTools();
  tmp = makeTempDir("hush-worker-terminal-");
});
afterAll(() => tmp.cleanup());

describe("a plugin's question from a worker thread, in a real terminal (tmux)", () => {
  it("is asked on the terminal and answered", async () => {
    const worker = `import(${JSON.stringify(PASSPHRASE_JS)}).then((m) => m.askOnTerminal("PIN for the test plugin: ", { secret: true })).then((a) => console.log("answered " + a.length), (e) => console.log("refused: " + e.message));`;
    const main = `new (require("node:worker_threads").Worker)(${JSON.stringify(worker)}, { eval: true });`;
    const t = openTerminal(tmp.path, "worker-ask", [process.execPath, "-e", main], tmp.path, { PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C" });
    try {
      const screen = await t.waitForScreen((s) => s.includes("PIN for the test plugin:") || s.includes("refused:"), "the question");
      expect(screen).not.toContain("refused:");
      t.type("4242");
      t.keys("Enter");
      expect(await t.waitForScreen((s) => s.includes("answered 4"), "the answer")).not.toContain("4242");
      expect(await t.waitForExit()).toBe(0);
    } finally {
      t.close();
    }
  }, 60_000);
});
