// The one configured HTTP client for Kubiya: base URL, `UserKey` auth, a timeout per request, no
// redirects (credentials never follow to another origin), retries by the shared policy, and error
// text scrubbed of anything key-shaped. @actions/http-client honours the runner's proxy settings.
import { httpExchange, notSent, type HttpTransport } from '../http-exchange.ts';
import { ServiceError } from '../service-error.ts';
import { isRetryableStatus, waitBeforeRetry, type RetryPolicy } from '../retry.ts';
import { readErrorDetail } from './responses.ts';

export interface KubiyaResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface KubiyaHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  /**
   * Replaces the @actions/http-client exchange (tests run the client in-process against the emulator, in
   * virtual time). Unset in production. Timeouts, retries and scrubbing stay this class's own.
   */
  transport?: HttpTransport;
}

// Anything JWT-shaped, in case a server echoes a key back in an error.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

export class KubiyaHttp {
  private readonly exchange: HttpTransport;
  private readonly secrets = new Set<string>();
  /** epoch ms before which no request is sent: the end of the last rate limit met */
  private resumeAt = 0;
  readonly options: KubiyaHttpOptions;

  constructor(options: KubiyaHttpOptions) {
    this.options = options;
    this.exchange = httpExchange({ ...options, what: 'Kubiya', urlInput: 'kubiya-api-url' });
  }

  /** Remember a value that must never appear in an error message. */
  protect(secret: string): void {
    this.secrets.add(secret);
  }

  scrub(text: string): string {
    let clean = text.replace(JWT_LIKE, '***');
    for (const secret of this.secrets) clean = clean.split(secret).join('***');
    return clean;
  }

  /**
   * One request, retried on network errors, 429 and 5xx by the shared policy. Returns the final response; throws
   * a ServiceError when the last attempt got no answer: `outcomeUnknown` when any attempt may have reached Kubiya
   * unanswered, `notSent` when none left the runner. `beforeRetry` runs before each retry with the failed
   * attempt's response (undefined: no answer), for a request that must be reconciled first; not after an attempt
   * that never left the runner (it cannot have had an effect).
   */
  async send(
    method: string,
    pathOrUrl: string,
    options: { key: string; body?: unknown; what: string; beforeRetry?: (failed: KubiyaResponse | undefined) => Promise<void> },
  ): Promise<KubiyaResponse> {
    const url = this.resolve(pathOrUrl).href;
    const policy = this.options.retry;
    const attempts = { sent: false, unanswered: false };
    for (let attempt = 0; ; attempt++) {
      await this.rateLimitPause();
      let response: KubiyaResponse | undefined;
      let local = false;
      try {
        response = await this.once(method, url, options.key, options.body);
        attempts.sent = true;
      } catch (error) {
        if (error instanceof ServiceError) throw error;
        local = notSent(error);
        attempts.sent ||= !local;
        attempts.unanswered ||= !local;
        if (attempt >= policy.retries) throw this.noAnswer(options.what, error, attempts);
      }
      if (response && (!isRetryableStatus(response.status) || attempt >= policy.retries)) return response;
      const wait = waitBeforeRetry(attempt, response?.headers['retry-after'], policy);
      if (wait === undefined) return response!; // a Retry-After past the cap: the caller reports it
      // A rate limit holds for every request of this client, not just the one that met it.
      if (response?.status === 429) this.resumeAt = Math.max(this.resumeAt, Date.now() + wait);
      if (!local) await options.beforeRetry?.(response);
      await policy.sleep(wait);
    }
  }

  /** The failure of a request whose last attempt got no answer, saying whether anything reached Kubiya. */
  private noAnswer(what: string, error: unknown, attempts: { sent: boolean; unanswered: boolean }): ServiceError {
    const reason = this.scrub(error instanceof Error ? error.message : String(error));
    const base = this.options.baseUrl;
    if (attempts.unanswered) return new ServiceError(`Kubiya did not answer ${what} (${reason}) at ${base}`, { outcomeUnknown: true });
    if (attempts.sent) return new ServiceError(`Kubiya failed ${what}: the last attempt could not reach ${base} (${reason})`);
    return new ServiceError(
      `Could not reach Kubiya at ${base} for ${what} (${reason}); nothing was sent. Check kubiya-api-url and the runner's ` +
        'network (DNS, firewall, HTTPS_PROXY)',
      { notSent: true },
    );
  }

  /** Waits out a rate limit another request of this client met. */
  private async rateLimitPause(): Promise<void> {
    const wait = this.resumeAt - Date.now();
    if (wait > 0) await this.options.retry.sleep(wait);
  }

  /** A one-line reason for a non-2xx response, without secrets. */
  reason(response: KubiyaResponse): string {
    const detail = readErrorDetail(response.body);
    const retryAfter = response.headers['retry-after'];
    const text = detail ? `HTTP ${response.status}: ${detail}` : `HTTP ${response.status}`;
    return this.scrub(response.status === 429 && retryAfter ? `${text}; retry after ${String(retryAfter)} s` : text).slice(0, 400);
  }

  /** A path under the base URL, or a URL of the base URL's origin; another origin is refused. */
  resolve(pathOrUrl: string): URL {
    const base = new URL(this.options.baseUrl);
    const url = new URL(pathOrUrl.startsWith('/') ? base.pathname.replace(/\/$/, '') + pathOrUrl : pathOrUrl, base);
    if (url.origin !== base.origin) {
      throw new ServiceError(`Kubiya pointed to another origin (${url.origin}); keys are only sent to ${base.origin}`);
    }
    return url;
  }

  private async once(method: string, url: string, key: string, body: unknown): Promise<KubiyaResponse> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `UserKey ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await this.exchange(method, url, headers, body === undefined ? null : JSON.stringify(body));
    return { status: answer.status, headers: answer.headers, body: parseBody(answer.text) };
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
