// The one configured Octokit for GitHub: base URL (GHES), the runner's proxy, a timeout per request, no
// redirect to another origin, retries of network errors, 5xx and 429 (plugin-retry, Retry-After honoured)
// and GitHub's rate limits waited out (plugin-throttling).
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { HttpClient } from '@actions/http-client';
import { fetch as undiciFetch } from 'undici';
import { parseRetryAfter } from '../retry.ts';

export type Octokit = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  token: string;
  baseUrl: string;
  timeoutMs: number;
  /** plugin-retry waits retryCount² × this between tries after a network error or a 5xx */
  retryBaseMs: number;
  maxRetryAfterSeconds: number;
  userAgent: string;
  warn: (message: string) => void;
}

const RETRIES = 3;
// Any other 4xx means the request itself is wrong. 429 is retried by honourRetryAfter below, and GitHub's
// rate-limit 403/429s by the throttling plugin.
const DO_NOT_RETRY = Array.from({ length: 100 }, (_, i) => 400 + i);

export function createOctokit(options: GitHubClientOptions): Octokit {
  const Octokit = GitHub.plugin(honourRetryAfter(options), retry, throttling);
  const rateLimited =
    (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      if (retryCount >= RETRIES || retryAfter > options.maxRetryAfterSeconds) return false;
      options.warn(`GitHub ${kind} rate limit on ${request.method} ${request.url}: retrying in ${retryAfter} s`);
      return true;
    };
  return new Octokit(
    getOctokitOptions(options.token, {
      baseUrl: options.baseUrl,
      userAgent: options.userAgent,
      request: { fetch: guardedFetch(options.baseUrl, options.timeoutMs) },
      retry: { retries: RETRIES, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: options.retryBaseMs },
      throttle: { onRateLimit: rateLimited('primary'), onSecondaryRateLimit: rateLimited('secondary') },
    }),
  );
}

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

type OctokitCore = Parameters<Parameters<typeof GitHub.plugin>[0]>[0];
type RetryRequest = (error: unknown, retries: number, retryAfter: number) => Error;

/**
 * A plain 429 (not one of GitHub's rate-limit answers, which plugin-throttling handles) is retried by
 * plugin-retry after the Retry-After it names, up to the cap. Registered before plugin-retry so that
 * plugin's limiter sees the retry request.
 */
function honourRetryAfter(options: GitHubClientOptions) {
  return (octokit: OctokitCore): void => {
    octokit.hook.error('request', (caught) => {
      const error = caught as RequestErrorLike;
      const headers = error.response?.headers ?? {};
      const throttled = headers['x-ratelimit-remaining'] === '0' || /secondary rate/i.test(error.message ?? '');
      const wait = parseRetryAfter(headers['retry-after']) ?? options.retryBaseMs;
      const retryRequest = (octokit as { retry?: { retryRequest: RetryRequest } }).retry?.retryRequest;
      if (error.status === 429 && !throttled && retryRequest && wait <= options.maxRetryAfterSeconds * 1000) {
        // plugin-retry multiplies by its base value (and truncates), so hand it the wait in those units.
        throw retryRequest(caught, RETRIES, Math.ceil(wait / options.retryBaseMs));
      }
      throw caught;
    });
  };
}

/**
 * fetch through the runner's proxy for this base URL (HTTPS_PROXY / NO_PROXY), with a timeout per call.
 * Redirects within GitHub's origin are followed; one to another origin is answered, without being followed,
 * as a failed request — the token and the sealed value never leave GitHub, and a write that was not
 * performed is never taken for one that was.
 */
function guardedFetch(baseUrl: string, timeoutMs: number): typeof fetch {
  const dispatcher = new HttpClient().getAgentDispatcher(baseUrl);
  const origin = new URL(baseUrl).origin;
  return (async (url: string, init: Record<string, unknown> = {}) => {
    let target = url;
    for (let hop = 0; hop <= 5; hop++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = init['signal'] ? AbortSignal.any([init['signal'] as AbortSignal, timeout]) : timeout;
      const response = await undiciFetch(target, { ...init, signal, dispatcher, redirect: 'manual' });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || response.status === 304 || !location) return response;
      const next = new URL(location, target);
      if (next.origin !== origin) {
        return Response.json(
          { message: `GitHub redirected to another origin (${next.origin}); the token and the secret are only sent to ${origin}` },
          { status: 421, statusText: 'Misdirected Request' },
        );
      }
      target = next.href;
    }
    return Response.json({ message: `GitHub redirected more than 5 times from ${url}` }, { status: 421 });
  }) as unknown as typeof fetch;
}
