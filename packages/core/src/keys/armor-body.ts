import { checkString } from "../arguments.ts";

/**
 * Decoded base64 body of an ASCII-armored block (`-----BEGIN LABEL-----`; armor headers and the
 * CRC line skipped), or undefined when the text is not one. For backends' keyless checks of
 * wrapped keys (age files, PGP messages).
 */
export function armorBody(text: string, label: string): Buffer | undefined {
  checkString(text, "the armored text");
  checkString(label, "the armor label");
  const lines = text.replace(/\r\n/g, "\n").trim().split("\n");
  if (lines[0] !== `-----BEGIN ${label}-----` || lines.at(-1) !== `-----END ${label}-----`) return undefined;
  const body = lines.slice(1, -1).filter((l) => !/^[A-Za-z-]+: /.test(l) && !l.startsWith("=") && l.trim() !== "");
  const joined = body.join("").trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(joined) || joined.length === 0) return undefined;
  return Buffer.from(joined, "base64");
}
