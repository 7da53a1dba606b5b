import { afterAll, beforeAll } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { makeAgeKey } from "../keys/helpers.ts";

/** A test file's scratch directory, an age key in it, and the environment hush and SOPS run with. */
export interface SuiteSandbox {
  readonly dir: string;
  readonly recipient: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Makes the sandbox before the file's tests and removes it after them; the returned function
 * gives it (inside a test).
 */
export function useSuiteSandbox(prefix: string): () => SuiteSandbox {
  let tmp: { path: string; cleanup: () => void } | undefined;
  let sandbox: SuiteSandbox | undefined;
  beforeAll(async () => {
    tmp = makeTempDir(prefix);
    const key = await makeAgeKey(tmp.path, "suite");
    sandbox = { dir: tmp.path, recipient: key.recipient, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", SOPS_AGE_KEY_FILE: key.file } };
  });
  afterAll(() => tmp?.cleanup());
  return () => {
    if (sandbox === undefined) throw new Error("the sandbox is made before the tests run");
    return sandbox;
  };
}
