/**
 * Words of the review view that mix Latin letters with Cyrillic or Greek ones. Many letters of
 * those scripts look like Latin ones (а, е, о, р, с, х, ο, ν…), so a branch that changes
 * `https://hooks.slack.com/…` to `https://hooks.slаck.com/…` (a Cyrillic а), or renames a key
 * `DATABASE_URL` to `DАTABASE_URL` so the program no longer finds it, shows a removed and an added
 * line that read the same. In such a word the Cyrillic and Greek letters are shown escaped
 * (`sl\u0430ck`), so the two lines differ where they differ. Words in one script (`пароль`,
 * `κλειδί`) are left as they are.
 */

/** A word: letters, marks and digits. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const LATIN = /\p{Script=Latin}/u;
const LOOKALIKE_SCRIPT = /[\p{Script=Cyrillic}\p{Script=Greek}]/u;
const LOOKALIKE_LETTER = /[\p{Script=Cyrillic}\p{Script=Greek}]/gu;

/**
 * `text` with the Cyrillic and Greek letters of each word that also holds Latin letters written
 * as `\uNNNN`, and whether any was. Text with no character beyond ASCII is returned at once.
 */
export function escapeMixedScripts(text: string): { readonly text: string; readonly escaped: boolean } {
  if (!/[\u0080-\uffff]/.test(text)) return { text, escaped: false };
  let escaped = false;
  const shown = text.replace(WORD, (word) => {
    if (!LATIN.test(word) || !LOOKALIKE_SCRIPT.test(word)) return word;
    escaped = true;
    return word.replace(LOOKALIKE_LETTER, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  });
  return { text: shown, escaped };
}
