// One HTTP request and its whole answer, over @actions/http-client (which honours the runner's HTTPS_PROXY and
// NO_PROXY): the one HTTP stack both services' clients use. No redirects, no retries (each client has its own
// rules for those), a deadline per request, and a bound on the size of an answer.
import { HttpClient } from '@actions/http-client';
import { ServiceError } from './service-error.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP exchange; rejects when no answer came (a network error or the deadline). Tests replace it in-process. */
export type HttpTransport = (method: string, url: string, headers: Record<string, string>, body: string | null) => Promise<HttpAnswer>;

/** Answers are read whole (a key list of 50,000 keys is about 15 MB); past this one is refused, not read. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The transport of one service's client: `transport` (tests) or an HttpClient with this user agent. Either way
 * each exchange has `timeoutMs` (the socket's, with a backstop for an answer that starts and then stalls) and
 * the size bound; `what` names the service in the error an oversized answer gets.
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
  const client = new HttpClient(options.userAgent, [], { allowRedirects: false, allowRetries: false, socketTimeout: timeoutMs });
  const exchange = options.transport ?? overHttpClient(client, tooLarge);
  return async (method, url, headers, body) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs + 1_000);
    });
    try {
      const answer = await Promise.race([exchange(method, url, { 'user-agent': options.userAgent, ...headers }, body), deadline]);
      if (Buffer.byteLength(answer.text) > MAX_BODY_BYTES) throw tooLarge(method, url);
      return answer;
    } finally {
      clearTimeout(timer);
    }
  };
}

function overHttpClient(client: HttpClient, tooLarge: (method: string, url: string) => Error): HttpTransport {
  return async (method, url, headers, body) => {
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
