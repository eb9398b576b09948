// npm run bench: what one rotation costs, measured against the emulators with injected latency, and
// how much of the fault matrix it survives. Reports; asserts nothing. Compare the table across commits.
// The table goes to stdout a row at a time, as each measure finishes; what is being done goes to stderr.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { faultMatrixSurvival } from '../test/faults/survival.ts';
import { actionUnderTest, useFreshAction } from '../test/sandbox/action-bundle.ts';
import { startGitLabEmulator, type GitLabEmulator } from '../test/sandbox/gitlab-emulator.ts';
import type { RequestRecord } from '../test/sandbox/http-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../test/sandbox/kubiya-emulator.ts';
import { startSandbox } from '../test/sandbox/sandbox.ts';

const LATENCY_MS = 100;
const RUNS = 5;
// The GitLab section (gitLabRows, below): GitLab.com's authenticated API limit, 2,000 requests a minute a user,
// scaled to a 6 s window (the same rate, a tenth of the burst); and a self-managed instance limited to 600 a minute
// (the same 6 s window), where a run of 100 projects must wait 429s out.
const GITLAB_TOKEN = 'glpat-bench-group-maintainer-01';
const GITLAB_LIMITS = [
  { label: "GitLab.com's limit", requests: 200, periodMs: 6_000 },
  { label: '600 requests/min', requests: 60, periodMs: 6_000 },
];
const GITLAB_PROJECTS = 100;

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

