// Every kind of target, end to end: environment, Dependabot and organization secrets, and many
// repositories in one run.
import { describe, expect } from 'vitest';
import { DAY, expectExit, failure, it, keyName, results } from './world.ts';

describe('environment secrets', () => {
  it('rotates the secret of an environment whose name has a slash and a space', async ({ world }) => {
    world.github.addEnvironment('acme/web', 'prod/eu west');
    const old = world.seedManagedKey({ runId: world.runId(), scope: 'acme/web@prod/eu west', createdAt: new Date(Date.now() - DAY) });
    const runId = world.runId();
    const step = await world.run({ github: { runId }, inputs: { environment: 'prod/eu west' } });
    expectExit(step, 0);

    const stored = world.github.secretValue({ repo: 'acme/web', environment: 'prod/eu west' }, 'KUBIYA_API_KEY');
    expect(world.keyOf(stored).name).toBe(keyName({ runId, scope: 'acme/web@prod/eu west' }));
    expect(world.kubiya.isValid(stored!)).toBe(true);
    expect(world.keyValid(old.id), 'the superseded environment key is revoked').toBe(false);
    expect(world.secret(), 'the repository secret is not touched').toBeUndefined();
    expect(results(step)[0]).toMatchObject({ target: 'acme/web@prod/eu west', status: 'rotated', revokedKeyIds: [old.id] });
    expect(
      world.github.requests.some((r) => r.path.includes('prod%252F')),
      'the name is encoded once',
    ).toBe(false);
  });

  it('names the Environments permission when the token lacks it', async ({ world }) => {
    world.github.addEnvironment('acme/web', 'production');
    const token = world.addGitHubToken({ kind: 'pat', environments: 'none' });
    const step = await world.run({ inputs: { environment: 'production', 'github-token': token } });
    expectExit(step, 1);
    expect(failure(step)).toMatch(/acme\/web@production.*GITHUB_TOKEN cannot write secrets.*"Environments: Read and write"/);
    expect(world.writes()).toEqual([]);
  });
});

describe('Dependabot secrets', () => {
  it('rotates the Dependabot secret with its own keys, apart from the Actions secret of the same name', async ({ world }) => {
    const actionsKey = world.seedRotatedSecret();
    const runId = world.runId();
    const step = await world.run({ github: { runId }, inputs: { 'secret-type': 'dependabot' } });
    expectExit(step, 0);

    const stored = world.github.secretValue({ repo: 'acme/web', type: 'dependabot' }, 'KUBIYA_API_KEY');
    expect(world.keyOf(stored).name).toBe(keyName({ runId, scope: 'acme/web/dependabot' }));
    expect(world.keyValid(actionsKey.id), 'the Actions secret’s key is not superseded by a Dependabot key').toBe(true);
    expect(world.secret()).toBe(actionsKey.token);
  });

  it('names the Dependabot secrets permission when the token lacks it', async ({ world }) => {
    const token = world.addGitHubToken({ kind: 'pat', dependabotSecrets: 'none' });
    const step = await world.run({ inputs: { 'secret-type': 'dependabot', 'github-token': token } });
    expectExit(step, 1);
    expect(failure(step)).toMatch(/"Dependabot secrets: Read and write"/);
  });
});

