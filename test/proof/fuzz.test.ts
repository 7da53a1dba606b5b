import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  decodeMetadata,
  decryptValue,
  encodeMetadata,
  encryptText,
  findCreationRule,
  isHushError,
  openText,
  parseEnvelope,
  parseSopsConfig,
  storeFor,
  unflattenMetadata,
  type FileFormat,
  type MasterKeyEntry,
} from "@hush/core";
import { makeTempDir } from "@hush/testkit";
import { ageSetup, FUZZ_RUNS, LONG_RUN, loadRegressions, MARKER, markedValue, noKeySources, runCliInProcess, saveRegression } from "./support.ts";

/**
 * Fuzzers for every parser that reads untrusted text: each store, the decryption pipeline, the
 * `ENC[...]` parser, the metadata decoder (nested and flattened) and `.sops.yaml`, plus the CLI
 * in process. Inputs are random strings and random mutations of valid documents (which get much
 * deeper into the parsers). Every input must end in a return or a HushError (never another
 * exception), within 2 s, without plaintext in any message and without polluting
 * Object.prototype; the CLI must print one message on stderr (a line, then indented details), no stack trace, and write
 * nothing. A failing input is saved in fuzz-regressions/ and replayed on every later run.
 *
 * Size: FUZZ_RUNS inputs in all (`pnpm fuzz:long` sets 100,000); a few thousand by default.
 */

const TARGETS = 14;
const RUNS = FUZZ_RUNS > 0 ? Math.ceil(FUZZ_RUNS / TARGETS) : 400;
const TIMEOUT = LONG_RUN ? 3_600_000 : 120_000;
const HANG_MS = 2_000;
const DATA_KEY = new Uint8Array(Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff));
const FAKE_KEYS: MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq", enc: "x" }]];
let totalInputs = 0;

/** Plaintext documents per format, each value carrying the marker. */
const PLAIN: Record<Exclude<FileFormat, "binary">, string> = {
  yaml: `# ${MARKER}C top\ndb:\n    user: ${markedValue(1)}\n    port: 5432\n    ratio: 1.5\n    on: true\n    list:\n        - ${markedValue(2)}\n        - {a: ${markedValue(3)}}\n    anchor: &x ${markedValue(4)}\n    block: |\n        ${markedValue(5)}\n        line two\nother_unencrypted: ${markedValue(6)}\nnothing: null\n`,
  json: `{\n\t"db": {\n\t\t"user": "${markedValue(1)}",\n\t\t"port": 5432,\n\t\t"big": 12345678901234567890,\n\t\t"ratio": 1.5e3,\n\t\t"on": true,\n\t\t"list": ["${markedValue(2)}", {"a": "${markedValue(3)}"}, null]\n\t},\n\t"other_unencrypted": "${markedValue(6)}"\n}\n`,
  dotenv: `# ${MARKER}C comment\nUSER=${markedValue(1)}\nexport PORT=5432\nQUOTED="${markedValue(2)} with \\"escapes\\""\nMULTI="${markedValue(3)}\nsecond line"\nOTHER_unencrypted=${markedValue(6)}\n\n`,
  ini: `; ${MARKER}C comment\n[db]\nuser = ${markedValue(1)}\nport = 5432\n\n[api]\ntoken = ${markedValue(2)}\nother_unencrypted = ${markedValue(6)}\n`,
  toml: `# ${MARKER}C comment\ntitle = "${markedValue(1)}"\nport = 5432\nratio = 1.5\n[db]\npassword = "${markedValue(2)}"\nlist = ["${markedValue(3)}", "b"]\nwhen = 1979-05-27T07:32:00Z\n[db.inner]\nflag = true\nother_unencrypted = "${markedValue(6)}"\n`,
};
const FORMATS = Object.keys(PLAIN) as Array<Exclude<FileFormat, "binary">>;
const ENCRYPTED: Partial<Record<FileFormat, string>> = {};

// ---------------------------------------------------------------------------------------------
// Mutations of valid documents.

