/**
 * Where SOPS looks for age identities on decrypt (spec §5.1, `age/keysource.go loadIdentities`
 * and `loadAgeSSHIdentities`): every place is loaded and the identities are combined; a place
 * that fails to load is recorded and reported only if no identity opens the file.
 */
import { posix, resolve, win32 } from "node:path";
import { appendAll, findProgramOnPath, isHushError, keyProgramDirectory, keyProgramEnvironment, quoted } from "@hush/core";
import { parseIdentities, parseSshPrivateKey, type AgeIdentity, type AgeIdentityHandle, type PassphrasePrompt } from "./identities.ts";
import { runKeyCommand } from "./key-command.ts";
import { isRefusedKeyFile, readKeyFile } from "./key-file.ts";
import { recipientForKeyCommand } from "./recipients.ts";
import { splitShellWords } from "./shell-words.ts";

/** Options for {@link discoverAgeIdentities}. Only these inputs are read: no global state. */
export interface DiscoverAgeIdentitiesOptions {
  /** Environment variables (SOPS_AGE_*, XDG_CONFIG_HOME, APPDATA; passed on to key commands). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory ("" when unknown). */
  readonly homeDir: string;
  /**
   * Reads a file; must throw an error with `code: "ENOENT"` when it does not exist. Defaults to
   * one that refuses devices and bounds what it reads (key-file.ts).
   */
  readonly readFile?: (path: string) => string | Uint8Array | Promise<string | Uint8Array>;
  /** Runs a key command (argv, no shell) and returns its standard output. */
  readonly runCommand?: (argv: readonly string[], env: Readonly<Record<string, string>>) => Promise<string | Uint8Array> | string | Uint8Array;
  /** Asked for passphrase-protected identity files, only when one is needed. */
  readonly passphrase?: PassphrasePrompt;
  /** Decides the default keys file location; defaults to `process.platform`. */
  readonly platform?: NodeJS.Platform;
}

/** Identities from several places, loaded once on first use. */
export interface AgeIdentityProvider {
  /**
   * Loads every place and returns all identities found; never throws for a bad place. Files and
   * variables are read once. The key commands (SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_CMD)
   * run once per `recipient`, with `SOPS_AGE_RECIPIENT=<recipient>` in their environment (SOPS
   * 3.13), so that a command can return the one identity for the entry being opened; not at all
   * for a `recipient` that is not an age recipient (the file's writer chose it). Of an SSH
   * recipient, a comment other than plain words is left out (recipientForKeyCommand).
   */
  identities(recipient?: string): Promise<readonly AgeIdentity[]>;
  /**
   * The places searched, one line each; after loading, each line says what was found there or
   * why it failed. Lines name paths and variables, never their content.
   */
  describeSearch(): readonly string[];
}

/** The environment variables SOPS reads for age (spec §9.4). */
export const AGE_ENV = {
  sshKeyFile: "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
  sshKeyCmd: "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
  key: "SOPS_AGE_KEY",
  keyFile: "SOPS_AGE_KEY_FILE",
  keyCmd: "SOPS_AGE_KEY_CMD",
} as const;

/** Set by hush for the key commands: the recipient of the age entry being opened. */
const RECIPIENT_ENV = "SOPS_AGE_RECIPIENT";

/** What a place holds: content, or a reason it holds nothing ("not set", "not present"). */
type Read = { content: string | Uint8Array } | { absent: string };

interface Place {
  readonly label: string;
  /**
   * For a key command, which runs per recipient: what its run for `recipient` is kept under (the
   * recipient it is told), so that it runs once for each.
   */
  readonly runKey?: (recipient: string | undefined) => string | undefined;
  /** Content, or a reason the place holds nothing ("not set", "not present"). */
  read(recipient: string | undefined): Read | Promise<Read>;
  parse(content: string | Uint8Array): AgeIdentityHandle[];
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function defaultRunCommand(argv: readonly string[], env: Readonly<Record<string, string>>): Promise<Uint8Array> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("empty command");
  // child_process (with net, streams and dgram behind it) is loaded only when a *_CMD variable
  // asks for a command: key discovery runs on every decrypt, and start-up time is the product.
  // A bare name is looked for in PATH's absolute directories only: an empty or relative entry
  // would run a program the repository in the working directory brought.
  // A path names the program from where hush was started (`./bin/get-key`), as before it ran elsewhere.
  const program = /[\\/]/.test(file) ? resolve(file) : findProgramOnPath(file, env);
  if (program === undefined) return Promise.reject(Object.assign(new Error(`${file}: not found`), { code: "ENOENT" }));
  // It runs outside the working directory (a repository someone else wrote): `python3 -m MODULE`
  // imports from its working directory first. Signals to hush end it (key-command.ts).
  return runKeyCommand(program, args, { cwd: keyProgramDirectory(), env: keyProgramEnvironment(env) });
}

