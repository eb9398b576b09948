// One seeded interleaving of a case, start to end: two racing runs under the scheduler, the invariant after
// every event and when both have ended, then 7 days later a clean rotation and its closing check.
import sodium from 'libsodium-wrappers';
import { vi } from 'vitest';
import { endViolations, finalViolations, instantViolations, outcomeOf, type Explanation } from './invariant.ts';
import { DAY, World, type RunSpec, type Store } from './world.ts';

export interface Case {
  name: string;
  what: string;
  runs: [RunSpec, RunSpec];
  /** the run (`<id>-<attempt>`) that minted the key the secret holds at the start, 7 days ago */
  previousRun: string;
  /** mixed into each seed, so that cases do not replay the same choices */
  salt: number;
  /** where the key is kept; default a GitHub repository secret */
  store?: Store;
}

export const CASES: Case[] = [
  {
    name: 'two-runs',
    what: 'two runs of one slot (different run ids, no concurrency group)',
    runs: [
      { label: 'A', runId: '100', attempt: '1', job: 'rotate' },
      { label: 'B', runId: '101', attempt: '1', job: 'rotate' },
    ],
    previousRun: '50-1',
    salt: 0,
  },
  {
    name: 'two-jobs',
    what: 'two jobs of one run (same run id and attempt: their keys get the same name)',
    runs: [
      { label: 'A', runId: '100', attempt: '1', job: 'rotate-a' },
      { label: 'B', runId: '100', attempt: '1', job: 'rotate-b' },
    ],
    previousRun: '50-1',
    salt: 0x2545f491,
  },
  {
    name: 'rerun-vs-scheduled',
    what: 'a re-run racing a scheduled run (run 100 attempt 2 vs run 200 attempt 1; attempt 1 minted the held key)',
    runs: [
      { label: 'A', runId: '100', attempt: '2', job: 'rotate' },
      { label: 'B', runId: '200', attempt: '1', job: 'rotate' },
    ],
    previousRun: '100-1',
    salt: 0x68e31da4,
  },
  {
    name: 'gitlab-two-runs',
    what: 'two overlapping rotations of one GitLab CI/CD variable (two pipelines, no resource_group)',
    runs: [
      { label: 'A', runId: '100', attempt: '1001', job: 'rotate' },
      { label: 'B', runId: '101', attempt: '1011', job: 'rotate' },
    ],
    previousRun: '50-501',
    salt: 0x1b873593,
    store: 'gitlab',
  },
];

/** Every interleaving starts at the same virtual instant, so a seed replays exactly. */
export const START = Date.parse('2025-06-02T09:00:00.000Z');
const CLEAN_RUN: RunSpec = { label: 'C', runId: '300', attempt: '1', job: 'rotate' };

export interface Interleaving {
  seed: number;
  violations: string[];
  /** outcomes, explanations and injected events, each counted once per occurrence */
  tally: string[];
  trace: string[];
  /** the explorer itself failed (deadlock, no end): not a verdict on the rotation */
  harnessError?: string;
}

export function reproduction(testCase: Case, seed: number): string {
  return `SEED=${seed} CASE=${testCase.name} npx vitest run test/faults/rotation-interleavings.test.ts`;
}

export async function ready(): Promise<void> {
  await sodium.ready;
}

/** Fake timers must be installed (FAKED in scheduler.ts). */
export async function explore(testCase: Case, seed: number): Promise<Interleaving> {
  vi.clearAllTimers(); // resets the clock too: then START
  vi.setSystemTime(START);
  const world = new World((seed ^ testCase.salt) >>> 0, testCase.previousRun, testCase.store);
  const { scheduler } = world;
  const violations: string[] = [];
  const seen = new Set<string>();
  const checkNow = (label: string): void => {
    for (const violation of instantViolations(world)) {
      if (seen.has(violation)) continue;
      seen.add(violation);
      violations.push(`after "${label}": ${violation}`);
    }
  };
  const tally: string[] = [];
  const explanations: Explanation[] = [];
  let harnessError: string | undefined;
  try {
    // Which run starts first, and how much later the other one starts: often together, sometimes minutes apart.
    const first = scheduler.random() < 0.5 ? 0 : 1;
    const roll = scheduler.random();
    const offset =
      roll < 0.4
        ? 0
        : roll < 0.8
          ? Math.floor(scheduler.random() * 5_000)
          : roll < 0.95
            ? Math.floor(scheduler.random() * 60_000)
            : 60_000 + Math.floor(scheduler.random() * 11 * 60_000);
    world.start(testCase.runs[first]);
    world.start(testCase.runs[1 - first]!, offset);
    const racing = world.runs.slice();
    await scheduler.drive(() => racing.length === 2 && racing.every((run) => run.done), checkNow);
    violations.push(...endViolations(world, explanations));
    for (const run of racing) tally.push(...outcomeOf(run.results?.[0]));
    tally.push(...explanations);
    for (const [what, count] of scheduler.injected) for (let i = 0; i < count; i++) tally.push(`injected: ${what}`);

    // Past W (7 days), one more rotation without faults: it must leave one live key, in the secret.
    // (clearAllTimers also resets the clock to where it was installed.)
    const ended = Date.now();
    vi.clearAllTimers();
    for (const exchange of scheduler.exchanges) exchange.stage = 'done';
    vi.setSystemTime(ended + 7 * DAY);
    scheduler.clean = true;
    scheduler.note('7 days later: a clean rotation');
    const clean = world.start(CLEAN_RUN);
    await scheduler.drive(() => clean.done, checkNow);
    violations.push(...finalViolations(world).map((violation) => `final: ${violation}`));
  } catch (error) {
    harnessError = error instanceof Error ? error.message : String(error);
  }
  const trace = [...scheduler.trace];
  for (const run of world.runs) trace.push(`log of run ${run.spec.label}:`, ...run.log.map((line) => `  ${line}`));
  return { seed, violations, tally, trace, ...(harnessError ? { harnessError } : {}) };
}
