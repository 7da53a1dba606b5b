import { existsSync, mkdirSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { makePrivateDir } from "../../src/workflows/private-dir.ts";

/** Above Linux's largest process ID (2^22), so never a live process. */
const NO_SUCH_PID = 4_194_399;
const ourNamespace = /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))![1]!;

describe("private directories left by a killed hush", () => {
  const runtime = makeTempDir("hush-private-dir-");
  afterAll(() => runtime.cleanup());
  const env = { XDG_RUNTIME_DIR: runtime.path };
  const leftover = (name: string): string => {
    const path = join(runtime.path, name);
    mkdirSync(path, { mode: 0o700 });
    return path;
  };

  it("are swept when they are of this PID namespace (or of an older hush, which named none) and their process is gone", () => {
    const ours = leftover(`hush-${ourNamespace}-${NO_SUCH_PID}-abc123`);
    const older = leftover(`hush-${NO_SUCH_PID}-def456`);
    const dir = makePrivateDir(env);
    expect(existsSync(ours)).toBe(false);
    expect(existsSync(older)).toBe(false);
    expect(dir.path).toMatch(new RegExp(`/hush-${ourNamespace}-${process.pid}-[A-Za-z0-9]+$`));
    dir.remove();
  });

  it("are left alone when they are of another PID namespace: the same ID there may be a live hush edit (another container sharing /dev/shm)", () => {
    const theirs = leftover(`hush-${Number(ourNamespace) + 1}-${NO_SUCH_PID}-ghi789`);
    const dir = makePrivateDir(env);
    expect(existsSync(theirs)).toBe(true);
    dir.remove();
    expect(readdirSync(runtime.path)).toEqual([`hush-${Number(ourNamespace) + 1}-${NO_SUCH_PID}-ghi789`]);
  });
});