describe('organization secrets', () => {
  it('rotates one organization secret and keeps its selected visibility and repositories exactly', async ({ world }) => {
    world.github.addOrg('acme');
    const web = world.github.repoByName('acme/web')!;
    const tools = world.github.addRepo('acme/tools');
    const old = world.seedManagedKey({ runId: world.runId(), scope: 'org:acme', createdAt: new Date(Date.now() - DAY) });
    world.github.setOrgSecret({ org: 'acme' }, 'KUBIYA_API_KEY', {
      value: old.token,
      visibility: 'selected',
      selectedRepositoryIds: [web.id, tools.id],
    });

    const runId = world.runId();
    // The inputs that would apply on create differ on purpose: an existing secret keeps its own.
    const step = await world.run({
      github: { runId },
      inputs: { organization: 'acme', 'org-secret-visibility': 'all', repositories: 'web' },
    });
    expectExit(step, 0);

    const meta = world.github.secretMeta({ org: 'acme' }, 'KUBIYA_API_KEY')!;
    expect(world.keyOf(meta.value).name).toBe(keyName({ runId, scope: 'org:acme' }));
    expect(meta).toMatchObject({ visibility: 'selected', selectedRepositoryIds: [web.id, tools.id] });
    expect(world.keyValid(old.id)).toBe(false);
    expect(results(step)).toMatchObject([{ target: 'org:acme', status: 'rotated', revokedKeyIds: [old.id] }]);
  });

  it('creates a missing organization secret visible to the selected repositories only', async ({ world }) => {
    world.github.addOrg('acme');
    const tools = world.github.addRepo('acme/tools');
    const web = world.github.repoByName('acme/web')!;
    const step = await world.run({ inputs: { organization: 'acme', 'org-secret-visibility': 'selected', repositories: 'web, tools' } });
    expectExit(step, 0);
    expect(world.github.secretMeta({ org: 'acme' }, 'KUBIYA_API_KEY')).toMatchObject({
      visibility: 'selected',
      selectedRepositoryIds: [web.id, tools.id],
    });
  });

  it('names the Organization secrets permission when the token lacks it', async ({ world }) => {
    world.github.addOrg('acme');
    const token = world.addGitHubToken({ kind: 'pat', orgSecrets: 'none' });
    const step = await world.run({ inputs: { organization: 'acme', 'github-token': token } });
    expectExit(step, 1);
    expect(failure(step)).toMatch(/org:acme.*"Organization secrets: Read and write"/);
  });

  it('revokes every key of the organization slot in revoke mode, and nothing of the repositories', async ({ world }) => {
    const orgKey = world.seedManagedKey({ runId: world.runId(), scope: 'org:acme' });
    const repoKey = world.seedManagedKey({ runId: world.runId() });
    const step = await world.run({ inputs: { mode: 'revoke', organization: 'acme', 'github-token': '' } });
    expectExit(step, 0);
    expect(step.outputs['revoked-key-ids']).toBe(orgKey.id);
    expect(world.keyValid(repoKey.id)).toBe(true);
  });
});

describe('many repositories', () => {
  it('rotates each repository with its own key; one failure neither stops nor rolls back the others', async ({ world }) => {
    for (const repo of ['acme/api', 'acme/tools']) world.github.addRepo(repo);
    const previous = Object.fromEntries(
      ['acme/web', 'acme/api', 'acme/locked', 'acme/tools'].map((repo) => {
        const key = world.seedManagedKey({ runId: world.runId(), scope: repo, createdAt: new Date(Date.now() - DAY) });
        return [repo, key];
      }),
    );
    world.github.addRepo('acme/locked');
    world.github.seedSecret({ repo: 'acme/locked' }, 'KUBIYA_API_KEY', previous['acme/locked']!.token);
    const token = world.addGitHubToken({ kind: 'pat', repos: ['acme/web', 'acme/api', 'acme/tools', 'acme/locked'] });
    world.github.injectFault({
      method: 'PUT',
      path: '/repos/acme/locked/actions/secrets/KUBIYA_API_KEY',
      kind: 'status',
      status: 403,
      times: Infinity,
    });

    const runId = world.runId();
    const step = await world.run({ github: { runId }, inputs: { repositories: 'web\nacme/api, locked,tools', 'github-token': token } });
    expectExit(step, 1);

    const byTarget = Object.fromEntries(results(step).map((entry) => [entry.target, entry]));
    expect(Object.keys(byTarget)).toEqual(['acme/web', 'acme/api', 'acme/locked', 'acme/tools']);
    for (const repo of ['acme/web', 'acme/api', 'acme/tools']) {
      const stored = world.github.secretValue({ repo }, 'KUBIYA_API_KEY');
      expect(world.keyOf(stored).name).toBe(keyName({ runId, scope: repo }));
      expect(byTarget[repo]).toMatchObject({ status: 'rotated', revokedKeyIds: [previous[repo]!.id] });
    }
    expect(byTarget['acme/locked']).toMatchObject({ status: 'failed' });
    expect(world.github.secretValue({ repo: 'acme/locked' }, 'KUBIYA_API_KEY'), 'the failed target keeps its old key').toBe(
      previous['acme/locked']!.token,
    );
    expect(world.keyValid(previous['acme/locked']!.id), 'and that key still works').toBe(true);
    expect(
      world.keysOfRun(runId, { scope: 'acme/locked' }).every((key) => key.revoked_at),
      'its new key is revoked',
    ).toBe(true);
    expect(failure(step)).toMatch(/1 of 4 targets failed: acme\/locked/);
    expect(step.summaryText.split('\n').filter((line) => /^acme\/\w+ \| KUBIYA_API_KEY \|/.test(line))).toHaveLength(4);
    expect(world.kubiya.count('GET', '/api/v1/auth/keys'), 'the key list is read once for all, then once per slot after its mint').toBe(5);
  });
});
