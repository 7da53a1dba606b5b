import type { CliIo } from "../../io.ts";

/**
 * A size limit from the environment variable `name`: a byte count, optionally with a K, M or G
 * suffix (`16M`), else `fallback`. A value that is not a byte count is reported on stderr and
 * the fallback is used: a git driver must not fail on a typo in the environment.
 */
export function byteLimit(io: CliIo, name: string, fallback: number): number {
  const raw = io.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(raw.trim());
  if (m === null) {
    io.stderr.write(`hush: ${name} is not a byte count (e.g. 8388608 or 8M); using ${fallback}\n`);
    return fallback;
  }
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Number(m[1]) * scale;
}
