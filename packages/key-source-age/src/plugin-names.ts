/**
 * Plugin recipients (`age1<name>1…`) and identities (`AGE-PLUGIN-<NAME>-1…`), read as age's
 * `plugin.ParseRecipient` and `plugin.ParseIdentity` read them (`plugin/encode.go`): a valid
 * bech32 string, and a plugin name made only of the characters age allows since its plugin-name
 * advisory (age 1.2.1, "plugin: restrict characters in plugin names"), so that `age-plugin-<name>` is a plain program name, never a
 * path. Cheap: nothing here starts or loads the plugin client.
 */
import { bech32Decode } from "./bech32.ts";

/** The characters age allows in a plugin name (`validPluginName`): no path separator can appear. */
const PLUGIN_NAME = /^[A-Za-z0-9+\-._]+$/;

/** Whether `name` is a plugin name age accepts (non-empty, only `[A-Za-z0-9+-._]`). */
export function isValidPluginName(name: string): boolean {
  return PLUGIN_NAME.test(name);
}

/** The program that implements plugin `name`. Only for names {@link isValidPluginName} accepts. */
export function pluginProgram(name: string): string {
  return `age-plugin-${name}`;
}

/** Why a plugin string was refused: its name is not one age allows, or it is not valid bech32. */
export type PluginStringFault = "name" | "encoding";

/** A plugin recipient or identity: its plugin's name (lower case), or why it was refused. */
export type ParsedPluginString = { readonly name: string } | { readonly fault: PluginStringFault; readonly name?: string };

/**
 * Reads a plugin recipient `age1<name>1…` (callers have checked the shape: `age1`, another `1`,
 * not `age1pq1`). Plugin recipients may be long (post-quantum plugins), so there is no length limit.
 */
export function parsePluginRecipient(recipient: string): ParsedPluginString {
  // The human-readable part ends at the last "1" (bech32's separator); the name follows "age1".
  const name = recipient.slice(4, recipient.lastIndexOf("1"));
  if (!isValidPluginName(name)) return { fault: "name" };
  try {
    const decoded = bech32Decode(recipient, false);
    if (decoded.prefix !== `age1${name.toLowerCase()}` || recipient !== recipient.toLowerCase()) return { fault: "encoding", name };
  } catch {
    return { fault: "encoding", name };
  }
  return { name };
}

/**
 * Reads a plugin identity `AGE-PLUGIN-<NAME>-1…` (callers have checked the `AGE-PLUGIN-` prefix).
 * The result never contains the identity: it is a secret.
 */
export function parsePluginIdentity(identity: string): ParsedPluginString {
  const separator = identity.lastIndexOf("1");
  const hrp = identity.slice(0, Math.max(separator, 0));
  if (!hrp.endsWith("-")) return { fault: "encoding" };
  const name = hrp.slice("AGE-PLUGIN-".length, -1);
  if (!isValidPluginName(name)) return { fault: "name" };
  try {
    bech32Decode(identity, false);
  } catch {
    return { fault: "encoding", name: name.toLowerCase() };
  }
  if (identity !== identity.toUpperCase()) return { fault: "encoding", name: name.toLowerCase() };
  return { name: name.toLowerCase() };
}
