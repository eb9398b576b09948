// The fault matrix: the requests of a clean rotation (with a previous key in place) are recorded in
// their global order across Kubiya and GitHub; then, for every request k and every kind of fault, a
// rotation from a fresh world gets that fault at its k-th request, and the spec's invariant is checked:
// (a) each secret holds a key the action has not revoked, (b) each key it minted is held or revoked
// (except after a PUT with no answer), (c) exit 0 exactly when the rotation completed, (d) the failure
// names the failed step. Every run goes through the e2e leak scan. Prints `k/K survived` per kind.
// A persistent fault hits the k-th request and every later one to the same endpoint: its retries, and on
// Kubiya (one endpoint for all targets) the same call made for the targets after it — an outage from k on.
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseOutcome, SurvivalRow } from './fault-matrix.ts';
import { formatSurvival, matrixCases, runFaultCase, survivalRows } from './fault-matrix.ts';
import type { Position } from './harness.ts';
import {
  ONE_REPOSITORY,
  THREE_REPOSITORIES,
  checkRotation,
  describePosition,
  injectAt,
  recordCleanRotation,
  rotateOnce,
  stage,
  withWorld,
} from './harness.ts';

const recordings = await Promise.all([recordCleanRotation(ONE_REPOSITORY), recordCleanRotation(THREE_REPOSITORIES)]);

const rows: SurvivalRow[] = [];

afterAll(() => {
  console.log(formatSurvival(rows));
  // `npm run bench` runs this file and reads the table from here (test/faults/survival.ts).
  const report = process.env['FAULT_MATRIX_REPORT'];
  if (report) writeFileSync(report, JSON.stringify(rows, null, 2));
});

describe('the clean rotations the matrix is built on', () => {
  it('has the requests the spec lays out, per target: 3 in the first round, mint, verify ∥ re-list, PUT, revoke', () => {
    const [one, three] = recordings;
    expect(one.positions.map((position) => position.role).sort()).toEqual(
      ['admin check', 'key list', 'public key', 'mint', 'verify', 're-list', 'secret write', 'revocation'].sort(),
    );
    expect(three.positions).toHaveLength(2 + 3 * 6);
  });
});

describe('the invariant check itself', () => {
  const [one] = recordings;
  const at = (role: Position['role']) => one.positions.find((position) => position.role === role)!;

  it('flags a secret holding a revoked key, and a minted key held nowhere', async () => {
    await withWorld(async (world) => {
      const staged = stage(world, ONE_REPOSITORY);
      const step = await rotateOnce(staged);
      expect(checkRotation(staged, step)).toEqual([]);

      world.kubiya.revokeKey(world.keyOf(world.secret()).id);
      world.seedManagedKey({ runId: staged.runId });
      const violations = checkRotation(staged, step).join('\n');
      expect(violations).toMatch(/^\(a\) acme\/web: the secret holds key .*, revoked$/m);
      expect(violations).toMatch(/^\(b\) acme\/web: minted key .* is neither in the secret nor revoked$/m);
    });
  });

  it('flags a failure that does not name the failed step, and an exit code that does not say how the run went', async () => {
    await withWorld(async (world) => {
      const staged = stage(world, ONE_REPOSITORY);
      injectAt(staged, at('secret write'), { kind: 'status', status: 403, body: { message: 'Resource not accessible' } });
      const step = await rotateOnce(staged);
      expect(checkRotation(staged, step, { faultAt: at('secret write') })).toEqual([]);

      expect(checkRotation(staged, step, { faultAt: at('verify') }).join('\n')).toMatch(/^\(d\) acme\/web: the error does not name/m);
      expect(checkRotation(staged, { ...step, exitCode: 0 }).join('\n')).toMatch(/^\(c\) exit 0, expected 1/m);
    });
  });

  it("runs the e2e leak scan over each world's steps when it closes", async () => {
    const leaky = withWorld(async (world) => {
      const staged = stage(world, ONE_REPOSITORY);
      const step = await rotateOnce(staged);
      step.lines.push({ stream: 'stdout', text: `debug: ${world.secret()}` });
    });
    await expect(leaky).rejects.toThrow(/leak\(s\) found/);
  });
});

for (const recording of recordings) {
  const { scenario, positions } = recording;
  describe.concurrent(`a fault at any request of a rotation of ${scenario.name}`, () => {
    const outcomes: CaseOutcome[] = [];
    afterAll(() => {
      rows.push(...survivalRows(recording, outcomes));
    });

    for (const { kind, position } of matrixCases(recording)) {
      it(`${kind} at ${describePosition(position, positions.length)}`, async () => {
        const outcome = await runFaultCase(scenario, position, kind);
        outcomes.push(outcome);
        expect(outcome.violations, `exit ${outcome.exitCode}; ${outcome.message ?? 'no error annotation'}`).toEqual([]);
      });
    }
  });
}
