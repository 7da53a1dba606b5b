import { armorBody, type KeyBackend } from "@hush/core";
import { firstPacketTag } from "./armor.ts";
import type { PgpKeyEntry, PgpRecipient } from "./entry.ts";
import { comparablePgpFingerprint } from "./fingerprint.ts";
import { pgpEntryOtherReaders } from "./other-readers.ts";

/**
 * The PGP key backend's descriptor (`@hush/key-source-pgp/backend`): metadata entries,
 * `.sops.yaml` keys, flags and identity of PGP keys. Cheap to import: the gpg runner is loaded
 * by `load`, when a file has PGP keys.
 */

export type { PgpKeyEntry, PgpRecipient };

const compact = (fp: string): string => fp.replace(/\s/g, "");

/** Why a PGP entry's `enc` cannot be an encrypted message, or undefined. */
function messageFault(entry: PgpKeyEntry): string | undefined {
  const bytes = armorBody(entry.enc, "PGP MESSAGE");
  if (bytes === undefined || bytes.length === 0) return "not an armored PGP message";
  // The first packet of an encrypted message is a public-key or symmetric-key encrypted session
  // key (tag 1 or 3), after any marker packet: gpg skips one, and so does hush's decryption.
  const tag = firstPacketTag(bytes);
  if (tag !== 1 && tag !== 3) return "the PGP message does not start with an encrypted session key";
  return undefined;
}

/** The PGP backend (keys used through `gpg`): register it (the CLI lists it in backends.ts) to read, write and open PGP keys. */
export const pgpBackend: KeyBackend<PgpKeyEntry, PgpRecipient> = {
  kind: "pgp",
  decryptionOrder: 1,
  decodeEntry: (f) => ({ kind: "pgp", fp: compact(f.text("fp")), createdAt: f.time("created_at"), enc: f.text("enc") }),
  encodeEntry: (e) => ({ created_at: e.createdAt, enc: e.enc, fp: e.fp }),
  identity: (k) => k.fp,
  // Fingerprints are hex: case, or gpg's 0x prefix, does not make a different key.
  comparable: (k) => comparablePgpFingerprint(k.fp),
  recipientOf: (e) => ({ kind: "pgp", fp: e.fp }),
  wrappedKeyForm: /^-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*-----END PGP MESSAGE-----\s*$/,
  wrappedKeyFault: messageFault,
  otherReaders: pgpEntryOtherReaders,
  config: {
    ruleKeys: ["pgp"],
    groupKeys: ["pgp"],
    parse: (value, key, c) => c.stringList(value, `${c.where}.${key}`).map((fp) => ({ kind: "pgp", fp: compact(fp) })),
  },
  flags: {
    name: "pgp",
    short: "p",
    valueName: "fingerprints",
    help: "PGP fingerprints, comma separated",
    env: "SOPS_PGP_FP",
    parse: (items) => items.map((fp) => ({ kind: "pgp", fp: compact(fp) })),
    removes: (key, named) => comparablePgpFingerprint(key.fp) === comparablePgpFingerprint(named.fp),
  },
  async load(context) {
    const { GpgKeySource } = await import("./gpg-key-source.ts");
    return new GpgKeySource({ env: context.env, homeDir: context.homeDir });
  },
};
