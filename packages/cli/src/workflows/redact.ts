import { Transform } from "node:stream";
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

/** A spelling to mask, and whether line breaks inside it are skipped (see {@link Redactor}). */
interface Form {
  readonly bytes: Buffer;
  readonly acrossLineBreaks: boolean;
}

const NONE: readonly Form[] = [];
/** {@link matchAt}: `buf` ends before the form does, while still matching it. */
const PARTIAL = -2;
/** {@link matchAt}: the form is not at this position. */
const NO_MATCH = -1;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Where `form`, whose first byte is at `buf[i]`, ends in `buf`; {@link PARTIAL} or
 * {@link NO_MATCH}. A loop rather than `Buffer.compare`: almost every candidate differs within a
 * byte or two, and a native call per output byte costs more than the comparison.
 */
function matchAt(buf: Buffer, i: number, form: Form): number {
  const s = form.bytes;
  let j = i + 1;
  for (let k = 1; k < s.length; k++, j++) {
    if (j >= buf.length) return PARTIAL;
    if (buf[j] === s[k]) continue;
    if (!form.acrossLineBreaks) return NO_MATCH;
    // One line break between two characters: `\n` or `\r\n`, never two in a row.
    if (buf[j] === CR) {
      if (j + 1 >= buf.length) return PARTIAL;
      if (buf[j + 1] !== LF) return NO_MATCH;
      j += 2;
    } else if (buf[j] === LF) {
      j += 1;
    } else {
      return NO_MATCH;
    }
    if (j >= buf.length) return PARTIAL;
    if (buf[j] !== s[k]) return NO_MATCH;
  }
  return j;
}

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
  /** Forms by their first byte. */
  private readonly byFirstByte: Array<Form[] | undefined> = new Array(256);
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
   *   (base64 only: a form containing a line break itself would not match across one)
   */
  constructor(secrets: Iterable<string>, acrossLineBreaks: Iterable<string> = [], marker: string = REDACTION_MARKER) {
    const forms = new Map<string, Form>();
    for (const s of secrets) if (s !== "") forms.set(s, { bytes: Buffer.from(s, "utf8"), acrossLineBreaks: false });
    for (const s of acrossLineBreaks) if (s !== "") forms.set(s, { bytes: Buffer.from(s, "utf8"), acrossLineBreaks: true });
    let maxSpan = 0;
    for (const form of forms.values()) {
      const list = this.byFirstByte[form.bytes[0]!] ?? [];
      list.push(form);
      this.byFirstByte[form.bytes[0]!] = list;
      maxSpan = Math.max(maxSpan, form.acrossLineBreaks ? 3 * form.bytes.length - 2 : form.bytes.length);
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
    let end = NO_MATCH;
    for (const form of this.byFirstByte[buf[i]!] ?? NONE) end = Math.max(end, matchAt(buf, i, form));
    return end;
  }

  /**
   * Where the bytes that must wait begin: the first position, among the last (longest span − 1),
   * from which the rest of `buf` is the beginning of a form. Bytes that cannot begin one are
   * released at once, so a line ending after a secret is not held back.
   */
  private holdFrom(buf: Buffer): number {
    for (let i = Math.max(0, buf.length - (this.maxSpan - 1)); i < buf.length; i++) {
      for (const form of this.byFirstByte[buf[i]!] ?? NONE) if (matchAt(buf, i, form) === PARTIAL) return i;
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
