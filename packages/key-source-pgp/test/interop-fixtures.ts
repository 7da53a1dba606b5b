import { readFileSync } from "node:fs";
import { sopsVector } from "@hush/testkit";

/** A PGP master key as read from a SOPS file: fingerprint and armored message. */
export interface FixturePgpEntry {
  readonly fp: string;
  readonly enc: string;
}

/**
 * Reads the PGP entries of one of the interop fixtures. A deliberately small reader (the stores
 * live in @hush/core): YAML `enc: |`/`|-` blocks, JSON, and the flattened dotenv/INI keys with
 * `\n`-escaped or `"""`-quoted armors.
 */
export function readFixturePgpEntries(name: string): FixturePgpEntry[] {
  const text = readFileSync(sopsVector(name), "utf8");
  if (name.endsWith(".json")) {
    const doc = JSON.parse(text) as { sops: { pgp: { fp: string; enc: string }[] } };
    return doc.sops.pgp.map(({ fp, enc }) => ({ fp, enc }));
  }
  if (name.endsWith(".env") || name.endsWith(".ini")) return readFlattened(text, name.endsWith(".env") ? "sops_" : "");
  return readYaml(text);
}

function readYaml(text: string): FixturePgpEntry[] {
  const lines = text.split("\n");
  const encs: string[] = [];
  const fps: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fp = /^\s*(?:-\s+)?fp: (\S+)\s*$/.exec(line);
    if (fp?.[1] !== undefined) fps.push(fp[1]);
    const enc = /^(\s*(?:-\s+)?)enc: \|(-?)\s*$/.exec(line);
    if (enc?.[1] === undefined) continue;
    const keyColumn = enc[1].length;
    const block: string[] = [];
    let indent: number | undefined;
    for (i++; i < lines.length; i++) {
      const next = lines[i] ?? "";
      const lead = next.length - next.trimStart().length;
      if (next.trim() !== "" && lead <= keyColumn) break;
      indent ??= next.trim() === "" ? undefined : lead;
      block.push(next.slice(indent ?? 0));
    }
    i--;
    while (block.length > 0 && block.at(-1)?.trim() === "") block.pop();
    encs.push(block.join("\n") + (enc[2] === "-" ? "" : "\n"));
  }
  return encs.map((enc, k) => ({ enc, fp: fps[k] ?? "" }));
}

function readFlattened(text: string, prefix: string): FixturePgpEntry[] {
  const values = new Map<string, string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"""')) {
      const parts = [value.slice(3)];
      while (!(parts.at(-1) ?? "").endsWith('"""') && i + 1 < lines.length) parts.push(lines[++i] ?? "");
      value = parts.join("\n").slice(0, -3);
    }
    values.set(key, value.replaceAll("\\n", "\n"));
  }
  const entries: FixturePgpEntry[] = [];
  for (let n = 0; values.has(`${prefix}pgp__list_${n}__map_enc`); n++) {
    entries.push({ fp: values.get(`${prefix}pgp__list_${n}__map_fp`) ?? "", enc: values.get(`${prefix}pgp__list_${n}__map_enc`) ?? "" });
  }
  return entries;
}