const FAN_OUT_LATENCY_MS_BIG = 20;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rows: { measure: string; value: string; note: string }[] = [];
const WIDTH = 44;
/** Rows are printed as they finish: the fan-out and the fault matrix take minutes. */
function row(measure: string, value: string, note: string): void {
  rows.push({ measure, value, note });
  console.log(`${measure.padEnd(WIDTH)}  ${value.padStart(8)}   ${note}`);
}
const progress = (line: string) => console.error(`bench: ${line}`);
await useFreshAction(progress);
// BENCH_ONLY=kubiya-rate-limit (or cold-start, gitlab) npm run bench: only that section's rows.
const ONLY = process.env['BENCH_ONLY'];
if (ONLY !== undefined && ONLY !== 'kubiya-rate-limit' && ONLY !== 'cold-start' && ONLY !== 'gitlab') {
  throw new Error(`BENCH_ONLY=${ONLY}: the sections it can pick: kubiya-rate-limit, cold-start, gitlab`);
}
if (ONLY === 'kubiya-rate-limit') {
  await kubiyaRateLimitRows();
  process.exit(0);
}
if (ONLY === 'gitlab') {
  await gitLabRows();
  process.exit(0);
}
console.log(`kubiya/api-key-action bench — median of ${RUNS} runs; fault matrix: one run per request and kind\n`);
if (ONLY === undefined) {
  progress(`one rotation, ${RUNS} runs with ${LATENCY_MS} ms latency per request`);
  const sandbox = await startSandbox({ kubiya: { latencyMs: LATENCY_MS }, github: { latencyMs: LATENCY_MS } });
  try {
    const trips: number[] = [];
    const requests: number[] = [];
    const walls: number[] = [];
    const coldStarts: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      progress(`rotation ${run}/${RUNS}`);
      // A week between rotations, as a weekly schedule runs them: the previous key is past the in-flight window.
      sandbox.kubiya.passTime(7 * 86_400_000);
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
    pushRows(
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
}

// ---- cold start: CPU and peak memory of each entry and mode, against `node -e 0` run alternately ----------
// A preloaded module writes the process's CPU time (user + system) and max RSS at exit, and its CPU time at its
// first outgoing connection (start-up: everything loaded before the first request). `node -e 0` runs with the
// same preload, in turn with each run, so a drift of the machine's speed cancels out in the ratio.
const COLD_RUNS = 15;
// The whole rotation's goal: its CPU before the cold-start work (5.9x node -e 0, ncc bundle) cut by the same margin
// as the start-up goal cuts start-up (4.5x -> 2.6x).
const GOALS = { main: 2.6, post: 2, peakMiB: 55, rotation: Math.round(5.9 * (2.6 / 4.5) * 10) / 10 };
const coldDir = mkdtempSync(path.join(tmpdir(), 'bench-cold-'));
// The process's own peak RSS. Not resourceUsage().maxRSS: Linux carries the high-water mark across fork and exec, so a
// child spawned by a large parent (this bench) reports the parent's peak; VmHWM belongs to the child's own memory.
const HIGH_WATER_MARK = [
  'const highWaterKiB = () => {',
  "  try { return Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]); }",
  '  catch { return process.resourceUsage().maxRSS; }',
  '};',
].join('\n');
const coldProbe = path.join(coldDir, 'probe.mjs');
writeFileSync(
  coldProbe,
  [
    "import { readFileSync, writeFileSync } from 'node:fs';",
    "import { subscribe } from 'node:diagnostics_channel';",
    HIGH_WATER_MARK,
    'const cpu = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };',
    'let firstRequestCpu;',
    "subscribe('net.client.socket', () => { firstRequestCpu ??= cpu(); });",
    "process.on('exit', () => writeFileSync(process.env.BENCH_COLD_FILE, JSON.stringify({ cpu: cpu(), firstRequestCpu, maxRssKiB: highWaterKiB() })));",
  ].join('\n'),
);
interface ColdSample {
  cpu: number;
  firstRequestCpu?: number;
  maxRssKiB: number;
}
const coldEnv = (file: string) => ({ NODE_OPTIONS: `--import=${pathToFileURL(coldProbe).href}`, BENCH_COLD_FILE: file });
function baseline(): ColdSample {
  const file = path.join(coldDir, 'baseline.json');
  spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, ...coldEnv(file) } });
  return JSON.parse(readFileSync(file, 'utf8')) as ColdSample;
}
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const ratio = (value: number) => `${value.toFixed(2)}×`;
try {
  const { actionUnderTest } = await import('../test/sandbox/action-bundle.ts');
  const dist = path.join(actionUnderTest(), 'dist');
  // Inputs missing: the bundle is loaded and stops at the first input error (main), or finds nothing to revoke (post).
  for (const [entry, goal] of [
    ['index.js', GOALS.main],
    ['post.js', GOALS.post],
  ] as const) {
    progress(`cold start of dist/${entry}, inputs missing, ${COLD_RUNS} runs against node -e 0`);
    const ratios: number[] = [];
    const peaks: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const file = path.join(coldDir, 'entry.json');
      spawnSync(process.execPath, [path.join(dist, entry)], { env: { PATH: process.env['PATH'], ...coldEnv(file) } });
      const sample = JSON.parse(readFileSync(file, 'utf8')) as ColdSample;
      ratios.push(sample.cpu / baseline().cpu);
      peaks.push(sample.maxRssKiB);
    }
    row(
      `cold start, ${entry === 'index.js' ? 'main' : 'post'} (inputs missing): CPU`,
      ratio(median(ratios)),
      `× node -e 0; goal ≤ ${goal}×`,
    );
    row(
      `cold start, ${entry === 'index.js' ? 'main' : 'post'} (inputs missing): peak`,
      mib(median(peaks)),
      `max RSS; goal ≤ ${GOALS.peakMiB} MiB (node -e 0: ${mib(baseline().maxRssKiB)})`,
    );
  }
  // Each mode against the emulators (no latency): CPU to the first request, CPU of the whole step, peak memory.
  const cold = await startSandbox();
  try {
    const modes = [
      ['rotate', {}],
      ['mint', { mode: 'mint', 'github-token': '' }],
      ['revoke', { mode: 'revoke', 'github-token': '' }],
      // On every CI job's path: one Kubiya request, neither Octokit nor libsodium; its goal is the post step's.
      ['check', { mode: 'check', 'api-key': cold.adminKey, 'admin-api-key': '', 'github-token': '' }],
    ] as const;
    for (const [mode, inputs] of modes) {
      progress(`cold start of mode ${mode}, ${COLD_RUNS} runs against node -e 0`);
      const first: number[] = [];
      const whole: number[] = [];
      const peaks: number[] = [];
      const post: number[] = [];
      for (let i = 0; i < COLD_RUNS; i++) {
        // A week between rotations: each one revokes the key before it. Only rotations: the emulator's admin key lives a year.
        if (mode === 'rotate') cold.kubiya.passTime(7 * 86_400_000);
        const [mainFile, postFile] = [path.join(coldDir, 'main.json'), path.join(coldDir, 'post.json')];
        const job = await cold.run({ runId: String(5000 + i), inputs, env: coldEnv(mainFile), post: { env: coldEnv(postFile) } });
        if (job.main.exitCode !== 0) throw new Error(`mode ${mode} failed:\n${job.main.stdout}${job.main.stderr}`);
        const sample = JSON.parse(readFileSync(mainFile, 'utf8')) as ColdSample;
        const base = baseline().cpu;
        first.push((sample.firstRequestCpu ?? sample.cpu) / base);
        whole.push(sample.cpu / base);
        peaks.push(sample.maxRssKiB);
        if (mode === 'mint') post.push((JSON.parse(readFileSync(postFile, 'utf8')) as ColdSample).cpu / baseline().cpu);
      }
      row(`mode ${mode}: CPU to the first request`, ratio(median(first)), `× node -e 0; goal ≤ ${GOALS.main}×`);
      row(
        `mode ${mode}: CPU of the whole step`,
        ratio(median(whole)),
        `× node -e 0${mode === 'rotate' ? `; a complete rotation against the emulators; goal ≤ ${GOALS.rotation}×` : ''}` +
          (mode === 'check' ? `; goal ≤ ${GOALS.post}×, the post step's (one request, like it)` : ''),
      );
      row(`mode ${mode}: peak memory`, mib(median(peaks)), `max RSS; goal ≤ ${GOALS.peakMiB} MiB`);
      if (post.length) row('post step revoking the minted key: CPU', ratio(median(post)), `× node -e 0; goal ≤ ${GOALS.post}× (start-up)`);
    }
  } finally {
    await cold.close();
  }
} finally {
  rmSync(coldDir, { recursive: true, force: true });
}

