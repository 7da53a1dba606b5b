import { checkString } from "../arguments.ts";

/**
 * One spelling for an age recipient written in capitals. A native age recipient is bech32, which
 * is read the same in lower or upper case (mixed case is invalid): `AGE1QY…` is `age1qy…`, and
 * age, SOPS and hush wrap to the same key for both. Compared as written, a file listing a
 * teammate's key in capitals showed them as unable to open it, beside an unnamed key that could.
 * SSH recipients are base64 and keep their case.
 * @throws HushError INVALID_ARGUMENT when `recipient` is not a string.
 */
export function ageRecipientSpelling(recipient: string): string {
  checkString(recipient, "the age recipient");
  return /^AGE1[0-9A-Z]+$/.test(recipient) ? recipient.toLowerCase() : recipient;
}
