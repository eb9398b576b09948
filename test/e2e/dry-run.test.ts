// dry-run: authenticate, check access, list, print the plan — and change nothing anywhere.
import { describe, expect } from 'vitest';
import { PUBLIC_KEY_PATH, expectExit, it, keyName, results } from './world.ts';

describe('dry-run', () => {
  it('plans the rotation without a single POST, PUT, PATCH or DELETE', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const runId = world.runId();

    const step = await world.run({ github: { runId }, inputs: { 'dry-run': 'true' } });
    expectExit(step, 0);

    expect(world.writes().map((request) => `${request.method} ${request.path}`)).toEqual([]);
    expect(world.github.count('GET', PUBLIC_KEY_PATH), 'the GitHub access check ran').toBe(1);
    expect(world.secret()).toBe(previous.token);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(world.kubiya.keys()).toHaveLength(2); // the admin key and the previous run's key: nothing minted

    const planned = keyName({ runId });
    expect(results(step)).toEqual([
      expect.objectContaining({ target: 'acme/web', status: 'planned', keyName: planned, revokedKeyIds: [] }),
    ]);
    expect(step.outputs['revoked-key-ids']).toBe('');
    expect(step.summaryText).toMatch(/dry-run/i);
    expect(step.summaryText).toContain(planned);
    expect(step.summaryText, 'the plan names the key it would revoke').toContain(previous.name);
  });

  it('without a github-token skips the GitHub access check and says so in the plan', async ({ world }) => {
    world.seedRotatedSecret();

    const step = await world.run({ inputs: { 'dry-run': 'true', 'github-token': undefined } });
    expectExit(step, 0);

    expect(world.github.requests, 'GitHub is not contacted').toHaveLength(0);
    expect(world.writes()).toHaveLength(0);
    expect(results(step)[0]).toMatchObject({ status: 'planned' });
    expect(step.summaryText).toMatch(/GitHub access (check )?(was )?(is )?(not checked|skipped)/i);
    expect(step.summaryText).toContain('github-token');
  });

  it('plans a mint without minting', async ({ world }) => {
    const step = await world.run({ inputs: { mode: 'mint', 'dry-run': 'true', 'github-token': undefined }, github: { job: 'deploy' } });
    expectExit(step, 0);

    expect(world.writes()).toHaveLength(0);
    expect(step.outputs['api-key'] ?? '').toBe('');
    expect(step.env).toEqual({});
    expect(step.state).toEqual({});
    expect(results(step)[0]).toMatchObject({ status: 'planned' });
    expect(step.summaryText).toMatch(/dry-run/i);
  });
});
