/**
 * Deterministic inputs for the benchmarks: a configuration file with a given number of values in
 * YAML, JSON or dotenv. The same seed gives the same bytes on every machine, so figures taken on
 * different days compare like with like.
 */

/** A small, fast, seedable PRNG (mulberry32); Math.random cannot be seeded. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function token(rand, length) {
  let s = "";
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

/**
 * The values of a generated file, grouped in sections of ten (a realistic shape: services with a
 * handful of settings each). Strings dominate, as in real secrets files; YAML and JSON also get
 * integers and booleans. `small` is a typical five-value application secrets file.
 */
export function generateEntries(size, { typed = true, seed = 1 } = {}) {
  const rand = prng(seed);
  if (size === "small") {
    return [
      { section: "database", key: "host", value: "db.internal.example" },
      { section: "database", key: "user", value: "app" },
      { section: "database", key: "password", value: token(rand, 24) },
      { section: "api", key: "token", value: token(rand, 40) },
      { section: "api", key: "timeout", value: typed ? 30 : "30" },
    ];
  }
  const entries = [];
  for (let i = 0; i < size; i++) {
    const section = `service_${String(Math.floor(i / 10)).padStart(5, "0")}`;
    const kind = i % 10;
    const key = ["host", "port", "user", "password", "token", "enabled", "region", "url", "secret", "ttl"][kind];
    let value;
    if (typed && kind === 1) value = 1024 + Math.floor(rand() * 60000);
    else if (typed && kind === 5) value = rand() < 0.5;
    else if (typed && kind === 9) value = Math.floor(rand() * 86400);
    else if (kind === 7) value = `https://${token(rand, 8).toLowerCase()}.example.com/${token(rand, 12)}`;
    else value = token(rand, 16 + Math.floor(rand() * 24));
    entries.push({ section, key, value });
  }
  return entries;
}

function yamlScalar(v) {
  // Every generated string is plain-safe YAML (letters, digits, ":" only inside URLs after "//").
  return typeof v === "string" && v.includes(": ") ? JSON.stringify(v) : String(v);
}

/** The generated file as YAML (4-space indentation, as SOPS writes it). */
export function toYaml(entries) {
  const out = [];
  let current;
  for (const e of entries) {
    if (e.section !== current) {
      out.push(`${e.section}:`);
      current = e.section;
    }
    out.push(`    ${e.key}: ${yamlScalar(e.value)}`);
  }
  return out.join("\n") + "\n";
}

/** The generated file as JSON (tab indentation, as SOPS writes it). */
export function toJson(entries) {
  const root = {};
  for (const e of entries) (root[e.section] ??= {})[e.key] = e.value;
  return JSON.stringify(root, null, "\t") + "\n";
}

/** The generated file as dotenv (flat SECTION_KEY=value lines, everything a string). */
export function toDotenv(entries) {
  return entries.map((e) => `${e.section.toUpperCase()}_${e.key.toUpperCase()}=${String(e.value)}`).join("\n") + "\n";
}

/** A generated file in one of the benchmark formats. */
export function generateFile(format, size, seed = 1) {
  switch (format) {
    case "yaml":
      return toYaml(generateEntries(size, { seed }));
    case "json":
      return toJson(generateEntries(size, { seed }));
    case "dotenv":
      return toDotenv(generateEntries(size, { typed: false, seed }));
    default:
      throw new Error(`unknown format ${format}`);
  }
}

/** File name extension hush and the peers infer the format from. */
export const EXTENSION = { yaml: ".yaml", json: ".json", dotenv: ".env" };
