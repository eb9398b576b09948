// A rotation that fails part-way leaves the secret holding a key the action has not revoked, and every
// key it minted either held by the secret or revoked (except a PUT whose outcome is unknown).
import { describe, expect } from 'vitest';
import { intercept } from '../faults/harness.ts';
import type { World } from './world.ts';
import { DAY, KEYS_PATH, KEY_PATH, SECRET_PATH, SELF_PATH, annotations, expectExit, failure, it, results, slotPrefix } from './world.ts';

describe('rotate: a slot that fails before its PUT succeeded', () => {
  const putFaults = [
    { label: '403', status: 403, body: { message: 'Resource not accessible by personal access token', status: '403' } },
    { label: '422', status: 422, body: { message: 'Bad request - key_id does not match the current public key', status: '422' } },
  ];

  it.for(putFaults)('revokes the new key and keeps the old one when the PUT answers $label', async ({ status, body }, { world }) => {
    const previous = world.seedRotatedSecret();
    world.github.injectFault({ method: 'PUT', path: SECRET_PATH, kind: 'status', status, body });
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expectExit(step, 1);

    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(world.keyValid(minted[0]!.id), 'the new key is revoked').toBe(false);
    expect(world.keyValid(previous.id), 'the old key is still valid').toBe(true);
    expect(world.secret(), 'the secret still holds the old key').toBe(previous.token);
    expect(world.github.count('PUT', SECRET_PATH), 'a 4xx is not retried').toBe(1);
    expect(results(step)[0]).toMatchObject({ status: 'failed', revokedKeyIds: [] });
    expect(step.outputs['revoked-key-ids']).toBe('');
    expect(failure(step)).toContain('acme/web');
  });

  it('revokes the new key and keeps the old one when the token cannot write secrets', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const readOnly = world.addGitHubToken({ kind: 'pat', secrets: 'read' });
    const runId = world.runId();

    const step = await world.run({ github: { runId }, inputs: { 'github-token': readOnly } });
    expectExit(step, 1);

    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(world.keyValid(minted[0]!.id)).toBe(false);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(world.secret()).toBe(previous.token);
    const message = failure(step);
    expect(message).toContain('acme/web');
    expect(message).toContain('Secrets: Read and write');
    expect(step.summaryText, 'the summary leads with the failure').toMatch(
      /^Kubiya API key rotation\n❌ 1 of 1 target\(s\) failed: acme\/web — /,
    );
    expect(step.summaryText, 'the rolled-back key is shown revoked, with no expiry').toContain(
      `${minted[0]!.name}\nrolled back: revoked | ${minted[0]!.id} | \n`,
    );
  });

  it('revokes the new key and leaves the secret unchanged when the new key fails verification', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    // The first GET /users/self authenticates the admin key; the second one is the new key's check.
    world.kubiya.injectFault({
      method: 'GET',
      path: SELF_PATH,
      nth: 2,
      kind: 'status',
      status: 401,
      body: { detail: { error: 'unauthorized', message: 'Invalid or expired API key' } },
    });
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expectExit(step, 1);

    const verify = world.kubiya.matching('GET', SELF_PATH)[1];
    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(verify?.headers['authorization'], 'the verification used the new key').toBe(`UserKey ${minted[0]!.token}`);
    expect(world.keyValid(minted[0]!.id), 'the new key is revoked').toBe(false);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(world.github.count('PUT'), 'nothing was written').toBe(0);
    expect(world.secret()).toBe(previous.token);
    expect(results(step)[0]).toMatchObject({ status: 'failed' });
    expect(failure(step)).toMatch(/verif/i);
  });
});

/**
 * Between the new key's creation and the re-list of step 3 (once its verification has been answered, so that only
 * the re-list can see it), `kill` makes the new key dead: someone revokes it, or it runs out.
 */
