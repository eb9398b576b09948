// The deterministic scheduler: every in-process request is two events — the server handles it (state
// changes), then its answer reaches the client — and time moves only when the scheduler fires a timer or
// takes a delay (vitest fake timers: one virtual clock for the runs and both emulators). At each quiescent
// point a seeded PRNG picks the next event, so a seed replays one interleaving exactly.
//
// Model of the network: a request may be handled any time within its client's timeout (30 s) after it was
// sent — later, its client has given up and the spec's timeout argument says it can no longer land, so it
// is dropped. An answer may be lost (handled, the client sees a network error) and a request may be reset
// before the server sees it. Delays advance the clock through the timers in order, mostly by seconds and
// rarely by minutes (past W/2 and W), while the servers handle nothing.
import { vi } from 'vitest';
import { mulberry32, type DispatchOutcome, type DispatchRequest, type Fault, type HttpEmulator } from '../../sandbox/http-emulator.ts';

/** The timers vitest fakes for the explorer; setImmediate, nextTick and queueMicrotask stay real (quiescence). */
export const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] as const;

export const REQUEST_TIMEOUT_MS = 30_000;
const MINUTE = 60_000;

export type Server = 'kubiya' | 'github' | 'gitlab';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** A request between a client and a server, and where it is in its two events. */
export interface Exchange {
  id: number;
  /** the run that sent it (A, B, C) */
  run: string;
  server: Server;
  request: DispatchRequest;
  path: string;
  sentAt: number;
  stage: 'sent' | 'handled' | 'done';
  outcome?: DispatchOutcome;
  /** the client stopped waiting (its own timeout fired): delivering the answer changes nothing */
  abandoned: boolean;
  settle(answer: Answer | Error): void;
}

/** How eventful one interleaving is: drawn from its seed, so some schedules are calm and some are stormy. */
export interface Profile {
  /** weight of each fault choice (reset, lost answer, 500, 429) against 1 for handling a request */
  faults: number;
  /** weight of letting up to 2 s pass while requests are waiting (backoffs and write spacing can end) */
  timers: number;
  /** weight of a virtual delay */
  delays: number;
}

export interface Choice {
  label: string;
  weight: number;
  apply: () => Promise<void>;
}

/** Counters of what a schedule injected, for the tally. */
export type Injected =
  | 'lost answer'
  | 'lost create answer'
  | 'lost PUT answer'
  | 'reset before the server'
  | '500'
  | '500 on a PUT after a lost PUT'
  | '429'
  | 'dropped after its timeout'
  | 'delay ≤ 5 s'
  | 'delay 1-12 min'
  | 'runner paused 1-20 min';

export class Scheduler {
  readonly random: () => number;
  readonly profile: Profile;
  readonly exchanges: Exchange[] = [];
  readonly trace: string[] = [];
  readonly injected = new Map<Injected, number>();
  /** FIFO, no faults, no delays: the closing clean rotation */
  clean = false;
  /** bumped on every arrival and every settled run: quiescence is when it stops moving */
  version = 0;
  readonly #emulators: Record<Server, HttpEmulator>;
  readonly #startedAt = Date.now();
  #nextId = 1;
  /** runs whose PUT answer was lost: their next PUTs are likely to get a 500 */
  readonly #lostPut = new Set<string>();
  onHandled: (exchange: Exchange) => void = () => {};

  constructor(seed: number, emulators: Record<Server, HttpEmulator>) {
    this.random = mulberry32(seed);
    this.#emulators = emulators;
    const pick = <T>(options: T[]): T => options[Math.floor(this.random() * options.length)]!;
    this.profile = { faults: pick([0, 0.01, 0.03, 0.08]), timers: pick([0.02, 0.1, 0.3]), delays: pick([0, 0.01, 0.04]) };
  }

  /** Virtual milliseconds since the scheduler started, for the trace. */
  elapsed(): string {
    return `+${((Date.now() - this.#startedAt) / 1000).toFixed(3)}s`;
  }

