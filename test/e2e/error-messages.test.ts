// The failures a user will meet first — a token that cannot write secrets, a bad admin key, an admin
// without key management — stop before anything is minted, and say what to fix without any key in it.
import { describe, expect } from 'vitest';
import { isMaskedBeforeUse } from '../sandbox/runner.ts';
import type { StepResult } from '../sandbox/runner.ts';
import type { World } from './world.ts';
import { KEYS_PATH, expectExit, failure, it, results } from './world.ts';

/** Nothing changed anywhere: no key minted or revoked, no secret written. */
function expectNothingChanged(world: World, keysBefore: number): void {
  expect(world.writes().map((request) => `${request.method} ${request.path}`)).toEqual([]);
  expect(world.kubiya.keys()).toHaveLength(keysBefore);
}

function expectCredentialsAbsent(step: StepResult, credentials: string[]): void {
  const message = failure(step);
  for (const credential of credentials) expect(message.includes(credential), 'the message carries no credential').toBe(false);
}

describe('required error messages', () => {
  it('explains that the default GITHUB_TOKEN cannot write secrets when GitHub answers 403', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const jobToken = world.addGitHubToken({ kind: 'github-token' });
    const keysBefore = world.kubiya.keys().length;

    const step = await world.run({ inputs: { 'github-token': jobToken } });
    expectExit(step, 1);

    const message = failure(step);
    expect(message).toContain('acme/web');
    expect(message).toContain('GITHUB_TOKEN cannot write secrets');
    expect(message).toContain('Secrets: Read and write');
    expect(results(step)[0]).toMatchObject({ status: 'failed' });
    expectNothingChanged(world, keysBefore);
    expect(world.secret()).toBe(previous.token);
    expectCredentialsAbsent(step, [jobToken, world.adminKey, previous.token]);
  });

  it('names the repository and the permission when the token cannot see the repository (404)', async ({ world }) => {
    const otherRepoOnly = world.addGitHubToken({ kind: 'pat', repos: ['acme/web-api'] });
    const keysBefore = world.kubiya.keys().length;

    const step = await world.run({ inputs: { 'github-token': otherRepoOnly } });
    expectExit(step, 1);

    const message = failure(step);
    expect(message).toContain('acme/web');
    expect(message).toContain('GITHUB_TOKEN cannot write secrets');
    expect(message).toContain('Secrets: Read and write');
    expectNothingChanged(world, keysBefore);
    expectCredentialsAbsent(step, [otherRepoOnly, world.adminKey]);
  });

  it('says the admin key is invalid, revoked or expired and points at kubiya-api-url when Kubiya answers 401', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const revoked = world.seedKey({ name: 'manual:old-admin' });
    world.kubiya.revokeKey(revoked.id);
    const keysBefore = world.kubiya.keys().length;

    const step = await world.run({ inputs: { 'admin-api-key': revoked.token } });
    expectExit(step, 1);

    const message = failure(step);
    expect(message).toContain('invalid, revoked or expired');
    expect(message).toContain('kubiya-api-url');
    expect(world.kubiya.count('POST', KEYS_PATH)).toBe(0);
    expectNothingChanged(world, keysBefore);
    expect(world.secret()).toBe(previous.token);
    expect(isMaskedBeforeUse(step, revoked.token), 'the rejected admin key is masked too').toBe(true);
    expectCredentialsAbsent(step, [revoked.token, world.githubToken]);
  });

  it('says the admin key lacks permission to manage API keys when Kubiya answers 403', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    const viewer = world.kubiya.addUser({ email: 'viewer@acme.dev', org: 'acme', canManageKeys: false });
    const keysBefore = world.kubiya.keys().length;

    const step = await world.run({ inputs: { 'admin-api-key': viewer.apiKey } });
    expectExit(step, 1);

    expect(failure(step)).toContain('lacks permission to manage API keys');
    // The emulated Kubiya lets any user authenticate and list; it refuses the mint itself.
    expect(world.writes().map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([`POST ${KEYS_PATH} 403`]);
    expect(world.kubiya.keys()).toHaveLength(keysBefore);
    expect(world.secret()).toBe(previous.token);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(isMaskedBeforeUse(step, viewer.apiKey)).toBe(true);
    expectCredentialsAbsent(step, [viewer.apiKey, world.githubToken]);
  });

  it('says the same in mint mode when the admin key is rejected at the mint', async ({ world }) => {
    const stale = world.madeUpSecret('eyJhbGciOiJIUzI1NiJ9.');
    const keysBefore = world.kubiya.keys().length;

    const step = await world.run({
      inputs: { mode: 'mint', 'admin-api-key': stale, 'github-token': undefined },
      github: { job: 'deploy' },
    });
    expectExit(step, 1);

    const message = failure(step);
    expect(message).toContain('invalid, revoked or expired');
    expect(message).toContain('kubiya-api-url');
    expect(world.kubiya.keys()).toHaveLength(keysBefore);
    expect(step.outputs['api-key'] ?? '').toBe('');
    expect(isMaskedBeforeUse(step, stale)).toBe(true);
    expectCredentialsAbsent(step, [stale]);
  });
});
