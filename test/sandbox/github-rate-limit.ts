// GitHub's REST rate limits, reduced to what a secret-writing client can trip over:
// secondary limits (concurrency, content-creating requests per minute, write spacing) and
// the primary hourly quota with its x-ratelimit-* headers.
import type { EmulatedResponse } from './http-emulator.ts';

export interface SecondaryRateLimitOptions {
  /** Requests in flight at once (GitHub: 100). */
  maxConcurrent?: number;
  /** Content-creating requests (PUT/POST/PATCH/DELETE) in any sliding 60 s (GitHub documents 80). */
  writesPerMinute?: number;
  /** Least time between two accepted content-creating requests. */
  minWriteSpacingMs?: number;
  /** Fixed `retry-after`; by default the seconds until the request would be accepted (at least 1). */
  retryAfterSeconds?: number;
}

export interface PrimaryRateLimitOptions {
  /** Requests per window (one hour unless `windowMs`). */
  limit: number;
  windowMs?: number;
}

export interface RateLimitOptions {
  secondary?: SecondaryRateLimitOptions;
  primary?: PrimaryRateLimitOptions;
}

export interface RateLimitDecision {
  /** Headers for the response (x-ratelimit-* when a primary limit is configured). */
  headers: Record<string, string>;
  /** Set when the request must be refused. */
  rejection?: EmulatedResponse;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
const SECONDARY_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

export class GitHubRateLimiter {
  secondaryHits = 0;
  primaryHits = 0;
  #used = 0;
  #windowStart = Date.now();
  #acceptedWrites: number[] = [];

  reset(): void {
    this.#used = 0;
    this.#windowStart = Date.now();
    this.#acceptedWrites = [];
  }

  /** `inFlight` counts this request too. `who` names the caller in the primary-limit message. */
  admit(options: RateLimitOptions, method: string, inFlight: number, who: string): RateLimitDecision {
    const now = Date.now();
    const headers: Record<string, string> = {};
    const { primary, secondary } = options;
    if (primary) {
      const windowMs = primary.windowMs ?? 3_600_000;
      if (now >= this.#windowStart + windowMs) {
        this.#windowStart = now;
        this.#used = 0;
      }
      const resetSeconds = Math.ceil((this.#windowStart + windowMs) / 1000);
      headers['x-ratelimit-limit'] = String(primary.limit);
      headers['x-ratelimit-reset'] = String(resetSeconds);
      headers['x-ratelimit-resource'] = 'core';
      if (this.#used >= primary.limit) {
        this.primaryHits += 1;
        headers['x-ratelimit-remaining'] = '0';
        headers['x-ratelimit-used'] = String(this.#used);
        return {
          headers,
          rejection: {
            status: 403,
            headers,
            body: { message: `API rate limit exceeded for ${who}.`, documentation_url: PRIMARY_DOCS, status: '403' },
            fault: 'primary-rate-limit',
          },
        };
      }
      this.#used += 1;
      headers['x-ratelimit-remaining'] = String(primary.limit - this.#used);
      headers['x-ratelimit-used'] = String(this.#used);
    }
    if (!secondary) return { headers };

    const waitMs = this.#secondaryWait(secondary, method, inFlight, now);
    if (waitMs === undefined) {
      if (WRITE_METHODS.has(method)) this.#acceptedWrites.push(now);
      return { headers };
    }
    this.secondaryHits += 1;
    const retryAfter = secondary.retryAfterSeconds ?? Math.max(1, Math.ceil(waitMs / 1000));
    const rejectionHeaders = { ...headers, 'retry-after': String(retryAfter) };
    return {
      headers,
      rejection: {
        status: 403,
        headers: rejectionHeaders,
        body: { message: SECONDARY_MESSAGE, documentation_url: SECONDARY_DOCS, status: '403' },
        fault: 'secondary-rate-limit',
      },
    };
  }

  /** undefined → admit; otherwise roughly how long until the request would be admitted. */
  #secondaryWait(secondary: SecondaryRateLimitOptions, method: string, inFlight: number, now: number): number | undefined {
    if (inFlight > (secondary.maxConcurrent ?? 100)) return 1000;
    if (!WRITE_METHODS.has(method)) return undefined;
    this.#acceptedWrites = this.#acceptedWrites.filter((at) => at > now - 60_000);
    const last = this.#acceptedWrites.at(-1);
    if (secondary.minWriteSpacingMs !== undefined && last !== undefined && now - last < secondary.minWriteSpacingMs) {
      return last + secondary.minWriteSpacingMs - now;
    }
    if (secondary.writesPerMinute !== undefined && this.#acceptedWrites.length >= secondary.writesPerMinute) {
      return (this.#acceptedWrites[0] ?? now) + 60_000 - now;
    }
    return undefined;
  }
}
