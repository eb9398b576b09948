// The one configured HTTP client for Kubiya: base URL, `UserKey` auth, retries by the shared policy, Kubiya's
// rate limit, and error text scrubbed of anything key-shaped; over ../http-exchange.ts (no redirects, a deadline).
import { httpExchange, notSent, parseJson, type HttpAnswer, type HttpTransport } from '../http-exchange.ts';
import { ServiceError } from '../service-error.ts';
import { Attempts, isRetryableStatus, waitBeforeRetry, type RequestSettings } from '../retry.ts';
import { Pacer } from './pacing.ts';
import { readErrorDetail } from './responses.ts';

export interface KubiyaResponse extends Pick<HttpAnswer, 'status' | 'headers'> {
  body: unknown;
}

export interface KubiyaHttpOptions extends RequestSettings {
  baseUrl: string;
}

// Anything JWT-shaped, in case a server echoes a key back in an error.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

export class KubiyaHttp {
  private readonly exchange: HttpTransport;
  private readonly secrets = new Set<string>();
  private readonly pacer: Pacer;
  readonly options: KubiyaHttpOptions;

  constructor(options: KubiyaHttpOptions) {
    this.options = options;
    this.pacer = new Pacer(options.retry);
    this.exchange = httpExchange({ ...options, what: 'Kubiya', urlInput: 'kubiya-api-url' });
  }

  /** Remember a value that must never appear in an error message. */
  protect(secret: string): void {
    this.secrets.add(secret);
  }

  private readonly scrub = (text: string): string => {
    let clean = text.replace(JWT_LIKE, '***');
    for (const secret of this.secrets) clean = clean.split(secret).join('***');
    return clean;
  };

  /**
   * One request, retried on network errors and 5xx by the shared policy, and paced through Kubiya's rate limit
   * (./pacing.ts). Throws a ServiceError when the last attempt got no answer: `outcomeUnknown` when any attempt may
   * have reached Kubiya, `notSent` when none left the runner. `beforeRetry` gets the failed attempt's response
   * (undefined: no answer) before each retry, except after an attempt that never left the runner (it had no effect).
   */
  async send(
    method: string,
    pathOrUrl: string,
    options: { key: string; body?: unknown; what: string; beforeRetry?: (failed: KubiyaResponse | undefined) => Promise<void> },
  ): Promise<KubiyaResponse> {
    const url = this.resolve(pathOrUrl).href;
    const policy = this.options.retry;
    const attempts = new Attempts();
    for (let attempt = 0; ;) {
      const pace = await this.pacer.turn();
      if (pace === undefined) throw this.gaveUp(options.what);
      const response = await attempts.answer(() => this.once(method, url, options.key, options.body));
      if (!response && attempt >= policy.retries) {
        throw attempts.noAnswer({ name: 'Kubiya', at: this.options.baseUrl, urlInput: 'kubiya-api-url' }, options.what, this.scrub);
      }
      const limited = response?.status === 429;
      if (response && !limited) this.pacer.answered(pace);
      if (response && !isRetryableStatus(response.status)) return response;
      const wait = waitBeforeRetry(limited ? 0 : attempt, response?.headers['retry-after'], policy);
      if (wait === undefined) return response!; // a Retry-After past the cap: the caller reports it
      if (limited && !this.pacer.limited(pace, wait)) throw this.gaveUp(options.what);
      if (!limited && attempt >= policy.retries) return response!;
      if (response || !notSent(attempts.error)) await options.beforeRetry?.(response);
      // A 429 waits for its turn again (the pacer paused every request); anything else backs off and uses a retry.
      if (!limited) await policy.sleep(wait);
      if (!limited) attempt += 1;
    }
  }

  private gaveUp(what: string): ServiceError {
    return new ServiceError(
      `Kubiya kept answering 429 (rate limited) to ${what} at ${this.options.baseUrl}: ${this.options.retry.retries + 1} ` +
        `requests in a row were refused although this run had slowed its requests down after each; run it again later`,
      { status: 429 },
    );
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
    return { status: answer.status, headers: answer.headers, body: parseJson(answer.text) };
  }
}
