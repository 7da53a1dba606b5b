import { Transform } from "node:stream";
import { FormTree } from "./form-tree.ts";
import { maskedForms } from "./redact-forms.ts";

/**
 * `exec-env --redact`: the secrets hush injected, replaced by a marker in a stream of a child's
 * output, as it streams. A secret may arrive split over any number of writes (a program writing
 * byte by byte), so output that ends in the beginning of a secret is held back from there until
 * more output shows whether the secret follows; nothing else is delayed. Overlapping secrets are
 * masked as their union (no byte of any occurrence is shown, so a secret that begins inside
 * another does not leak its tail); adjacent masked runs give one marker. Held bytes are never released on a timer: a slow
 * writer would otherwise get a secret through piece by piece. They are released when more output
 * shows they start no secret, or when the stream ends.
 */

/** What replaces a secret in the output. */
export const REDACTION_MARKER = "[redacted]";

/**
 * The redaction state of one output stream.
 *
 * Wrapped base64 (`base64` at 76 columns, PEM and MIME at 64, `\r\n` or `\n`) is matched by
 * skipping line breaks inside a base64 form rather than by listing the lines of every possible
 * wrapping: where the breaks fall depends on the column at which the secret's base64 begins, that
 * is on everything printed before it, so a list would need a form per start column, line and
 * width (thousands for a key, each more work on every output byte) and would still leave the
 * short first and last pieces shown. Skipping breaks keeps the number of forms, covers any width,
 * and bounds what is held back to three times the longest form (one break per character).
 */
export class Redactor {
  /** Spellings matched byte for byte. */
  private readonly exact = new FormTree(false);
  /** Spellings matched with a line break between any two characters. */
  private readonly wrapped = new FormTree(true);
  /** The most bytes one occurrence of a form can span (line breaks included). */
  private readonly maxSpan: number;
  private readonly marker: Buffer;
  /** Bytes received but not yet released. */
  private pending: Buffer = Buffer.alloc(0);
  /** How many leading bytes of `pending` lie inside a secret found earlier. */
  private covered = 0;
  /** Whether the last released byte was masked (a continuing masked run gets no second marker). */
  private endedMasked = false;

  /**
   * @param secrets - spellings masked byte for byte
   * @param acrossLineBreaks - spellings masked also with a line break between any two characters
   *   (base64 only: one containing a line break itself is masked byte for byte only)
   */
  constructor(secrets: Iterable<string>, acrossLineBreaks: Iterable<string> = [], marker: string = REDACTION_MARKER) {
    // A spelling given both ways is matched across line breaks (which covers byte for byte); one
    // that holds a line break itself is matched byte for byte only.
    const wrapped = new Set([...acrossLineBreaks].filter((s) => s !== "" && !/[\r\n]/.test(s)));
    const exact = new Set([...secrets, ...acrossLineBreaks].filter((s) => s !== "" && !wrapped.has(s)));
    let maxSpan = 0;
    for (const s of exact) {
      const bytes = Buffer.from(s, "utf8");
      this.exact.add(bytes);
      maxSpan = Math.max(maxSpan, bytes.length);
    }
    for (const s of wrapped) {
      const bytes = Buffer.from(s, "utf8");
      this.wrapped.add(bytes);
      // One line break (at most two bytes) between any two characters.
      maxSpan = Math.max(maxSpan, 3 * bytes.length - 2);
    }
    this.maxSpan = maxSpan;
    this.marker = Buffer.from(marker, "utf8");
  }

  /** Takes the next chunk; returns what may be released now. */
  push(chunk: Buffer): Buffer {
    return this.release(this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]), false);
  }

  /** The stream ended: releases everything held, masked. */
  end(): Buffer {
    return this.release(this.pending, true);
  }

  /** The end of the longest-spanning form starting at `i` that lies within `buf`, or -1. */
  private matchEnd(buf: Buffer, i: number): number {
    return Math.max(this.exact.walk(buf, i).end, this.wrapped.walk(buf, i).end);
  }

  /**
   * Where the bytes that must wait begin: the first position, among the last (longest span − 1),
   * from which the rest of `buf` is the beginning of a form. Bytes that cannot begin one are
   * released at once, so a line ending after a secret is not held back.
   */
  private holdFrom(buf: Buffer): number {
    for (let i = Math.max(0, buf.length - (this.maxSpan - 1)); i < buf.length; i++) {
      if (this.exact.walk(buf, i).partial || this.wrapped.walk(buf, i).partial) return i;
    }
    return buf.length;
  }

  private release(buf: Buffer, final: boolean): Buffer {
    // A secret starting at or after `cut` may still be incomplete; one starting before it lies
    // wholly within `buf`, or cannot start there at all.
    const cut = final ? buf.length : this.holdFrom(buf);
    const out: Buffer[] = [];
    let maskEnd = this.covered;
    let runStart = 0;
    let inMask = false;
    for (let i = 0; i < cut; i++) {
      const end = this.matchEnd(buf, i);
      if (end > maskEnd) maskEnd = end;
      const isMasked = i < maskEnd;
      if (isMasked && !inMask) {
        if (i > runStart) out.push(buf.subarray(runStart, i));
        // A masked run that continues one released before gets no second marker.
        if (!(i === 0 && this.endedMasked)) out.push(this.marker);
        inMask = true;
      } else if (!isMasked && inMask) {
        runStart = i;
        inMask = false;
      }
    }
    if (!inMask && cut > runStart) out.push(buf.subarray(runStart, cut));
    if (cut > 0) this.endedMasked = inMask;
    this.covered = Math.max(0, maskEnd - cut);
    this.pending = Buffer.from(buf.subarray(cut));
    return out.length === 1 ? Buffer.from(out[0]!) : Buffer.concat(out);
  }
}

/** A stream that passes bytes through a {@link Redactor} masking every spelling of `secrets` ({@link maskedForms}). */
export function redactingStream(secrets: Iterable<string>): Transform {
  const forms = [...secrets].map(maskedForms);
  const redactor = new Redactor(
    forms.flatMap((f) => f.exact),
    forms.flatMap((f) => f.acrossLineBreaks),
  );
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const out = redactor.push(chunk);
      if (out.length > 0) this.push(out);
      done();
    },
    flush(done) {
      const out = redactor.end();
      if (out.length > 0) this.push(out);
      done();
    },
  });
}
