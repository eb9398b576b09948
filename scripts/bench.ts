// npm run bench: what one rotation costs, measured against the emulators with injected latency, and
// how much of the fault matrix it survives. Reports; asserts nothing. Compare the table across commits.
// The table goes to stdout a row at a time, as each measure finishes; what is being done goes to stderr.
import { faultMatrixSurvival } from '../test/faults/survival.ts';
import { useFreshAction } from '../test/sandbox/action-bundle.ts';
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

const progress = (line: string) => console.error(`bench: ${line}`);
const MEASURE_WIDTH = 62;
const rows: { measure: string; value: string; note: string }[] = [];
/** Prints a row of the table as soon as it is measured. */
function report(...measured: typeof rows): void {
  for (const row of measured) {
    rows.push(row);
    console.log(`${row.measure.padEnd(MEASURE_WIDTH)}  ${row.value.padStart(8)}   ${row.note}`);
  }
}

await useFreshAction(progress);
console.log(`kubiya/api-key-action bench — median of ${RUNS} runs; fault matrix: one run per request and kind\n`);
progress(`one rotation, ${RUNS} runs with ${LATENCY_MS} ms latency per request`);
const sandbox = await startSandbox({ kubiya: { latencyMs: LATENCY_MS }, github: { latencyMs: LATENCY_MS } });
try {
  const trips: number[] = [];
  const requests: number[] = [];
  const walls: number[] = [];
  const coldStarts: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    progress(`rotation ${run}/${RUNS}`);
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
  report(
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
      note: 'process start to first request (the built dist/index.js on Node 24)',
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
  progress(`fan-out to ${count} repositories (at least ${count - 1} s: GitHub's write spacing)`);
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
    report(
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
progress('fault matrix: a fault at every request of a clean rotation (vitest, one dot per run)');
const survival = await faultMatrixSurvival({ onOutput: (text) => process.stderr.write(text) });
for (const row of survival) {
  report({
    measure: `fault matrix, ${row.scenario}: ${row.kind}`,
    value: `${row.survived}/${row.total}`,
    note: `survived; ${row.what}${row.total === row.requests ? '' : ` (at ${row.total} of the K = ${row.requests} requests)`}`,
  });
}

progress(`done: ${rows.length} measures`);
const lost = survival.flatMap((row) => row.lost.map((where) => `${row.scenario}, ${row.kind}: ${where}`));
if (lost.length > 0) console.log(`\nfault-matrix runs that broke the invariant:\n${lost.map((line) => `  ${line}`).join('\n')}`);