function killNewKeyBeforeRelist(world: World, runId: string, kill: (id: string) => void): void {
  intercept(world.kubiya, async (request, handle) => {
    if (request.seq === world.kubiya.matching('GET', KEYS_PATH)[1]?.seq) {
      await world.kubiya.waitForOutcome(await world.kubiya.waitForRequest('GET', SELF_PATH, { nth: 2 }));
      kill(world.keysOfRun(runId)[0]!.id);
    }
    return handle();
  });
}

describe('rotate: the re-list shows the new key dead', () => {
  const deaths = [
    { how: 'revoked', kill: (world: World, id: string) => void world.kubiya.revokeKey(id) },
    {
      how: 'expired',
      kill: (world: World, id: string) => void (world.kubiya.keyById(id)!.expires_at = new Date(Date.now() - 1000).toISOString()),
    },
  ];

  it.for(deaths)('writes no dead key and revokes nothing when the new key is $how before the re-list', async ({ how, kill }, { world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.options.listRevoked = true; // the list shows revoked keys as such (status, revoked_at)
    const runId = world.runId();
    killNewKeyBeforeRelist(world, runId, (id) => kill(world, id));

    const step = await world.run({ github: { runId } });
    expectExit(step, 1);

    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(world.kubiya.matching('GET', SELF_PATH)[1]?.status, 'the new key authenticated before it died').toBe(200);
    expect(world.github.count('PUT', SECRET_PATH), 'no dead key is written').toBe(0);
    expect(world.secret(), 'the secret still holds the old key').toBe(previous.token);
    expect(world.kubiya.isValid(previous.token), 'which still authenticates').toBe(true);
    expect(world.kubiya.count('DELETE', KEY_PATH), 'nothing is revoked: not the old key, not the dead one').toBe(0);
    expect(results(step)[0]).toMatchObject({ status: 'failed', keyId: minted[0]!.id, revokedKeyIds: [] });
    expect(step.outputs['revoked-key-ids']).toBe('');
    const message = failure(step);
    expect(message).toContain(`the new key ${minted[0]!.name} (id ${minted[0]!.id}) ${how}`);
    expect(message).toMatch(/between its creation and the write.*run the rotation again/);
  });
});

describe('rotate: one failing target among several', () => {
  it('rotates the targets it can, fails the one it cannot, and exits 1', async ({ world }) => {
    const webOnly = world.addGitHubToken({ kind: 'pat', repos: ['acme/web'] });
    const runId = world.runId();

    const step = await world.run({ github: { runId }, inputs: { 'github-token': webOnly, repositories: 'web, web-api' } });
    expectExit(step, 1);

    expect(results(step).map((entry) => [entry.target, entry.status])).toEqual([
      ['acme/web', 'rotated'],
      ['acme/web-api', 'failed'],
    ]);
    expect(world.kubiya.isValid(world.secret()!), 'acme/web was rotated').toBe(true);
    expect(world.secret('KUBIYA_API_KEY', 'acme/web-api')).toBeUndefined();
    expect(world.keysOfRun(runId, { scope: 'acme/web-api' }), 'nothing minted for the target the token cannot reach').toEqual([]);
    expect(annotations(step, 'error').join('\n')).toContain('acme/web-api');
    expect(step.summaryText).toContain('acme/web-api');
  });
});

describe('rotate: a slot whose old keys cannot be revoked', () => {
  it('keeps the new key in the secret, fails, and leaves the old keys to the next run', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'DELETE', path: KEY_PATH, kind: 'status', status: 500, times: Infinity });

    const step = await world.run();
    expectExit(step, 1);

    const stored = world.secret();
    expect(stored).not.toBe(previous.token);
    expect(world.kubiya.isValid(stored!), 'the secret holds the new, valid key').toBe(true);
    expect(world.keyOf(stored).id).toBe(results(step)[0]!.keyId);
    expect(world.keyValid(previous.id), 'the old key could not be revoked').toBe(true);
    expect(world.kubiya.count('DELETE'), 'the DELETE was retried 3 times').toBe(4);
    expect(results(step)[0]).toMatchObject({ status: 'failed', revokedKeyIds: [] });
    expect(failure(step)).toContain('next run revokes them');

    // ... and it does.
    world.kubiya.clearFaults();
    world.kubiya.passTime(7 * DAY); // the next scheduled run; the new key is then past the in-flight window too
    const next = await world.run();
    expectExit(next, 0);
    expect(world.keyValid(previous.id)).toBe(false);
    expect(next.outputs['revoked-key-ids']?.split(',').sort()).toEqual([previous.id, world.keyOf(stored).id].sort());
  });
});

