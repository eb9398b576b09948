// The one configured Octokit for GitHub: base URL (GHES), requests over @actions/http-client like Kubiya's (the
// runner's proxy, a timeout per request), no redirect to another origin, the project's retry policy (network
// errors, 429 and 5xx; jittered backoff; Retry-After honoured) carried out by plugin-retry, and GitHub's rate
// limits waited out by plugin-throttling.
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';
import { retry, type RetryPlugin } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { httpExchange, notSent, type HttpAnswer, type HttpTransport } from '../http-exchange.ts';
import { isRetryableStatus, waitBeforeRetry, type RetryPolicy } from '../retry.ts';

export type Octokit = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  token: string;
  baseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  warn: (message: string) => void;
  /**
   * Told of every answer GitHub gives, with its `github-authentication-token-expiration` header (sent for a token
   * that expires; undefined otherwise): the token's expiry, for the run's footing (src/run-footing.ts).
   */
  onAnswer?: (tokenExpiration: string | undefined) => void;
  /**
   * Replaces the @actions/http-client exchange under the timeout and redirect guard (tests run Octokit in-process
   * against the emulator, in virtual time). Unset in production.
   */
  transport?: HttpTransport;
  /**
   * Keeps this Octokit's rate limiters (plugin-throttling's, shared per process and keyed by this id) apart
   * from other Octokits' in the same process: tests run several "runs" in one process. Unset in production.
   */
  throttleId?: string;
}

// plugin-retry decides nothing itself: retryPolicy below makes every decision through the plugin's typed API
// (RetryPlugin.retry.retryRequest: retry this request after this wait), and plugin-retry waits and repeats.
const DO_NOT_RETRY = Array.from({ length: 200 }, (_, i) => 400 + i);

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
      request: { fetch: guardedFetch(options) },
      // Waits are handed to plugin-retry in milliseconds.
      retry: { retries: options.retry.retries, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: 1 },
      throttle: {
        // Only when set: plugin-throttling copies an explicit `id: undefined` over its own default.
        ...(options.throttleId === undefined ? {} : { id: options.throttleId }),
        onRateLimit: rateLimited('primary'),
        onSecondaryRateLimit: rateLimited('secondary'),
      },
    }),
  );
}

/** Octokit's RequestError, as this action reads it: every reading of a GitHub error is here. */
interface GitHubRequestError {
  status?: number;
  message?: string;
  /** absent when no answer came (a network error or a timeout) */
  response?: { status: number; headers?: Record<string, string | undefined>; data?: { message?: unknown } };
}

