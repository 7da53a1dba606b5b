import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, startHush, type KeyedDir } from "./helpers.ts";

/**
 * Atomic writes: `hush set` killed with SIGKILL at random moments must leave every file
 * decrypting to its old or its new content, never a truncated or mixed one.
 */
describe("hush set under SIGKILL", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("200 kills at random moments: each file decrypts to the old or the new content", async () => {
    const FILES = 8;
    const ROUNDS = 25;
    const body = (v: string): string => `keep: constant\nlist:\n    - a\n    - b\nvalue: ${v}\nafter: also constant\n`;
    const files = Array.from({ length: FILES }, (_, i) => encryptFile(k, `f${i}.yaml`, body("v0")));
    const current = files.map(() => "v0");
    // How long a whole `hush set` takes here with this many at once: kills are spread over it,
    // so they land before, during and after the write.
    const t0 = Date.now();
    const warm = files.map((f) => startHush(["set", f, '["value"]', '"v0"'], { cwd: k.dir, env: k.env }));
    for (const r of await Promise.all(warm.map((w) => w.done))) expect(r.code, r.stderr).toBe(0);
    const span = Math.max(80, Date.now() - t0);
    let killed = 0;
    let completed = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const next = `v${round}`;
      const runs = files.map((f) => startHush(["set", f, '["value"]', `"${next}"`], { cwd: k.dir, env: k.env }));
      for (const r of runs) {
        const delay = Math.floor(Math.random() * span);
        setTimeout(() => r.child.kill("SIGKILL"), delay);
      }
      const results = await Promise.all(runs.map((r) => r.done));
      for (let i = 0; i < FILES; i++) {
        const res = results[i]!;
        if (res.signal === "SIGKILL") killed++;
        else {
          expect(res.code, res.stderr).toBe(0);
          completed++;
        }
        const plain = await k.decrypt(files[i]!);
        expect([body(current[i]!), body(next)]).toContain(plain);
        if (plain === body(next)) current[i] = next;
      }
    }
    expect(killed + completed).toBe(FILES * ROUNDS);
    expect(killed).toBeGreaterThan(0);
    // Locks of killed processes are taken over by the next run; temp files of killed writers
    // hold ciphertext only.
    for (const name of readdirSync(k.dir).filter((n) => n.endsWith(".tmp") && !n.includes("hush-lock"))) {
      expect(readFileSync(k.path(name), "utf8")).not.toMatch(/value: v\d/);
    }
  }, 120_000);
});
