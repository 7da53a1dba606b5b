import { ageRecipientSpelling, armorBody, HushError, type EntryFields, type KeyBackend } from "@hush/core";
import type { AgeKeyEntry, AgeRecipient } from "./entry.ts";
import { ageEntryOtherReaders } from "./other-readers.ts";

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

/**
 * An SSH recipient as ssh-keygen writes it: one line, the type, then the encoded key of that type
 * (its base64 begins with the encoded type name), then an optional comment. SOPS 3.10+ reads an
 * `ssh-` recipient of a file with Go's authorized_keys reader (age/keysource.go parseRecipient,
 * ssh.ParseAuthorizedKey), which also takes a leading options field, the first line of several
 * that parses, and the type the encoded key names whatever the first word says; hush reads the
 * first two words. Any other `ssh-` line is refused, so that hush never shows one key where SOPS
 * would wrap to another (docs/sops-format.md 5.1).
 */
const SSH_KEY_LINE = /^(?:ssh-ed25519[ \t]+AAAAC3NzaC1lZDI1NTE5AAAA|ssh-rsa[ \t]+AAAAB3NzaC1yc2EAAAA)[A-Za-z0-9+/]*={0,2}(?:[ \t][^\r\n]*)?$/;

function decodeRecipient(f: EntryFields): string {
  const recipient = f.text("recipient").trim();
  if (recipient.startsWith("ssh-") && !SSH_KEY_LINE.test(recipient)) {
    throw new HushError(
      "METADATA_INVALID",
      `invalid sops metadata: ${f.where}.recipient is an SSH key line that SOPS reads otherwise than hush (an options field, several lines, or a key type the encoded key does not have); no tool writes it: write the key as ssh-keygen prints it`,
    );
  }
  return recipient;
}

export type { AgeKeyEntry, AgeRecipient };

/** The age backend: register it (the CLI lists it in backends.ts) to read, write and open age keys. */
export const ageBackend: KeyBackend<AgeKeyEntry, AgeRecipient> = {
  kind: "age",
  listedWhenEmpty: true,
  decryptionOrder: 0,
  decodeEntry: (f) => ({ kind: "age", recipient: decodeRecipient(f), enc: f.text("enc") }),
  encodeEntry: (e) => ({ enc: e.enc, recipient: e.recipient }),
  identity: (k) => k.recipient,
  comparable: (k) => ageRecipientSpelling(k.recipient),
  recipientOf: (e) => ({ kind: "age", recipient: e.recipient }),
  wrappedKeyForm: /^-----BEGIN AGE ENCRYPTED FILE-----\r?\n[\s\S]*-----END AGE ENCRYPTED FILE-----\s*$/,
  wrappedKeyFault: ageFileFault,
  otherReaders: ageEntryOtherReaders,
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
