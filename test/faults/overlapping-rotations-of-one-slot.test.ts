// Two rotations of the same slot (acme/web's KUBIYA_API_KEY) started close together by two runs — no
// workflow `concurrency:` group — over many interleavings: emulator latency with seeded jitter (GitHub's
// much wider than Kubiya's, so a PUT can overtake another run's whole mint → re-list → PUT chain) and
// staggered start offsets, either run first. "Older" and "newer" below are by key creation, which is how
// the action orders keys (src/revocation.ts), not by run id: with a negative offset the run with the
// larger id may mint first.
//
// What the design guarantees, asserted on every interleaving:
// - both runs exit 0: the newer one rotates, the older one rotates or steps back;
// - the newer run's key is never revoked, and no run revokes a key created after its own;
// - when the older run's re-list came after the newer run's mint was answered, the older run steps back:
//   it revokes its own key, sends no PUT and warns;
// - the final secret holds an unrevoked key, and every minted key is held or revoked — UNLESS the older
//   run's re-list missed the newer key and its PUT then landed AFTER the newer run's PUT. Then the secret
//   ends up holding the older key, which the newer run revokes as superseded, and the newer run's key is
//   live but held nowhere. The step-back check cannot see a run that has not minted yet, so this is the
//   window the spec closes with a workflow `concurrency:` group (README, ACTION.md "Revocation"). It is
//   not asserted away: each interleaving is classified, and the count of losses over the seeds is
//   reported — and every loss must be such an inverted pair of PUTs.
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS_PATH, SECRET_PATH, annotations } from '../e2e/world.ts';
import type { World } from '../e2e/world.ts';
import type { RequestRecord } from '../sandbox/http-emulator.ts';
import type { StepResult } from '../sandbox/runner.ts';
import { readResults, withWorld } from './harness.ts';

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);
/** How long after run A run B starts (negative: B first), picked by seed. */
const OFFSETS_MS = [0, 10, 25, 40, 60, 90, 130, -10, -25, -40, -60, -90];

type Interleaving =
  | 'older run stepped back'
  | 'older run done before the newer one minted'
  | 'older run rotated, its PUT first'
  | 'older run rotated, its PUT last (secret lost)'
  | 'older run rotated, its PUT last (survived)';

const tally = new Map<Interleaving, number>();
let losses = 0;