const STRUCTURAL = [..."{}[]:,\"'#\n\r\t =&*!|>%@-?\\`;$"];
const charArb = fc.oneof(
  fc.constantFrom(...STRUCTURAL),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.constantFrom("\u0000", "\uFEFF", "\u2028", "\uD800", "é", "💥", "ENC[AES256_GCM,", "__proto__", "sops", "<<", "&a", "*a", "!!binary", "0x", "1e999"),
);
type Mutation =
  | { op: "replace"; at: number; with: string }
  | { op: "insert"; at: number; text: string }
  | { op: "delete"; at: number; length: number }
  | { op: "duplicate"; at: number; length: number; to: number }
  | { op: "truncate"; at: number }
  | { op: "swapLines"; a: number; b: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), with: charArb }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(charArb, fc.string({ maxLength: 12 })) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }), to: fc.nat() }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("swapLines" as const), a: fc.nat(), b: fc.nat() }),
);

function mutate(text: string, mutations: readonly Mutation[]): string {
  let t = text;
  for (const m of mutations) {
    const n = Math.max(t.length, 1);
    switch (m.op) {
      case "replace":
        t = t.slice(0, m.at % n) + m.with + t.slice((m.at % n) + 1);
        break;
      case "insert":
        t = t.slice(0, m.at % (n + 1)) + m.text + t.slice(m.at % (n + 1));
        break;
      case "delete":
        t = t.slice(0, m.at % n) + t.slice((m.at % n) + m.length);
        break;
      case "duplicate": {
        const piece = t.slice(m.at % n, (m.at % n) + m.length);
        const to = m.to % (t.length + 1);
        t = t.slice(0, to) + piece + t.slice(to);
        break;
      }
      case "truncate":
        t = t.slice(0, m.at % n);
        break;
      case "swapLines": {
        const lines = t.split("\n");
        const a = m.a % lines.length;
        const b = m.b % lines.length;
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        t = lines.join("\n");
        break;
      }
    }
  }
  return t;
}

/** Mutated copies of `corpus`, mixed with purely random text. */
function documentArb(corpus: () => readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.nat(), fc.array(mutationArb, { minLength: 1, maxLength: 5 })).map(([i, ms]) => mutate(corpus()[i % corpus().length]!, ms)) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 300 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...STRUCTURAL, "a", "1", "ENC[", "sops"), maxLength: 200 }) },
  );
}

// ---------------------------------------------------------------------------------------------
// The property harness.

const protoNames = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Throws when Object.prototype gained a property (and removes it, so later cases stay valid). */
function checkPrototype(): void {
  const added = Object.getOwnPropertyNames(Object.prototype).filter((n) => !protoNames.has(n));
  for (const n of added) delete (Object.prototype as Record<string, unknown>)[n];
  if (added.length > 0) throw new Error(`Object.prototype was polluted with ${added.join(", ")}`);
}

/** A whole marked value (see markedValue): what must never appear in a message. */
const MARKED_VALUE = /PTX_\d{3}q-[0-9a-f]{12}/g;

/**
 * Marked values that `text` (an error message or stderr) shows and that stand as values in
 * `input`. A mutation can turn part of a value into a key, and messages may name keys: only whole
 * marked values in value position (after `:`/`=`, as a list item, on an indented line, and not
 * followed by a key separator) count as plaintext.
 */
function leakedValues(text: string, input: string): string[] {
  return [...new Set([...text.matchAll(MARKED_VALUE)].map((m) => m[0]))].filter((v) =>
    new RegExp(`([:=]\\s*["'|>]?\\s*|^\\s*-\\s+["']?|[\\[,]\\s*["']?|^\\s+)${v}(?!["']?\\s*[:=])`, "m").test(input),
  );
}

