import { appendAll } from "@hush/core";
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

/** `-a, --age <recipients>` and the like: the keys of a new file (one group replacing the rule's). */
export const keyFlags = (cmd: Command): Command => {
  for (const b of usableKeyBackends()) {
    const f = b.flags;
    cmd.option(`${f.short === undefined ? "" : `-${f.short}, `}--${f.name} <${f.valueName}>`, `${f.help}${f.env === undefined ? "" : ` (env ${f.env})`}`);
  }
  return addBackendOptions(cmd, usableKeyBackends());
};

/** Repeatable `--age <recipients>` and the like: the keys of a new key group. */
export const groupKeyFlags = (cmd: Command): Command => {
  // No default value: commander would print "(default: [])"; an absent flag reads as no keys.
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  for (const b of usableKeyBackends()) cmd.option(`--${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, for the new group (repeatable)`, collect);
  return addBackendOptions(cmd, usableKeyBackends());
};

/** `--add-age`, `--rm-age` and the like. */
export const addRemoveKeyFlags = (cmd: Command): Command => {
  for (const b of usableKeyBackends()) {
    cmd.option(`--add-${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, to add to the first key group`);
    cmd.option(`--rm-${b.flags.name} <${b.flags.valueName}>`, `${b.flags.help}, to remove from every key group`);
  }
  return addBackendOptions(cmd, usableKeyBackends(), " (of the --add-* keys)");
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
