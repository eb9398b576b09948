// Rotating a repository secret, end to end: the built action run as the runner runs it, against the
// Kubiya and GitHub emulators.
import { describe, expect } from 'vitest';
import { isMaskedBeforeUse, maskIndexOf } from '../sandbox/runner.ts';
import { DAY, HOUR, KEY_PATH, REPO, SECRET, SELF_PATH, at, expectExit, it, keyName, results, slotPrefix, summaryTime } from './world.ts';

describe('rotate (repository secret)', () => {
  it('mints a key named after the run, seals it into the secret and reports it', async ({ world }) => {
    const runId = world.runId();
    const before = Date.now();
    const step = await world.run({ github: { runId } });
    const after = Date.now();
    expectExit(step, 0);

    const stored = world.secret();
    expect(stored, 'the secret was written').toBeDefined();
    expect(world.kubiya.isValid(stored!), 'Kubiya accepts the key in the secret').toBe(true);
    const key = world.keyOf(stored);
    expect(key.name).toBe(`gha:acme/web:KUBIYA_API_KEY:run-${runId}-1`);
    expect(key.description).toContain(`https://github.com/acme/web/actions/runs/${runId}`);
    expect(at(key.expires_at)).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
    expect(at(key.expires_at)).toBeLessThanOrEqual(after + 30 * DAY + 1000);
    expect(isMaskedBeforeUse(step, stored!) && maskIndexOf(step, stored!) >= 0, 'the new key is masked at once').toBe(true);

    expect(step.outputs['key-id']).toBe(key.id);
    expect(step.outputs['key-name']).toBe(key.name);
    expect(at(step.outputs['expires-at'])).toBe(at(key.expires_at));
    expect(step.outputs['expires-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(step.outputs['revoked-key-ids']).toBe('');
    expect(results(step)).toEqual([
      {
        target: REPO,
        secretName: SECRET,
        keyId: key.id,
        keyName: key.name,
        expiresAt: step.outputs['expires-at'],
        status: 'rotated',
        revokedKeyIds: [],
        error: null,
      },
    ]);

    const row = step.summaryText.split('\n').find((line) => line.startsWith(`${REPO} |`));
    expect(row, `a table row for ${REPO} in the summary:\n${step.summaryText}`).toBeDefined();
    for (const cell of [SECRET, 'rotated', key.name, key.id, summaryTime(step.outputs['expires-at'])]) expect(row).toContain(cell);
  });

  it('keeps the key in GitHub when a workflow passes `store: gitlab` (an input only the command line has)', async ({ world }) => {
    const runId = world.runId();
    // The runner passes an undeclared input on (with a warning), as INPUT_STORE.
    const step = await world.run({ github: { runId }, env: { INPUT_STORE: 'gitlab' } });
    expectExit(step, 0);

    expect(world.keyOf(world.secret()).name).toBe(keyName({ runId }));
    expect(results(step)[0]).toMatchObject({ target: REPO, status: 'rotated' });
  });

  it('revokes the key of the previous run once the secret holds the new one', async ({ world }) => {
    const first = await world.run();
    expectExit(first, 0);
    const firstKey = world.keyOf(world.secret());
    // A week passes, as between two scheduled rotations: a key minted seconds ago would be kept (in-flight window).
    world.kubiya.passTime(7 * DAY);

    const secondRun = world.runId();
    const second = await world.run({ github: { runId: secondRun } });
    expectExit(second, 0);

    const stored = world.secret();
    const secondKey = world.keyOf(stored);
    expect(secondKey.name).toBe(keyName({ runId: secondRun }));
    expect(world.kubiya.isValid(stored!)).toBe(true);
    expect(world.keyValid(firstKey.id), 'the superseded key is revoked').toBe(false);
    expect(world.kubiya.keyById(firstKey.id)?.revoked_at).not.toBeNull();
    expect(second.outputs['revoked-key-ids']).toBe(firstKey.id);
    expect(results(second)[0]).toMatchObject({ status: 'rotated', keyId: secondKey.id, revokedKeyIds: [firstKey.id] });
    expect(second.summaryText).toContain(firstKey.name);
    // exactly one live managed key for the slot
    expect(
      world
        .keysNamed(slotPrefix())
        .filter((key) => world.keyValid(key.id))
        .map((key) => key.id),
    ).toEqual([secondKey.id]);
  });

  it('leaves keys of other repositories, other secrets, other prefixes and manual keys alone', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const runId = world.runId();
    const colleague = world.kubiya.addUser({ email: 'dev@acme.dev', org: 'acme' });
    const foreignNames = [
      keyName({ runId, scope: 'acme/web-api' }),
      keyName({ runId, scope: 'acme/webapp' }),
      keyName({ runId, secretName: 'OTHER_SECRET' }),
      keyName({ runId, secretName: 'KUBIYA_API_KEY_2' }),
      keyName({ runId, scope: 'acme/web/dependabot' }),
      keyName({ runId, scope: 'acme/web@production' }),
      keyName({ runId, scope: 'acme/web/job/deploy' }),
      keyName({ runId, prefix: 'ci' }),
      keyName({ runId, prefix: 'gha-old' }),
      'gha:acme/web:KUBIYA_API_KEY',
      'gha:acme/web:KUBIYA_API_KEY:manual',
      'acme/web KUBIYA_API_KEY',
      'manual key for acme/web',
    ];
    const foreign = foreignNames.map((name) => world.seedKey({ name, createdAt: new Date(Date.now() - 2 * HOUR) }));

    const step = await world.run({ github: { runId } });
    expectExit(step, 0);

    expect(step.outputs['revoked-key-ids']).toBe(previous.id);
    expect(world.keyValid(previous.id)).toBe(false);
    for (const [index, key] of foreign.entries()) {
      expect(world.keyValid(key.id), `${foreignNames[index]} stays valid`).toBe(true);
    }
    expect(world.kubiya.isValid(world.adminKey), 'the admin key stays valid').toBe(true);
    expect(world.kubiya.isValid(colleague.apiKey), "a colleague's manual key stays valid").toBe(true);
    expect(world.kubiya.count('DELETE', /^\/api\/v1\/auth\/keys\//)).toBe(1);
  });

  it('gives each repository its own key and reports one result per target', async ({ world }) => {
    const runId = world.runId();
    const step = await world.run({ github: { runId }, inputs: { repositories: 'acme/web\nweb-api' } });
    expectExit(step, 0);

    const web = world.keyOf(world.secret(SECRET, 'acme/web'));
    const api = world.keyOf(world.secret(SECRET, 'acme/web-api'));
    expect(web.id).not.toBe(api.id);
    expect(web.name).toBe(keyName({ runId }));
    expect(api.name).toBe(keyName({ runId, scope: 'acme/web-api' }));
    expect(world.kubiya.isValid(web.token) && world.kubiya.isValid(api.token)).toBe(true);
    expect(results(step).map((entry) => [entry.target, entry.status, entry.keyId])).toEqual([
      ['acme/web', 'rotated', web.id],
      ['acme/web-api', 'rotated', api.id],
    ]);
    expect(step.outputs['key-id'] ?? '', 'key-id is set only for a single target').toBe('');
    for (const target of ['acme/web', 'acme/web-api']) expect(step.summary).toContain(`| ${target} |`);
  });

  it('keeps the key it superseded during the grace period and revokes an older one whose successor has aged past it', async ({ world }) => {
    const oldest = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - 3 * DAY) });
    const superseded = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - 2 * DAY) });
    world.github.seedSecret({ repo: REPO }, SECRET, superseded.token);

    const step = await world.run({ inputs: { 'grace-period': '1d' } });
    expectExit(step, 0);

    const stored = world.secret();
    expect(world.keyOf(stored).id).toBe(step.outputs['key-id']);
    expect(world.keyValid(superseded.id), 'the key the new one superseded stays valid for the grace period').toBe(true);
    expect(world.keyValid(oldest.id), 'its predecessor, superseded 2 days ago, is revoked').toBe(false);
    expect(step.outputs['revoked-key-ids']).toBe(oldest.id);
    expect(results(step)[0]).toMatchObject({ status: 'rotated', revokedKeyIds: [oldest.id] });
    expect(step.summaryText).toContain(superseded.name);
  });

  it('revokes superseded keys that already expired, keeping the key list clean', async ({ world }) => {
    const expired = world.seedManagedKey({
      runId: world.runId(),
      createdAt: new Date(Date.now() - 40 * DAY),
      expiresAt: new Date(Date.now() - 10 * DAY),
    });
    const previous = world.seedRotatedSecret();

    const step = await world.run();
    expectExit(step, 0);

    expect(world.kubiya.keyById(expired.id)?.revoked_at).not.toBeNull();
    expect(world.keyValid(previous.id)).toBe(false);
    expect(step.outputs['revoked-key-ids']?.split(',').sort()).toEqual([expired.id, previous.id].sort());
  });

  it('counts a superseded key that is already gone (404) as revoked', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'DELETE', path: KEY_PATH, kind: 'status', status: 404, body: { detail: 'API key not found' } });

    const step = await world.run();
    expectExit(step, 0);

    expect(results(step)[0]).toMatchObject({ status: 'rotated', revokedKeyIds: [previous.id] });
    expect(world.kubiya.count('DELETE'), 'a 404 is not retried').toBe(1);
  });

  it('leaves superseded keys to expire on their own with revoke-previous: false', async ({ world }) => {
    const previous = world.seedRotatedSecret();

    const step = await world.run({ inputs: { 'revoke-previous': 'false' } });
    expectExit(step, 0);

    expect(world.keyOf(world.secret()).id).toBe(step.outputs['key-id']);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(world.kubiya.count('DELETE')).toBe(0);
    expect(step.outputs['revoked-key-ids']).toBe('');
    expect(step.summaryText).toContain(previous.name);
  });

  it('writes the secret through a GHES base URL (/api/v3)', async ({ world }) => {
    const step = await world.run({ inputs: { 'github-api-url': `${world.github.url}/api/v3` } });
    expectExit(step, 0);

    expect(world.kubiya.isValid(world.secret()!)).toBe(true);
    expect(world.github.requests.every((request) => request.path.startsWith('/api/v3/'))).toBe(true);
  });

  it('upper-cases the secret name, in the secret and in the key name', async ({ world }) => {
    const runId = world.runId();
    const step = await world.run({ github: { runId }, inputs: { 'secret-name': 'kubiya_ci_key', 'key-name-prefix': 'ci-rot' } });
    expectExit(step, 0);

    const key = world.keyOf(world.secret('KUBIYA_CI_KEY'));
    expect(key.name).toBe(keyName({ runId, secretName: 'KUBIYA_CI_KEY', prefix: 'ci-rot' }));
    expect(world.secret(SECRET), 'the default secret is not written').toBeUndefined();
  });

  it('sets the expiry from ttl, in ISO-8601 form too', async ({ world }) => {
    const before = Date.now();
    const step = await world.run({ inputs: { ttl: 'P7D' } });
    const after = Date.now();
    expectExit(step, 0);

    const expires = at(step.outputs['expires-at']);
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(after + 7 * DAY + 1000);
    expect(at(world.keyOf(world.secret()).expires_at)).toBe(expires);
  });

  it('skips the check of the new key with verify: false', async ({ world }) => {
    const step = await world.run({ inputs: { verify: 'false' } });
    expectExit(step, 0);

    const checks = world.kubiya.matching('GET', SELF_PATH);
    expect(checks.map((request) => request.headers['authorization'])).toEqual([`UserKey ${world.adminKey}`]);
    expect(world.kubiya.isValid(world.secret()!)).toBe(true);
  });
});
