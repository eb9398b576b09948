// The one configured Octokit for GitHub (its HTTP stack, retry policy and rate limits below), and the one reading
// of its errors.
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';
import { retry, type RetryPlugin } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { httpExchange, notSent, type HttpAnswer } from '../http-exchange.ts';
import { isRetryableStatus, waitBeforeRetry, type RequestSettings, type RetryPolicy } from '../retry.ts';

export type Octokit = InstanceType<typeof GitHub>;

export interface GitHubClientOptions extends RequestSettings {
  token: string;
  baseUrl: string;
  warn: (message: string) => void;
  /**
   * Told of every answer GitHub gives, with its `github-authentication-token-expiration` header (sent for a token
   * that expires; undefined otherwise): the token's expiry, for the run's footing (src/run-footing.ts).
   */
  onAnswer?: (tokenExpiration: string | undefined) => void;
  /**
   * Keeps this Octokit's rate limiters (plugin-throttling's, shared per process and keyed by this id) apart
   * from other Octokits' in the same process: tests run several "runs" in one process. Unset in production.
   */
  throttleId?: string;
}

/** What a caller may pass as `request: { attempts }` to bound, and count, the attempts of one request. */
export interface Attempts {
  /** no attempt, first or retry, is sent once `clock()` is past this: the request fails with AttemptsStopped */
  sendBy: number;
  clock: () => number;
  /** set by the client: attempts that got no answer and may have reached GitHub (they may have taken effect) */
  unanswered: number;
}

/** A request whose next attempt came after `Attempts.sendBy`. Shaped so that neither plugin retries it. */
export class AttemptsStopped extends Error {
  override name = 'AttemptsStopped';
  readonly request: { request: { retries: 0 } };

  constructor(options: object) {
    super('no further attempt was sent');
    this.request = { ...options, request: { retries: 0 } };
  }
}

export function createOctokit(options: GitHubClientOptions): Octokit {
  const Octokit = GitHub.plugin(retryPolicy(options.retry), retry, throttling);
  const rateLimited =
    (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      if (retryCount >= options.retry.retries || retryAfter * 1000 > options.retry.maxRetryAfterMs) return false;
      options.warn(`GitHub ${kind} rate limit on ${request.method} ${request.url}: retrying in ${retryAfter} s`);
      return true;
    };
  return new Octokit(
    getOctokitOptions(options.token, {
      baseUrl: options.baseUrl,
      userAgent: options.userAgent,
      request: { fetch: gitHubFetch(options) },
      // plugin-retry's own rule (every status not listed, a quadratic wait) never applies: retryPolicy decides.
      retry: { retries: options.retry.retries, doNotRetry: ALL_ERROR_STATUSES, retryAfterBaseValue: 1 },
      throttle: {
        // Only when set: plugin-throttling copies an explicit `id: undefined` over its own default.
        ...(options.throttleId === undefined ? {} : { id: options.throttleId }),
        onRateLimit: rateLimited('primary'),
        onSecondaryRateLimit: rateLimited('secondary'),
      },
    }),
  );
}

const ALL_ERROR_STATUSES = Array.from({ length: 200 }, (_, i) => 400 + i);

type OctokitCore = Parameters<Parameters<typeof GitHub.plugin>[0]>[0];
type RequestOptions = { request?: { retryCount?: number; attempts?: Attempts } };

/**
 * src/retry.ts's policy, as for Kubiya: no answer, a 429 or a 5xx is tried again after a jittered backoff or the
 * Retry-After it names; the wait is `policy.sleep`'s, as Kubiya's and GitLab's, then plugin-retry repeats at once
 * (registered first, these hooks see every attempt). GitHub's own rate limits are plugin-throttling's. Before each
 * attempt, `request.attempts.sendBy` is checked: after the wait, so a wait that ends late (a paused runner) is seen.
 */
function retryPolicy(policy: RetryPolicy) {
  return (octokit: OctokitCore): void => {
    octokit.hook.error('request', async (caught, request) => {
      const { attempts, retryCount = 0 } = (request as RequestOptions).request ?? {};
      if (attempts && mayHaveLanded(caught)) attempts.unanswered++;
      const retryable = !answered(caught) || (isRetryableStatus(statusOf(caught) ?? 0) && !isGitHubRateLimit(caught));
      const wait =
        retryable && retryCount < policy.retries ? waitBeforeRetry(retryCount, headersOf(caught)['retry-after'], policy) : undefined;
      if (wait === undefined) throw caught;
      await policy.sleep(wait);
      const { retryRequest } = (octokit as unknown as RetryPlugin).retry;
      throw retryRequest(caught as Parameters<typeof retryRequest>[0], policy.retries, 0);
    });
    // Registered after the error hook, so it wraps it: an attempt it stops is not counted as unanswered.
    octokit.hook.before('request', (request) => {
      const attempts = (request as RequestOptions).request?.attempts;
      if (attempts && attempts.clock() > attempts.sendBy) throw new AttemptsStopped(request);
    });
  };
}

