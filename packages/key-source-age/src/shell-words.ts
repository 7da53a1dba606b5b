/**
 * Splits a command line into words the way SOPS does for SOPS_AGE_KEY_CMD (github.com/google/shlex):
 * whitespace separates words; single quotes are literal; inside double quotes a backslash takes
 * the next character literally; outside quotes a backslash escapes the next character; `#` at
 * the start of a word starts a comment up to the end of the line. No variables, globs or
 * substitutions: the words are passed to the program directly, without a shell.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const n = line.length;
  const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";
  while (i < n) {
    const c = line[i]!;
    if (!inWord && isSpace(c)) {
      i++;
      continue;
    }
    if (!inWord && c === "#") {
      while (i < n && line[i] !== "\n") i++;
      continue;
    }
    if (isSpace(c)) {
      words.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "\\") {
      if (i + 1 >= n) throw new Error("command ends with an unfinished escape");
      word += line[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error("command has an unclosed single quote");
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error("command has an unclosed double quote");
        const d = line[i]!;
        if (d === '"') break;
        if (d === "\\") {
          if (i + 1 >= n) throw new Error("command has an unclosed double quote");
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
