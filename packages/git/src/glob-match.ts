/**
 * gitattributes-style glob matching in time linear in the subject (times the pattern's length),
 * by simulating every way through the pattern at once. A regular expression built from the glob
 * (`*` as `[^/]*`) backtracks: a pattern with eight `*` took a minute against a 60-character
 * name, and the patterns `hush git setup` matches come from a clone's `.sops.yaml`.
 */

type Step =
  | { readonly kind: "char"; readonly accepts: (c: string) => boolean }
  /** `*`: any run of characters but `/`. */
  | { readonly kind: "segment-run" }
  /** `**` at the end (`/**`): any run of characters but line breaks. */
  | { readonly kind: "any-run" }
  /**
   * `**` + `/` at the start of a part: nothing, or any characters but line breaks ending with `/`.
   * Inside such a run the walk is in this step's second state (see midRun), from which the
   * pattern may go on only after a `/`.
   */
  | { readonly kind: "directories" };

const LINE_BREAK = /[\n\r\u2028\u2029]/;

function steps(glob: string): Step[] {
  const out: Step[] = [];
  const literal = (ch: string): Step => ({ kind: "char", accepts: (c) => c === ch });
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "\\" && i + 1 < glob.length) {
      out.push(literal(glob[++i]!));
    } else if (glob.startsWith("**/", i) && (i === 0 || glob[i - 1] === "/")) {
      out.push({ kind: "directories" });
      i += 2;
    } else if (glob.startsWith("/**", i) && i + 3 === glob.length) {
      out.push(literal("/"), { kind: "any-run" });
      i += 2;
    } else if (c === "*") {
      while (glob[i + 1] === "*") i++;
      out.push({ kind: "segment-run" });
    } else if (c === "?") {
      out.push({ kind: "char", accepts: (ch) => ch !== "/" });
    } else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) out.push(literal("["));
      else {
        // One character against one class: a regular expression cannot backtrack here.
        const cls = new RegExp(`^[${glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]$`);
        out.push({ kind: "char", accepts: (ch) => cls.test(ch) });
        i = close;
      }
    } else out.push(literal(c));
  }
  return out;
}

/**
 * The state of being inside the run of a `directories` step `s`, past a character that is not
 * its final `/`: a negative number, apart from the steps' indexes.
 */
function midRun(s: number): number {
  return -1 - s;
}

/** Whether `subject` matches `glob` as a whole (`*` and `?` stay within a directory, `**` crosses). */
export function globMatches(glob: string, subject: string): boolean {
  const plan = steps(glob);
  /** The states reached so far, each with the steps an empty match lets it skip to. */
  const close = (from: Iterable<number>): Set<number> => {
    const reached = new Set<number>();
    const pending = [...from];
    for (let s = pending.pop(); s !== undefined; s = pending.pop()) {
      if (reached.has(s)) continue;
      reached.add(s);
      // Inside a run of directories the pattern goes on only after its `/`.
      const step = s >= 0 ? plan[s] : undefined;
      if (step !== undefined && step.kind !== "char") pending.push(s + 1);
    }
    return reached;
  };
  let states = close([0]);
  // UTF-16 code units, as the regular expressions that gitattributes patterns were matched with.
  for (let i = 0; i < subject.length; i++) {
    const c = subject[i]!;
    const next: number[] = [];
    for (const state of states) {
      const s = state >= 0 ? state : midRun(state);
      const step = plan[s];
      if (step === undefined) continue;
      if (step.kind === "char") {
        if (step.accepts(c)) next.push(s + 1);
      } else if (step.kind === "segment-run") {
        if (c !== "/") next.push(s);
      } else if (step.kind === "any-run") {
        if (!LINE_BREAK.test(c)) next.push(s);
      } else if (!LINE_BREAK.test(c)) {
        // A `/` ends a run of whole directories: the pattern may go on, or the run go further.
        next.push(c === "/" ? s : midRun(s));
      }
    }
    if (next.length === 0) return false;
    states = close(next);
  }
  return states.has(plan.length);
}
