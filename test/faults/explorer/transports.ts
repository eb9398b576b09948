// The in-process transports of one run: the Kubiya client's exchange and Octokit's fetch hand every request
// to the scheduler, which decides when the emulator handles it and when (or whether) its answer arrives.
import type { KubiyaTransport } from '../../../src/kubiya/http.ts';
import { REQUEST_TIMEOUT_MS, type Scheduler } from './scheduler.ts';

function lowerCased(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function pathAndQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** KubiyaHttpOptions.transport for run `run`: its own request timeout stays KubiyaHttp's. */
export function kubiyaTransport(scheduler: Scheduler, run: string): KubiyaTransport {
  return async (method, url, headers, body) => {
    const { answer } = scheduler.submit(run, 'kubiya', { method, url: pathAndQuery(url), headers: lowerCased(headers), body: body ?? '' });
    return answer;
  };
}

/**
 * GitHubClientOptions.fetch for run `run`. guardedFetch's AbortSignal.timeout runs on Node's internal timers,
 * which fake timers do not reach, so the 30 s timeout is kept here, on the virtual clock.
 */
export function gitHubFetch(scheduler: Scheduler, run: string): typeof fetch {
  return (async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const { exchange, answer } = scheduler.submit(run, 'github', {
      method: (init.method ?? 'GET').toUpperCase(),
      url: pathAndQuery(url),
      headers: lowerCased(init.headers ?? {}),
      body: typeof init.body === 'string' ? init.body : '',
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        exchange.abandoned = true;
        reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      }, REQUEST_TIMEOUT_MS);
    });
    try {
      const got = await Promise.race([answer, timeout]);
      const empty = got.status === 204 || got.status === 304;
      return new Response(empty ? null : got.text, { status: got.status, headers: got.headers });
    } catch (error) {
      if (error instanceof DOMException) throw error;
      throw new TypeError('fetch failed', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }) as unknown as typeof fetch;
}
