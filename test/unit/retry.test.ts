import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, backoffMs, isRetryableStatus, parseRetryAfter, waitBeforeRetry } from '../../src/retry.ts';

describe('retry policy', () => {
  it('retries 429 and 5xx only', () => {
    expect([429, 500, 502, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('backs off exponentially with jitter', () => {
    const policy = { ...DEFAULT_RETRY, random: () => 0.5 };
    expect([0, 1, 2].map((attempt) => backoffMs(attempt, policy))).toEqual([1000, 2000, 4000]);
    expect(backoffMs(0, { ...DEFAULT_RETRY, random: () => 0 })).toBe(500);
  });

  it('honours Retry-After in seconds or as a date, up to the 60 s cap', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(waitBeforeRetry(0, '2', DEFAULT_RETRY)).toBe(2000);
    expect(waitBeforeRetry(0, '120', DEFAULT_RETRY)).toBeUndefined();
  });
});
