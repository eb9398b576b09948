// One HTTP request and its whole answer, over @actions/http-client (which honours the runner's HTTPS_PROXY and
// NO_PROXY): the one HTTP stack both services' clients use. No redirects, no retries (each client has its own
// rules for those), one deadline for the whole exchange (a request abandoned at it is closed, its socket
// destroyed), a bound on the size of an answer, and the one place that tells a request that never left the
// runner from one that got no answer.
import { HttpClient } from '@actions/http-client';
import type { RequestOptions } from 'node:http';
import { ServiceError } from './service-error.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP exchange; rejects when no answer came. `signal` aborts at the deadline: an exchange that honours it closes its connection. */
export type HttpTransport = (
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | null,
  signal?: AbortSignal,
) => Promise<HttpAnswer>;

/** Answers are read whole (a key list of 50,000 keys is about 15 MB); past this one is refused, not read. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * An exchange that got no answer. `notSent`: it failed on the runner before any of the request left it
 * (failedBeforeSending), so the server cannot have acted on it. Otherwise (a reset, a timeout, a lost answer) it may have.
 */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
  readonly notSent: boolean;

  constructor(cause: unknown, notSent: boolean) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.notSent = notSent;
  }
}

/** Whether `error` (or what it wraps: Octokit puts fetch's error in `cause`) is an exchange that never left the runner. */
export function notSent(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof NoAnswer) return current.notSent;
  }
  return false;
}

// Errors that only happen before a request's first byte is written. A reset, a timeout or anything on an open
// connection ('read', 'write') may come after.
const BEFORE_SENDING_SYSCALLS = new Set(['getaddrinfo', 'connect']);
const BEFORE_SENDING_CODES = new Set([
  // resolving the host, opening the connection
  ...['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ECONNREFUSED'],
  // building the request
  ...['ERR_INVALID_URL', 'ERR_INVALID_PROTOCOL', 'ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_CHAR', 'ERR_UNESCAPED_CHARACTERS'],
  // the TLS handshake's certificate checks (a TLS socket holds what is written until the handshake is done)
  ...['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED'],
  ...['CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT'],
  ...['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
]);
/** The proxy refused the CONNECT, or could not be reached: the request was never written into a tunnel. */
const TUNNEL_REFUSED = /^tunneling socket could not be established/;

/** Whether this error of an exchange proves that nothing of the request left the runner. */
export function failedBeforeSending(error: unknown): boolean {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.every(failedBeforeSending);
  if (!(error instanceof Error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return (
    (syscall !== undefined && BEFORE_SENDING_SYSCALLS.has(syscall)) ||
    (code !== undefined && BEFORE_SENDING_CODES.has(code)) ||
    TUNNEL_REFUSED.test(error.message)
  );
}

/**
 * The transport of one service's client: `transport` (tests) or an HttpClient with this user agent. Either way
 * each exchange has `timeoutMs` for the whole of it (answer and body) and the size bound.
 */
export function httpExchange(options: {
  userAgent: string;
  timeoutMs: number;
  /** the service and the input that points at it, for the error an oversized answer gets */
  what: string;
  urlInput: string;
  transport?: HttpTransport;
}): HttpTransport {
  const { timeoutMs } = options;
  const tooLarge = (method: string, url: string) =>
    new ServiceError(
      `${options.what}'s answer to ${method} ${new URL(url).pathname} was larger than ${MAX_BODY_BYTES / 1024 / 1024} MB, more ` +
        `than any answer this action expects (a list of 50,000 keys is about 15 MB); check ${options.urlInput}`,
    );
  const exchange = options.transport ?? overHttpClient(options.userAgent, timeoutMs, tooLarge);
  return async (method, url, headers, body) => {
    const abort = new AbortController();
    const timedOut = new Error(`timed out after ${timeoutMs} ms`);
    const timer = setTimeout(() => abort.abort(timedOut), timeoutMs);
    const deadline = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(timedOut)));
    try {
      const sent = exchange(method, url, { 'user-agent': options.userAgent, ...headers }, body, abort.signal);
      const answer = await Promise.race([sent, deadline]);
      if (Buffer.byteLength(answer.text) > MAX_BODY_BYTES) throw tooLarge(method, url);
      return answer;
    } catch (error) {
      // An exchange abandoned (or failed) midway is closed: its socket must not keep the step alive.
      const timedOutFirst = abort.signal.aborted;
      abort.abort(timedOut);
      if (error instanceof ServiceError) throw error;
      throw new NoAnswer(error, !timedOutFirst && failedBeforeSending(error));
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Each exchange is its own HttpClient, so that its request carries the exchange's abort signal. */
function overHttpClient(userAgent: string, timeoutMs: number, tooLarge: (method: string, url: string) => Error): HttpTransport {
  return async (method, url, headers, body, signal) => {
    const withSignal = {
      prepareRequest: (request: RequestOptions) => void (request.signal = signal),
      canHandleAuthentication: () => false,
      handleAuthentication: () => Promise.reject(new Error('not supported')),
    };
    const client = new HttpClient(userAgent, [withSignal], { allowRedirects: false, allowRetries: false, socketTimeout: timeoutMs });
    const response = await client.request(method, url, body, headers);
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
    return { status: response.message.statusCode ?? 0, headers: response.message.headers, text: Buffer.concat(chunks).toString('utf8') };
  };
}

/** An answer's body as JSON; undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
