// The one definition of "rate-limited by GitHub" (isGitHubRateLimit) is what plugin-throttling waits out: for each
// answer, the throttler's handler is called exactly when the definition says it is GitHub's rate limit.
import { describe, expect, it } from 'vitest';
import { createOctokit, isGitHubRateLimit, rateLimitOf } from '../../src/github/client.ts';
import type { HttpAnswer } from '../../src/http-exchange.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const ANSWERS: Record<string, HttpAnswer> = {
  'a 403 with no requests left': answer(403, 'API rate limit exceeded for user ID 1.', { 'x-ratelimit-remaining': '0' }),
  'a 429 with no requests left': answer(429, 'API rate limit exceeded for user ID 1.', { 'x-ratelimit-remaining': '0' }),
  'a 403 secondary rate limit': answer(403, 'You have exceeded a secondary rate limit.', { 'retry-after': '1' }),
  'a 429 secondary rate limit': answer(429, 'You have exceeded a secondary rate limit.', { 'retry-after': '1' }),
  'a plain 429': answer(429, 'Too many requests', { 'retry-after': '0' }),
  'a 403 that names a rate limit with requests left': answer(403, 'rate limit', { 'x-ratelimit-remaining': '10' }),
  'a 502 with no requests left': answer(502, 'Bad gateway', { 'x-ratelimit-remaining': '0' }),
  'a plain 403': answer(403, 'Resource not accessible by personal access token', {}),
};

function answer(status: number, message: string, headers: Record<string, string>): HttpAnswer {
  return {
    status,
    headers: { ...JSON_TYPE, 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) - 10), ...headers },
    text: JSON.stringify({ message }),
  };
}

/** What a request rejects with (Octokit's RequestError). */
async function failure(request: Promise<unknown>): Promise<unknown> {
  return request.then(
    () => expect.fail('the request succeeded'),
    (error: unknown) => error,
  );
}

let octokits = 0;
/** An Octokit whose first answer is `first` and every later one a 200; what the throttler said while it ran. */
function octokit(first: HttpAnswer, retries = 1) {
  const warned: string[] = [];
  let sent = 0;
  const client = createOctokit({
    token: 'token',
    baseUrl: 'https://api.github.test',
    timeoutMs: 1_000,
    retry: { ...DEFAULT_RETRY, retries, baseMs: 1 },
    userAgent: 'unit-test',
    warn: (message) => warned.push(message),
    transport: async () => (sent++ === 0 ? first : { status: 200, headers: JSON_TYPE, text: '{}' }),
    throttleId: `rate-limit-${++octokits}`,
  });
  return { client, warned };
}

describe('isGitHubRateLimit', () => {
  it.each(Object.keys(ANSWERS))('agrees with plugin-throttling on %s', async (name) => {
    const refused = await failure(octokit(ANSWERS[name]!, 0).client.request('GET /user'));
    const { client, warned } = octokit(ANSWERS[name]!);
    await client.request('GET /user').catch(() => undefined); // one no policy retries fails
    expect(warned.length > 0, `throttler's handler called: ${warned.join()}`).toBe(isGitHubRateLimit(refused));
  });

  it('is the rate limit a failure reports, and so is a plain 429 the retries did not outlast', async () => {
    const reported = async (name: string) => rateLimitOf(await failure(octokit(ANSWERS[name]!, 0).client.request('GET /user')));
    expect(await reported('a 403 with no requests left')).toBeDefined();
    expect(await reported('a 429 secondary rate limit')).toBeDefined();
    expect(await reported('a plain 429')).toBeDefined();
    expect(await reported('a 403 that names a rate limit with requests left')).toBeUndefined();
    expect(await reported('a 502 with no requests left')).toBeUndefined();
  });
});
