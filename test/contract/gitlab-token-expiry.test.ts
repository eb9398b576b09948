// The GitLab token's record (GET /personal_access_tokens/self) against the GitLab emulator: its expiry for personal,
// project and group access tokens, a refused token, and an older server without the endpoint. Every request is
// checked against GitLab's own API description.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitLabTokenExpiry } from '../../src/footing.ts';
import { readTokenSelf } from '../../src/gitlab/tokens.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { startGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab-emulator.ts';
import { assertMatchesOpenApi } from '../sandbox/gitlab-openapi.ts';

let gitlab: GitLabEmulator;
beforeEach(async () => {
  gitlab = await startGitLabEmulator();
  gitlab.addProject('acme/web');
});
afterEach(async () => {
  for (const request of gitlab.matching()) assertMatchesOpenApi(request.method, request.path, undefined, request.query);
  await gitlab.close();
});

const read = (token: string) =>
  readTokenSelf({
    apiUrl: `${gitlab.url}/api/v4`,
    token,
    timeoutMs: 2_000,
    retry: { ...DEFAULT_RETRY, baseMs: 20 },
    userAgent: 'contract-test',
  });

describe("the GitLab token's expiry", () => {
  it.each(['personal', 'project', 'group'] as const)('is read for a %s access token, in one request', async (kind) => {
    gitlab.addToken('glpat-contract-0001', { kind, roles: { 'acme/web': 'maintainer' }, expiresAt: '2099-01-31' });
    const expiry = gitLabTokenExpiry(await read('glpat-contract-0001'));
    expect(expiry).toMatchObject({ credential: 'gitlab-token', expiresAt: new Date('2099-01-31T00:00:00Z') });
    expect(gitlab.matching().map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/v4/personal_access_tokens/self']);
    expect(gitlab.matching()[0]!.headers['private-token']).toBe('glpat-contract-0001');
  });

  it('is refused (401) for an expired token, and the words say it expired', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    gitlab.addToken('glpat-contract-expired', { roles: { 'acme/web': 'maintainer' }, expiresAt: yesterday });
    const expiry = gitLabTokenExpiry(await read('glpat-contract-expired'));
    expect(expiry).toMatchObject({ refused: true, how: expect.stringMatching(/HTTP 401.*it has expired/) });
  });

  it("is unknown on a server that has no such endpoint (an older GitLab's 404)", async () => {
    gitlab.addToken('glpat-contract-0002', { roles: { 'acme/web': 'maintainer' } });
    gitlab.injectFault({ path: '/api/v4/personal_access_tokens/self', kind: 'status', status: 404, body: { error: '404 Not Found' } });
    const seen = await read('glpat-contract-0002');
    expect(gitLabTokenExpiry(seen)).toEqual({ credential: 'gitlab-token', how: expect.stringMatching(/^expiry unknown: .*too old/) });
  });
});
