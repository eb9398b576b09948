// The repository secret store against the GitHub emulator, which opens sealed boxes with its private keys.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOctokit } from '../../src/github/client.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { GitHubSecretStore } from '../../src/github/secrets.ts';
import { environmentSlot, organizationSlot, repositorySlot, type GitHubSecretSlot } from '../../src/slots.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';
import { failure } from './service-failure.ts';

const TOKEN = 'github_pat_contract_test_token_0001';
const slot = repositorySlot('acme', 'web', 'KUBIYA_API_KEY');
let github: GitHubEmulator;
let warnings: string[];

function store(options: { token?: string; baseUrl?: string; timeoutMs?: number } = {}): GitHubSecretStore {
  return new GitHubSecretStore(
    createOctokit({
      token: options.token ?? TOKEN,
      baseUrl: options.baseUrl ?? github.url,
      timeoutMs: options.timeoutMs ?? 2_000,
      retry: { ...DEFAULT_RETRY, baseMs: 20 },
      userAgent: 'contract-test',
      warn: (message) => warnings.push(message),
    }),
  );
}

async function write(value: string, s = store()): Promise<'created' | 'updated'> {
  const target = await s.prepare(slot);
  return s.put(slot, value, target, { sendBy: Infinity, clock: () => 0 });
}

beforeEach(async () => {
  github = await startGitHubEmulator();
  github.addRepo('acme/web');
  github.addToken(TOKEN, { kind: 'pat' });
  warnings = [];
});
afterEach(() => github.close());

describe('repository secrets', () => {
  it('seals a value GitHub can open, created then updated', async () => {
    expect(await write('first-value')).toBe('created');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('first-value');
    expect(await write('second-value')).toBe('updated');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('second-value');
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toContain('PUT /repos/acme/web/actions/secrets/KUBIYA_API_KEY');
    expect(github.requests[0]!.headers['authorization']).toBe(`token ${TOKEN}`);
  });

  it('works under a GHES-style /api/v3 base URL', async () => {
    await write('ghes-value', store({ baseUrl: `${github.url}/api/v3` }));
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('ghes-value');
    expect(github.requests[0]!.path).toBe('/api/v3/repos/acme/web/actions/secrets/public-key');
  });

  it('explains that the default GITHUB_TOKEN cannot write secrets', async () => {
    github.addToken('ghs_default_workflow_token_000000', { kind: 'github-token' });
    const error = await failure(store({ token: 'ghs_default_workflow_token_000000' }).prepare(slot));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/acme\/web.*default GITHUB_TOKEN cannot write secrets.*"Secrets: Read and write".*GitHub App token/);
    expect(error.message).not.toContain('ghs_default_workflow_token_000000');
  });

  it('names the target when the repository is not visible to the token (404)', async () => {
    const error = await failure(store().prepare(repositorySlot('acme', 'hidden', 'KUBIYA_API_KEY')));
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/acme\/hidden/);
  });

  it('retries a 502 and a reset, but not a 422', async () => {
    github.injectFault({ method: 'GET', kind: 'status', status: 502 });
    github.injectFault({ method: 'PUT', kind: 'reset' });
    await write('after-retries');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('after-retries');

    github.injectFault({ method: 'PUT', kind: 'status', status: 422, body: { message: 'Bad request' } });
    expect((await failure(write('never'))).message).toMatch(/HTTP 422: Bad request/);
    expect(github.count('PUT')).toBe(3);
  });

  it('reports no response when the PUT never gets an answer, so the caller knows the outcome is unknown', async () => {
    github.injectFault({ method: 'PUT', kind: 'hang', times: Infinity });
    const error = await failure(write('lost', store({ timeoutMs: 150 })));
    expect(error.outcomeUnknown).toBe(true);
    expect(github.count('PUT')).toBe(4);
  });

  it('writes once more, with the public key read again, when GitHub replaced it since it was read (422)', async () => {
    const s = store();
    const target = await s.prepare(slot);
    github.rotatePublicKey({ repo: 'acme/web' });
    expect(await s.put(slot, 'resealed', target, { sendBy: Infinity, clock: () => 0 })).toBe('created');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('resealed');
    expect(github.matching('PUT').map((request) => request.status)).toEqual([422, 201]);
  });

  it('reports an unknown outcome when any attempt got no answer, even if later attempts were refused', async () => {
    github.injectFault({ method: 'PUT', kind: 'lost-response', times: 1 });
    github.injectFault({ method: 'PUT', kind: 'status', status: 500, nth: 2, times: Infinity });
    const error = await failure(write('stored-by-the-lost-attempt'));
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toMatch(/an earlier attempt got no answer and may have been stored/);
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY'), 'the lost attempt was stored').toBe('stored-by-the-lost-attempt');
  });

  it('sends no attempt that the caller no longer allows, and says whether an earlier one may have landed', async () => {
    const s = store();
    const target = await s.prepare(slot);
    const never = await failure(s.put(slot, 'never', target, { sendBy: -1, clock: () => 0 }));
    expect(never.outcomeUnknown).toBe(false);
    expect(github.count('PUT')).toBe(0);

    github.injectFault({ method: 'PUT', kind: 'reset' });
    let sent = 0;
    const late = await failure(s.put(slot, 'late', target, { sendBy: 0, clock: () => sent++ }));
    expect(github.count('PUT'), 'the retry was not sent').toBe(1);
    expect(late.outcomeUnknown, 'the first attempt got no answer').toBe(true);
  });

  it('waits out a secondary rate limit with its retry-after', async () => {
    github.injectFault({
      method: 'PUT',
      kind: 'status',
      status: 403,
      headers: { 'retry-after': '1' },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
    });
    await write('throttled');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBe('throttled');
    expect(warnings[0]).toMatch(/secondary rate limit/);
  });
});