  note(line: string): void {
    this.trace.push(`${this.elapsed()} ${line}`);
  }

  count(what: Injected): void {
    this.injected.set(what, (this.injected.get(what) ?? 0) + 1);
  }

  /** Called by the in-process transports: the request waits for the scheduler. */
  submit(run: string, server: Server, request: DispatchRequest): { exchange: Exchange; answer: Promise<Answer> } {
    let settle!: (answer: Answer | Error) => void;
    const answer = new Promise<Answer>((resolve, reject) => {
      let settled = false;
      settle = (value) => {
        if (settled) return;
        settled = true;
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
    });
    const exchange: Exchange = {
      id: this.#nextId++,
      run,
      server,
      request,
      path: new URL(request.url, 'http://x.invalid').pathname,
      sentAt: Date.now(),
      stage: 'sent',
      abandoned: false,
      settle,
    };
    this.exchanges.push(exchange);
    this.version += 1;
    return { exchange, answer };
  }

  /** Let every microtask, nextTick and immediate run, and every timer due now fire, until nothing moves. */
  async quiesce(): Promise<void> {
    let stable = 0;
    while (stable < 2) {
      const before = this.version;
      vi.advanceTimersByTime(0);
      await new Promise((resolve) => setImmediate(resolve));
      stable = this.version === before ? stable + 1 : 0;
    }
  }

  /**
   * Runs events until `done()`; `check(label)` after every one. Throws when nothing can move (a deadlock
   * of the harness) or after `maxEvents`.
   */
  async drive(done: () => boolean, check: (label: string) => void, maxEvents = 4_000): Promise<void> {
    for (let events = 0; ; events++) {
      await this.quiesce();
      if (done()) return;
      if (events >= maxEvents) throw new Error(`no end after ${maxEvents} events`);
      this.#expire();
      const choices = this.#choices();
      if (choices.length === 0) throw new Error('deadlock: no request, answer or timer pending, and the runs have not ended');
      const choice = this.clean ? choices[0]! : this.#pick(choices);
      this.note(choice.label);
      await choice.apply();
      await this.quiesce();
      check(choice.label);
    }
  }

  #pick(choices: Choice[]): Choice {
    const total = choices.reduce((sum, choice) => sum + choice.weight, 0);
    let roll = this.random() * total;
    for (const choice of choices) {
      roll -= choice.weight;
      if (roll < 0) return choice;
    }
    return choices[choices.length - 1]!;
  }