interface Run {
  label: 'A' | 'B';
  runId: string;
  adminKey: string;
  githubToken: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Kubiya and GitHub requests one run sent: each run has its own admin key and GitHub token. */
function requestsOf(world: World, run: Run, mintedToken: string | undefined): { kubiya: RequestRecord[]; github: RequestRecord[] } {
  const kubiyaAuth = new Set([`UserKey ${run.adminKey}`, ...(mintedToken ? [`UserKey ${mintedToken}`] : [])]);
  return {
    kubiya: world.kubiya.requests.filter((request) => kubiyaAuth.has(request.headers['authorization'] ?? '')),
    github: world.github.requests.filter(
      (request) => /^(?:token|bearer) (\S+)$/i.exec(request.headers['authorization'] ?? '')?.[1] === run.githubToken,
    ),
  };
}

/** The spec's invariant for the one slot after both runs: secret valid, each minted key held or revoked. */
function invariantViolations(world: World, runs: Run[]): string[] {
  const stored = world.secret();
  const violations: string[] = [];
  if (stored === undefined || !world.kubiya.isValid(stored)) violations.push('the secret holds a revoked key');
  for (const run of runs) {
    for (const key of world.keysOfRun(run.runId)) {
      if (key.token !== stored && key.revoked_at === null) violations.push(`run ${run.label}'s key is neither in the secret nor revoked`);
    }
  }
  return violations;
}

describe.concurrent('two rotations of one slot started close together', () => {
  afterAll(() => {
    const lines = [...tally].sort(([a], [b]) => a.localeCompare(b)).map(([kind, count]) => `  ${String(count).padStart(3)}  ${kind}`);
    console.log(
      `overlapping rotations of one slot, ${SEEDS.length} seeded interleavings (no concurrency group):\n${lines.join('\n')}\n` +
        `  lost (secret holds a revoked key / a minted key leaked): ${losses}/${SEEDS.length}, every one an older run's PUT landing after the newer run's`,
    );
  });

  it.for(SEEDS)('interleaving %i', async (seed) => {
    const offset = OFFSETS_MS[seed % OFFSETS_MS.length]!;
    await withWorld(
      async (world) => {
        const previous = world.seedRotatedSecret();
        const second = world.kubiya.addUser({ email: 'ci-bot-2@acme.dev', org: 'acme' });
        const runs: Run[] = [
          { label: 'A', runId: world.runId(), adminKey: world.adminKey, githubToken: world.githubToken },
          { label: 'B', runId: world.runId(), adminKey: second.apiKey, githubToken: world.addGitHubToken({ kind: 'pat' }) },
        ];
        const steps: StepResult[] = await Promise.all(
          runs.map(async (run, index) => {
            await sleep(Math.max(0, index === 0 ? -offset : offset));
            return world.run({ github: { runId: run.runId }, inputs: { 'admin-api-key': run.adminKey, 'github-token': run.githubToken } });
          }),
        );

        for (const step of steps) expect(step.exitCode, `exit code; log:\n${step.stdout}`).toBe(0);
        const minted = runs.map((run) => world.keysOfRun(run.runId));
        for (const keys of minted) expect(keys, 'one key minted by each run').toHaveLength(1);
        const [olderIndex, newerIndex] = Date.parse(minted[0]![0]!.created_at) < Date.parse(minted[1]![0]!.created_at) ? [0, 1] : [1, 0];
        const [older, newer] = [runs[olderIndex]!, runs[newerIndex]!];
        const [olderKey, newerKey] = [minted[olderIndex]![0]!, minted[newerIndex]![0]!];
        const [olderResult, newerResult] = [readResults(steps[olderIndex]!)?.[0], readResults(steps[newerIndex]!)?.[0]];
        const olderRequests = requestsOf(world, older, olderKey.token);
        const newerRequests = requestsOf(world, newer, newerKey.token);

        // The newer run never has a newer key to step back for, and its key is never revoked.
        expect(newerResult?.status).toBe('rotated');
        expect(world.keyValid(newerKey.id), "the newer run's key is never revoked").toBe(true);
        expect(olderResult?.revokedKeyIds ?? [], 'the older run revokes nothing created after its key').not.toContain(newerKey.id);

        // The older run's re-list (its second key listing) decides: a newer key it can see makes it step back.
        const relist = olderRequests.kubiya.filter((request) => request.method === 'GET' && request.path === KEYS_PATH)[1]!;
        const newerMint = newerRequests.kubiya.find((request) => request.method === 'POST' && request.path === KEYS_PATH)!;
        const olderPut = olderRequests.github.find((request) => request.method === 'PUT' && request.path === SECRET_PATH);
        const newerPut = newerRequests.github.find((request) => request.method === 'PUT' && request.path === SECRET_PATH)!;
        if (newerMint.endedAt! <= relist.startedAt) {
          expect(olderResult?.status, 'the older run saw the newer key: it steps back').toBe('skipped');
        }
        if (olderResult?.status === 'skipped') {
          expect(world.keyValid(olderKey.id), 'a run that steps back revokes its own key').toBe(false);
          expect(olderPut, 'a run that steps back sends no PUT').toBeUndefined();
          expect(annotations(steps[olderIndex]!, 'warning').join('\n')).toContain(newerKey.name);
        } else {
          expect(olderResult?.status).toBe('rotated');
          expect(newerMint.endedAt! > relist.startedAt, 'a run that rotated could not have seen the newer key').toBe(true);
        }

        const violations = invariantViolations(world, runs);
        const putLast = olderPut !== undefined && olderPut.endedAt! > newerPut.endedAt!;
        const interleaving: Interleaving =
          olderResult?.status === 'skipped'
            ? 'older run stepped back'
            : olderPut!.endedAt! <= newerMint.startedAt
              ? 'older run done before the newer one minted'
              : !putLast
                ? 'older run rotated, its PUT first'
                : violations.length > 0
                  ? 'older run rotated, its PUT last (secret lost)'
                  : 'older run rotated, its PUT last (survived)';
        tally.set(interleaving, (tally.get(interleaving) ?? 0) + 1);
        if (violations.length > 0) losses += 1;

        if (!putLast) {
          // Without the inverted PUTs the design guarantees the end state: the newer key in the secret, the rest revoked.
          expect(violations).toEqual([]);
          expect(world.secret()).toBe(newerKey.token);
          expect(world.keyValid(olderKey.id)).toBe(false);
          expect(world.keyValid(previous.id)).toBe(false);
        }
      },
      { kubiya: { latencyMs: 15, jitterMs: 40, seed }, github: { latencyMs: 15, jitterMs: 300, seed: seed + 7919 } },
    );
  });
});
