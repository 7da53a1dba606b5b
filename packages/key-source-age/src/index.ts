export { AgeKeySource, MAX_STANZAS_PER_AGE_ENTRY } from "./age-key-source.ts";
export type { AgeKeySourceOptions } from "./age-key-source.ts";
export { parseAgeIdentities } from "./identities.ts";
export type { AgeIdentity, AgeStanzaType, ParseAgeIdentitiesOptions, PassphrasePrompt } from "./identities.ts";
export { AGE_ENV, defaultAgeKeysFile, discoverAgeIdentities } from "./discovery.ts";
export type { AgeIdentityProvider, DiscoverAgeIdentitiesOptions } from "./discovery.ts";
export { normalizeAgeRecipient } from "./recipients.ts";
export { ageRecipientOf, generateAgeKeyPair, generateHybridAgeKeyPair } from "./keygen.ts";
export type { AgeKeyPair } from "./keygen.ts";
