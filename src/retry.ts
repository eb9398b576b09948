// When and how long to wait before trying a request again: network errors (a timeout is one), 429 and
// 5xx only, at most `retries` times, jittered exponential backoff, Retry-After honoured up to a cap; and what a
// request's attempts came to, for its error when the last one got no answer.
import { notSent, type HttpAnswer, type HttpTransport } from './http-exchange.ts';
import { errorMessage, ServiceError } from './service-error.ts';

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
  /** replaces the @actions/http-client exchange (tests); timeouts, retries and scrubbing stay the client's */
  transport?: HttpTransport;
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

/** What the attempts of one request came to, for the error when the last one got no answer. */
export class Attempts {
  /** an attempt reached the server, or may have */
  sent = false;
  /** an attempt got no answer: the request may have taken effect */
  unanswered = false;
  /** the last attempt's error, when it got no answer */
  error: unknown;

  /** One attempt: its answer, or undefined when it got none. An answer refused (a ServiceError: too large) is thrown. */
  async answer<T>(send: () => Promise<T>): Promise<T | undefined> {
    try {
      const answer = await send();
      this.sent = true;
      return answer;
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      const local = notSent(error);
      this.error = error;
      this.sent ||= !local;
      this.unanswered ||= !local;
      return undefined;
    }
  }

  /** The error of a request whose last attempt got no answer: whether it may have taken effect, or nothing was sent. */
  noAnswer(service: { name: string; at: string; urlInput: string }, what: string, scrub: (text: string) => string): ServiceError {
    const { name, at } = service;
    const reason = scrub(errorMessage(this.error));
    if (this.unanswered) return new ServiceError(`${name} did not answer ${what} (${reason}) at ${at}`, { outcomeUnknown: true });
    if (this.sent) return new ServiceError(`${name} failed ${what}: the last attempt could not reach ${at} (${reason})`);
    return new ServiceError(
      `Could not reach ${name} at ${at} for ${what} (${reason}); nothing was sent. Check ${service.urlInput} and the runner's ` +
        'network (DNS, firewall, HTTPS_PROXY)',
      { notSent: true },
    );
  }
}

/**
 * One request sent until an answer is not 429 or 5xx, at most `policy.retries` more times, waiting by the policy in
 * between (as long as the answer's `retryAfter` asks, up to the cap). Resolves with the last answer (a retryable one
 * when the retries ran out or the server asked for longer), undefined when the last attempt got none.
 * `beforeEach` may throw to stop the request before an attempt.
 */
export async function sendWithRetries(
  policy: RetryPolicy,
  send: () => Promise<HttpAnswer>,
  options: {
    retryAfter?: (headers: HttpAnswer['headers']) => string | string[] | undefined;
    beforeEach?: (attempts: Attempts) => void;
  } = {},
): Promise<{ answer?: HttpAnswer; attempts: Attempts }> {
  const { retryAfter = (headers) => headers['retry-after'], beforeEach } = options;
  const attempts = new Attempts();
  for (let attempt = 0; ; attempt++) {
    beforeEach?.(attempts);
    const answer = await attempts.answer(send);
    const retryable = !answer || isRetryableStatus(answer.status);
    const wait = retryable && attempt < policy.retries ? waitBeforeRetry(attempt, answer && retryAfter(answer.headers), policy) : undefined;
    if (wait === undefined) return { answer, attempts };
    await policy.sleep(wait);
  }
}
