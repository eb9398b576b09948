// The one configured Octokit for GitHub: base URL (GHES), the runner's proxy, a timeout per request,
// retries of network errors and 5xx (plugin-retry) and rate limits waited out (plugin-throttling).
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { HttpClient } from '@actions/http-client';
import { fetch as undiciFetch } from 'undici';

export type Octokit = InstanceType<typeof GitHub>;

export interface GitHubClientOptions {
  token: string;
  baseUrl: string;
  timeoutMs: number;
  /** plugin-retry waits retryCount² × this; the throttling plugin waits Retry-After × this */
  retryAfterBaseMs: number;
  maxRetryAfterSeconds: number;
  userAgent: string;
  warn: (message: string) => void;
}

// Any other 4xx means the request itself is wrong; 403/429 rate limits are the throttling plugin's.
const DO_NOT_RETRY = Array.from({ length: 100 }, (_, i) => 400 + i);

export function createOctokit(options: GitHubClientOptions): Octokit {
  const Octokit = GitHub.plugin(retry, throttling);
  const rateLimited =
    (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      if (retryCount >= 3 || retryAfter > options.maxRetryAfterSeconds) return false;
      options.warn(`GitHub ${kind} rate limit on ${request.method} ${request.url}: retrying in ${retryAfter} s`);
      return true;
    };
  return new Octokit(
    getOctokitOptions(options.token, {
      baseUrl: options.baseUrl,
      userAgent: options.userAgent,
      request: { fetch: timedProxyFetch(options.baseUrl, options.timeoutMs) },
      retry: { retries: 3, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: options.retryAfterBaseMs },
      throttle: {
        retryAfterBaseValue: options.retryAfterBaseMs,
        onRateLimit: rateLimited('primary'),
        onSecondaryRateLimit: rateLimited('secondary'),
      },
    }),
  );
}

/** fetch through the runner's proxy for this base URL (HTTPS_PROXY / NO_PROXY), with a timeout per call. */
function timedProxyFetch(baseUrl: string, timeoutMs: number): typeof fetch {
  const dispatcher = new HttpClient().getAgentDispatcher(baseUrl);
  return ((url: string, init: Record<string, unknown> = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init['signal'] ? AbortSignal.any([init['signal'] as AbortSignal, timeout]) : timeout;
    return undiciFetch(url, { ...init, signal, dispatcher });
  }) as unknown as typeof fetch;
}
