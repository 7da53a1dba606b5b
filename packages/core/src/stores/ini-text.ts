/** Text helpers with go-ini's exact rules (Go's unicode.IsSpace, go-ini's quote test). */

/** Go's unicode.IsSpace, which go-ini uses for every trim. */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/;

export function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && GO_SPACE.test(ch);
}

export function goTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s[a])) a++;
  while (b > a && isSpace(s[b - 1])) b--;
  return s.slice(a, b);
}

/** go-ini `hasSurroundedQuote`: `quote` first and last, and nowhere else. */
export function hasSurroundedQuote(s: string, quote: string): boolean {
  return s.length >= 2 && s[0] === quote && s[s.length - 1] === quote && s.indexOf(quote, 1) === s.length - 1;
}
