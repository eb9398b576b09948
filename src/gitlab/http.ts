// The one configured HTTP client for GitLab's REST API v4: the token in `PRIVATE-TOKEN`, sent only to the API's own
// origin (no redirects are followed: a redirect is an error, so the token never crosses to another origin), a
// timeout per request, retries of network errors and 5xx by the shared policy, 429 waited out (Retry-After, else
// RateLimit-Reset), and, for a write, a check before each attempt that it may still be sent.
import { httpExchange, parseJson, type HttpAnswer, type HttpTransport } from '../http-exchange.ts';
import { parseRetryAfter, sendWithRetries, type Attempts, type RequestSettings } from '../retry.ts';

export interface GitLabResponse extends Pick<HttpAnswer, 'status' | 'headers'> {
  body: unknown;
  /** an earlier attempt of this request got no answer: it may have taken effect */
  unanswered: boolean;
}

export interface GitLabHttpOptions extends RequestSettings {
  /** `<server>/api/v4` */
  apiUrl: string;
  token: string;
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

  private readonly scrub = (text: string): string => {
    let clean = text;
    for (const secret of this.secrets) clean = clean.split(secret).join('***');
    return clean;
  };

  /**
   * One request under the API URL (`path` starts with `/`), retried on network errors, 429 and 5xx. Throws a
   * ServiceError when the last attempt got no answer (`outcomeUnknown` when any attempt may have reached GitLab,
   * `notSent` when none left the runner). `beforeEach` may throw to stop it before an attempt.
   */
  async send(
    method: string,
    path: string,
    options: { body?: unknown; what: string; beforeEach?: (attempts: Attempts) => void },
  ): Promise<GitLabResponse> {
    const headers: Record<string, string> = { accept: 'application/json', 'private-token': this.options.token };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? null : JSON.stringify(options.body);
    const { answer, attempts } = await sendWithRetries(
      this.options.retry,
      () => this.exchange(method, `${this.options.apiUrl}${path}`, headers, body),
      { retryAfter: retryAfterOf, beforeEach: options.beforeEach },
    );
    if (!answer) {
      throw attempts.noAnswer({ name: 'GitLab', at: this.origin, urlInput: 'gitlab-url' }, options.what, this.scrub);
    }
    return { status: answer.status, headers: answer.headers, body: parseJson(answer.text), unanswered: attempts.unanswered };
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
}

/** Retry-After, else RateLimit-Reset (GitLab's epoch seconds) as a delay in seconds. */
function retryAfterOf(headers: GitLabResponse['headers']): string | undefined {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) return String(retryAfter);
  const reset = Number(headers['ratelimit-reset']);
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  return String(Math.max(0, Math.ceil(reset - Date.now() / 1000)));
}
