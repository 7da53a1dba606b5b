import { armorBody, type KeyBackend } from "@hush/core";
import type { AgeKeyEntry, AgeRecipient } from "./entry.ts";

/**
 * The age key backend's descriptor (`@hush/key-source-age/backend`): metadata entries, `.sops.yaml`
 * keys, flags and identity of age keys. Cheap to import: the implementation (age-encryption,
 * identity discovery) is loaded by `load`, when a file has age keys.
 */

/** Why an age entry's `enc` cannot be an age v1 file with a recipient stanza, or undefined. */
function ageFileFault(entry: AgeKeyEntry): string | undefined {
  // age v1: "age-encryption.org/v1\n", one or more "-> type args" stanzas, "--- mac", payload.
  const bytes = armorBody(entry.enc, "AGE ENCRYPTED FILE");
  if (bytes === undefined) return "not an armored age file";
  const head = bytes.subarray(0, Math.min(bytes.length, 4096)).toString("latin1");
  if (!head.startsWith("age-encryption.org/v1\n-> ")) return "no age v1 header with a recipient stanza";
  if (!/\n--- [A-Za-z0-9+/]{43}\n/.test(head)) return "the age header has no MAC line";
  return undefined;
}

export type { AgeKeyEntry, AgeRecipient };

/** The age backend: register it (the CLI lists it in backends.ts) to read, write and open age keys. */
export const ageBackend: KeyBackend<AgeKeyEntry, AgeRecipient> = {
  kind: "age",
  listedWhenEmpty: true,
  decryptionOrder: 0,
  decodeEntry: (f) => ({ kind: "age", recipient: f.text("recipient").trim(), enc: f.text("enc") }),
  encodeEntry: (e) => ({ enc: e.enc, recipient: e.recipient }),
  identity: (k) => k.recipient,
  recipientOf: (e) => ({ kind: "age", recipient: e.recipient }),
  wrappedKeyForm: /^-----BEGIN AGE ENCRYPTED FILE-----\r?\n[\s\S]*-----END AGE ENCRYPTED FILE-----\s*$/,
  wrappedKeyFault: ageFileFault,
  config: {
    ruleKeys: ["age"],
    groupKeys: ["age"],
    parse: (value, key, c) => c.stringList(value, `${c.where}.${key}`).map((recipient) => ({ kind: "age", recipient })),
  },
  flags: {
    name: "age",
    short: "a",
    valueName: "recipients",
    help: "age recipients, comma separated",
    env: "SOPS_AGE_RECIPIENTS",
    parse: (items) => items.map((recipient) => ({ kind: "age", recipient })),
  },
  async load(context) {
    const [{ AgeKeySource }, { discoverAgeIdentities }] = await Promise.all([import("./age-key-source.ts"), import("./discovery.ts")]);
    return new AgeKeySource({
      identities: discoverAgeIdentities({ env: context.env, homeDir: context.homeDir, ...(context.passphrase === undefined ? {} : { passphrase: context.passphrase }) }),
      // Plugins (age-plugin-<name>) are found on the PATH of this environment and run with it.
      env: context.env,
      ...(context.ask === undefined ? {} : { ask: context.ask }),
    });
  },
};
