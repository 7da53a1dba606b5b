import { describe, expect, it } from "vitest";
import { Redactor, REDACTION_MARKER } from "../../src/workflows/redact.ts";
import { maskedForms } from "../../src/workflows/redact-forms.ts";

/** The reference: every occurrence of every secret masked, the union of overlaps as one marker. */
function reference(text: Buffer, secrets: readonly string[]): string {
  const masked = new Array<boolean>(text.length).fill(false);
  for (const s of secrets.filter((x) => x !== "").map((x) => Buffer.from(x))) {
    for (let i = text.indexOf(s); i !== -1; i = text.indexOf(s, i + 1)) for (let j = i; j < i + s.length; j++) masked[j] = true;
  }
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!masked[i]) out.push(text.subarray(i, i + 1));
    else if (i === 0 || !masked[i - 1]) out.push(Buffer.from(REDACTION_MARKER));
  }
  return Buffer.concat(out).toString("latin1");
}

/** The reference for forms matched across line breaks: each as a regex with an optional `\r?\n` between characters. */
function referenceWrapped(text: Buffer, secrets: readonly string[], wrapped: readonly string[]): string {
  const latin = text.toString("latin1");
  const masked = new Array<boolean>(text.length).fill(false);
  const quote = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const patterns = [
    ...secrets.map((s) => [...Buffer.from(s).toString("latin1")].map(quote).join("")),
    ...wrapped.map((s) => [...Buffer.from(s).toString("latin1")].map(quote).join("(?:\r?\n)?")),
  ];
  for (const p of patterns) {
    const re = new RegExp(p, "y");
    for (let i = 0; i < latin.length; i++) {
      re.lastIndex = i;
      const m = re.exec(latin);
      if (m) for (let j = i; j < i + m[0].length; j++) masked[j] = true;
    }
  }
  const out: string[] = [];
  for (let i = 0; i < latin.length; i++) {
    if (!masked[i]) out.push(latin[i]!);
    else if (i === 0 || !masked[i - 1]) out.push(REDACTION_MARKER);
  }
  return out.join("");
}

function streamed(chunks: readonly Buffer[], secrets: readonly string[], wrapped: readonly string[] = []): string {
  const r = new Redactor(secrets, wrapped);
  return Buffer.concat([...chunks.map((c) => r.push(c)), r.end()]).toString("latin1");
}

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

