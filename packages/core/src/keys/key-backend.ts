import type { HushError } from "../errors.ts";
import type { KeySource, MasterKeyEntry, MasterKeyRecipient } from "../key-source.ts";
import type { EntryFields } from "../metadata/entry-fields.ts";

/**
 * A key backend: everything hush knows about one kind of master key (age, PGP, AWS KMS, …),
 * in one descriptor that its package exports. Core reads and writes metadata, `.sops.yaml` and
 * messages through descriptors only; the CLI lists the descriptors once (packages/cli/src/
 * backends.ts) and registers them (keys/registry.ts). A descriptor module must stay cheap to
 * import: the backend's implementation (crypto libraries, SDKs) is loaded by `load`, on first
 * use, so that decrypting an age file never loads the AWS SDK.
 *
 * Methods are declared as methods so that a `KeyBackend<AgeKeyEntry, AgeRecipient>` is a
 * `KeyBackend` for the registry.
 */
export interface KeyBackend<E extends MasterKeyEntry = MasterKeyEntry, R extends MasterKeyRecipient = MasterKeyRecipient> {
  /** The name of this kind's key list in the `sops` section (`age`, `pgp`, `kms`, …) and of its entries' `kind`. */
  readonly kind: string;
  /** SOPS writes this kind's list inside `key_groups` even when it is empty (age and hc_vault do). */
  readonly listedWhenEmpty?: boolean;
  /** Decryption tries kinds with a lower number first (SOPS: age 0, pgp 1, others 2, the default). */
  readonly decryptionOrder?: number;
  /** Reads one entry of this kind's list; throws METADATA_INVALID (through `fields`) when malformed. */
  decodeEntry(fields: EntryFields): E;
  /** The entry's fields in the order SOPS writes them (the output must match SOPS byte for byte). */
  encodeEntry(entry: E): Record<string, unknown>;
  /** Stable identity, as SOPS prints it for `--rm-*` and updatekeys diffs. */
  identity(key: E | R): string;
  /** The identity as compared between a file and `.sops.yaml` (e.g. fingerprints in one case); default `identity`. */
  comparable?(key: E | R): string;
  /**
   * Who can open the entry's wrapped key, as one string: the comparable identity less what only
   * says how the writer reached the key service (a KMS entry's `aws_profile`, a name in the
   * writer's own AWS config). Reports of readers added and removed compare entries by it;
   * default `comparable`.
   */
  reader?(key: E | R): string;
  /**
   * Whether the file's `entry` is what `named` (a `.sops.yaml` key) asks for although their
   * identities differ, because `named` leaves out a part that wrapping fills in (an Azure key
   * without a version, which wrapping resolves to the latest one) or SOPS spelled it otherwise
   * (a Vault address's case or default port): `updatekeys` keeps such an entry instead of
   * wrapping again. Absent: only the same identity is.
   */
  resolves?(named: R, entry: E): boolean;
  /** The recipient an entry was wrapped for; absent when hush cannot wrap to this kind. */
  recipientOf?(entry: E): R;
  /** The outer form of a well-formed entry's `enc` field (armor, base64), for keyless checks. */
  readonly wrappedKeyForm?: RegExp;
  /** Why `entry` cannot hold a wrapped data key (a cheap, certain keyless check), or undefined. */
  wrappedKeyFault?(entry: E): string | undefined;
  /**
   * Why `entry`'s wrapped key also (or only) opens for a key other than the one the entry names,
   * as its structure shows without a key (a second recipient stanza or session key, a stanza for
   * another SSH key), or undefined. Cheap and certain, like `wrappedKeyFault`: what the structure
   * cannot tell (whose age key an X25519 stanza is for) is not guessed.
   */
  otherReaders?(entry: E): string | undefined;
  /** How this kind's keys are named in `.sops.yaml`. */
  readonly config: KeyBackendConfig<R>;
  /** The command-line flags that name keys of this kind. */
  readonly flags: KeyBackendFlags<R>;
  /** Builds the key source on first need (a lazy `import()`); absent when hush cannot open this kind. */
  load?(context: KeySourceContext): Promise<KeySource>;
}

