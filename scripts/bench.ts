// npm run bench: what one rotation costs, measured against the emulators with injected latency, and
// how much of the fault matrix it survives. Reports; asserts nothing. Compare the table across commits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultMatrixSurvival } from '../test/faults/survival.ts';
import type { RequestRecord } from '../test/sandbox/http-emulator.ts';
import { startSandbox } from '../test/sandbox/sandbox.ts';

const LATENCY_MS = 100;
const RUNS = 5;

/** The longest chain of requests where each starts after the previous one ended: sequential round trips. */
export function sequentialRoundTrips(requests: Pick<RequestRecord, 'startedAt' | 'endedAt'>[]): number {
  const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
  const chain: number[] = [];
  sorted.forEach((request, i) => {
    let longest = 0;
    for (let j = 0; j < i; j++) if ((sorted[j]!.endedAt ?? Infinity) <= request.startedAt) longest = Math.max(longest, chain[j]!);
    chain.push(longest + 1);
  });
  return Math.max(0, ...chain);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rows: { measure: string; value: string; note: string }[] = [];
const sandbox = await startSandbox({ kubiya: { latencyMs: LATENCY_MS }, github: { latencyMs: LATENCY_MS } });
try {
  const trips: number[] = [];
  const requests: number[] = [];
  const walls: number[] = [];
  const coldStarts: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    sandbox.kubiya.clearRequests();
    sandbox.github.clearRequests();
    const { main } = await sandbox.run({ runId: String(2000 + run) });
    if (main.exitCode !== 0) throw new Error(`rotation ${run} failed:\n${main.stdout}${main.stderr}`);
    const log = [...sandbox.kubiya.requests, ...sandbox.github.requests];
    trips.push(sequentialRoundTrips(log));
    requests.push(log.length);
    walls.push(main.durationMs);
    coldStarts.push(Math.min(...log.map((request) => request.startedAt)) - main.startedAt);
  }
  rows.push(
    {
      measure: 'sequential round trips / rotation',
      value: String(median(trips)),
      note: 'floor 5: auth∥public key∥list → mint → verify∥list → PUT → revoke',
    },
    { measure: 'requests / rotation', value: String(median(requests)), note: 'with one superseded key to revoke (after the first run)' },
    {
      measure: 'rotation wall time',
      value: `${Math.round(median(walls))} ms`,
      note: `process start to exit, ${LATENCY_MS} ms latency per request`,
    },
    {
      measure: 'cold start',
      value: `${Math.round(median(coldStarts))} ms`,
      note: 'process start to first request (dist/index.js on Node 24)',
    },
  );
} finally {
  await sandbox.close();
}

// ---- fan-out: rotations of 10 and 100 repositories in one run -------------------------------------
// 20 ms per request and GitHub's documented secondary limits (80 content-creating requests a minute, 100
// concurrent). The floor is set by the write spacing of @octokit/plugin-throttling (one write a second,
// GitHub's advice for mutating requests): (N - 1) s, plus one rotation's five round trips.
const FAN_OUT_LATENCY_MS = 20;
for (const count of [10, 100]) {
  const repositories = Array.from({ length: count }, (_, i) => `acme/repo-${String(i + 1).padStart(3, '0')}`);
  const fanOut = await startSandbox({
    repositories,
    kubiya: { latencyMs: FAN_OUT_LATENCY_MS },
    github: { latencyMs: FAN_OUT_LATENCY_MS, rateLimit: { secondary: { maxConcurrent: 100, writesPerMinute: 80 } } },
  });
  try {
    const { main } = await fanOut.run({ runId: '3000', inputs: { repositories: repositories.join('\n') }, timeoutMs: 600_000 });
    if (main.exitCode !== 0) throw new Error(`fan-out over ${count} repositories failed:\n${main.stdout}${main.stderr}`);
    const floorMs = (count - 1) * 1000 + 5 * FAN_OUT_LATENCY_MS;
    const requests = fanOut.kubiya.requests.length + fanOut.github.requests.length;
    rows.push(
      {
        measure: `fan-out, ${count} repositories: wall time`,
        value: `${(main.durationMs / 1000).toFixed(1)} s`,
        note: `floor ${(floorMs / 1000).toFixed(1)} s (write spacing); ${requests} requests, ${FAN_OUT_LATENCY_MS} ms latency`,
      },
      {
        measure: `fan-out, ${count} repositories: rate-limit hits`,
        value: String(fanOut.github.rateLimitHits + fanOut.github.primaryRateLimitHits),
        note: 'secondary + primary rate-limit responses from GitHub (goal: 0)',
      },
    );
  } finally {
    await fanOut.close();
  }
}

// ---- fault matrix: a fault at every request of a clean rotation (test/faults) -------------------------
const survival = await faultMatrixSurvival();
for (const row of survival) {
  rows.push({
    measure: `fault matrix, ${row.scenario}: ${row.kind}`,
    value: `${row.survived}/${row.total}`,
    note: `survived; ${row.what}${row.total === row.requests ? '' : ` (at ${row.total} of the K = ${row.requests} requests)`}`,
  });
}

// ---- interleaving explorer: racing rotations of one slot, in virtual time (test/faults/explorer) ----------
const reportDir = mkdtempSync(join(tmpdir(), 'kubiya-explorer-'));
try {
  const reportPath = join(reportDir, 'report.json');
  // The explorer's "0 broken" tests fail while the rotation breaks the invariant: the report is read either way.
  spawnSync(join('node_modules', '.bin', 'vitest'), ['run', 'test/faults/rotation-interleavings.test.ts'], {
    env: { ...process.env, KUBIYA_EXPLORER_REPORT: reportPath },
    stdio: 'ignore',
  });
  const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
    cases: Record<
      string,
      { explored: number; broken: number; harnessErrors: number; seconds: number; examples: { reproduction: string }[] }
    >;
  };
  for (const [name, counts] of Object.entries(report.cases)) {
    rows.push({
      measure: `interleavings, ${name}: explored / broken`,
      value: `${counts.explored}/${counts.broken}`,
      note:
        `goal: 0 broken; ${counts.seconds} s` +
        (counts.harnessErrors ? `; ${counts.harnessErrors} harness errors` : '') +
        (counts.examples[0] ? `; e.g. ${counts.examples[0].reproduction}` : ''),
    });
  }
} catch (error) {
  rows.push({ measure: 'interleavings', value: 'n/a', note: `the explorer wrote no report: ${(error as Error).message}` });
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}

const width = Math.max(...rows.map((row) => row.measure.length));
console.log(`kubiya/api-key-action bench — median of ${RUNS} runs; fault matrix: one run per request and kind\n`);
for (const row of rows) console.log(`${row.measure.padEnd(width)}  ${row.value.padStart(8)}   ${row.note}`);
const lost = survival.flatMap((row) => row.lost.map((where) => `${row.scenario}, ${row.kind}: ${where}`));
if (lost.length > 0) console.log(`\nfault-matrix runs that broke the invariant:\n${lost.map((line) => `  ${line}`).join('\n')}`);
