import { checkString } from "../arguments.ts";
import { shellPath } from "../printable.ts";

/**
 * The commands that make `file` again under its creation rule (a new data key, the rule's
 * encryption rule and `mac_only_encrypted`), its plaintext never on disk, for a file made under
 * another rule. `hush encrypt` takes the keys from the rule; a rule that names none (its files'
 * keys are given as flags) leaves encrypt with no recipient ("empty key group"), so the advice
 * then says to give the file's own keys, which `hush access` lists without any key.
 * @param ruleNamesKeys - whether the creation rule for `file` names at least one key
 */
export function remakeUnderRuleAdvice(file: string, ruleNamesKeys: boolean): string {
  checkString(file, "the file name");
  const name = shellPath(file, 4096);
  const keys = ruleNamesKeys ? "" : " --age …";
  const command = `\`hush decrypt ${name} | hush encrypt --filename-override ${name}${keys} - > ${name}.new\`, then move ${name}.new over it`;
  return ruleNamesKeys ? command : `${command} (the rule names no keys: give the file's own with --age, --pgp or --kms…, which \`hush access ${name}\` lists)`;
}