describe('environment, Dependabot and organization secrets', () => {
  const org = (options: Partial<Parameters<typeof organizationSlot>[2]> = {}) =>
    organizationSlot('acme', 'KUBIYA_API_KEY', { secretType: 'actions', visibilityOnCreate: 'private', selectedOnCreate: [], ...options });

  async function writeTo(target: GitHubSecretSlot, value: string, s = store()): Promise<'created' | 'updated'> {
    const prepared = await s.prepare(target);
    return s.put(target, value, prepared, { sendBy: Infinity, clock: () => 0 });
  }

  it('encodes an environment name once: prod/eu is reached, not prod%2Feu', async () => {
    github.addEnvironment('acme/web', 'prod/eu');
    await writeTo(environmentSlot('acme', 'web', 'prod/eu', 'KUBIYA_API_KEY'), 'env-value');
    expect(github.secretValue({ repo: 'acme/web', environment: 'prod/eu' }, 'KUBIYA_API_KEY')).toBe('env-value');
    expect(github.requests.map((r) => r.path)).toContain('/repos/acme/web/environments/prod%2Feu/secrets/KUBIYA_API_KEY');
  });

  it('names the Environments permission, and the environment, when GitHub refuses', async () => {
    github.addToken('github_pat_no_environments_000000000', { kind: 'pat', environments: 'none' });
    github.addEnvironment('acme/web', 'production');
    const refused = await failure(
      store({ token: 'github_pat_no_environments_000000000' }).prepare(environmentSlot('acme', 'web', 'production', 'K')),
    );
    expect(refused.message).toMatch(/acme\/web@production.*"Environments: Read and write"/);
    const missing = await failure(store().prepare(environmentSlot('acme', 'web', 'staging', 'K')));
    expect(missing.message).toMatch(
      /repository acme\/web or its environment 'staging' may not exist, or may not be visible to github-token/,
    );
  });

  it('says a repository may not exist or not be visible to the token when GitHub answers 404, and still names the permission', async () => {
    const error = await failure(store().prepare(repositorySlot('acme', 'wbe', 'KUBIYA_API_KEY')));
    expect(error.message).toMatch(/repository acme\/wbe may not exist, or may not be visible to github-token: check the name/);
    expect(error.message).toMatch(/a fine-grained token not given the repository or organization gets 404 too/);
    expect(error.message).toContain('The default GITHUB_TOKEN cannot write secrets');
    expect(error.message).toContain('"Secrets: Read and write"');
    expect(error.message).not.toContain('cannot write the secrets of');

    github.addToken('github_pat_other_repository_only_0000', { kind: 'pat', repos: ['acme/api'] });
    const unseen = await failure(store({ token: 'github_pat_other_repository_only_0000' }).prepare(repositorySlot('acme', 'web', 'K')));
    expect(unseen.message).toMatch(/repository acme\/web may not exist, or may not be visible to github-token/);
  });

  it('writes Dependabot secrets apart from Actions secrets, and names their permission', async () => {
    await writeTo(repositorySlot('acme', 'web', 'KUBIYA_API_KEY', 'dependabot'), 'dependabot-value');
    expect(github.secretValue({ repo: 'acme/web', type: 'dependabot' }, 'KUBIYA_API_KEY')).toBe('dependabot-value');
    expect(github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')).toBeUndefined();
    github.addToken('github_pat_no_dependabot_00000000000', { kind: 'pat', dependabotSecrets: 'none' });
    const error = await failure(
      store({ token: 'github_pat_no_dependabot_00000000000' }).prepare(repositorySlot('acme', 'web', 'K', 'dependabot')),
    );
    expect(error.message).toMatch(/"Dependabot secrets: Read and write"/);
  });

  it('keeps an existing organization secret’s visibility and selected repositories exactly', async () => {
    github.addOrg('acme');
    const tools = github.addRepo('acme/tools');
    const web = github.repoByName('acme/web')!;
    github.setOrgSecret({ org: 'acme' }, 'KUBIYA_API_KEY', {
      value: 'old',
      visibility: 'selected',
      selectedRepositoryIds: [web.id, tools.id],
    });
    expect(await writeTo(org({ visibilityOnCreate: 'all' }), 'org-value')).toBe('updated');
    expect(github.secretMeta({ org: 'acme' }, 'KUBIYA_API_KEY')).toMatchObject({
      value: 'org-value',
      visibility: 'selected',
      selectedRepositoryIds: [web.id, tools.id],
    });
    // Sent back explicitly, not left to GitHub's handling of an omitted list.
    const put = github.requests.find((r) => r.method === 'PUT')!;
    expect(JSON.parse(put.body)).toMatchObject({ visibility: 'selected', selected_repository_ids: [web.id, tools.id] });
  });

  it('creates an organization secret with org-secret-visibility, resolving the selected repositories to ids', async () => {
    github.addOrg('acme');
    const tools = github.addRepo('acme/tools');
    expect(await writeTo(org({ visibilityOnCreate: 'selected', selectedOnCreate: ['acme/tools'] }), 'new-org-value')).toBe('created');
    expect(github.secretMeta({ org: 'acme' }, 'KUBIYA_API_KEY')).toMatchObject({
      visibility: 'selected',
      selectedRepositoryIds: [tools.id],
    });
  });

  it('writes organization Dependabot secrets and names the organization permission when refused', async () => {
    github.addOrg('acme');
    await writeTo(org({ secretType: 'dependabot' }), 'org-dependabot');
    expect(github.secretValue({ org: 'acme', type: 'dependabot' }, 'KUBIYA_API_KEY')).toBe('org-dependabot');
    github.addToken('github_pat_no_org_secrets_00000000000', { kind: 'pat', orgSecrets: 'none' });
    const error = await failure(store({ token: 'github_pat_no_org_secrets_00000000000' }).prepare(org()));
    expect(error.message).toMatch(/org:acme.*"Organization secrets: Read and write"/);
  });
});

describe('rate limits', () => {
  it('says a primary rate limit is a rate limit, not a missing permission, when the reset is too far away', async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    github.injectFault({
      method: 'GET',
      kind: 'status',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      body: { message: 'API rate limit exceeded for user ID 1.' },
    });
    const error = await failure(store().prepare(slot));
    expect(error.message).toMatch(/GitHub rate-limited reading the public key of acme\/web .*wait until .*run again later/);
    expect(error.message).not.toMatch(/GITHUB_TOKEN/);
  });

  it('retries a 5xx that also says no requests are left: only a 403 or 429 is a rate limit the throttler waits out', async () => {
    github.injectFault({ method: 'PUT', kind: 'status', status: 502, headers: { 'x-ratelimit-remaining': '0' } });
    expect(await write('after-a-502')).toBe('created');
    expect(github.matching('PUT').map((request) => request.status)).toEqual([502, 201]);
    expect(warnings, 'not taken for a rate limit').toEqual([]);
  });
});