/** What a backend's key source may use: the environment, the home directory, a passphrase prompt, the keys named on the command line. */
export interface KeySourceContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  /** Asks the user for a passphrase (for encrypted identities), when there is a terminal. */
  readonly passphrase?: (prompt: string) => Promise<string>;
  /**
   * Asks the user a question on the terminal (an age plugin's PIN or confirmation); `secret` hides
   * the answer as it is typed. Rejects when standard input is not a terminal: a deploy script
   * cannot answer, and the plugin is told so instead of waiting.
   */
  readonly ask?: (prompt: string, options: { readonly secret: boolean }) => Promise<string>;
  /**
   * Keys the user named on the command line (flags, their `SOPS_*` variables): chosen by the
   * user, so a backend may trust their settings (a Vault server, an AWS role). Never keys of a
   * `.sops.yaml` or a file: a cloned repository brings its own.
   */
  readonly chosen: readonly MasterKeyRecipient[];
}

/** `.sops.yaml` keys of one backend (SOPS 3.13's config/config.go). */
export interface KeyBackendConfig<R extends MasterKeyRecipient> {
  /** Keys of a creation rule that name keys of this kind. */
  readonly ruleKeys: readonly string[];
  /** Keys of one of a rule's `key_groups` that name keys of this kind. */
  readonly groupKeys: readonly string[];
  /** Other keys of a creation rule that this kind reads (e.g. `aws_profile`). */
  readonly ruleOptions?: readonly string[];
  /** The keys a map item of this kind's list may have (e.g. KMS's `arn`, `role`, `context`, `aws_profile`). */
  readonly itemKeys?: readonly string[];
  /** The recipients a rule or group names under `key` (one of `ruleKeys`/`groupKeys`, value not empty). */
  parse(value: unknown, key: string, context: ConfigContext): R[];
}

/** Helpers and surroundings for `KeyBackendConfig.parse`. */
export interface ConfigContext {
  /** Where the value is, e.g. `creation_rules[0].key_groups[1]`. */
  readonly where: string;
  /** The enclosing creation rule, for rule-level options such as `aws_profile`. */
  readonly rule: Readonly<Record<string, unknown>>;
  /** CONFIG_INVALID with the "invalid .sops.yaml" prefix. */
  fail(message: string): HushError;
  /** A key list: comma-separated string or (since SOPS 3.11) a YAML list of strings. */
  stringList(value: unknown, where: string): string[];
}

/** Command-line flags of one backend: `--NAME`, `--add-NAME`, `--rm-NAME`, and options such as `--aws-profile`. */
export interface KeyBackendFlags<R extends MasterKeyRecipient> {
  /** Flag name: `age` gives `--age`, `--add-age`, `--rm-age`. */
  readonly name: string;
  /** One-letter alias of `--NAME` (SOPS: `-a`, `-p`, `-k`). */
  readonly short?: string;
  /** What the flag's value holds, for help (`recipients`). */
  readonly valueName: string;
  /** Help text of `--NAME`. */
  readonly help: string;
  /** Environment variable read when `--NAME` is not given (new files only, never for `--add-NAME`). */
  readonly env?: string;
  /** Further options that shape this kind's keys (e.g. `--aws-profile`), by long name. */
  readonly options?: readonly KeyFlagOption[];
  /** Recipients of the comma-separated items of `--NAME`/`--add-NAME`; `options` holds the given option values by name. */
  parse(items: readonly string[], options: Readonly<Record<string, string | undefined>>): R[];
  /** Checks recipients before any file is touched (may load the implementation); throws a HushError naming the bad key. */
  validate?(keys: readonly R[]): Promise<void>;
  /** Whether `--rm-NAME` naming `named` (parsed as by `parse`) removes `key`; default: same `comparable` identity. */
  removes?(key: R, named: R): boolean;
}

/** An option of a backend's flags (`--aws-profile <name>`). */
export interface KeyFlagOption {
  readonly name: string;
  readonly valueName: string;
  readonly help: string;
  /**
   * Checks the option's value whenever it is given, with or without keys of this kind (SOPS
   * refuses a malformed `--encryption-context` on any command that takes it); throws a HushError.
   */
  check?(value: string): void;
}
