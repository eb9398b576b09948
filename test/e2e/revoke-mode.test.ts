// mode: revoke — retire every key the action manages for the named targets, and nothing else.
import { describe, expect } from 'vitest';
import type { World } from './world.ts';
import { DAY, HOUR, KEY_PATH, expectExit, it, results, summaryTime } from './world.ts';

/** Two live keys of acme/web's KUBIYA_API_KEY, one already revoked, and look-alikes that are not the slot's. */
function seedSlotAndLookAlikes(world: World) {
  const now = Date.now();
  const slot = [
    world.seedManagedKey({ runId: world.runId(), createdAt: new Date(now - 2 * DAY), lastUsed: new Date(now - DAY) }),
    world.seedManagedKey({ runId: world.runId(), createdAt: new Date(now - DAY), lastUsed: new Date(now - HOUR) }),
    // A mint-mode key of one of the repository's jobs, kept with revoke-on-exit: false: retiring the repository revokes it too.
    world.seedManagedKey({
      runId: world.runId(),
      scope: 'acme/web/job/deploy',
      createdAt: new Date(now - 2 * HOUR),
      lastUsed: new Date(now - HOUR),
    }),
  ];
  const alreadyRevoked = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(now - 3 * DAY), revoked: true });
  const runId = world.runId();
  const lookAlikes = [
    world.seedManagedKey({ runId, scope: 'acme/web-api' }),
    world.seedManagedKey({ runId, secretName: 'OTHER_SECRET' }),
    world.seedManagedKey({ runId, scope: 'acme/web2/job/deploy' }),
    world.seedManagedKey({ runId, scope: 'acme/we/job/deploy' }),
    world.seedManagedKey({ runId, scope: 'acme/web/job/deploy', secretName: 'OTHER_SECRET' }),
    world.seedManagedKey({ runId, scope: 'acme/web/job/deploy/x' }),
    world.seedManagedKey({ runId, scope: 'acme/web@production' }),
    world.seedManagedKey({ runId, prefix: 'ci' }),
  ];
  return { slot, alreadyRevoked, lookAlikes };
}

describe('mode: revoke', () => {
  it("revokes exactly the slot's keys and reports when each was created and last used", async ({ world }) => {
    const { slot, alreadyRevoked, lookAlikes } = seedSlotAndLookAlikes(world);

    const step = await world.run({ inputs: { mode: 'revoke', repositories: 'web', 'github-token': undefined } });
    expectExit(step, 0);

    for (const key of slot) expect(world.keyValid(key.id), `${key.name} revoked`).toBe(false);
    for (const key of lookAlikes) expect(world.keyValid(key.id), `${key.name} untouched`).toBe(true);
    expect(world.kubiya.isValid(world.adminKey)).toBe(true);
    expect(
      world.kubiya
        .matching('DELETE', KEY_PATH)
        .map((request) => request.path)
        .sort(),
    ).toEqual(slot.map((key) => `/api/v1/auth/keys/${key.id}`).sort());
    expect(world.github.requests, 'revoke mode needs no GitHub access').toHaveLength(0);

    const ids = slot.map((key) => key.id).sort();
    expect(step.outputs['revoked-key-ids']?.split(',').sort()).toEqual(ids);
    expect(results(step)).toEqual([
      expect.objectContaining({ target: 'acme/web', secretName: 'KUBIYA_API_KEY', status: 'revoked', error: null }),
    ]);
    expect(results(step)[0]!.revokedKeyIds.slice().sort()).toEqual(ids);
    expect(step.outputs['revoked-key-ids']).not.toContain(alreadyRevoked.id);
    for (const key of slot) {
      const record = world.kubiya.keyById(key.id)!;
      expect(step.summaryText).toContain(key.name);
      expect(step.summaryText, 'created time').toContain(summaryTime(record.created_at));
      expect(step.summaryText, 'last-used time').toContain(summaryTime(record.last_used));
    }
  });

  it('revokes 300 keys under a 20 requests/s rate limit: a bounded number at a time, each 429 waited out', async ({ world }) => {
    const keys = Array.from({ length: 300 }, (_, i) =>
      world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - (400 - i) * HOUR) }),
    );
    world.kubiya.options.rateLimitPerSecond = 20;

    const step = await world.run({ inputs: { mode: 'revoke', 'github-token': undefined } });
    expectExit(step, 0);

    for (const key of keys) expect(world.keyValid(key.id), `${key.name} revoked`).toBe(false);
    expect(results(step)[0]!.revokedKeyIds).toHaveLength(300);
    expect(world.kubiya.maxInFlight, 'revocations run a bounded number at a time').toBeLessThanOrEqual(8);
    // A rate limit met by one request pauses the others: a few 429s per window, not one per request.
    expect(world.kubiya.rateLimited, '429s answered').toBeLessThan(150);
  });

  it('lists what it would revoke in a dry-run, and revokes nothing', async ({ world }) => {
    const { slot, lookAlikes } = seedSlotAndLookAlikes(world);

    const step = await world.run({ inputs: { mode: 'revoke', repositories: 'web', 'github-token': undefined, 'dry-run': 'true' } });
    expectExit(step, 0);

    expect(world.writes()).toHaveLength(0);
    for (const key of [...slot, ...lookAlikes]) expect(world.keyValid(key.id)).toBe(true);
    expect(step.outputs['revoked-key-ids']).toBe('');
    expect(results(step)[0]).toMatchObject({ status: 'planned', revokedKeyIds: [] });
    expect(step.summaryText).toMatch(/dry-run/i);
    for (const key of slot) expect(step.summaryText).toContain(key.name);
    for (const key of lookAlikes) expect(step.summaryText).not.toContain(key.name);
  });

  it('revokes the keys of each named repository', async ({ world }) => {
    const web = world.seedManagedKey({ runId: world.runId() });
    const api = world.seedManagedKey({ runId: world.runId(), scope: 'acme/web-api' });
    const other = world.seedManagedKey({ runId: world.runId(), scope: 'acme/docs' });

    const step = await world.run({ inputs: { mode: 'revoke', repositories: 'acme/web\nweb-api', 'github-token': undefined } });
    expectExit(step, 0);

    expect(world.keyValid(web.id)).toBe(false);
    expect(world.keyValid(api.id)).toBe(false);
    expect(world.keyValid(other.id)).toBe(true);
    expect(results(step).map((entry) => [entry.target, entry.revokedKeyIds])).toEqual([
      ['acme/web', [web.id]],
      ['acme/web-api', [api.id]],
    ]);
  });
});