describe('rotate: a PUT whose outcome is unknown', () => {
  const noAnswer = [
    { label: 'hangs until the request times out', kind: 'hang' as const },
    { label: 'resets the connection every time', kind: 'reset' as const },
  ];

  it.for(noAnswer)('revokes neither key when the PUT $label', async ({ kind }, { world }) => {
    const previous = world.seedRotatedSecret();
    world.github.injectFault({ method: 'PUT', path: SECRET_PATH, kind, times: Infinity });
    const runId = world.runId();

    const step = await world.run({ github: { runId }, env: { KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '300' } });
    expectExit(step, 1);

    expect(world.github.count('PUT', SECRET_PATH), 'the PUT was tried 1 + 3 times').toBe(4);
    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(world.kubiya.count('DELETE'), 'nothing was revoked').toBe(0);
    expect(world.keyValid(minted[0]!.id), 'the new key is left to the next run').toBe(true);
    expect(world.keyValid(previous.id), 'the old key is left too').toBe(true);
    expect(results(step)[0]).toMatchObject({ status: 'failed', keyId: minted[0]!.id, revokedKeyIds: [] });
    expect(failure(step)).toMatch(/neither/);
  });
});

describe('rotate: a lost mint response', () => {
  it('leaves no orphan: every key minted under the slot is in the secret or revoked', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'POST', path: KEYS_PATH, kind: 'lost-response' });
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expect([0, 1]).toContain(step.exitCode);
    const post = { method: 'POST', path: KEYS_PATH };
    expect(
      world.kubiya.count('POST', KEYS_PATH) === 1 || world.kubiyaRequestBetween(post, 0, { method: 'GET', path: KEYS_PATH }),
      'the mint is not repeated before the keys are listed to find what the lost one made',
    ).toBe(true);

    const stored = world.secret();
    const minted = world.keysOfRun(runId);
    expect(minted.length, 'the lost POST did create a key').toBeGreaterThanOrEqual(1);
    for (const key of minted) {
      expect(key.token === stored || key.revoked_at !== null, `${key.id} is in the secret or revoked`).toBe(true);
    }
    const live = world.keysNamed(slotPrefix()).filter((key) => world.keyValid(key.id));
    expect(live, 'exactly one live managed key for the slot').toHaveLength(1);
    expect(live[0]!.token, 'and it is the one in the secret').toBe(stored);
    if (step.exitCode === 0) {
      expect(stored).not.toBe(previous.token);
      expect(world.keyValid(previous.id)).toBe(false);
    } else {
      expect(stored).toBe(previous.token);
      expect(results(step)[0]).toMatchObject({ status: 'failed' });
    }
  });

  it('leaves no key behind when no mint is ever confirmed', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'POST', path: KEYS_PATH, kind: 'lost-response', times: Infinity });
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expectExit(step, 1);

    const minted = world.keysOfRun(runId);
    expect(world.kubiya.count('POST', KEYS_PATH), 'the mint was tried 1 + 3 times').toBe(4);
    expect(minted).toHaveLength(4);
    for (const key of minted) expect(key.revoked_at, `${key.id} revoked`).not.toBeNull();
    expect(world.github.count('PUT')).toBe(0);
    expect(world.secret()).toBe(previous.token);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(results(step)[0]).toMatchObject({ status: 'failed' });
  });
});
