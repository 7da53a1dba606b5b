/**
 * The age key source: wraps a data key into an ASCII-armored age file to one recipient, and
 * opens such entries with the identities it was given (spec §5.1).
 */
import type { Identity } from "age-encryption";
import { HushError, isHushError, quoted, type KeySource, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import type { AgeKeyEntry, AgeRecipient } from "./entry.ts";
import type { AgeIdentityProvider } from "./discovery.ts";
import { bech32Decode } from "./bech32.ts";
import { headerStanzaLines } from "./age-header.ts";
import { decodeArmor, fastUnwrapX25519, type X25519Key } from "./fast-unwrap.ts";
import { fastWrapX25519 } from "./fast-wrap.ts";
import { AgeIdentityHandle, type AgeIdentity } from "./identities.ts";
import type { PluginContext } from "./plugin-client.ts";
import type { PluginUi, TerminalAsk } from "./plugin-ui.ts";
import { parseRecipient } from "./recipients.ts";

/** Options for {@link AgeKeySource}. */
export interface AgeKeySourceOptions {
  /**
   * Identities used by `unwrap`: a list from {@link parseAgeIdentities}, or a provider from
   * {@link discoverAgeIdentities} (loaded on the first unwrap). Without it, nothing unwraps.
   */
  readonly identities?: readonly AgeIdentity[] | AgeIdentityProvider;
  /**
   * The environment age plugins run with: `age-plugin-<name>` is looked for in its PATH (absolute
   * directories only). Defaults to `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Asks the user on the terminal when a plugin requests a value or a confirmation; without it,
   * such requests are answered `fail`. Ignored when `pluginUi` is given.
   */
  readonly ask?: TerminalAsk;
  /** How plugins talk to the user; defaults to the terminal UI built on `ask` (messages on stderr). */
  readonly pluginUi?: PluginUi;
}

/**
 * Stanzas hush reads in one age entry. SOPS wraps the data key to one recipient per entry, so
 * its entries have exactly one stanza; age implementations may add a "grease" stanza or two.
 * Each stanza can cost a key exchange per identity, and one entry with 20,000 of them took half
 * a minute to refuse: an entry with more is refused before any is tried.
 */
export const MAX_STANZAS_PER_AGE_ENTRY = 8;

/**
 * Plugin sessions that asked the user for something (a PIN, a confirmation, or a wait on a
 * touch) and opened nothing, after which that plugin is not run again. A file may list 128
 * entries whose stanzas are the reader's (a recipient is public): a hardware plugin would ask
 * for each, in decrypt and in git diff alike. Two, as for gpg's passphrase dialogs.
 */
const MAX_UNANSWERED_PLUGIN_ASKS = 2;

/** Stanza types named in an age header, and how many stanzas there are (see {@link headerStanzaLines}). */
function headerStanzas(file: Uint8Array): { types: Set<string>; count: number } {
  const stanzas = headerStanzaLines(file);
  return { types: new Set(stanzas.map((s) => s.type)), count: stanzas.length };
}

function malformed(entry: AgeKeyEntry, why: string, cause: unknown): HushError {
  return new HushError("KEY_SOURCE_FAILED", `age entry for recipient ${quoted(entry.recipient)} is malformed: ${why}`, {
    cause,
  });
}

/**
 * Opens an age file with the given identities. Returns null when none of them opens it; throws
 * when the file is malformed or tampered with (bad header, stanza, MAC or payload).
 */
async function decryptWith(file: Uint8Array, identities: readonly (string | Identity)[], entry: AgeKeyEntry): Promise<Uint8Array | null> {
  // Loaded only here: the full age implementation (with its post-quantum dependencies) is
  // costly to import, and the common X25519 case never needs it.
  const { Decrypter } = await import("age-encryption");
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  // typage tries identities in order and throws when none matched. This last one is reached only
  // in that case, which tells "not ours" (null) apart from a broken file (throw).
  let exhausted = false;
  decrypter.addIdentity({
    unwrapFileKey: () => {
      exhausted = true;
      return null;
    },
  });
  try {
    return await decrypter.decrypt(file);
  } catch (err) {
    // A plugin's own failure (not installed, an error answer) is not a malformed entry.
    if (isHushError(err)) throw err;
    if (exhausted) return null;
    throw malformed(entry, err instanceof Error ? err.message : "cannot decrypt", err);
  }
}

/**
 * Key source for age: X25519 (`age1…`), post-quantum hybrid (`age1pq1…`), SSH
 * (`ssh-ed25519 …`, `ssh-rsa …`) and plugin (`age1<name>1…`, through `age-plugin-<name>`)
 * recipients.
 */
export class AgeKeySource implements KeySource {
  readonly kind = "age" as const;
  readonly #identities: readonly AgeIdentity[] | AgeIdentityProvider;
  /** Failures met while opening passphrase-protected identities, reported by describeSearch. */
  readonly #errors: string[] = [];
  readonly #plugins: PluginContext;
  /** By plugin name: sessions that asked the user and opened nothing, since the last that opened. */
  readonly #unansweredAsks = new Map<string, number>();

  constructor(options: AgeKeySourceOptions = {}) {
    this.#identities = options.identities ?? [];
    // Only settings here: the plugin client and its terminal UI load when a plugin is used.
    this.#plugins = { env: options.env ?? process.env, ask: options.ask, ui: options.pluginUi };
  }

  /**
   * Wraps `dataKey` to one age recipient: the entry's `enc` is an ASCII-armored age file (64
   * columns, final newline) whose payload is the raw bytes of `dataKey`.
   *
   * @throws HushError `INVALID_ARGUMENT` when the recipient is not an age recipient or is invalid
   *   (the message names it); `KEY_SOURCE_FAILED` when encryption fails.
   */
  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<AgeKeyEntry> {
    if (recipient.kind !== "age") {
      throw new HushError("INVALID_ARGUMENT", `the age key source cannot wrap to a ${recipient.kind} key`);
    }
    const trimmed = (recipient as AgeRecipient).recipient.trim();
    const parsed = parseRecipient(trimmed);
    if (typeof parsed === "string" && !parsed.startsWith("age1pq1")) {
      // A plain X25519 recipient, the common case, without the full implementation (fast-wrap.ts).
      const enc = fastWrapX25519(dataKey, bech32Decode(parsed).bytes);
      if (enc !== undefined) return { kind: "age", recipient: trimmed, enc };
    }
    const { armor, Encrypter } = await import("age-encryption");
    const encrypter = new Encrypter();
    if (typeof parsed === "object" && "plugin" in parsed) {
      // Loaded only for plugin recipients: decrypting and native recipients never need it.
      const { pluginRecipient } = await import("./plugin-client.ts");
      encrypter.addRecipient(pluginRecipient(parsed.plugin, parsed.recipient, this.#plugins));
    } else {
      encrypter.addRecipient(parsed);
    }
    let file: Uint8Array;
    try {
      file = await encrypter.encrypt(dataKey);
    } catch (err) {
      if (isHushError(err)) throw err;
      throw new HushError("KEY_SOURCE_FAILED", `cannot wrap the data key to age recipient ${quoted(trimmed)}`, { cause: err });
    }
    return { kind: "age", recipient: trimmed, enc: armor.encode(file) };
  }

  /**
   * Unwraps an age entry with the identities whose type matches its stanzas. Passphrase-protected
   * identities are opened last, and only when nothing else worked.
   *
   * @returns the payload bytes, or null for a non-age entry or when no identity opens it.
   * @throws HushError `KEY_SOURCE_FAILED` when the entry is malformed (bad armor, header, stanza,
   *   MAC or payload); `INVALID_ARGUMENT` when an identity did not come from this package.
   */
  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "age") return null;
    return this.#unwrapAge(entry as AgeKeyEntry);
  }

  async #unwrapAge(entry: AgeKeyEntry): Promise<Uint8Array | null> {
    let file = decodeArmor(entry.enc);
    if (file === undefined) {
      // Not the armor age writes: the full decoder gives the precise reason.
      const { armor } = await import("age-encryption");
      try {
        file = armor.decode(entry.enc);
      } catch (err) {
        throw malformed(entry, `not an ASCII-armored age file (${err instanceof Error ? err.message : "unreadable"})`, err);
      }
    }
    const { types, count } = headerStanzas(file);
    if (count > MAX_STANZAS_PER_AGE_ENTRY) {
      throw malformed(entry, `it has ${count} stanzas; hush reads at most ${MAX_STANZAS_PER_AGE_ENTRY} (SOPS writes one)`, undefined);
    }
    const handles = await this.#handles(entry.recipient);
    const matching = handles.filter((h) => h.stanzaTypes.some((t) => types.has(t)));
    const readyHandles = matching.filter((h) => !h.needsPassphrase);
    const fast = types.size === 1 && types.has("X25519") ? fastKeys(readyHandles) : undefined;
    // The fast path answers only for well-formed entries; anything else (and every error) is
    // decided by the full implementation below, so results and errors are the same either way.
    const fastResult = fast === undefined ? undefined : fastUnwrapX25519(file, fast);
    let key: Uint8Array | null;
    if (fastResult !== undefined) {
      key = fastResult.opened;
    } else {
      const ready = (await Promise.all(readyHandles.map((h) => h.open()))).flat();
      // Run even with no candidate identity, so that a malformed header is still reported.
      key = await decryptWith(file, ready, entry);
    }
    if (key !== null) return key;
    const plugged = await this.#unwrapWithPlugins(file, entry, handles.filter((h) => h.plugin !== undefined));
    if (plugged !== null) return plugged;
    for (const handle of matching.filter((h) => h.needsPassphrase)) {
      let identities;
      try {
        identities = await handle.open();
      } catch (err) {
        const line = err instanceof Error ? err.message : `${handle.source}: cannot open`;
        if (!this.#errors.includes(line)) this.#errors.push(line);
        continue;
      }
      const opened = await decryptWith(file, identities, entry);
      if (opened !== null) return opened;
    }
    return null;
  }

  /**
   * Tries the plugin identities the user configured, one at a time, after the others failed (a
   * plugin may need a touch or a PIN). Returns null when none opens the entry; when some failed,
   * throws the first failure, which says why (not installed, the plugin's error).
   */
  async #unwrapWithPlugins(file: Uint8Array, entry: AgeKeyEntry, handles: readonly AgeIdentityHandle[]): Promise<Uint8Array | null> {
    if (handles.length === 0) return null;
    const [{ isPluginFailure, unwrapWithPlugin }, { terminalPluginUi }] = await Promise.all([import("./plugin-client.ts"), import("./plugin-ui.ts")]);
    const ui = this.#plugins.ui ?? terminalPluginUi(this.#plugins.ask);
    let failure: unknown;
    for (const handle of handles) {
      const name = handle.plugin;
      if (name === undefined) continue;
      const unanswered = this.#unansweredAsks.get(name) ?? 0;
      if (unanswered >= MAX_UNANSWERED_PLUGIN_ASKS) {
        failure ??= new HushError("KEY_SOURCE_FAILED", `age-plugin-${name}: not run: it asked for input ${unanswered} times without opening an entry, and would ask again`, {
          hint: "the file may list many entries made for your plugin that it cannot open; decrypt a copy without them, or check who wrote them",
        });
        continue;
      }
      let asked = false;
      const noting: PluginUi = {
        message: (n, text) => ui.message(n, text),
        request: (n, prompt, secret) => ((asked = true), ui.request(n, prompt, secret)),
        confirm: (n, prompt, yes, no) => ((asked = true), ui.confirm(n, prompt, yes, no)),
        waiting: (n) => ((asked = true), ui.waiting(n)),
      };
      const identity = handle.pluginIdentity((plugin, id, stanzas) => unwrapWithPlugin(plugin, id, stanzas, { ...this.#plugins, ui: noting }));
      if (identity === undefined) continue;
      let opened: Uint8Array | null = null;
      try {
        opened = await decryptWith(file, [identity], entry);
      } catch (err) {
        if (!isPluginFailure(err)) throw err;
        failure ??= err;
      }
      if (opened !== null) {
        this.#unansweredAsks.delete(name);
        return opened;
      }
      if (asked) this.#unansweredAsks.set(name, (this.#unansweredAsks.get(name) ?? 0) + 1);
    }
    if (failure !== undefined) throw failure;
    return null;
  }

  /** Places searched for identities and what was found or failed there; never key material. */
  describeSearch(): readonly string[] {
    const ids = this.#identities;
    const base = isProvider(ids)
      ? ids.describeSearch()
      : [...new Set(ids.map((id) => `${id.source}: ${id.needsPassphrase ? "passphrase-protected" : id.plugin !== undefined ? `age-plugin-${id.plugin}` : id.stanzaTypes.join(", ")} identity`))];
    return [...base, ...this.#errors];
  }

  /** The identities to try on the entry for `recipient` (key commands are told it). */
  async #handles(recipient: string): Promise<AgeIdentityHandle[]> {
    const ids = this.#identities;
    const list = isProvider(ids) ? await ids.identities(recipient) : ids;
    return list.map((id) => {
      if (!(id instanceof AgeIdentityHandle)) {
        throw new HushError("INVALID_ARGUMENT", "age identities must come from parseAgeIdentities or discoverAgeIdentities");
      }
      return id;
    });
  }
}

/** The X25519 keys of the handles, or undefined when one of them is not a plain X25519 identity. */
function fastKeys(handles: readonly AgeIdentityHandle[]): X25519Key[] | undefined {
  const keys: X25519Key[] = [];
  for (const h of handles) {
    const key = h.x25519Key();
    if (key === undefined) return undefined;
    keys.push(key);
  }
  return keys;
}

function isProvider(ids: readonly AgeIdentity[] | AgeIdentityProvider): ids is AgeIdentityProvider {
  return !Array.isArray(ids);
}
