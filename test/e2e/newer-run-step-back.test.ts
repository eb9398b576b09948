// Two rotations of one slot overlapping (no concurrency group): the older run steps back — revokes its
// own key, leaves the secret to the newer run, and never revokes the newer run's key.
import { describe, expect } from 'vitest';
import { KEYS_PATH, SECRET_PATH, annotations, expectExit, it, results } from './world.ts';

describe('a newer run owns the slot', () => {
  it("steps back when a newer run mints a key between this run's mint and its re-list", async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const runId = world.runId();
    const newerRunId = world.runId();
    world.kubiya.latencyMs = 20; // room for the newer run to land before the re-list is answered
    // The second key listing is the step-back check that runs with the verification of the new key.
    const newer = world.kubiya.waitForRequest('GET', KEYS_PATH, { nth: 2 }).then(() => world.seedManagedKey({ runId: newerRunId }));

    const step = await world.run({ github: { runId } });
    const newerKey = await newer;
    expectExit(step, 0);

    const own = world.keysOfRun(runId);
    expect(own).toHaveLength(1);
    expect(Date.parse(world.kubiya.keyById(newerKey.id)!.created_at), "the newer key was created after this run's").toBeGreaterThan(
      Date.parse(own[0]!.created_at),
    );
    expect(world.keyValid(own[0]!.id), 'this run revoked its own key').toBe(false);
    expect(world.keyValid(newerKey.id), "the newer run's key is untouched").toBe(true);
    expect(world.keyValid(previous.id), 'the previous key is left to the newer run').toBe(true);
    expect(world.github.count('PUT', SECRET_PATH), 'the PUT was skipped').toBe(0);
    expect(world.secret()).toBe(previous.token);
    expect(results(step)[0]).toMatchObject({ status: 'skipped' });
    expect(annotations(step, 'warning').join('\n')).toContain(newerKey.name);
  });

  it('steps back when the slot already has a key of a newer run created after its own', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const runId = world.runId();
    const newerKey = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() + 60_000) });

    const step = await world.run({ github: { runId } });
    expectExit(step, 0);

    const own = world.keysOfRun(runId);
    expect(own).toHaveLength(1);
    expect(world.keyValid(own[0]!.id)).toBe(false);
    expect(world.keyValid(newerKey.id)).toBe(true);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(world.github.count('PUT')).toBe(0);
    expect(world.secret()).toBe(previous.token);
    expect(results(step)[0]).toMatchObject({ status: 'skipped' });
    expect(annotations(step, 'warning')).toHaveLength(1);
  });

  it('keeps, and names, an older key of another run minted minutes ago: it may still be on its way into the secret', async ({ world }) => {
    const previous = world.seedRotatedSecret({ createdAt: new Date(Date.now() - 7 * 86_400_000) });
    const overlapping = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - 2 * 60_000) });

    const step = await world.run();
    expectExit(step, 0);

    expect(world.keyValid(previous.id), 'the week-old key is revoked').toBe(false);
    expect(world.keyValid(overlapping.id), 'the key minted two minutes ago is kept').toBe(true);
    expect(results(step)[0]).toMatchObject({ status: 'rotated', revokedKeyIds: [previous.id], inFlightKeyIds: [overlapping.id] });
    expect(step.summaryText).toContain('Kept by the in-flight window');
    expect(step.summaryText).toContain(overlapping.name);
    expect(step.stdout).toContain(`Kept ${overlapping.name}`);
  });
});