/** The default keys file (spec §5.1 item 7), or undefined when no location can be derived. */
export function defaultAgeKeysFile(
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
  platform: NodeJS.Platform,
): string | undefined {
  const path = platform === "win32" ? win32 : posix;
  const tail = ["sops", "age", "keys.txt"];
  const xdg = env.XDG_CONFIG_HOME ?? "";
  if (platform === "win32") {
    const appData = env.APPDATA ?? "";
    return appData === "" ? undefined : path.join(appData, ...tail);
  }
  // SOPS honours XDG_CONFIG_HOME on macOS explicitly; elsewhere Go's os.UserConfigDir does,
  // and only when it is an absolute path.
  if (xdg !== "" && (platform === "darwin" || path.isAbsolute(xdg))) return path.join(xdg, ...tail);
  if (homeDir === "") return undefined;
  if (platform === "darwin") return path.join(homeDir, "Library", "Application Support", ...tail);
  return path.join(homeDir, ".config", ...tail);
}

/**
 * Prepares identity discovery as SOPS does it; nothing is read until the first call to
 * `identities()`; key commands run with `SOPS_AGE_RECIPIENT` set to the entry's recipient. Loaded, in this order, and combined:
 * SOPS_AGE_SSH_PRIVATE_KEY_FILE, SOPS_AGE_SSH_PRIVATE_KEY_CMD, ~/.ssh/id_ed25519 and ~/.ssh/id_rsa
 * (if present), SOPS_AGE_KEY (several identities per line allowed), SOPS_AGE_KEY_FILE,
 * SOPS_AGE_KEY_CMD, and the default keys file (`$XDG_CONFIG_HOME/sops/age/keys.txt`, else
 * `~/.config/sops/age/keys.txt`; on macOS `~/Library/Application Support/sops/age/keys.txt`
 * unless XDG_CONFIG_HOME is set; on Windows `%AppData%\sops\age\keys.txt`).
 * Commands are split shell-style and run directly, without a shell.
 */
