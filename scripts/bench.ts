// npm run bench: what one rotation costs, measured against the emulators with injected latency.
// Reports; asserts nothing. Compare the table across commits.
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

const width = Math.max(...rows.map((row) => row.measure.length));
console.log(`kubiya/api-key-action bench — median of ${RUNS} runs\n`);
for (const row of rows) console.log(`${row.measure.padEnd(width)}  ${row.value.padStart(8)}   ${row.note}`);
