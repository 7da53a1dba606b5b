/** An access token and when it stops being usable (ms since the epoch). */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Ask for a new token this long before the old one expires: a request may take that long. */
const REFRESH_EARLY_MS = 60_000;
/** How long a token whose answer gave no lifetime is kept: Azure's and Google's live an hour or more. */
const UNKNOWN_LIFETIME_MS = 5 * 60_000;

/**
 * When a token endpoint's token expires, from its answer: `expires_in` (seconds from now, OAuth
 * 2.0; a number, or digits as some endpoints send it), else `expires_on` (seconds since the
 * epoch: Azure's managed identity and CLI), else `unknownLifetimeMs` (five minutes) from now.
 */
export function tokenExpiry(body: unknown, now = Date.now(), unknownLifetimeMs = UNKNOWN_LIFETIME_MS): number {
  const answer = (typeof body === "object" && body !== null ? body : {}) as { expires_in?: unknown; expires_on?: unknown };
  const seconds = (v: unknown): number | undefined => {
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const expiresIn = seconds(answer.expires_in);
  if (expiresIn !== undefined) return now + expiresIn * 1000;
  const expiresOn = seconds(answer.expires_on);
  return expiresOn !== undefined ? expiresOn * 1000 : now + unknownLifetimeMs;
}

/**
 * Access tokens by audience (and tenant), kept for this process until a minute before they
 * expire: a program that keeps hush's key sources (the Node API's resolver) must not send a
 * token that expired an hour ago, nor keep a failure. Concurrent callers share one request; a
 * failed request is forgotten, so the next caller asks again.
 */
export class TokenCache {
  readonly #entries = new Map<string, { readonly promise: Promise<IssuedToken>; expiresAt?: number }>();

  /** The token kept under `key` while it is usable, else the one `fetch` gets. */
  get(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const kept = this.#entries.get(key);
    if (kept !== undefined && (kept.expiresAt === undefined || Date.now() < kept.expiresAt - REFRESH_EARLY_MS)) return kept.promise.then((t) => t.token);
    const entry: { readonly promise: Promise<IssuedToken>; expiresAt?: number } = { promise: fetch() };
    this.#entries.set(key, entry);
    entry.promise.then(
      (t) => void (entry.expiresAt = t.expiresAt),
      () => void (this.#entries.get(key) === entry && this.#entries.delete(key)),
    );
    return entry.promise.then((t) => t.token);
  }

  /** Drops the token kept under `key` (the service refused it). */
  forget(key: string): void {
    this.#entries.delete(key);
  }
}
