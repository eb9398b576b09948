// The one configured HTTP client for GitLab's REST API v4: the token in `PRIVATE-TOKEN`, sent only to the API's own
// origin (no redirects are followed: a redirect is an error, so the token never crosses to another origin), a
// timeout per request, retries of network errors and 5xx by the shared policy, 429 waited out (Retry-After, else
// RateLimit-Reset), and, for a write, a check before each attempt that it may still be sent.
import { httpExchange, notSent, parseJson, type HttpTransport } from '../http-exchange.ts';
import { isRetryableStatus, parseRetryAfter, waitBeforeRetry, type RequestSettings } from '../retry.ts';
import { ServiceError } from '../service-error.ts';

export interface GitLabResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** an earlier attempt of this request got no answer: it may have taken effect */
  unanswered: boolean;
}

export interface GitLabHttpOptions extends RequestSettings {
  /** `<server>/api/v4` */
  apiUrl: string;
  token: string;
  /** replaces the @actions/http-client exchange (tests) */
  transport?: HttpTransport;
}

/** A write's `maySend` refused an attempt; `unanswered`: an earlier attempt got no answer (it may have taken effect). */
export class AttemptStopped extends Error {
  override name = 'AttemptStopped';
  readonly unanswered: boolean;

  constructor(unanswered: boolean) {
    super('no further attempt was sent');
    this.unanswered = unanswered;
  }
}

export class GitLabHttp {
  private readonly exchange: HttpTransport;
  private readonly options: GitLabHttpOptions;
  private readonly secrets = new Set<string>();

  constructor(options: GitLabHttpOptions) {
    this.options = options;
    this.exchange = httpExchange({ ...options, what: 'GitLab', urlInput: 'gitlab-url' });
    if (options.token) this.secrets.add(options.token);
  }

  get origin(): string {
    return new URL(this.options.apiUrl).origin;
  }

  /** Remember a value that must never appear in an error message. */
  protect(secret: string): void {
    this.secrets.add(secret);
  }

  scrub(text: string): string {
    let clean = text;
    for (const secret of this.secrets) clean = clean.split(secret).join('***');
    return clean;
  }

  /**
   * One request under the API URL (`path` starts with `/`), retried on network errors, 429 and 5xx. Throws a
   * ServiceError when the last attempt got no answer (`outcomeUnknown` when any attempt may have reached GitLab,
   * `notSent` when none left the runner), and AttemptStopped when `maySend` refused an attempt.
   */
  async send(method: string, path: string, options: { body?: unknown; what: string; maySend?: () => boolean }): Promise<GitLabResponse> {
    const url = `${this.options.apiUrl}${path}`;
    const policy = this.options.retry;
    let unanswered = false;
    let sent = false;
    for (let attempt = 0; ; attempt++) {
      if (options.maySend && !options.maySend()) throw new AttemptStopped(unanswered);
      let response: GitLabResponse | undefined;
      try {
        response = { ...(await this.once(method, url, options.body)), unanswered };
        sent = true;
      } catch (error) {
        if (error instanceof ServiceError) throw error;
        const local = notSent(error);
        sent ||= !local;
        unanswered ||= !local;
        if (attempt >= policy.retries) throw this.noAnswer(options.what, error, { sent, unanswered });
      }
      if (response && (!isRetryableStatus(response.status) || attempt >= policy.retries)) return response;
      const wait = waitBeforeRetry(attempt, response && retryAfterOf(response.headers), policy);
      if (wait === undefined) return response!; // asked to wait past the cap: the caller reports it
      await policy.sleep(wait);
    }
  }

  private noAnswer(what: string, error: unknown, attempts: { sent: boolean; unanswered: boolean }): ServiceError {
    const reason = this.scrub(error instanceof Error ? error.message : String(error));
    if (attempts.unanswered)
      return new ServiceError(`GitLab did not answer ${what} (${reason}) at ${this.origin}`, { outcomeUnknown: true });
    if (attempts.sent) return new ServiceError(`GitLab failed ${what}: the last attempt could not reach ${this.origin} (${reason})`);
    return new ServiceError(
      `Could not reach GitLab at ${this.origin} for ${what} (${reason}); nothing was sent. Check gitlab-url and the network ` +
        '(DNS, firewall, HTTPS_PROXY)',
      { notSent: true },
    );
  }

  /** A one-line reason for a non-2xx answer, without secrets. */
  reason(response: Pick<GitLabResponse, 'status' | 'body' | 'headers'>): string {
    const body = response.body as { message?: unknown; error?: unknown; error_description?: unknown } | undefined;
    const detail = body?.message ?? body?.error_description ?? body?.error;
    const text = detail === undefined ? '' : typeof detail === 'string' ? detail : JSON.stringify(detail);
    const retryAfter = response.status === 429 ? retryAfterOf(response.headers) : undefined;
    const wait = retryAfter === undefined ? '' : `; retry after ${Math.ceil((parseRetryAfter(retryAfter) ?? 0) / 1000)} s`;
    return this.scrub(`HTTP ${response.status}${text ? `: ${text}` : ''}${wait}`).slice(0, 400);
  }

  private async once(method: string, url: string, body: unknown) {
    const headers: Record<string, string> = { accept: 'application/json', 'private-token': this.options.token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await this.exchange(method, url, headers, body === undefined ? null : JSON.stringify(body));
    return { status: answer.status, headers: answer.headers, body: parseJson(answer.text) };
  }
}

/** Retry-After, else RateLimit-Reset (GitLab's epoch seconds) as a delay in seconds. */
function retryAfterOf(headers: GitLabResponse['headers']): string | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) return String(retryAfter);
  const reset = Number(headers['ratelimit-reset']);
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  return String(Math.max(0, Math.ceil(reset - Date.now() / 1000)));
}