/** Octokit's RequestError, as this action reads it: every reading of a GitHub error is below. */
interface GitHubRequestError {
  status?: number;
  message?: string;
  /** absent when no answer came (a network error or a timeout) */
  response?: { status: number; headers?: Record<string, string | undefined>; data?: { message?: unknown; errors?: unknown } };
}

export function statusOf(error: unknown): number | undefined {
  return (error as GitHubRequestError).response?.status ?? (error as GitHubRequestError).status;
}

function headersOf(error: unknown): Record<string, string | undefined> {
  return (error as GitHubRequestError).response?.headers ?? {};
}

/** Whether GitHub answered at all (no: the request may have taken effect, unless `notSent`). */
export function answered(error: unknown): boolean {
  return (error as GitHubRequestError).response !== undefined;
}

/** An attempt that got no answer and may have reached GitHub: not one that failed on the runner before it was sent. */
export function mayHaveLanded(error: unknown): boolean {
  return !answered(error) && !notSent(error) && !(error instanceof AttemptsStopped);
}

/** `HTTP 403: Resource not accessible by personal access token`, or the error's message when no answer came. */
export function reasonOf(error: unknown): string {
  const response = (error as GitHubRequestError).response;
  if (!response) return error instanceof Error ? error.message : String(error);
  const detail = response.data?.message;
  return typeof detail === 'string' ? `HTTP ${response.status}: ${detail}` : `HTTP ${response.status}`;
}

/**
 * THE definition of "rate-limited by GitHub": exactly the REST answers plugin-throttling takes for its own and
 * waits out — a 403 or 429 whose message names a secondary rate limit, or that says no requests are left.
 */
export function isGitHubRateLimit(error: unknown): boolean {
  const { message = '', response } = error as GitHubRequestError;
  const status = statusOf(error);
  if (!response || (status !== 403 && status !== 429)) return false;
  const errors = response.data?.errors;
  return (
    /\bsecondary rate\b/i.test(message) ||
    headersOf(error)['x-ratelimit-remaining'] === '0' ||
    (Array.isArray(errors) && errors.some((entry) => (entry as { type?: unknown } | null)?.type === 'RATE_LIMITED'))
  );
}

/**
 * A rate limit the request failed on (one plugin-throttling gave up on, or a plain 429 the retries did not outlast),
 * with when GitHub says to retry. undefined: not a rate limit.
 */
export function rateLimitOf(error: unknown): { retryAfter?: string; reset?: number } | undefined {
  if (!isGitHubRateLimit(error) && !(answered(error) && statusOf(error) === 429)) return undefined;
  const headers = headersOf(error);
  const reset = Number(headers['x-ratelimit-reset']);
  return { retryAfter: headers['retry-after'], reset: reset > 0 ? reset : undefined };
}

/**
 * Octokit's fetch, over the same HTTP stack as Kubiya's client (http-exchange.ts), so a rotation loads one HTTP
 * stack, not two. Redirects within GitHub's origin are followed (up to 5); one to another origin is answered,
 * without being followed, as a failed request — the token and the sealed value never leave GitHub, and a write
 * that was not performed is never taken for one that was.
 */
function gitHubFetch(options: GitHubClientOptions): typeof fetch {
  const exchange = httpExchange({ ...options, what: 'GitHub', urlInput: 'github-api-url' });
  const origin = new URL(options.baseUrl).origin;
  return (async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string | null } = {}) => {
    let target = new URL(url);
    for (let hop = 0; ; hop++) {
      const answer = fetchResponse(await exchange(init.method ?? 'GET', target.href, init.headers ?? {}, init.body ?? null), target.href);
      options.onAnswer?.(answer.headers.get(TOKEN_EXPIRATION) ?? undefined);
      const location = answer.status >= 300 && answer.status < 400 && answer.status !== 304 && answer.headers.get('location');
      if (!location) return answer;
      target = new URL(location, target);
      if (target.origin !== origin) {
        return misdirected(`GitHub redirected to another origin (${target.origin}); the token and the secret are only sent to ${origin}`);
      }
      if (hop === 5) return misdirected(`GitHub redirected more than 5 times from ${url}`);
    }
  }) as unknown as typeof fetch;
}

/** GitHub's header on every answer to a token that expires: `2027-03-01 12:00:00 UTC` or `… +0100`. */
const TOKEN_EXPIRATION = 'github-authentication-token-expiration';

// Octokit reads only status, url, headers (get, iterate), text() and arrayBuffer() of a fetch Response; a Map of
// lower-case names serves as its headers. Not a real Response: globalThis.Response would load undici (~40 ms).
function fetchResponse(answer: HttpAnswer, url: string) {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(answer.headers))
    if (value !== undefined) headers.set(name.toLowerCase(), [value].flat().join(', '));
  const text = answer.text;
  return {
    status: answer.status,
    url,
    headers,
    text: () => Promise.resolve(text),
    arrayBuffer: () => Promise.resolve(new TextEncoder().encode(text).buffer),
  };
}

/** A failed request's answer (HTTP 421 Misdirected Request) that says why it was not sent on. */
function misdirected(message: string) {
  return fetchResponse({ status: 421, headers: { 'content-type': 'application/json' }, text: JSON.stringify({ message }) }, '');
}
