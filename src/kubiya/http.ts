// The one configured HTTP client for Kubiya: base URL, `UserKey` auth, a timeout per request, no
// redirects (credentials never follow to another origin), retries by the shared policy, and error
// text scrubbed of anything key-shaped. @actions/http-client honours the runner's proxy settings.
import { HttpClient } from '@actions/http-client';
import { ServiceError } from '../service-error.ts';
import { isRetryableStatus, waitBeforeRetry, type RetryPolicy } from '../retry.ts';
import { readErrorDetail } from './responses.ts';

export interface KubiyaResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP exchange: the answer's status, headers and body text; rejects when no answer came (a network error). */
export type KubiyaTransport = (
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | null,
) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;

export interface KubiyaHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  userAgent: string;
  /**
   * Replaces the @actions/http-client exchange (tests run the client in-process against the emulator, in
   * virtual time). Unset in production. Timeouts, retries and scrubbing stay this class's own.
   */
  transport?: KubiyaTransport;
}

/** Bodies are read whole (a key list of 50,000 keys is about 15 MB); past this a response is refused, not parsed. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
// Anything JWT-shaped, in case a server echoes a key back in an error.
const JWT_LIKE = /[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

export class KubiyaHttp {
  private readonly client: HttpClient;
  private readonly secrets = new Set<string>();
  /** epoch ms before which no request is sent: the end of the last rate limit met */
  private resumeAt = 0;
  readonly options: KubiyaHttpOptions;

  constructor(options: KubiyaHttpOptions) {
    this.options = options;
    this.client = new HttpClient(options.userAgent, [], {
      allowRedirects: false,
      allowRetries: false,
      socketTimeout: options.timeoutMs,
      headers: { accept: 'application/json' },
    });
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
   * a ServiceError with `outcomeUnknown` when the last attempt got no answer. `beforeRetry` runs before each
   * retry with the failed attempt's response (undefined: no answer), for a request that must be reconciled first.
   */
  async send(
    method: string,
    pathOrUrl: string,
    options: { key: string; body?: unknown; what: string; beforeRetry?: (failed: KubiyaResponse | undefined) => Promise<void> },
  ): Promise<KubiyaResponse> {
    const url = this.resolve(pathOrUrl).href;
    const policy = this.options.retry;
    for (let attempt = 0; ; attempt++) {
      await this.rateLimitPause();
      let response: KubiyaResponse | undefined;
      try {
        response = await this.once(method, url, options.key, options.body);
      } catch (error) {
        if (error instanceof ServiceError) throw error;
        if (attempt >= policy.retries) {
          const reason = this.scrub(error instanceof Error ? error.message : String(error));
          throw new ServiceError(`Kubiya did not answer ${options.what} (${reason}) at ${this.options.baseUrl}`, { outcomeUnknown: true });
        }
      }
      if (response && (!isRetryableStatus(response.status) || attempt >= policy.retries)) return response;
      const wait = waitBeforeRetry(attempt, response?.headers['retry-after'], policy);
      if (wait === undefined) return response!; // a Retry-After past the cap: the caller reports it
      // A rate limit holds for every request of this client, not just the one that met it.
      if (response?.status === 429) this.resumeAt = Math.max(this.resumeAt, Date.now() + wait);
      await options.beforeRetry?.(response);
      await policy.sleep(wait);
    }
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
    const headers: Record<string, string> = { authorization: `UserKey ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let timer: NodeJS.Timeout | undefined;
    // Backstop for a response that starts and then stalls: the socket timeout covers the rest.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.options.timeoutMs} ms`)), this.options.timeoutMs + 1_000);
    });
    try {
      return await Promise.race([this.exchange(method, url, headers, body), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(method: string, url: string, headers: Record<string, string>, body: unknown): Promise<KubiyaResponse> {
    const text = body === undefined ? null : JSON.stringify(body);
    if (this.options.transport) {
      const answer = await this.options.transport(
        method,
        url,
        { accept: 'application/json', 'user-agent': this.options.userAgent, ...headers },
        text,
      );
      if (Buffer.byteLength(answer.text) > MAX_BODY_BYTES) throw tooLarge(method, url);
      return { status: answer.status, headers: answer.headers, body: parseBody(answer.text) };
    }
    const response = await this.client.request(method, url, text, headers);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.message as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.message.destroy();
        throw tooLarge(method, url);
      }
      chunks.push(chunk);
    }
    const status = response.message.statusCode ?? 0;
    return { status, headers: response.message.headers, body: parseBody(Buffer.concat(chunks).toString('utf8')) };
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function tooLarge(method: string, url: string): ServiceError {
  return new ServiceError(
    `Kubiya's answer to ${method} ${new URL(url).pathname} was larger than ${MAX_BODY_BYTES / 1024 / 1024} MB, more than any ` +
      'key list this action expects (50,000 keys are about 15 MB); check kubiya-api-url',
  );
}