export function discoverAgeIdentities(options: DiscoverAgeIdentitiesOptions): AgeIdentityProvider {
  const { env, homeDir, passphrase } = options;
  const readFile = options.readFile ?? readKeyFile;
  const runCommand = options.runCommand ?? defaultRunCommand;
  const platform = options.platform ?? process.platform;
  const pathApi = platform === "win32" ? win32 : posix;
  const get = (name: string): string => env[name] ?? "";

  const fileContent = async (path: string, optional: boolean): Promise<Read> => {
    try {
      return { content: await readFile(path) };
    } catch (err) {
      if (optional && errorCode(err) === "ENOENT") return { absent: "not present" };
      if (isRefusedKeyFile(err)) throw new Error((err as Error).message, { cause: err });
      throw new Error(`cannot read the file (${errorCode(err) ?? "error"})`, { cause: err });
    }
  };
  const commandOutput = async (command: string, recipient: string | undefined): Promise<{ content: string | Uint8Array }> => {
    const argv = splitShellWords(command);
    if (argv.length === 0) throw new Error("the command is empty");
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    if (recipient !== undefined) childEnv[RECIPIENT_ENV] = recipient;
    try {
      return { content: await runCommand(argv, childEnv) };
    } catch (err) {
      // Only the program name: the rest of the command line may carry a secret.
      const { status, signal } = (err ?? {}) as { status?: unknown; signal?: unknown };
      const why =
        errorCode(err) === "ENOENT"
          ? "not found"
          : typeof status === "number"
            ? `exited with status ${status}`
            : typeof signal === "string"
              ? `was killed by ${signal}`
              : errorCode(err) === "ENOBUFS"
                ? "printed more than an identity file holds"
                : "failed";
      throw new Error(`command ${quoted(argv[0] ?? "")} ${why}`, { cause: err });
    }
  };
  const ssh = (label: string) => (content: string | Uint8Array) =>
    [parseSshPrivateKey(typeof content === "string" ? content : Buffer.from(content).toString("utf8"), label, passphrase)];
  const age = (label: string, wordsPerLine = false) => (content: string | Uint8Array) =>
    parseIdentities(content, label, passphrase, wordsPerLine);

  const places: Place[] = [];
  const envFile = (name: string, parseFor: (label: string) => Place["parse"]): void => {
    const path = get(name);
    const label = path === "" ? name : `${name}=${path}`;
    places.push({ label, read: () => (path === "" ? { absent: "not set" } : fileContent(path, false)), parse: parseFor(label) });
  };
  const envCmd = (name: string, parseFor: (label: string) => Place["parse"]): void => {
    const cmd = get(name);
    // The recipient is the file writer's text: a command is told (and run for) only a recipient
    // age reads, never a path, a shell word or a second line of the writer's choosing; of an SSH
    // key line, not a comment other than plain words (recipientForKeyCommand).
    const read = (recipient: string | undefined): Read | Promise<Read> => {
      if (cmd === "") return { absent: "not set" };
      const told = recipient === undefined ? undefined : recipientForKeyCommand(recipient);
      if (recipient !== undefined && told === undefined) return { absent: "not run: the entry's recipient is not an age recipient" };
      return commandOutput(cmd, told);
    };
    // Entries whose recipients differ only in what the command is not told run it once: a file
    // may list 128 of them.
    const runKey = (recipient: string | undefined): string | undefined =>
      cmd === "" || recipient === undefined ? recipient : (recipientForKeyCommand(recipient) ?? recipient);
    places.push({ label: name, runKey, read, parse: parseFor(name) });
  };

  envFile(AGE_ENV.sshKeyFile, ssh);
  envCmd(AGE_ENV.sshKeyCmd, ssh);
  for (const name of ["id_ed25519", "id_rsa"]) {
    if (homeDir === "") {
      places.push({ label: `~/.ssh/${name}`, read: () => ({ absent: "home directory unknown" }), parse: () => [] });
    } else {
      const path = pathApi.join(homeDir, ".ssh", name);
      places.push({ label: path, read: () => fileContent(path, true), parse: ssh(path) });
    }
  }
  places.push({
    label: AGE_ENV.key,
    read: () => (get(AGE_ENV.key) === "" ? { absent: "not set" } : { content: get(AGE_ENV.key) }),
    parse: age(AGE_ENV.key, true),
  });
  envFile(AGE_ENV.keyFile, age);
  envCmd(AGE_ENV.keyCmd, age);
  const defaultFile = defaultAgeKeysFile(env, homeDir, platform);
  if (defaultFile === undefined) {
    places.push({ label: "default age keys file", read: () => ({ absent: "no config directory known" }), parse: () => [] });
  } else {
    places.push({ label: defaultFile, read: () => fileContent(defaultFile, true), parse: age(defaultFile) });
  }

  /** What one place gave: its identities, and the line describeSearch shows for it. */
  type Loaded = { readonly identities: readonly AgeIdentity[]; readonly outcome: string };
  const loadPlace = async (place: Place, recipient: string | undefined): Promise<Loaded> => {
    try {
      const read = await place.read(recipient);
      if ("absent" in read) return { identities: [], outcome: `${place.label}: ${read.absent}` };
      const found = place.parse(read.content);
      return { identities: found, outcome: `${place.label}: ${describeFound(found)}` };
    } catch (err) {
      // HushError messages from the parsers already start with the place's label.
      return { identities: [], outcome: isHushError(err) ? err.message : `${place.label}: ${(err as Error).message}` };
    }
  };
  // Promises, so that loads that overlap (entries opened at once) run a command once.
  const once = new Map<Place, Promise<Loaded>>();
  const perRecipient = new Map<Place, Map<string | undefined, Promise<Loaded>>>();
  let outcomes: string[] | undefined;
  const load = async (recipient: string | undefined): Promise<AgeIdentity[]> => {
    const identities: AgeIdentity[] = [];
    const lines: string[] = [];
    for (const place of places) {
      let loading: Promise<Loaded> | undefined;
      if (place.runKey !== undefined) {
        const byRecipient = perRecipient.get(place) ?? new Map<string | undefined, Promise<Loaded>>();
        perRecipient.set(place, byRecipient);
        const key = place.runKey(recipient);
        loading = byRecipient.get(key);
        if (loading === undefined) byRecipient.set(key, (loading = loadPlace(place, recipient)));
      } else {
        loading = once.get(place);
        if (loading === undefined) once.set(place, (loading = loadPlace(place, recipient)));
      }
      const loaded = await loading;
      appendAll(identities, loaded.identities);
      lines.push(loaded.outcome);
    }
    outcomes = lines;
    return identities;
  };

  return {
    identities: (recipient) => load(recipient),
    describeSearch: () => outcomes ?? places.map((p) => p.label),
  };
}

function describeFound(found: readonly AgeIdentity[]): string {
  if (found.length === 0) return "no identities";
  const types = [...new Set(found.flatMap((f): readonly string[] => (f.needsPassphrase ? ["passphrase-protected"] : f.plugin !== undefined ? [`age-plugin-${f.plugin}`] : f.stanzaTypes)))];
  return `${found.length} ${found.length === 1 ? "identity" : "identities"} (${types.join(", ")})`;
}
