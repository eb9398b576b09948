// Audit mode's GitHub reads against the GitHub emulator: a secret's metadata for every kind of target, what
// exactly is missing on a 404, and a refused read named with the permission it needs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/client.ts';
import { GitHubSecretStore } from '../../src/github/secrets.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { environmentSlot, organizationSlot, repositorySlot } from '../../src/slots.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';

const TOKEN = 'github_pat_contract_test_token_0002';
const NAME = 'KUBIYA_API_KEY';
const orgSlot = (secretType: 'actions' | 'dependabot' = 'actions') =>
  organizationSlot('acme', NAME, { secretType, visibilityOnCreate: 'private', selectedOnCreate: [] });
let github: GitHubEmulator;

function store(token = TOKEN): GitHubSecretStore {
  return new GitHubSecretStore(
    createOctokit({
      token,
      baseUrl: github.url,
      timeoutMs: 2_000,
      retry: { ...DEFAULT_RETRY, baseMs: 20 },
      userAgent: 'contract-test',
      warn: () => {},
    }),
  );
}

beforeEach(async () => {
  github = await startGitHubEmulator();
  github.addRepo('acme/web', { environments: ['production'] });
  github.addOrg('acme');
  github.addToken(TOKEN, { kind: 'pat' });
});
afterEach(() => github.close());

describe('GitHubSecretStore.readSecret', () => {
  it.each([
    ['repository', repositorySlot('acme', 'web', NAME), { repo: 'acme/web' }, `/repos/acme/web/actions/secrets/${NAME}`],
    [
      'Dependabot',
      repositorySlot('acme', 'web', NAME, 'dependabot'),
      { repo: 'acme/web', type: 'dependabot' as const },
      `/repos/acme/web/dependabot/secrets/${NAME}`,
    ],
    [
      'environment',
      environmentSlot('acme', 'web', 'production', NAME),
      { repo: 'acme/web', environment: 'production' },
      `/repos/acme/web/environments/production/secrets/${NAME}`,
    ],
    ['organization', orgSlot(), { org: 'acme' }, `/orgs/acme/actions/secrets/${NAME}`],
    [
      'organization Dependabot',
      orgSlot('dependabot'),
      { org: 'acme', type: 'dependabot' as const },
      `/orgs/acme/dependabot/secrets/${NAME}`,
    ],
  ])('reads a %s secret’s updated_at with one GET, never its value', async (_kind, slot, location, path) => {
    github.seedSecret(location, NAME, 'held-value');
    const updatedAt = github.secretMeta(location, NAME)!.updated_at;

    await expect(store().readSecret(slot)).resolves.toEqual({ state: 'present', updatedAt: new Date(updatedAt) });
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET ${path}`]);
  });

  it.each([
    ['the secret', repositorySlot('acme', 'web', NAME), `secret ${NAME} does not exist in acme/web`],
    ['a Dependabot secret', repositorySlot('acme', 'web', NAME, 'dependabot'), `Dependabot secret ${NAME} does not exist in acme/web`],
    ['the environment', environmentSlot('acme', 'web', 'staging', NAME), "environment 'staging' does not exist in acme/web"],
    [
      'the secret of an environment',
      environmentSlot('acme', 'web', 'production', NAME),
      `secret ${NAME} does not exist in acme/web@production`,
    ],
    ['the repository', repositorySlot('acme', 'gone', NAME), 'repository acme/gone does not exist, or github-token cannot see it'],
    ['the organization secret', orgSlot(), `secret ${NAME} does not exist in org:acme`],
    [
      'the organization',
      organizationSlot('gone', NAME, { secretType: 'actions', visibilityOnCreate: 'private', selectedOnCreate: [] }),
      'organization gone does not exist',
    ],
  ])('says what is missing when %s is', async (_what, slot, what) => {
    const state = await store().readSecret(slot);
    expect(state).toEqual({ state: 'missing', what: expect.stringContaining(what) });
    expect(github.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it('takes a repository the token was not given for one it cannot see, as GitHub answers 404 for both', async () => {
    const narrow = 'github_pat_contract_test_token_0003';
    github.addRepo('acme/private');
    github.addToken(narrow, { kind: 'pat', repos: ['acme/web'] });
    await expect(store(narrow).readSecret(repositorySlot('acme', 'private', NAME))).resolves.toEqual({
      state: 'missing',
      what: expect.stringContaining('or github-token cannot see it'),
    });
  });

  it.each([
    ['repository', repositorySlot('acme', 'web', NAME), { secrets: 'none' as const }, '"Secrets: Read-only"'],
    ['environment', environmentSlot('acme', 'web', 'production', NAME), { environments: 'none' as const }, '"Environments: Read-only"'],
    [
      'Dependabot',
      repositorySlot('acme', 'web', NAME, 'dependabot'),
      { dependabotSecrets: 'none' as const },
      '"Dependabot secrets: Read-only"',
    ],
    ['organization', orgSlot(), { orgSecrets: 'none' as const }, '"Organization secrets: Read-only"'],
  ])(
    'refuses a %s read the token may not make, naming the read permission: a permission problem, not a missing target',
    async (_kind, slot, grant, permission) => {
      const weak = 'github_pat_contract_test_token_0004';
      github.addToken(weak, { kind: 'pat', ...grant });
      await expect(store(weak).readSecret(slot)).rejects.toThrow(permission);
      expect(github.requests.map((request) => request.method)).toEqual(['GET']);
    },
  );

  it('retries a 5xx like every other GitHub request', async () => {
    github.seedSecret({ repo: 'acme/web' }, NAME, 'held-value');
    github.injectFault({ method: 'GET', path: `/repos/acme/web/actions/secrets/${NAME}`, kind: 'status', status: 502, times: 1 });
    await expect(store().readSecret(repositorySlot('acme', 'web', NAME))).resolves.toMatchObject({ state: 'present' });
    expect(github.requests).toHaveLength(2);
  });
});
