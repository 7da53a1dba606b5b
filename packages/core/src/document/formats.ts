import { checkFormat } from "../arguments.ts";
import type { FileFormat } from "../stores/store.ts";

/**
 * Facts about formats that programs around the stores need, so that they never branch on a
 * format's name themselves.
 */

/** How a format's plaintext is held in a string: binary files byte for byte (latin1), others UTF-8. */
export function plaintextEncoding(format: FileFormat): "latin1" | "utf8" {
  checkFormat(format);
  return format === "binary" ? "latin1" : "utf8";
}

/** The format an encrypted file of `format` is written in: binary files are wrapped in JSON. */
export function encryptedTextFormat(format: FileFormat): FileFormat {
  checkFormat(format);
  return format === "binary" ? "json" : format;
}

/** A small example document a new file starts with; "" for binary files. */
export function exampleDocument(format: FileFormat): string {
  checkFormat(format);
  switch (format) {
    case "yaml":
      return "example_key: example_value\n";
    case "json":
      return '{\n\t"example_key": "example_value"\n}\n';
    case "dotenv":
      return "EXAMPLE_KEY=example_value\n";
    case "ini":
      return "[section]\nexample_key = example_value\n";
    case "toml":
      return 'example_key = "example_value"\n';
    default:
      return "";
  }
}