  /** A request its client gave up on can no longer land: the server never sees it. */
  #expire(): void {
    for (const exchange of this.exchanges) {
      if (exchange.stage !== 'sent' || Date.now() - exchange.sentAt <= REQUEST_TIMEOUT_MS) continue;
      exchange.stage = 'done';
      exchange.abandoned = true;
      this.count('dropped after its timeout');
      this.note(`${describe(exchange)} dropped: its client timed out before the server took it`);
      void this.#emulators[exchange.server].dispatch(exchange.request, { kind: 'reset' });
      exchange.settle(networkError('timed out'));
    }
  }

  #choices(): Choice[] {
    const choices: Choice[] = [];
    const live = this.exchanges.filter((exchange) => exchange.stage !== 'done');
    // Answers first and in order when clean: FIFO.
    for (const exchange of live.filter((candidate) => candidate.stage === 'handled')) {
      choices.push({ label: `${describe(exchange)} answer delivered`, weight: 1, apply: async () => this.#deliver(exchange) });
    }
    for (const exchange of live.filter((candidate) => candidate.stage === 'sent')) {
      choices.push({ label: `${describe(exchange)} handled`, weight: 1, apply: () => this.#handle(exchange) });
      if (this.clean) continue;
      const f = this.profile.faults;
      const isPut = exchange.request.method === 'PUT';
      if (f > 0) {
        choices.push(
          { label: `${describe(exchange)} reset before the server`, weight: f, apply: () => this.#handle(exchange, { kind: 'reset' }) },
          {
            label: `${describe(exchange)} handled, answer lost`,
            weight: f,
            apply: () => this.#handle(exchange, { kind: 'lost-response' }),
          },
          {
            label: `${describe(exchange)} answered 429`,
            weight: f / 3,
            apply: () =>
              this.#handle(exchange, {
                kind: 'status',
                status: 429,
                headers: { 'retry-after': String(1 + Math.floor(this.random() * 60)) },
              }),
          },
        );
      }
      const after = isPut && this.#lostPut.has(exchange.run);
      if (f > 0 || after) {
        choices.push({
          label: `${describe(exchange)} answered 500`,
          weight: after ? 1 : f / 2,
          apply: () => this.#handle(exchange, { kind: 'status', status: 500, body: { message: 'Server Error' } }),
        });
      }
    }
    const waiting = choices.length > 0;
    if (!waiting && vi.getTimerCount() > 0) {
      // Nothing to handle or answer: the runs wait for a timer (a backoff, the write spacing, a start).
      choices.push({ label: 'next timer fired', weight: 1, apply: async () => void vi.advanceTimersToNextTimer() });
    }
    if (this.clean) return choices;
    if (waiting) {
      // Latency: time passes (backoffs and write spacing may end) while the servers take nothing.
      const ms = 1 + Math.floor(this.random() * 2_000);
      choices.push({ label: `${ms} ms pass`, weight: this.profile.timers, apply: () => this.#delay(ms, 'latency') });
    }
    if (this.profile.delays > 0) {
      const big = this.random() < 0.2;
      const ms = big ? MINUTE + Math.floor(this.random() * 11 * MINUTE) : 100 + Math.floor(this.random() * 4_900);
      choices.push({
        label: `delay ${(ms / 1000).toFixed(1)} s`,
        weight: this.profile.delays,
        apply: () => this.#delay(ms, big ? 'delay 1-12 min' : 'delay ≤ 5 s'),
      });
    }
    return choices;
  }

  async #handle(exchange: Exchange, fault?: Fault): Promise<void> {
    exchange.stage = 'handled';
    const { method } = exchange.request;
    if (fault?.kind === 'reset') this.count('reset before the server');
    if (fault?.kind === 'lost-response') {
      this.count('lost answer');
      if (method === 'POST') this.count('lost create answer');
      if (method === 'PUT') {
        this.count('lost PUT answer');
        this.#lostPut.add(exchange.run);
      }
    }
    if (fault?.kind === 'status') {
      if (fault.status === 429) this.count('429');
      else this.count(method === 'PUT' && this.#lostPut.has(exchange.run) ? '500 on a PUT after a lost PUT' : '500');
    }
    exchange.outcome = await this.#emulators[exchange.server].dispatch(exchange.request, fault);
    this.onHandled(exchange);
    if (exchange.abandoned) exchange.stage = 'done';
  }

  #deliver(exchange: Exchange): void {
    exchange.stage = 'done';
    const outcome = exchange.outcome!;
    if (outcome.kind === 'response') exchange.settle({ status: outcome.status, headers: outcome.headers, text: outcome.text });
    else exchange.settle(networkError(outcome.kind === 'reset' ? 'read ECONNRESET' : 'socket hang up'));
  }

  /** The clock moves `ms` through the timers in order; the servers take nothing meanwhile. */
  async #delay(ms: number, what: Injected | 'latency'): Promise<void> {
    if (what !== 'latency') this.count(what);
    let over = false;
    setTimeout(() => {
      over = true;
    }, ms);
    while (!over) {
      vi.advanceTimersToNextTimer();
      await this.quiesce();
      this.#expire();
    }
  }
}

export function describe(exchange: Exchange): string {
  const query = exchange.request.url.includes('?') ? `?${exchange.request.url.split('?')[1]}` : '';
  return `#${exchange.id} ${exchange.run} ${exchange.server} ${exchange.request.method} ${exchange.path}${query}`;
}

function networkError(reason: string): Error {
  return Object.assign(new Error(reason), { code: reason.includes('ECONNRESET') ? 'ECONNRESET' : 'ETIMEDOUT' });
}