if (ONLY === 'cold-start') process.exit(0);

// ---- one rotation against an organization of 50,000 keys: one 15 MB answer, then paged -------------------
// Peak memory is the action process's maximum resident set size, written at exit by a preloaded module.
const BIG_ORG = 50_000;
const probeDir = mkdtempSync(path.join(tmpdir(), 'bench-rss-'));
const preload = path.join(probeDir, 'max-rss.mjs');
writeFileSync(
  preload,
  [
    "import { readFileSync, writeFileSync } from 'node:fs';",
    HIGH_WATER_MARK,
    "process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(highWaterKiB())));",
    '',
  ].join('\n'),
);
try {
  for (const paging of [undefined, { pageSize: 500, label: '500 a page by next_page numbers' }] as const) {
    progress(`one rotation against ${BIG_ORG} listed keys, ${paging ? paging.label : 'in one answer'}`);
    const big = await startSandbox({ kubiya: { latencyMs: FAN_OUT_LATENCY_MS_BIG } });
    try {
      for (let i = 0; i < BIG_ORG - 1; i++) {
        big.kubiya.seedKey({ userEmail: 'ci-bot@acme.test', name: `gha:acme/repo-${i % 1000}:KUBIYA_API_KEY:run-${i}-1` });
      }
      if (paging) Object.assign(big.kubiya.options, { pageSize: paging.pageSize, paging: 'next_page', pageLinks: 'number' });
      const rssFile = path.join(probeDir, 'rss');
      const { main } = await big.run({
        runId: '4000',
        timeoutMs: 300_000,
        env: { NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, BENCH_RSS_FILE: rssFile },
      });
      if (main.exitCode !== 0) throw new Error(`rotation against ${BIG_ORG} keys failed:\n${main.stdout}${main.stderr}`);
      const peakMb = Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024);
      const what = paging ? paging.label : 'one answer (~15 MB)';
      row(
        `${BIG_ORG} keys, ${paging ? 'paged' : 'unpaged'}: rotation wall time`,
        `${(main.durationMs / 1000).toFixed(1)} s`,
        `${what}, ${FAN_OUT_LATENCY_MS_BIG} ms latency`,
      );
      row(`${BIG_ORG} keys, ${paging ? 'paged' : 'unpaged'}: peak memory`, `${peakMb} MB`, 'max RSS of the action process');
      row(
        `${BIG_ORG} keys, ${paging ? 'paged' : 'unpaged'}: requests`,
        String(big.kubiya.requests.length + big.github.requests.length),
        `of which ${big.kubiya.count('GET', '/api/v1/auth/keys')} key-list pages (two listings: before the mint and the re-list)`,
      );
    } finally {
      await big.close();
    }
  }
} finally {
  rmSync(probeDir, { recursive: true, force: true });
}

