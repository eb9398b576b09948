// The in-process transports of one run: its clients' exchanges (Kubiya's, and GitHub's or GitLab's) hand every request to the scheduler, which
// decides when the emulator handles it and when (or whether) its answer arrives. Each client keeps its own
// request timeout (src/http-exchange.ts), on the virtual clock. A paused runner (pauses.ts) sends and reads nothing
// until it resumes.
import type { HttpTransport } from '../../../src/http-exchange.ts';
import type { Runner } from './pauses.ts';
import type { Scheduler, Server } from './scheduler.ts';

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

/** The transport of run `run`'s client of `service`; `runner`: the run's runner, when it pauses (pauses.ts). */
export function transport(scheduler: Scheduler, run: string, service: Server, runner?: Runner): HttpTransport {
  return async (method, url, headers, body, signal) => {
    if (runner && !(await runner.sending(signal))) throw new Error('not sent: its client gave up while the runner was paused');
    const { answer } = scheduler.submit(run, service, { method, url: pathAndQuery(url), headers: lowerCased(headers), body: body ?? '' });
    if (!runner) return answer;
    try {
      return await answer;
    } finally {
      await runner.reading();
    }
  };
}
