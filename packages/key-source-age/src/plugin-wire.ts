/**
 * The stanza framing of the age plugin protocol (C2SP age-plugin.md, age's `internal/format`):
 * `-> type arg…\n`, then the body in unpadded standard base64, 64 columns a line, always ending
 * with a short (possibly empty) line. Read strictly, as age reads it: a plugin that writes
 * anything else is broken, and the session ends with an error.
 */
import type { Readable } from "node:stream";
import { encodeBase64NoPad } from "./base64-unpadded.ts";

/** One stanza of the plugin protocol. */
export interface WireStanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

const COLUMNS = 64;
const BYTES_PER_LINE = (COLUMNS / 4) * 3;

/**
 * What one session may read from a plugin. A stanza carries a file key or a short message; a
 * plugin that writes more is broken, and hush must not buffer it without bound.
 */
export const MAX_PLUGIN_OUTPUT = 1 << 20;

/** The plugin broke the protocol, or its output ended; the message is safe to show. */
export class PluginWireError extends Error {}

/** Encodes a stanza for the plugin's standard input. Arguments must be non-empty printable ASCII. */
export function encodeStanza(type: string, args: readonly string[] = [], body: Uint8Array = new Uint8Array(0)): Buffer {
  const encoded = encodeBase64NoPad(body);
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += COLUMNS) lines.push(encoded.slice(i, i + COLUMNS));
  // The body ends with a short line: an empty one when it fills its last line exactly.
  if (encoded.length % COLUMNS === 0) lines.push("");
  return Buffer.from(`-> ${[type, ...args].join(" ")}\n${lines.join("\n")}\n`, "latin1");
}

/** Whether `arg` is a valid stanza argument: one or more characters between `!` and `~`. */
export function isStanzaArg(arg: string): boolean {
  return /^[\x21-\x7e]+$/.test(arg);
}

/** Decodes strict unpadded base64 (age's `RawStdEncoding.Strict()`), or undefined. */
export function decodeStrictBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64");
  // Non-zero trailing bits decode too, but do not round-trip: refused, as Go's Strict() does.
  return encodeBase64NoPad(bytes) === text ? new Uint8Array(bytes) : undefined;
}

/** Reads stanzas from a plugin's standard output, one at a time. */
export class StanzaReader {
  #buffered = "";
  #total = 0;
  #ended = false;
  #failure: PluginWireError | undefined;
  #wake: (() => void) | undefined;

  constructor(output: Readable) {
    output.on("data", (chunk: Buffer) => {
      this.#total += chunk.length;
      if (this.#total > MAX_PLUGIN_OUTPUT) {
        this.#failure ??= new PluginWireError(`wrote more than ${MAX_PLUGIN_OUTPUT} bytes`);
        output.destroy();
      } else {
        this.#buffered += chunk.toString("latin1");
      }
      this.#notify();
    });
    const end = (): void => {
      this.#ended = true;
      this.#notify();
    };
    output.on("end", end);
    output.on("close", end);
    output.on("error", end);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #line(): Promise<string> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure;
      const newline = this.#buffered.indexOf("\n");
      if (newline !== -1) {
        const line = this.#buffered.slice(0, newline);
        this.#buffered = this.#buffered.slice(newline + 1);
        return line;
      }
      if (this.#ended) throw new PluginWireError("its output ended in the middle of the protocol");
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  /** The next stanza. @throws PluginWireError when the output is malformed or ends first. */
  async next(): Promise<WireStanza> {
    const opening = await this.#line();
    const parts = opening.split(" ");
    if (parts[0] !== "->" || parts.length < 2 || !parts.slice(1).every(isStanzaArg)) {
      throw new PluginWireError("wrote a malformed stanza opening line");
    }
    const chunks: Uint8Array[] = [];
    for (;;) {
      const line = await this.#line();
      const bytes = line.length <= COLUMNS ? decodeStrictBase64(line) : undefined;
      if (bytes === undefined) throw new PluginWireError("wrote a malformed stanza body line");
      chunks.push(bytes);
      if (bytes.length < BYTES_PER_LINE) break;
    }
    return { type: parts[1]!, args: parts.slice(2), body: new Uint8Array(Buffer.concat(chunks)) };
  }
}
