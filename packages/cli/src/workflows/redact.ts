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

const NONE: readonly Buffer[] = [];

/**
 * Whether the first `n` bytes of `secret` are at `buf[i]`. A loop rather than `Buffer.compare`:
 * almost every candidate differs within a byte or two, and a native call per output byte costs
 * more than the comparison.
 */
function startsAt(buf: Buffer, i: number, secret: Buffer, n: number): boolean {
  for (let j = 1; j < n; j++) if (buf[i + j] !== secret[j]) return false;
  return true;
}

/** The redaction state of one output stream. */
export class Redactor {
  /** Secrets by their first byte, longest first: the first full match is the longest. */
  private readonly byFirstByte: Array<Buffer[] | undefined> = new Array(256);
  private readonly maxLength: number;
  private readonly marker: Buffer;
  /** Bytes received but not yet released. */
  private pending: Buffer = Buffer.alloc(0);
  /** How many leading bytes of `pending` lie inside a secret found earlier. */
  private covered = 0;
  /** Whether the last released byte was masked (a continuing masked run gets no second marker). */
  private endedMasked = false;

  constructor(secrets: Iterable<string>, marker: string = REDACTION_MARKER) {
    const unique = [...new Set([...secrets].filter((s) => s !== ""))].map((s) => Buffer.from(s, "utf8"));
    unique.sort((a, b) => b.length - a.length);
    for (const s of unique) {
      const list = this.byFirstByte[s[0]!] ?? [];
      list.push(s);
      this.byFirstByte[s[0]!] = list;
    }
    this.maxLength = unique[0]?.length ?? 0;
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

  /** The end of the longest secret starting at `i` that lies within `buf`, or -1. */
  private matchEnd(buf: Buffer, i: number): number {
    for (const s of this.byFirstByte[buf[i]!] ?? NONE) {
      if (i + s.length <= buf.length && startsAt(buf, i, s, s.length)) return i + s.length;
    }
    return -1;
  }

  /**
   * Where the bytes that must wait begin: the first position, among the last (longest secret − 1),
   * from which the rest of `buf` is the beginning of a secret. Bytes that cannot begin one are
   * released at once, so a line ending after a secret is not held back.
   */
  private holdFrom(buf: Buffer): number {
    for (let i = Math.max(0, buf.length - (this.maxLength - 1)); i < buf.length; i++) {
      const n = buf.length - i;
      for (const s of this.byFirstByte[buf[i]!] ?? NONE) {
        if (n < s.length && startsAt(buf, i, s, n)) return i;
      }
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
  const redactor = new Redactor([...secrets].flatMap(maskedForms));
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