/** The HTTP status GitHub answered with, if any. */
export function statusOf(error: unknown): number | undefined {
  return (error as GitHubRequestError).response?.status ?? (error as GitHubRequestError).status;
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
 * GitHub's own rate-limit answers (no requests left, or a secondary limit): plugin-throttling waits them out,
 * and one it gave up on is reported with when to retry. undefined: not a rate limit.
 */
export function rateLimitOf(error: unknown): { retryAfter?: string; reset?: number } | undefined {
  const { status, message = '', response } = error as GitHubRequestError;
  const headers = response?.headers ?? {};
  const limited = headers['x-ratelimit-remaining'] === '0' || /secondary rate|rate limit/i.test(message) || status === 429;
  if (!response || !limited || (status !== 403 && status !== 429)) return undefined;
  const reset = Number(headers['x-ratelimit-reset']);
  return { retryAfter: headers['retry-after'], reset: reset > 0 ? reset : undefined };
}

/** What a caller may pass as `request: { attempts }` to watch, and bound, the attempts of one request. */
export interface Attempts {
  /** false: send no further attempt (the request fails with AttemptsStopped) */
  maySend(): boolean;
  /** told of each attempt that got no answer and may have reached GitHub (a reset, a timeout): it may have taken effect */
  unanswered(): void;
}

/** A request whose next attempt `Attempts.maySend` refused. Shaped so that neither plugin retries it. */
export class AttemptsStopped extends Error {
  override name = 'AttemptsStopped';
  readonly request: { request: { retries: 0 } };

  constructor(options: object) {
    super('no further attempt was sent');
    this.request = { ...options, request: { retries: 0 } };
  }
}

type OctokitCore = Parameters<Parameters<typeof GitHub.plugin>[0]>[0];
type RequestOptions = { request?: { retryCount?: number; attempts?: Attempts } };

/**
 * The same retry policy as Kubiya's client (src/retry.ts): a network error or timeout (no response), a 429
 * or a 5xx is tried again after a jittered backoff or the Retry-After it names, at most `retries` times.
 * GitHub's own rate-limit answers are left to plugin-throttling. Registered before plugin-retry so that
 * plugin's limiter carries the retry out, and so that these hooks see every attempt.
 */
function retryPolicy(policy: RetryPolicy) {
  return (octokit: OctokitCore): void => {
    octokit.hook.error('request', (caught, request) => {
      const options = (request as RequestOptions).request;
      if (mayHaveLanded(caught)) options?.attempts?.unanswered();
      const headers = (caught as GitHubRequestError).response?.headers ?? {};
      // A plain 429 or 5xx is this policy's; GitHub's own rate-limit answers are plugin-throttling's.
      const throttled = headers['x-ratelimit-remaining'] === '0' || /secondary rate/i.test((caught as GitHubRequestError).message ?? '');
      const retryable = !answered(caught) || isRetryableStatus(statusOf(caught) ?? 0);
      const attempt = options?.retryCount ?? 0;
      const retryRequest = (octokit as Partial<RetryPlugin>).retry?.retryRequest;
      const wait =
        retryable && !throttled && attempt < policy.retries ? waitBeforeRetry(attempt, headers['retry-after'], policy) : undefined;
      if (wait !== undefined && retryRequest)
        throw retryRequest(caught as Parameters<RetryPlugin['retry']['retryRequest']>[0], policy.retries, wait);
      throw caught;
    });
    // Registered after the error hook, so it wraps it: an attempt it stops is not taken for an unanswered one.
    octokit.hook.before('request', (request) => {
      const attempts = (request as RequestOptions).request?.attempts;
      if (attempts && !attempts.maySend()) throw new AttemptsStopped(request);
    });
  };
}

/**
 * Octokit's fetch, over the same HTTP stack as Kubiya's client (@actions/http-client: the runner's HTTPS_PROXY and
 * NO_PROXY, a timeout per request) — so a rotation loads one HTTP stack, not two. Redirects within GitHub's
 * origin are followed; one to another origin is answered, without being followed, as a failed request — the
 * token and the sealed value never leave GitHub, and a write that was not performed is never taken for one that
 * was. The answer is the part of a fetch Response that Octokit reads.
 */
function guardedFetch(options: GitHubClientOptions): typeof fetch {
  const exchange = httpExchange({ ...options, what: 'GitHub', urlInput: 'github-api-url' });
  const origin = new URL(options.baseUrl).origin;
  return (async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string | null } = {}) => {
    let target = url;
    for (let hop = 0; hop <= 5; hop++) {
      const answer = await exchange(init.method ?? 'GET', target, init.headers ?? {}, init.body ?? null);
      options.onAnswer?.(header(answer, TOKEN_EXPIRATION));
      const location = header(answer, 'location');
      if (answer.status < 300 || answer.status >= 400 || answer.status === 304 || !location) return fetchResponse(answer, target);
      const next = new URL(location, target);
      if (next.origin !== origin) {
        return misdirected(`GitHub redirected to another origin (${next.origin}); the token and the secret are only sent to ${origin}`);
      }
      target = next.href;
    }
    return misdirected(`GitHub redirected more than 5 times from ${url}`);
  }) as unknown as typeof fetch;
}

/** GitHub's header on every answer to a token that expires: `2027-03-01 12:00:00 UTC` or `… +0100`. */
const TOKEN_EXPIRATION = 'github-authentication-token-expiration';

function header(answer: HttpAnswer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function fetchResponse(answer: HttpAnswer, url: string) {
  const headers = new Map<string, string>();
  for (const name of Object.keys(answer.headers)) {
    const value = header(answer, name);
    if (value !== undefined) headers.set(name.toLowerCase(), value);
  }
  return {
    status: answer.status,
    url,
    headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null, [Symbol.iterator]: () => headers.entries() },
    text: () => Promise.resolve(answer.text),
    json: () => Promise.resolve(JSON.parse(answer.text) as unknown),
    arrayBuffer: () => Promise.resolve(new TextEncoder().encode(answer.text).buffer),
  };
}

/** A failed request's answer (HTTP 421 Misdirected Request) that says why it was not sent on. */
function misdirected(message: string) {
  return fetchResponse({ status: 421, headers: { 'content-type': 'application/json' }, text: JSON.stringify({ message }) }, '');
}