// ---- an organization-wide audit: 50,000 listed keys in 1,000 slots, with a github-token ----------------------
// One key list, then at most one secret-metadata read per slot, a bounded number at a time, under GitHub's documented
// secondary limits and a primary quota of 5,000 requests an hour: the audit must stay within them.
const AUDIT_SLOTS = 1_000;
const AUDIT_GITHUB_LATENCY_MS = LATENCY_MS;
{
  progress(`an audit of ${BIG_ORG} listed keys in ${AUDIT_SLOTS} slots, ${AUDIT_GITHUB_LATENCY_MS} ms GitHub latency`);
  const repositories = Array.from({ length: AUDIT_SLOTS }, (_, i) => `acme/repo-${i}`);
  const auditBox = await startSandbox({
    repositories,
    kubiya: { latencyMs: FAN_OUT_LATENCY_MS_BIG },
    github: {
      latencyMs: AUDIT_GITHUB_LATENCY_MS,
      rateLimit: { secondary: { maxConcurrent: 100, writesPerMinute: 80 }, primary: { limit: 5_000 } },
    },
  });
  try {
    const day = 86_400_000;
    for (let i = 0; i < BIG_ORG - 1; i++) {
      const createdAt = new Date(Date.now() - (BIG_ORG - i) * 60_000);
      auditBox.kubiya.seedKey({
        userEmail: 'ci-bot@acme.test',
        name: `gha:acme/repo-${i % AUDIT_SLOTS}:KUBIYA_API_KEY:run-${i}-1`,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 30 * day),
        revoked: i < BIG_ORG - 2 * AUDIT_SLOTS,
      });
    }
    for (const repo of repositories) auditBox.github.seedSecret({ repo }, 'KUBIYA_API_KEY', 'held-value');
    const { main } = await auditBox.run({ runId: '5000', inputs: { mode: 'audit', repositories: '*', 'fail-on': '' }, timeoutMs: 300_000 });
    if (main.exitCode !== 0) throw new Error(`the audit failed:\n${main.stdout}${main.stderr}`);
    const reads = auditBox.github.requests.length;
    const writes = [...auditBox.kubiya.requests, ...auditBox.github.requests].filter((request) => request.method !== 'GET').length;
    pushRows(
      {
        measure: `audit, ${BIG_ORG} keys in ${AUDIT_SLOTS} slots: wall time`,
        value: `${(main.durationMs / 1000).toFixed(1)} s`,
        note: `with github-token; ${FAN_OUT_LATENCY_MS_BIG} ms Kubiya, ${AUDIT_GITHUB_LATENCY_MS} ms GitHub latency`,
      },
      {
        measure: `audit, ${AUDIT_SLOTS} slots: GitHub requests`,
        value: String(reads),
        note: `at most one metadata read per slot (goal: ≤ ${AUDIT_SLOTS}); ${writes} non-GET requests (goal: 0)`,
      },
      {
        measure: `audit, ${AUDIT_SLOTS} slots: rate-limit hits`,
        value: String(auditBox.github.rateLimitHits + auditBox.github.primaryRateLimitHits),
        note: `secondary + primary rate-limit responses from GitHub (goal: 0); ${auditBox.github.maxInFlight} reads in flight at most`,
      },
    );
  } finally {
    await auditBox.close();
  }
}