/** A refusal must be a HushError whose message holds no plaintext value of `input`. */
function expectCleanRefusal(err: unknown, input: string): void {
  if (!isHushError(err)) throw new Error(`not a HushError: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  if (leakedValues(err.message, input).length > 0) throw new Error(`an error message contains plaintext: ${err.code}`);
}

async function guarded(work: () => Promise<unknown> | unknown, input = ""): Promise<void> {
  const started = performance.now();
  try {
    await work();
  } catch (err) {
    expectCleanRefusal(err, input);
  } finally {
    checkPrototype();
  }
  const ms = performance.now() - started;
  if (ms > HANG_MS) throw new Error(`took ${Math.round(ms)} ms (limit ${HANG_MS} ms)`);
}

/**
 * Replays the saved regression cases of `target`, then runs the fuzzer (also when a regression
 * case fails, so that the run still covers its full count). A new failure is saved as a
 * regression case; any failure fails the test, naming the case.
 */
async function fuzz<T>(target: string, arb: fc.Arbitrary<T>, check: (input: T) => Promise<void>, runs = RUNS): Promise<void> {
  const failures: string[] = [];
  for (const c of loadRegressions(target)) {
    try {
      await check(c.input as T);
    } catch (err) {
      failures.push(`regression case of ${target} fails again (${c.note.slice(0, 120)}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const details = await fc.check(fc.asyncProperty(arb, check), { numRuns: runs });
  totalInputs += details.numRuns;
  if (details.failed && details.counterexample !== null) {
    const input = details.counterexample[0];
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const file = saveRegression(target, input, why.slice(0, 300));
    failures.push(`${target}: fuzzer found a failing input (seed ${details.seed}), saved as ${file}: ${why}`);
  }
  if (failures.length > 0) throw new Error(failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------

describe("fuzzing the parsers", () => {
  beforeAll(async () => {
    for (const format of FORMATS) {
      ENCRYPTED[format] = await encryptText(PLAIN[format], { format, keySources: noKeySources, dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS });
    }
    ENCRYPTED.binary = await encryptText(`${MARKER}-binary\u0000\u00ff`, { format: "binary", keySources: noKeySources, dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS });
  });

  afterAll(() => {
    console.log(`fuzz inputs in this run: ${totalInputs} (${LONG_RUN ? "long run" : "default run"}, ${RUNS} per target)`);
  });

  it.each(FORMATS)("store %s: parse and toTree of plaintext and encrypted mutations", async (format) => {
    const store = await storeFor(format);
    await fuzz(`store-${format}`, documentArb(() => [PLAIN[format], ENCRYPTED[format]!]), async (text) =>
      guarded(() => {
        store.parse(text);
        store.toTree(text);
      }, text),
    );
  }, TIMEOUT);

  it("decryption pipeline: mutated encrypted files of every format (and binary)", async () => {
    const all: FileFormat[] = [...FORMATS, "binary"];
    await fuzz(
      "decrypt",
      fc.tuple(fc.constantFrom(...all), fc.array(mutationArb, { minLength: 1, maxLength: 4 })),
      async ([format, ms]) => {
        const text = mutate(ENCRYPTED[format]!, ms);
        await guarded(() => openText(text, { format, keySources: noKeySources, dataKey: DATA_KEY }), text);
      },
    );
  }, TIMEOUT);

  it("encryption pipeline: mutated plaintext files of every format", async () => {
    await fuzz(
      "encrypt",
      fc.tuple(fc.constantFrom(...FORMATS), fc.array(mutationArb, { minLength: 1, maxLength: 4 })),
      async ([format, ms]) => {
        const text = mutate(PLAIN[format], ms);
        await guarded(async () => {
          const out = await encryptText(text, { format, keySources: noKeySources, dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS });
          // What hush writes, hush must read back.
          await openText(out, { format, keySources: noKeySources, dataKey: DATA_KEY });
        }, text);
      },
    );
  }, TIMEOUT);

  it("ENC[...] parser and value cipher", async () => {
    const valid = [/ENC\[[^\]]*\]/.exec(ENCRYPTED.yaml!)![0], "ENC[AES256_GCM,data:,iv:AAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"];
    await fuzz(
      "envelope",
      fc.oneof(
        documentArb(() => valid),
        fc.string({ maxLength: 120 }).map((s) => `ENC[AES256_GCM,${s}`),
        fc.tuple(fc.string(), fc.string(), fc.string(), fc.string()).map(([d, i, t, ty]) => `ENC[AES256_GCM,data:${d},iv:${i},tag:${t},type:${ty}]`),
      ),
      async (text) =>
        guarded(() => {
          parseEnvelope(text);
          decryptValue(DATA_KEY, text, "db:user:");
        }),
    );
  }, TIMEOUT);

  it("metadata decoder (nested form)", async () => {
    const valid = encodeMetadata({
      keyGroups: [[{ kind: "age", recipient: "age1x", enc: "y" }, { kind: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/k", role: "", context: { a: "b" }, awsProfile: "", createdAt: "2025-01-01T00:00:00Z", enc: "z" }]],
      shamirThreshold: 0,
      lastModified: "2025-01-01T00:00:00Z",
      mac: "ENC[...]",
      rule: { kind: "unencrypted_suffix", value: "_unencrypted" },
      macOnlyEncrypted: false,
      version: "3.13.2",
    });
    const fields = ["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "key_groups", "lastmodified", "mac", "version", "shamir_threshold", "mac_only_encrypted", "unencrypted_suffix", "encrypted_regex", "__proto__", "constructor"];
    const anyValue = fc.oneof(fc.anything(), fc.jsonValue(), fc.array(fc.dictionary(fc.constantFrom("enc", "recipient", "arn", "created_at", "fp", "context", "__proto__", "role"), fc.anything())));
    await fuzz(
      "metadata",
      fc.oneof(
        fc.anything(),
        fc.dictionary(fc.constantFrom(...fields), anyValue),
        fc.tuple(fc.constantFrom(...Object.keys(valid)), anyValue).map(([k, v]) => ({ ...valid, [k]: v })),
        fc.string().map((s) => JSON.parse(`{"age":[{"__proto__":{"polluted":"x"},"recipient":${JSON.stringify(s)},"enc":"e"}],"lastmodified":"2025-01-01T00:00:00Z"}`) as unknown),
      ),
      async (raw) => guarded(() => decodeMetadata(raw)),
    );
  }, TIMEOUT);

  it("metadata decoder (flattened form of dotenv and INI)", async () => {
    const segment = fc.constantFrom("age", "pgp", "kms", "key_groups", "__list_0", "__list_1", "__list_9", "__list_x", "__map_enc", "__map_recipient", "__map_context", "__map___proto__", "__map_constructor", "__map_prototype", "__proto__", "constructor", "__", "_", "__map_", "__list_");
    await fuzz(
      "flat-metadata",
      fc.array(fc.tuple(fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => s.join("")), fc.string({ maxLength: 8 })), { maxLength: 8 }),
      async (entries) => guarded(() => decodeMetadata(unflattenMetadata(entries))),
    );
  }, TIMEOUT);

  it(".sops.yaml parser and creation-rule matching", async () => {
    const valid = [
      "creation_rules:\n  - path_regex: ^secrets/prod/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    key_groups:\n      - age: [age1abc]\n        pgp: [FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4]\n    shamir_threshold: 1\n  - age: age1aaa,age1bbb\nstores:\n  yaml: {indent: 2}\n",
      "creation_rules:\n  - path_regex: (a+)+$\n    kms: arn:aws:kms:us-east-1:111122223333:key/k+arn:aws:iam::111122223333:role/r\n",
    ];
    const regex = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: fc.constantFrom("(", ")", "a", "+", "*", "?", "|", "[", "]", "\\", "^", "$", "{", "}", ".", "1", ",", "P", "<", ">"), maxLength: 40 }));
    await fuzz(
      "sops-config",
      fc.tuple(
        fc.oneof(documentArb(() => valid), regex.map((r) => `creation_rules:\n  - path_regex: ${JSON.stringify(r)}\n    age: age1x\n`)),
        fc.oneof(fc.constant("secrets/prod/app.yaml"), fc.string({ maxLength: 60 }), fc.constant("a".repeat(5000) + "!")),
      ),
      async ([text, path]) =>
        guarded(async () => {
          const config = await parseSopsConfig(text);
          await findCreationRule(config, path);
        }),
    );
  }, TIMEOUT);

  describe("the CLI in process", () => {
    let dir: { path: string; cleanup: () => void };
    let env: Record<string, string>;
    let recipient: string;
    const encrypted: Partial<Record<FileFormat, string>> = {};
    const ext: Record<Exclude<FileFormat, "binary">, string> = { yaml: "yaml", json: "json", dotenv: "env", ini: "ini", toml: "toml" };

    beforeAll(async () => {
      dir = makeTempDir("hush-fuzz-");
      const age = await ageSetup();
      recipient = age.recipient;
      writeFileSync(join(dir.path, "key.txt"), `${age.identity}\n`, { mode: 0o600 });
      env = { SOPS_AGE_KEY_FILE: join(dir.path, "key.txt"), HOME: join(dir.path, "home"), PATH: process.env["PATH"] ?? "" };
      for (const format of FORMATS) {
        encrypted[format] = await encryptText(PLAIN[format], { format, keyGroups: [[{ kind: "age", recipient }]], keySources: age.keySources });
      }
      mkdirSync(join(dir.path, "work"));
    });
    afterAll(() => dir.cleanup());

    /** Runs the CLI in process; checks stderr and that the work directory did not change. */
    const cli = async (args: string[], input: string): Promise<void> => {
      const work = join(dir.path, "work");
      const before = snapshot(work);
      const started = performance.now();
      const { status, stderr: e } = await runCliInProcess(args, { env, cwd: work });
      const ms = performance.now() - started;
      checkPrototype();
      if (ms > HANG_MS) throw new Error(`took ${Math.round(ms)} ms`);
      if (!Number.isInteger(status)) throw new Error(`exit status ${String(status)}`);
      // One message: a `hush:` line, then only indented detail lines (each escaped on its own).
      if (status !== 0 && !/^hush: [^\n]*\n(  [^\n]*\n)*$/.test(e)) throw new Error(`stderr is not one message: ${JSON.stringify(e.slice(0, 300))}`);
      if (/\n\s+at |this is a bug in hush|Cannot read prop|is not a function|is not iterable|Maximum call stack|Invalid array length|is not defined/.test(e)) {
        throw new Error(`stderr shows a crash: ${JSON.stringify(e.slice(0, 300))}`);
      }
      if (status !== 0 && leakedValues(e, input).length > 0) throw new Error("stderr contains plaintext");
      const after = snapshot(work);
      if (after !== before) throw new Error(`the CLI wrote files: ${after}`);
    };

    it("hush decrypt on mutated encrypted files: one clean line on stderr, nothing written", async () => {
      await fuzz(
        "cli-decrypt",
        fc.tuple(fc.constantFrom(...FORMATS), fc.array(mutationArb, { minLength: 1, maxLength: 4 })),
        async ([format, ms]) => {
          const file = join(dir.path, `input.${ext[format]}`);
          const text = mutate(encrypted[format]!, ms);
          writeFileSync(file, text);
          await cli(["decrypt", file], text);
        },
      );
    }, TIMEOUT);

    it("hush encrypt on mutated plaintext files: one clean line on stderr, nothing written", async () => {
      await fuzz(
        "cli-encrypt",
        fc.tuple(fc.constantFrom(...FORMATS), fc.array(mutationArb, { minLength: 1, maxLength: 4 })),
        async ([format, ms]) => {
          const file = join(dir.path, `input.${ext[format]}`);
          const text = mutate(PLAIN[format], ms);
          writeFileSync(file, text);
          await cli(["encrypt", "--age", recipient, file], text);
        },
      );
    }, TIMEOUT);

    it("hush decrypt on random bytes under every file name", async () => {
      await fuzz(
        "cli-bytes",
        fc.tuple(fc.constantFrom("yaml", "json", "env", "ini", "toml", "bin"), fc.uint8Array({ maxLength: 400 })),
        async ([extension, bytes]) => {
          const file = join(dir.path, `input.${extension}`);
          writeFileSync(file, bytes);
          await cli(["decrypt", ...(extension === "bin" ? ["--input-type", "binary"] : []), file], "");
        },
      );
    }, TIMEOUT);
  });
});

/** Names, sizes and mtimes of everything under a directory, as one string. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name}:${s.size}:${s.mtimeMs}`;
    })
    .join("|");
}

