import { appendAll, HushError } from "@hush/core";
import type { Command } from "commander";
import type { KeyBackend, MasterKeyRecipient } from "@hush/core";
import { KEY_BACKENDS, usableKeyBackends } from "./backends.ts";

/**
 * Key flags of every command, built from the key backends' descriptors (backends.ts): `--NAME`
 * for new files, repeatable `--NAME` for `groups add`, `--add-NAME`/`--rm-NAME` for rotate, and
 * each backend's options (`--aws-profile`, …). Values are read back the same way.
 */

/** The property commander gives `--some-flag` (`someFlag`). */
export function optionKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function csv(value: unknown): string[] {
  const text = Array.isArray(value) ? value.join(",") : typeof value === "string" ? value : "";
  return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** Each option of the backends once (two backends may share one). */
function addBackendOptions(cmd: Command, backends: readonly KeyBackend[], suffix = ""): Command {
  const seen = new Set<string>();
  for (const b of backends) {
    for (const o of b.flags.options ?? []) {
      if (seen.has(o.name)) continue;
      seen.add(o.name);
      cmd.option(`--${o.name} <${o.valueName}>`, `${o.help}${suffix}`);
    }
  }
  return cmd;
}

/** The kinds SOPS has and hush does not implement (Huawei Cloud KMS). */
function unimplementedKeyBackends(): readonly KeyBackend[] {
  return KEY_BACKENDS.filter((b) => b.load === undefined);
}

/**
 * Hidden `--NAME` (or `--add-NAME`, `--rm-NAME`) flags of the kinds hush does not implement, so
 * that a script written for sops that names one gets {@link refuseUnimplementedKeyFlags}'s reason,
 * not "unknown option" and a suggestion of another kind.
 */
function addUnimplementedKeyFlags(cmd: Command, prefixes: ReadonlyArray<"" | "add-" | "rm-">): Command {
  for (const b of unimplementedKeyBackends()) for (const p of prefixes) cmd.addOption(cmd.createOption(`--${p}${b.flags.name} <${b.flags.valueName}>`).hideHelp());
  return cmd;
}

/**
 * Refuses a key flag of a kind hush does not implement (`--hckms`, `--add-hckms`, `--rm-hckms`):
 * an error naming the flag and the kinds hush has, rather than a flag silently ignored.
 * @throws HushError UNSUPPORTED_OPTION
 */
export function refuseUnimplementedKeyFlags(flags: Readonly<Record<string, unknown>>): void {
  const usable = usableKeyBackends().map((b) => b.kind);
  for (const backend of unimplementedKeyBackends()) {
    for (const flag of [backend.flags.name, `add-${backend.flags.name}`, `rm-${backend.flags.name}`]) {
      if (csv(flags[optionKey(flag)]).length > 0) throw new HushError("UNSUPPORTED_OPTION", `--${flag}: ${backend.kind} keys are not supported by hush (${usable.join(", ")} are)`, { located: true });
    }
  }
}

/** `-a, --age <recipients>` and the like: the keys of a new file (one group replacing the rule's). */
export const keyFlags = (cmd: Command): Command => {
  for (const b of usableKeyBackends()) {
    const f = b.flags;
    cmd.option(`${f.short === undefined ? "" : `-${f.short}, `}--${f.name} <${f.valueName}>`, `${f.help}${f.env === undefined ? "" : ` (env ${f.env})`}`);
  }
  return addBackendOptions(addUnimplementedKeyFlags(cmd, [""]), usableKeyBackends());
};

/** Repeatable `--age <recipients>` and the like: the keys of a new key group. */
export const groupKeyFlags = (cmd: Command): Command => {
  // No default value: commander would print "(default: [])"; an absent flag reads as no keys.
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  for (const b of usableKeyBackends()) cmd.option(`--${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, for the new group (repeatable)`, collect);
  return addBackendOptions(addUnimplementedKeyFlags(cmd, [""]), usableKeyBackends());
};

/** `--add-age`, `--rm-age` and the like. */
export const addRemoveKeyFlags = (cmd: Command): Command => {
  for (const b of usableKeyBackends()) {
    cmd.option(`--add-${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, to add to the first key group`);
    cmd.option(`--rm-${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, to remove from every key group`);
  }
  return addBackendOptions(addUnimplementedKeyFlags(cmd, ["add-", "rm-"]), usableKeyBackends(), " (of the --add-* keys)");
};

/** SOPS's flag form: every kind SOPS has, so that naming one hush lacks is an error, not an unknown flag. */
export const legacyKeyFlags = (cmd: Command): Command => {
  for (const b of KEY_BACKENDS) {
    const f = b.flags;
    cmd.option(`${f.short === undefined || b.load === undefined ? "" : `-${f.short}, `}--${f.name} <${f.valueName}>`);
    cmd.option(`--add-${f.name} <${f.valueName}>`).option(`--rm-${f.name} <${f.valueName}>`);
  }
  return addBackendOptions(cmd, KEY_BACKENDS);
};

/** The backends' option values (`aws-profile` → its value) from parsed flags, each checked when given. */
function optionValues(b: KeyBackend, flags: Readonly<Record<string, unknown>>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const o of b.flags.options ?? []) {
    const v = flags[optionKey(o.name)];
    if (typeof v === "string") o.check?.(v);
    out[o.name] = typeof v === "string" ? v : undefined;
  }
  return out;
}

/**
 * Keys named by `--NAME` flags (`prefix` "") or `--add-NAME`/`--rm-NAME` (`prefix` "add-"/"rm-").
 * For new files a flag not given falls back to its SOPS_* variable; `--add-*` never does (the
 * variables name keys for new files and must not leak into a rotation).
 */
export function keysFromFlags(flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>, prefix: "" | "add-" | "rm-" = ""): MasterKeyRecipient[] {
  refuseUnimplementedKeyFlags(flags);
  const keys: MasterKeyRecipient[] = [];
  for (const b of KEY_BACKENDS) {
    const given = flags[optionKey(`${prefix}${b.flags.name}`)];
    const value = given ?? (prefix === "" && b.flags.env !== undefined ? env[b.flags.env] : undefined);
    const items = csv(value);
    const options = optionValues(b, flags);
    if (items.length > 0) appendAll(keys, b.flags.parse(items, options));
  }
  return keys;
}

/** Whether any `--add-NAME`/`--rm-NAME` flag has a value. */
export function hasKeyChanges(flags: Readonly<Record<string, unknown>>): boolean {
  return KEY_BACKENDS.some((b) => ["add-", "rm-"].some((p) => csv(flags[optionKey(`${p}${b.flags.name}`)]).length > 0));
}

/** Every flag name of the key backends as commander stores them (`addAge`, `awsProfile`, …), for passing flags on. */
export function keyFlagKeys(prefixes: ReadonlyArray<"" | "add-" | "rm-">): string[] {
  const names = KEY_BACKENDS.flatMap((b) => [...prefixes.map((p) => `${p}${b.flags.name}`), ...(b.flags.options ?? []).map((o) => o.name)]);
  return [...new Set(names)].map(optionKey);
}