// ---- fan-out: rotations of 10 and 100 repositories in one run -------------------------------------
// 20 ms per request and GitHub's documented secondary limits (80 content-creating requests a minute, 100
// concurrent). The floor is set by the write spacing of @octokit/plugin-throttling (one write a second,
// GitHub's advice for mutating requests): (N - 1) s, plus one rotation's five round trips.
const FAN_OUT_LATENCY_MS = 20;
for (const count of [10, 100]) {
  progress(`fan-out to ${count} repositories (at least ${count - 1} s: GitHub's write spacing)`);
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
    pushRows(
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

await kubiyaRateLimitRows();
await gitLabRows();

// ---- a sustained Kubiya rate limit: 2 requests per second for the whole run ---------------------------------
// Revoke mode retiring 300 keys, and a rotation of 20 repositories. The floor is the requests Kubiya served
// divided by its rate: no client can go faster. Failures must be 0: a limit slows a run down, it does not fail it.
async function kubiyaRateLimitRows(): Promise<void> {
  const RATE = 2;
  const runs: { label: string; repositories: string[]; keys: number; inputs: Record<string, string> }[] = [
    { label: 'revoke 300 keys', repositories: ['acme/web'], keys: 300, inputs: { mode: 'revoke', repositories: 'acme/web' } },
    { label: 'rotate 20 slots', repositories: Array.from({ length: 20 }, (_, i) => `acme/svc-${i + 1}`), keys: 0, inputs: {} },
  ];
  for (const run of runs) {
    progress(`${run.label} against a Kubiya limited to ${RATE} requests/s`);
    const box = await startSandbox({ repositories: run.repositories, kubiya: { rateLimitPerSecond: RATE } });
    try {
      for (let i = 0; i < run.keys; i++) {
        box.kubiya.seedKey({ userEmail: 'ci-bot@acme.test', name: `gha:acme/web:KUBIYA_API_KEY:run-${1000 + i}-1` });
      }
      const inputs = { repositories: run.repositories.join('\n'), ...run.inputs };
      const { main } = await box.run({ runId: '6000', inputs, timeoutMs: 1_800_000 });
      const results = JSON.parse(main.outputs['results'] ?? '[]') as { status: string }[];
      const failed = results.filter((entry) => entry.status === 'failed').length + (main.exitCode === 0 ? 0 : 1);
      const served = box.kubiya.requests.length - box.kubiya.rateLimited;
      pushRows({
        measure: `Kubiya at ${RATE} requests/s, ${run.label}`,
        value: `${(main.durationMs / 1000).toFixed(1)} s`,
        note:
          `failures ${failed} (goal: 0); floor ${(served / RATE).toFixed(1)} s (${served} requests served / ${RATE} per s); ` +
          `${box.kubiya.rateLimited} answered 429`,
      });
    } finally {
      await box.close();
    }
  }
}

// ---- fault matrix: a fault at every request of a clean rotation (test/faults) -------------------------
progress('fault matrix: a fault at every request of a clean rotation (vitest, one dot per run)');
const survival = await faultMatrixSurvival({ onOutput: (text) => process.stderr.write(text) });
for (const entry of survival) {
  row(
    `fault matrix, ${entry.scenario}: ${entry.kind}`,
    `${entry.survived}/${entry.total}`,
    `survived; ${entry.what}${entry.total === entry.requests ? '' : ` (at ${entry.total} of the K = ${entry.requests} requests)`}`,
  );
}

// ---- GitLab: the command (dist/cli.js) as a GitLab CI job runs it --------------------------------------------
// One rotation of a project variable with LATENCY_MS per request (median of RUNS, a week apart), and 100 projects in
// one run under GitLab.com's authenticated API limit (2,000 requests a minute a user) scaled to a 6 s window: 200
// requests per 6 s, the same rate with a tenth of the burst. Failures must be 0: a limit slows a run, it does not fail it.

async function gitLabRows(): Promise<void> {
  progress(`GitLab: one rotation of a project variable, ${RUNS} runs with ${LATENCY_MS} ms latency per request`);
  await withGitLab({ latencyMs: LATENCY_MS }, async ({ kubiya, gitlab }, command) => {
    const trips: number[] = [];
    const requests: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      kubiya.passTime(7 * 86_400_000);
      kubiya.clearRequests();
      gitlab.clearRequests();
      const { code, stderr } = await command(String(7000 + run), ['rotate', '--project', 'acme/web']);
      if (code !== 0) throw new Error(`GitLab rotation ${run} failed:\n${stderr}`);
      const log = [...kubiya.requests, ...gitlab.requests];
      trips.push(sequentialRoundTrips(log));
      requests.push(log.length);
    }
    pushRows(
      {
        measure: 'GitLab: sequential round trips / rotation',
        value: String(median(trips)),
        note: 'floor 5: auth∥variable read∥list → mint → verify∥list → PUT → revoke',
      },
      { measure: 'GitLab: requests / rotation', value: String(median(requests)), note: 'with one superseded key to revoke' },
    );
  });
  for (const limit of GITLAB_LIMITS) await gitLabFanOutRow(limit);
}

/** 100 projects whose variables hold a week-old key, rotated in one run under `limit`. */
async function gitLabFanOutRow(limit: (typeof GITLAB_LIMITS)[number]): Promise<void> {
  const projects = Array.from({ length: GITLAB_PROJECTS }, (_, i) => `acme/svc-${String(i + 1).padStart(3, '0')}`);
  const per = `${limit.requests} requests per ${limit.periodMs / 1000} s`;
  progress(`GitLab: ${GITLAB_PROJECTS} projects in one run, ${per} (${limit.label})`);
  await withGitLab({ latencyMs: FAN_OUT_LATENCY_MS_BIG, rateLimit: limit }, async ({ kubiya, gitlab }, command) => {
    for (const project of projects) {
      gitlab.addProject(project);
      const name = `gl:127.0.0.1/${project}:KUBIYA_API_KEY:run-1-11`;
      const { token } = kubiya.seedKey({ userEmail: 'ci-bot@acme.test', name, createdAt: new Date(Date.now() - 7 * 86_400_000) });
      gitlab.seedVariable({ project }, { key: 'KUBIYA_API_KEY', value: token, masked: true, protected: true, raw: true });
    }
    gitlab.resetRateLimit();
    const began = Date.now();
    const json = path.join(mkdtempSync(path.join(tmpdir(), 'bench-gitlab-')), 'results.json');
    const args = ['rotate', ...projects.flatMap((project) => ['--project', project]), '--json', json];
    const { code } = await command('8000', args);
    const wall = Date.now() - began;
    const results = JSON.parse(readFileSync(json, 'utf8')) as { status: string }[];
    rmSync(path.dirname(json), { recursive: true, force: true });
    const failed = results.filter((entry) => entry.status !== 'rotated').length + (code === 0 ? 0 : 1);
    const served = gitlab.requests.length - gitlab.rateLimitHits;
    pushRows({
      measure: `GitLab: ${GITLAB_PROJECTS} projects at ${limit.label}`,
      value: `${(wall / 1000).toFixed(1)} s`,
      note:
        `failures ${failed} (goal: 0); ${gitlab.rateLimitHits} answered 429; ${served} GitLab requests served (${per}); ` +
        `${kubiya.requests.length} Kubiya requests; ${FAN_OUT_LATENCY_MS_BIG} ms latency`,
    });
  });
}

interface GitLabBox {
  kubiya: KubiyaEmulator;
  gitlab: GitLabEmulator;
  adminKey: string;
}

async function withGitLab(
  options: { latencyMs: number; rateLimit?: { requests: number; periodMs: number } },
  work: (box: GitLabBox, command: (pipeline: string, args: string[]) => Promise<{ code: number; stderr: string }>) => Promise<void>,
): Promise<void> {
  const [kubiya, gitlab] = await Promise.all([startKubiyaEmulator({ latencyMs: options.latencyMs }), startGitLabEmulator(options)]);
  try {
    gitlab.addProject('acme/web');
    gitlab.addToken(GITLAB_TOKEN, { kind: 'group', roles: { acme: 'maintainer' } });
    const box = { kubiya, gitlab, adminKey: kubiya.addUser({ email: 'ci-bot@acme.test', org: 'acme' }).apiKey };
    await work(box, (pipeline, args) => gitLabCommand(box, pipeline, args));
  } finally {
    await Promise.all([kubiya.close(), gitlab.close()]);
  }
}

/** The built command as a GitLab CI job runs it (pipeline `pipeline`), asynchronously: the emulators share this process. */
function gitLabCommand({ kubiya, gitlab, adminKey }: GitLabBox, pipeline: string, args: string[]) {
  const env = {
    PATH: process.env['PATH'] ?? '',
    GITLAB_CI: 'true',
    CI: 'true',
    CI_PROJECT_PATH: 'acme/web',
    CI_PIPELINE_ID: pipeline,
    CI_JOB_ID: `${pipeline}1`,
    CI_JOB_NAME: 'rotate-kubiya-api-key',
    CI_SERVER_URL: gitlab.url,
    KUBIYA_ADMIN_API_KEY: adminKey,
    KUBIYA_API_URL: kubiya.url,
    GITLAB_TOKEN,
  };
  const cli = path.join(actionUnderTest(), 'dist', 'cli.js');
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { env, maxBuffer: 64 << 20 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
    child.stdin?.end();
  });
}

