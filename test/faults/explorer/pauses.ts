// A run's runner may pause: its process stops (a preempted or live-migrated VM, a suspended machine, a starved CI
// host) and resumes minutes later, while the other run and the servers go on. This is what the write deadline
// (WriteOptions.sendBy, on a monotonic clock) is for: once the runner resumes, the write of a key minted before the
// pause must not be sent, since an overlapping run may by then have minted a key more than W newer and revoked it.
//
// Model: the runner pauses as it reads the answer to one of its requests (drawn per run). Until it resumes, that
// answer and every other one wait, no request leaves, and its waits (backoffs, the re-list delay) end no earlier.
// Its clients' timers still fire meanwhile: a request whose client gave up is never sent, and an answer its client
// stopped waiting for is lost — as on a resumed process, whose overdue timers fire before it reads its sockets.
import type { Scheduler } from './scheduler.ts';

const MINUTE = 60_000;
/** per seed, the chance that a run's runner pauses once */
const PAUSE_CHANCES = [0, 0.5, 1];

interface Pause {
  /** it pauses as it reads this answer (1: the first) */
  atAnswer: number;
  ms: number;
  /** when it resumes, once paused (virtual ms) */
  until?: number;
}

/** What a run's transports and waits ask of its runner. */
export interface Runner {
  /** Resolves when a request may leave; false when its client gave up meanwhile (nothing is sent). */
  sending(signal?: AbortSignal): Promise<boolean>;
  /** Resolves when an answer (or a network error) is read: the runner may pause on this one. */
  reading(): Promise<void>;
  /** The run's wait of `ms`, which ends no earlier than the runner resumes. */
  sleep(ms: number): Promise<void>;
}

export class RunnerPauses {
  readonly #scheduler: Scheduler;
  readonly #random: () => number;
  readonly #chance: number;

  /** `random`: a stream of its own, so that the scheduler's choices are those of a world without pauses. */
  constructor(scheduler: Scheduler, random: () => number) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#chance = PAUSE_CHANCES[Math.floor(random() * PAUSE_CHANCES.length)]!;
  }

  /** The runner of run `label` if it pauses (once, as it reads one of its first 10 answers, for 1 to 20 minutes). */
  runner(label: string): Runner | undefined {
    if (this.#chance === 0 || this.#scheduler.clean || this.#random() >= this.#chance) return undefined;
    const pause: Pause = { atAnswer: 1 + Math.floor(this.#random() * 10), ms: MINUTE + Math.floor(this.#random() * 19 * MINUTE) };
    let answers = 0;
    const resumed = (): Promise<void> => {
      const left = (pause.until ?? 0) - Date.now();
      return left > 0 ? new Promise((resolve) => setTimeout(resolve, left)) : Promise.resolve();
    };
    return {
      sending: async (signal) => {
        await resumed();
        return !signal?.aborted;
      },
      reading: async () => {
        answers += 1;
        if (answers === pause.atAnswer) {
          pause.until = Date.now() + pause.ms;
          this.#scheduler.count('runner paused 1-20 min');
          this.#scheduler.note(`run ${label}'s runner pauses ${(pause.ms / MINUTE).toFixed(1)} min as it reads answer ${answers}`);
          setTimeout(() => this.#scheduler.note(`run ${label}'s runner resumes`), pause.ms);
        }
        await resumed();
      },
      sleep: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        await resumed();
      },
    };
  }
}