/** `text` cut into writes of 1 to `most` bytes, as a command's output may arrive. */
function randomChunks(text: Buffer, most: number, rand: () => number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * most);
    chunks.push(text.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

describe("Redactor", () => {
  it("masks a secret whole, split across chunks, and byte by byte", () => {
    const text = Buffer.from("token=hunter2!\nagain hunter2");
    const want = `token=${REDACTION_MARKER}!\nagain ${REDACTION_MARKER}`;
    expect(streamed([text], ["hunter2"])).toBe(want);
    expect(streamed([text.subarray(0, 9), text.subarray(9)], ["hunter2"])).toBe(want);
    expect(streamed([...text].map((b) => Buffer.from([b])), ["hunter2"])).toBe(want);
  });

  it("masks overlapping secrets as their union, longest first, with one marker", () => {
    expect(streamed([Buffer.from("xpassword123y")], ["xpass", "password123"])).toBe(`${REDACTION_MARKER}y`);
    expect(streamed([Buffer.from("abcd")], ["abc", "abcd", "bc"])).toBe(REDACTION_MARKER);
    expect(streamed([Buffer.from("aaaaaaa-")], ["aa"])).toBe(`${REDACTION_MARKER}-`);
  });

  it("holds back only output that could be the beginning of a secret", () => {
    const r = new Redactor(["secret"]);
    expect(r.push(Buffer.from("hello world, sec")).toString()).toBe("hello world, ");
    expect(r.push(Buffer.from("ond")).toString()).toBe("second");
    expect(r.push(Buffer.from(" secret\n")).toString()).toBe(` ${REDACTION_MARKER}\n`);
    expect(r.push(Buffer.from("s")).toString()).toBe("");
    expect(r.end().toString()).toBe("s");
  });

  it("keeps up with a chatty build: 16 MB through 50 secrets in a few seconds", () => {
    const secrets = ["hunter2-long-secret", "1", "true", ...Array.from({ length: 47 }, (_, i) => `secret-value-number-${i}-xyz`)];
    const chunk = Buffer.alloc(1 << 16, "the quick brown fox jumps over the lazy dog 0123456789 hunter2-long-secret sets\n");
    const r = new Redactor(secrets);
    const started = performance.now();
    let out = 0;
    for (let i = 0; i < 256; i++) out += r.push(chunk).length;
    expect(performance.now() - started).toBeLessThan(4000);
    expect(out).toBeGreaterThan(256 * chunk.length * 0.9);
  });

  it("costs the same per byte of output with 1,000 secrets that share their beginning as with one (URLs of one scheme)", () => {
    // Each output position is compared once against all forms' common beginning, not once per form.
    const urls = Array.from({ length: 1000 }, (_, i) => `https://deploy-${i}:pw-${i}@db-${i}.example.com/app`);
    const forms = urls.map(maskedForms);
    const r = new Redactor(
      forms.flatMap((f) => f.exact),
      forms.flatMap((f) => f.acrossLineBreaks),
    );
    const chunk = Buffer.alloc(1 << 16, "GET https://db-7.example.com/app/health which returned the usual 200 OK\n");
    const started = performance.now();
    let out = 0;
    for (let i = 0; i < 64; i++) out += r.push(chunk).length;
    // A bound against the old cost (15.7 s here), not a measurement: it holds on a loaded machine.
    expect(performance.now() - started).toBeLessThan(6000);
    expect(out).toBe(64 * chunk.length);
    expect(r.push(Buffer.from(`x ${urls[999]!} y\n`)).toString()).toBe(`x ${REDACTION_MARKER} y\n`);
  });

  it("masks a base64 form across line breaks (76 or 64 columns, \\n or \\r\\n), at any column, split across writes", () => {
    const b64 = Buffer.from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").toString("base64");
    for (const [width, br] of [[76, "\n"], [64, "\r\n"], [5, "\n"]] as const) {
      for (const lead of ["", "ab", "abc"]) {
        const wrapped = (lead + b64).match(new RegExp(`.{1,${width}}`, "g"))!.join(br) + br;
        const text = Buffer.from(`start${br}${wrapped}end${br}`);
        const want = `start${br}${lead}${REDACTION_MARKER}${br}end${br}`;
        expect(streamed([text], [], [b64])).toBe(want);
        expect(streamed([...text].map((b) => Buffer.from([b])), [], [b64])).toBe(want);
      }
    }
    // Two breaks in a row end the base64 (an empty line), and only base64 forms skip breaks.
    expect(streamed([Buffer.from("abcd\n\nefgh")], [], ["abcdefgh"])).toBe("abcd\n\nefgh");
    expect(streamed([Buffer.from("abcd\nefgh")], ["abcdefgh"])).toBe("abcd\nefgh");
    expect(streamed([Buffer.from("abcd\r\nefgh\r")], [], ["abcdefgh"])).toBe(`${REDACTION_MARKER}\r`);
  });

  it("gives the reference result with forms matched across line breaks, for random texts and chunkings", () => {
    const rand = rng(7);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let round = 0; round < 3000; round++) {
      const secrets = Array.from({ length: Math.floor(rand() * 2) }, () => pick("ab\n", 1 + Math.floor(rand() * 4)));
      const wrapped = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick("ab", 1 + Math.floor(rand() * 5)));
      const text = Buffer.from(pick("ab\r\n", Math.floor(rand() * 40)));
      const chunks = randomChunks(text, 6, rand);
      const got = streamed(chunks, secrets, wrapped);
      expect(got, `${JSON.stringify([secrets, wrapped])} ${JSON.stringify(text.toString())}`).toBe(referenceWrapped(text, secrets, wrapped));
    }
  });

  it("gives the reference result with many forms that share beginnings, some across line breaks, for random texts and chunkings", () => {
    const rand = rng(11);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let round = 0; round < 1000; round++) {
      const stem = pick("ab", Math.floor(rand() * 4));
      const secrets = Array.from({ length: Math.floor(rand() * 12) }, () => stem + pick("ab\n", Math.floor(rand() * 4)));
      const wrapped = Array.from({ length: Math.floor(rand() * 12) }, () => stem + pick("ab", Math.floor(rand() * 4)));
      const text = Buffer.from(pick("ab\r\n", Math.floor(rand() * 60)));
      const chunks = randomChunks(text, 8, rand);
      const got = streamed(chunks, secrets, wrapped);
      expect(got, `${JSON.stringify([secrets, wrapped])} ${JSON.stringify(text.toString())}`).toBe(referenceWrapped(text, secrets.filter((s) => s !== ""), wrapped.filter((s) => s !== "")));
    }
  });

  it("passes output through unchanged without secrets", () => {
    expect(streamed([Buffer.from("abc"), Buffer.from("def")], [])).toBe("abcdef");
  });

  it("gives the reference result for random secrets, texts and chunkings", () => {
    const rand = rng(42);
    const alphabet = "abc\n";
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    for (let round = 0; round < 3000; round++) {
      const secrets = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(1 + Math.floor(rand() * 5)));
      const text = Buffer.from(pick(Math.floor(rand() * 40)));
      const got = streamed(randomChunks(text, 6, rand), secrets);
      expect(got, `${JSON.stringify(secrets)} ${JSON.stringify(text.toString())}`).toBe(reference(text, secrets));
    }
  });
});