function pushRows(...entries: { measure: string; value: string; note: string }[]): void {
  for (const entry of entries) row(entry.measure, entry.value, entry.note);
}

// ---- interleaving explorer: racing rotations of one slot, in virtual time (test/faults/explorer) ----------
progress('interleaving explorer: racing rotations of one slot, 1,000 seeds per case');
const reportDir = mkdtempSync(path.join(tmpdir(), 'kubiya-explorer-'));
try {
  const reportPath = path.join(reportDir, 'report.json');
  // The explorer's "0 broken" tests fail while the rotation breaks the invariant: the report is read either way.
  spawnSync(path.join('node_modules', '.bin', 'vitest'), ['run', 'test/faults/rotation-interleavings.test.ts'], {
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
    row(
      `interleavings, ${name}: explored / broken`,
      `${counts.explored}/${counts.broken}`,
      `goal: 0 broken; ${counts.seconds} s` +
        (counts.harnessErrors ? `; ${counts.harnessErrors} harness errors` : '') +
        (counts.examples[0] ? `; e.g. ${counts.examples[0].reproduction}` : ''),
    );
  }
} catch (error) {
  row('interleavings', 'n/a', `the explorer wrote no report: ${(error as Error).message}`);
} finally {
  rmSync(reportDir, { recursive: true, force: true });
}

const lost = survival.flatMap((row) => row.lost.map((where) => `${row.scenario}, ${row.kind}: ${where}`));
if (lost.length > 0) console.log(`\nfault-matrix runs that broke the invariant:\n${lost.map((line) => `  ${line}`).join('\n')}`);
