import type { CliIo } from "./io.ts";
import type { DecryptFlags } from "./commands/decrypt.ts";
import type { ExecFlags } from "./commands/exec.ts";

/**
 * The commands that git and deploy scripts start many times (`decrypt`, `git textconv`,
 * `exec-env`, SOPS's `-d FILE`), recognised without building the command-line program: the
 * program (commander and every command's definition) costs more start-up time than the decrypt.
 *
 * The parser here accepts only plain forms whose meaning is certain: known flags, each at most
 * once (`--allow-env` may repeat), values that do not look like flags, and exactly the positional
 * arguments the command takes. Everything else (help, `--`, short-flag clusters, unknown or
 * SOPS-only flags, missing or extra arguments) returns undefined and goes to the full program,
 * which gives the same result and every usage message.
 */

type FlagKind = "boolean" | "value" | "list";

/** A flag as the full program defines it: long name, optional short form, and its option key. */
interface FlagSpec {
  readonly key: string;
  readonly kind: FlagKind;
}

type FlagTable = Readonly<Record<string, FlagSpec>>;

const DECRYPT_FLAGS: FlagTable = {
  "--input-type": { key: "inputType", kind: "value" },
  "--output-type": { key: "outputType", kind: "value" },
  "-i": { key: "inPlace", kind: "boolean" },
  "--in-place": { key: "inPlace", kind: "boolean" },
  "--output": { key: "output", kind: "value" },
  "--extract": { key: "extract", kind: "value" },
  "--ignore-mac": { key: "ignoreMac", kind: "boolean" },
  "--filename-override": { key: "filenameOverride", kind: "value" },
  "--indent": { key: "indent", kind: "value" },
};

/** SOPS's `-d` form: the same flags, and the mode flag itself. */
const LEGACY_DECRYPT_FLAGS: FlagTable = {
  ...DECRYPT_FLAGS,
  "-d": { key: "decrypt", kind: "boolean" },
  "--decrypt": { key: "decrypt", kind: "boolean" },
};

const EXEC_ENV_FLAGS: FlagTable = {
  "--pristine": { key: "pristine", kind: "boolean" },
  "--allow-env": { key: "allowEnv", kind: "list" },
  "--user": { key: "user", kind: "value" },
  "--same-process": { key: "sameProcess", kind: "boolean" },
  "--background": { key: "background", kind: "boolean" },
  "--input-type": { key: "inputType", kind: "value" },
  "--ignore-mac": { key: "ignoreMac", kind: "boolean" },
};

interface Parsed {
  readonly flags: Record<string, string | boolean | string[]>;
  readonly positional: string[];
}

/** Parses `args` against `table`; undefined when any token is outside the plain forms. */
function parsePlain(args: readonly string[], table: FlagTable): Parsed | undefined {
  const flags: Record<string, string | boolean | string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (spec === undefined) return undefined;
    let value: string | true;
    if (spec.kind === "boolean") {
      if (eq >= 0) return undefined;
      value = true;
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("-")) return undefined;
      value = next;
      i++;
    }
    if (spec.kind === "list") {
      const list = (flags[spec.key] ??= []) as string[];
      list.push(value as string);
    } else {
      if (spec.key in flags) return undefined;
      flags[spec.key] = value;
    }
  }
  return { flags, positional };
}

/** Runs `argv` when it is a hot command in a plain form; undefined sends it to the full program. */
export async function runHotCommand(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === "decrypt") {
    const p = parsePlain(rest, DECRYPT_FLAGS);
    if (p === undefined || p.positional.length !== 1) return undefined;
    const { runDecrypt } = await import("./commands/decrypt.ts");
    return runDecrypt(io, p.positional[0], p.flags as DecryptFlags);
  }
  // `git textconv -- FILE` is what `hush git setup` writes (git appends the file's name).
  const textconvFile = first === "git" && rest[0] === "textconv" ? (rest.length === 3 && rest[1] === "--" ? rest[2] : rest.length === 2 && !rest[1]!.startsWith("-") ? rest[1] : undefined) : undefined;
  if (textconvFile !== undefined) {
    const { runTextconv } = await import("./commands/git/textconv.ts");
    return runTextconv(io, textconvFile);
  }
  if (first === "exec-env") {
    const p = parsePlain(rest, EXEC_ENV_FLAGS);
    if (p === undefined || p.positional.length !== 2) return undefined;
    const { runExecEnv } = await import("./commands/exec.ts");
    return runExecEnv(io, p.positional, { allowEnv: [], ...p.flags } as ExecFlags);
  }
  if (first === "-d" || first === "--decrypt") {
    const p = parsePlain(argv, LEGACY_DECRYPT_FLAGS);
    // A file name that could be a subcommand's is the full program's to judge.
    if (p === undefined || p.positional.length !== 1 || !/[./]/.test(p.positional[0]!)) return undefined;
    const { decrypt: _mode, ...flags } = p.flags;
    const { runDecrypt } = await import("./commands/decrypt.ts");
    return runDecrypt(io, p.positional[0], flags as DecryptFlags);
  }
  return undefined;
}
