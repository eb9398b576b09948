// When and how long to wait before trying a request again: network errors (a timeout is one), 429 and
// 5xx only, at most `retries` times, jittered exponential backoff, Retry-After honoured up to a cap.

export interface RetryPolicy {
  retries: number;
  /** first backoff; doubles each attempt, jittered to 50–150 % */
  baseMs: number;
  /** a Retry-After longer than this is not waited out: the request fails and says when to retry */
  maxRetryAfterMs: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 3,
  baseMs: 1_000,
  maxRetryAfterMs: 60_000,
  random: Math.random,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RequestSettings {
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
}

/** The settings of both services' clients; the emulator tests shorten the 30 s timeout and the backoff through env. */
export function requestSettings(env: NodeJS.ProcessEnv): RequestSettings {
  const number = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    timeoutMs: number('KUBIYA_ACTION_REQUEST_TIMEOUT_MS', 30_000),
    retry: { ...DEFAULT_RETRY, baseMs: number('KUBIYA_ACTION_RETRY_BASE_MS', DEFAULT_RETRY.baseMs) },
    userAgent: 'kubiya-api-key-action/1',
  };
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.round(policy.baseMs * 2 ** attempt * (0.5 + policy.random()));
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** How long to wait before attempt `attempt + 1`, or undefined when the server asks for longer than the cap. */
export function waitBeforeRetry(attempt: number, retryAfter: string | string[] | undefined, policy: RetryPolicy): number | undefined {
  const asked = parseRetryAfter(retryAfter);
  if (asked === undefined) return backoffMs(attempt, policy);
  return asked > policy.maxRetryAfterMs ? undefined : asked;
}
