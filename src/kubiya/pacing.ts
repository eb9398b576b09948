// Kubiya's rate limit as one client meets it. Before any 429 requests go out as they come. A 429 pauses every
// request of the client for its Retry-After (else the backoff), and from then on they leave one at a time,
// `interval` apart:
// - the first interval is learned from the limit: the pause divided by the requests Kubiya answered in the pause's
//   length before the 429 (2 answered in the second before a `Retry-After: 1`: one request every 500 ms);
// - a 429 to a request sent at the current pace doubles the interval (capped at the longest wait a client honours)
//   and pauses again; a 429 to a request sent before the last change of pace was part of our own burst and changes
//   nothing;
// - each request answered otherwise takes a tenth off the interval, so the pace creeps back up to the limit; below
//   10 ms pacing ends.
// A 429 a request meets is not one of its retries: it waits for its turn again. What bounds a server that answers
// 429 for ever is `strikes`: 429s in a row at the current pace, with no answer in between. Past the retries a
// request has (3), the client gives up on Kubiya for the rest of the run and every request fails at once.
import type { RetryPolicy } from '../retry.ts';

const MIN_INTERVAL_MS = 10;
const EASE = 0.9;

export class Pacer {
  /** ms between two requests; 0: not paced */
  private interval = 0;
  /** no request leaves before this: the pause the last 429 asked for */
  private resumeAt = 0;
  /** when the next request may leave */
  private nextAt = 0;
  /** the pace's number, changed by each 429 that changes it: a request sent under an older number was early */
  private pace = 0;
  private strikes = 0;
  private gaveUp = false;
  /** when recent answers (not 429) came, to learn the first interval from */
  private readonly answers: number[] = [];
  /** the requests waiting for their turn: a change of pace wakes them to take a turn at the new pace */
  private readonly waiting = new Set<() => void>();

  private readonly policy: Pick<RetryPolicy, 'retries' | 'maxRetryAfterMs'>;

  constructor(policy: Pick<RetryPolicy, 'retries' | 'maxRetryAfterMs'>) {
    this.policy = policy;
  }

  /** Waits for a request's turn; returns the pace it leaves at, or undefined once the client has given up. */
  async turn(): Promise<number | undefined> {
    for (;;) {
      if (this.gaveUp) return undefined;
      const pace = this.pace;
      const now = Date.now();
      const at = Math.max(now, this.resumeAt, this.nextAt);
      if (this.interval > 0) this.nextAt = at + this.interval;
      if (at > now) await this.wait(at - now);
      if (pace === this.pace) return pace;
    }
  }

  /** A 429 to a request sent at `pace`, asking for `waitMs`; false when the client gives up. */
  limited(pace: number, waitMs: number): boolean {
    if (this.gaveUp) return false;
    if (pace !== this.pace) return true;
    const now = Date.now();
    if (this.interval > 0) this.strikes += 1;
    this.gaveUp = this.strikes > this.policy.retries;
    if (!this.gaveUp) {
      const answered = this.answers.filter((at) => at > now - waitMs).length;
      const interval = this.interval > 0 ? this.interval * 2 : waitMs / Math.max(1, answered);
      this.interval = Math.min(this.policy.maxRetryAfterMs, Math.max(MIN_INTERVAL_MS, interval));
      this.resumeAt = Math.max(this.resumeAt, now + waitMs);
      this.nextAt = this.resumeAt;
    }
    this.pace += 1;
    for (const wake of [...this.waiting]) wake();
    return !this.gaveUp;
  }

  /** A request sent at `pace` was answered (anything but a 429). */
  answered(pace: number): void {
    const now = Date.now();
    this.answers.push(now);
    while (this.answers[0]! < now - this.policy.maxRetryAfterMs) this.answers.shift();
    this.strikes = 0;
    if (pace !== this.pace || this.interval === 0) return;
    this.interval *= EASE;
    if (this.interval < MIN_INTERVAL_MS) this.interval = this.nextAt = 0;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiting.add(wake);
    });
  }
}
