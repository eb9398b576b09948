// The rotation invariant over 1,000+ deterministic interleavings per case: the real rotate(), KubiyaClient and
// GitHubSecretStore over createOctokit (or, case gitlab-two-runs, the GitLab variable store over its own client),
// against the real emulators' handlers, in-process and in virtual time (test/faults/explorer). No workflow concurrency group: the spec's in-flight window (W = 10 min) and
// duplicate rules must keep the invariant whatever the order of events. In every case a run's runner may also
// pause for minutes (explorer/pauses.ts): the write deadline is what keeps the invariant then.
//
// A broken interleaving prints a one-line reproduction (SEED=… CASE=… npx vitest run …), which runs that
// seed alone and prints its whole schedule and the runs' logs. KUBIYA_EXPLORER_SEEDS sets the count per case;
// KUBIYA_EXPLORER_REPORT=path writes the per-case counts as JSON (scripts/bench.ts reads it).
//
// The "breaks the invariant in none" tests are meant to fail until the in-flight window and duplicate rules
// (README "Overlapping runs") are implemented in src/rotation.ts and src/revocation.ts.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CASES, explore, ready, reproduction, type Interleaving } from './explorer/explore.ts';
import { FAKED } from './explorer/scheduler.ts';

const SEED = process.env['SEED'] ? Number(process.env['SEED']) : undefined;
const ONLY = process.env['CASE'];
const COUNT = Number(process.env['KUBIYA_EXPLORER_SEEDS']) || 1_000;
const REPORT = process.env['KUBIYA_EXPLORER_REPORT'];

interface CaseReport {
  explored: number;
  broken: number;
  harnessErrors: number;
  seconds: number;
  tally: Record<string, number>;
  /** reproductions of the first broken interleavings */
  examples: { reproduction: string; violations: string[] }[];
}

const reports: Record<string, CaseReport> = {};

/** What sort of violation, for the tally (counted once per broken interleaving). */
function kindOf(violation: string): string {
  if (violation.startsWith('final: ')) return 'after the clean rotation';
  if (/which was revoked|Kubiya does not know/.test(violation)) return 'the secret held a revoked key';
  if (/no rule explains it/.test(violation)) return 'a minted key leaked';
  if (/not flagged by writeUnknown/.test(violation)) return 'an unknown PUT without writeUnknown';
  if (/stepped back/.test(violation)) return 'a step back misbehaved';
  return 'other';
}

beforeAll(async () => {
  await ready();
  vi.useFakeTimers({ toFake: [...FAKED] });
});

afterAll(() => {
  vi.useRealTimers();
  if (REPORT) writeFileSync(REPORT, `${JSON.stringify({ seedsPerCase: SEED === undefined ? COUNT : 1, cases: reports }, null, 2)}\n`);
});

for (const testCase of CASES) {
  describe.skipIf(ONLY !== undefined && ONLY !== testCase.name)(`${testCase.name}: ${testCase.what}`, () => {
    const report: CaseReport = { explored: 0, broken: 0, harnessErrors: 0, seconds: 0, tally: {}, examples: [] };
    const brokenRuns: Interleaving[] = [];
    const harnessErrors: string[] = [];

    it(`explores ${SEED === undefined ? COUNT : `seed ${SEED}`} seeded interleavings`, { timeout: 300_000 }, async () => {
      reports[testCase.name] = report;
      const seeds = SEED === undefined ? Array.from({ length: COUNT }, (_, i) => i + 1) : [SEED];
      const began = vi.getRealSystemTime();
      for (const seed of seeds) {
        const result = await explore(testCase, seed);
        report.explored += 1;
        for (const entry of result.tally) report.tally[entry] = (report.tally[entry] ?? 0) + 1;
        if (result.harnessError) {
          report.harnessErrors += 1;
          harnessErrors.push(`${reproduction(testCase, seed)}: ${result.harnessError}`);
        } else if (result.violations.length > 0) {
          report.broken += 1;
          brokenRuns.push(result);
          for (const kind of new Set(result.violations.map(kindOf)))
            report.tally[`broken: ${kind}`] = (report.tally[`broken: ${kind}`] ?? 0) + 1;
          if (report.examples.length < 5)
            report.examples.push({ reproduction: reproduction(testCase, seed), violations: result.violations });
        }
        if (SEED !== undefined) {
          console.log(
            `${testCase.name}, seed ${seed}: ${result.harnessError ?? (result.violations.length ? 'BROKEN' : 'held')}\n` +
              `${result.violations.map((violation) => `  violation: ${violation}`).join('\n')}\n${result.trace.join('\n')}`,
          );
        }
      }
      report.seconds = Number(((vi.getRealSystemTime() - began) / 1000).toFixed(1));
      const tally = Object.entries(report.tally)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([what, count]) => `    ${String(count).padStart(5)}  ${what}`);
      const examples = report.examples.map((example) => `    ${example.reproduction}\n      ${example.violations[0]}`);
      console.log(
        `${testCase.name}: ${report.explored} interleavings explored, ${report.broken} broken, ${report.harnessErrors} harness errors ` +
          `(${report.seconds} s)\n${tally.join('\n')}${examples.length ? `\n  broken, e.g.:\n${examples.join('\n')}` : ''}`,
      );
      expect(harnessErrors, 'the explorer itself must reach the end of every schedule').toEqual([]);
      expect(report.explored).toBe(seeds.length);
    });

    it('breaks the invariant in none of them', () => {
      const first = brokenRuns[0];
      const detail = first ? `; first: ${reproduction(testCase, first.seed)}\n${first.violations.join('\n')}` : '';
      expect(report.broken, `broken interleavings${detail}`).toBe(0);
    });
  });
}
