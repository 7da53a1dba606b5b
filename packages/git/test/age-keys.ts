import type { KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";

/** A fresh age key: its recipient, and the key sources that open what is encrypted to it. */
export async function freshAgeKey(): Promise<{ recipient: string; keys: KeySourceResolver }> {
  const pair = await generateAgeKeyPair();
  const source = new AgeKeySource({ identities: parseAgeIdentities(pair.identity) });
  return { recipient: pair.recipient, keys: async (kind) => (kind === "age" ? source : undefined) };
}
