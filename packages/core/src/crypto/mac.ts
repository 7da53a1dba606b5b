import { createHash, timingSafeEqual } from "node:crypto";
import { HushError } from "../errors.ts";
import type { ScalarValue } from "../tree/values.ts";
import { goAtoi, goCanonicalTime, goFormatFloatF, goParseBool, goParseFloat } from "./go-format.ts";

/** sha256("sops"): the seed of the hash when `mac_only_encrypted` is set (spec 3). */
const MAC_ONLY_ENCRYPTED_SEED = Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex");

/**
 * The bytes SOPS hashes for a value: Go's rendering of the parsed value (spec 3, `ToBytes`).
 * `1.50` hashes as `1.5`, a bool as `True`/`False`. Throws when the text is not a valid
 * spelling of its type, since Go would fail to decrypt it too.
 */
export function macBytes(value: ScalarValue): string {
  switch (value.type) {
    case "str":
      return value.text;
    case "int": {
      const v = goAtoi(value.text);
      if (v === undefined) throw new HushError("VALUE_TAMPERED", "an int value does not parse as a 64-bit integer");
      return v.toString();
    }
    case "float": {
      const v = goParseFloat(value.text);
      if (v === undefined) throw new HushError("VALUE_TAMPERED", "a float value does not parse");
      return goFormatFloatF(v);
    }
    case "bool": {
      const v = goParseBool(value.text);
      if (v === undefined) throw new HushError("VALUE_TAMPERED", "a bool value does not parse");
      return v ? "True" : "False";
    }
    case "time": {
      const v = goCanonicalTime(value.text);
      if (v === undefined) throw new HushError("VALUE_TAMPERED", "a time value does not parse as RFC 3339");
      return v;
    }
  }
}

/** Incremental SHA-512 over value renderings in document order. */
export class MacBuilder {
  readonly #hash = createHash("sha512");
  readonly #encoding: BufferEncoding;

  /** `encoding`: how value text maps to the bytes SOPS hashes (latin1 for binary files' bytes). */
  constructor(macOnlyEncrypted: boolean, encoding: BufferEncoding = "utf8") {
    this.#encoding = encoding;
    if (macOnlyEncrypted) this.#hash.update(MAC_ONLY_ENCRYPTED_SEED);
  }

  add(value: ScalarValue): void {
    this.#hash.update(macBytes(value), this.#encoding);
  }

  /**
   * A decrypted string value, by the bytes it decrypted to: SOPS hashes a string's bytes, which
   * need not be UTF-8 (a binary file's `data` read as JSON) and then differ from the text shown.
   */
  addStringBytes(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  /** Uppercase hex, as Go's `%X`. */
  digestHex(): string {
    return this.#hash.digest("hex").toUpperCase();
  }
}

/** Constant-time comparison of two MAC strings. */
export function macsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
