// The Kubiya client under a rate limit, in virtual time: a fake Kubiya behind the client's transport.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mapBounded } from '../../src/concurrency.ts';
import type { HttpTransport } from '../../src/http-exchange.ts';
import { KubiyaHttp } from '../../src/kubiya/http.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { ServiceError } from '../../src/service-error.ts';

/** A Kubiya that serves `perSecond` requests a second (a token bucket holding as many), else 429 with `retryAfter`. */
function limitedKubiya(perSecond: number, retryAfter = '1') {
  const log: { at: number; status: number }[] = [];
  let bucket = { tokens: perSecond, at: Date.now() };
  const transport: HttpTransport = async () => {
    await Promise.resolve();
    const now = Date.now();
    const tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
    const served = tokens >= 1;
    bucket = { tokens: served ? tokens - 1 : tokens, at: now };
    log.push({ at: now, status: served ? 204 : 429 });
    return served ? { status: 204, headers: {}, text: '' } : { status: 429, headers: { 'retry-after': retryAfter }, text: '{}' };
  };
  return { log, transport };
}

const client = (transport: HttpTransport) =>
  new KubiyaHttp({ baseUrl: 'https://api.kubiya.test', timeoutMs: 30_000, retry: { ...DEFAULT_RETRY }, userAgent: 'test', transport });

/** Settles `work` by moving virtual time on. */
async function settle<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const watched = work.finally(() => (done = true));
  watched.catch(() => undefined);
  while (!done) await vi.advanceTimersByTimeAsync(50);
  return watched;
}

const revokeAll = (http: KubiyaHttp, count: number) =>
  mapBounded(
    Array.from({ length: count }, (_, i) => i),
    8,
    (i) => http.send('DELETE', `/api/v1/auth/keys/k${i}`, { key: 'admin', what: `the revocation of key k${i}` }),
  );

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Kubiya client under a sustained rate limit', () => {
  it('revokes 60 keys 8 at a time at 2 requests/s: the 429s slow it down, none fails a request', async () => {
    const kubiya = limitedKubiya(2);
    const answers = await settle(revokeAll(client(kubiya.transport), 60));
    expect(answers.map((answer) => answer.status)).toEqual(Array(60).fill(204));
    const limited = kubiya.log.filter((entry) => entry.status === 429).length;
    expect(limited, 'the limit was met').toBeGreaterThan(0);
    // Paced, not resumed all at once: after the first burst, few requests meet the limit.
    expect(limited, '429s answered').toBeLessThan(30);
  });

  it('gives up when paced requests keep meeting 429, then fails every request at once', async () => {
    const kubiya = limitedKubiya(0);
    const http = client(kubiya.transport);
    const answers = await settle(
      mapBounded(
        Array.from({ length: 30 }, (_, i) => i),
        8,
        (i) =>
          http
            .send('GET', `/api/v1/auth/keys/k${i}`, { key: 'admin', what: `the revocation of key k${i}` })
            .catch((error: unknown) => error),
      ),
    );
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(ServiceError);
      expect((answer as Error).message).toMatch(/kept answering 429 \(rate limited\) to the revocation of key k\d+ .*4 requests in a row/);
    }
    // The first burst of 8, then one request per change of pace: 4 strikes.
    expect(kubiya.log).toHaveLength(12);
  });

  it('fails at once, naming the wait, when a 429 asks for more than 60 s', async () => {
    const kubiya = limitedKubiya(0, '120');
    const answer = await settle(client(kubiya.transport).send('GET', '/x', { key: 'k', what: 'the key list' }));
    expect(answer.status).toBe(429);
    expect(kubiya.log).toHaveLength(1);
  });
});
