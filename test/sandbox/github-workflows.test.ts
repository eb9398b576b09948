import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator } from './github-emulator.ts';
import type { GitHubEmulator, TokenGrant } from './github-emulator.ts';
import { tokenExpirationHeader } from './github-tokens.ts';

const running: GitHubEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

const PAT = 'github_pat_writer';
const WORKFLOW = '/repos/acme/web/actions/workflows';
const EXPIRATION = 'github-authentication-token-expiration';

async function github(): Promise<GitHubEmulator> {
  const emulator = await startGitHubEmulator();
  running.push(emulator);
  emulator.addRepo('acme/web', { private: false });
  emulator.addToken(PAT, { kind: 'pat' });
  return emulator;
}

function call(emulator: GitHubEmulator, method: string, path: string, token = PAT): Promise<Response> {
  return fetch(`${emulator.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' } });
}

async function withToken(emulator: GitHubEmulator, grant: TokenGrant): Promise<string> {
  const token = `token_${emulator.requestCount}_${Math.random().toString(36).slice(2)}`;
  emulator.addToken(token, grant);
  return token;
}

describe('github emulator: workflows', () => {
  it('gets a workflow by file name or id, with its state, path and links', async () => {
    const emulator = await github();
    const seeded = emulator.addWorkflow('acme/web', 'rotate-kubiya-key.yml', { name: 'Rotate Kubiya API key' });
    const byFile = await call(emulator, 'GET', `${WORKFLOW}/rotate-kubiya-key.yml`);
    expect(byFile.status).toBe(200);
    const body = (await byFile.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: seeded.id,
      name: 'Rotate Kubiya API key',
      path: '.github/workflows/rotate-kubiya-key.yml',
      state: 'active',
      url: `${emulator.url}/repos/acme/web/actions/workflows/${seeded.id}`,
      html_url: 'https://github.com/acme/web/blob/main/.github/workflows/rotate-kubiya-key.yml',
    });
    expect(Object.keys(body).sort()).toEqual(
      ['badge_url', 'created_at', 'html_url', 'id', 'name', 'node_id', 'path', 'state', 'updated_at', 'url'].sort(),
    );
    expect(await (await call(emulator, 'GET', `${WORKFLOW}/${seeded.id}`)).json()).toEqual(body);

    seeded.state = 'disabled_inactivity';
    expect(await (await call(emulator, 'GET', `/api/v3${WORKFLOW}/${seeded.id}`)).json()).toMatchObject({ state: 'disabled_inactivity' });
    expect((await call(emulator, 'GET', `${WORKFLOW}/other.yml`)).status).toBe(404);
    expect((await call(emulator, 'GET', '/repos/acme/gone/actions/workflows/rotate-kubiya-key.yml')).status).toBe(404);
    const listed = (await (await call(emulator, 'GET', WORKFLOW)).json()) as { total_count: number; workflows: { id: number }[] };
    expect(listed).toMatchObject({ total_count: 1, workflows: [{ id: seeded.id }] });
  });

  it('lists runs newest first, paged by per_page', async () => {
    const emulator = await github();
    emulator.addWorkflow('acme/web', 'rotate.yml');
    const none = (await (await call(emulator, 'GET', `${WORKFLOW}/rotate.yml/runs?per_page=1`)).json()) as Record<string, unknown>;
    expect(none).toEqual({ total_count: 0, workflow_runs: [] });

    const old = emulator.addWorkflowRun('acme/web', 'rotate.yml', { createdAt: new Date('2026-01-01T00:00:00Z') });
    const failed = emulator.addWorkflowRun('acme/web', 'rotate.yml', { conclusion: 'failure', event: 'workflow_dispatch' });
    const res = await call(emulator, 'GET', `${WORKFLOW}/rotate.yml/runs?per_page=1`);
    const page = (await res.json()) as { total_count: number; workflow_runs: Record<string, unknown>[] };
    expect(page.total_count).toBe(2);
    expect(page.workflow_runs).toHaveLength(1);
    expect(page.workflow_runs[0]).toMatchObject({
      id: failed.id,
      status: 'completed',
      conclusion: 'failure',
      event: 'workflow_dispatch',
      head_branch: 'main',
      html_url: `https://github.com/acme/web/actions/runs/${failed.id}`,
      created_at: failed.created_at,
    });
    const second = (await (await call(emulator, 'GET', `${WORKFLOW}/rotate.yml/runs?per_page=1&page=2`)).json()) as {
      workflow_runs: { id: number; conclusion: string }[];
    };
    expect(second.workflow_runs).toEqual([expect.objectContaining({ id: old.id, conclusion: 'success' })]);
    const running = emulator.addWorkflowRun('acme/web', 'rotate.yml', { status: 'in_progress' });
    expect(running.conclusion).toBeNull();
  });

  it('enables a workflow: 204, state active, the call counted', async () => {
    const emulator = await github();
    emulator.addWorkflow('acme/web', 'rotate.yml', { state: 'disabled_inactivity' });
    const res = await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(emulator.workflow('acme/web', 'rotate.yml')).toMatchObject({ state: 'active', enableCalls: 1 });
    expect((await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`)).status).toBe(204);
    expect(emulator.workflow('acme/web', 'rotate.yml')?.enableCalls).toBe(2);
    expect((await call(emulator, 'PUT', `${WORKFLOW}/missing.yml/enable`)).status).toBe(404);
    expect((await call(emulator, 'PUT', '/repos/acme/gone/actions/workflows/rotate.yml/enable')).status).toBe(404);
    expect((await call(emulator, 'POST', `${WORKFLOW}/rotate.yml/enable`)).status).toBe(404);
  });

  it('needs actions: read to read workflows and actions: write to enable one', async () => {
    const emulator = await github();
    emulator.addWorkflow('acme/web', 'rotate.yml', { state: 'disabled_inactivity' });
    const jobToken = await withToken(emulator, { kind: 'github-token', repos: ['acme/web'] });
    const reader = await withToken(emulator, { kind: 'github-token', repos: ['acme/web'], actions: 'read' });
    const writer = await withToken(emulator, { kind: 'github-token', repos: ['acme/web'], actions: 'write' });
    const readPat = await withToken(emulator, { kind: 'pat', actions: 'read' });

    const refused = await call(emulator, 'GET', `${WORKFLOW}/rotate.yml`, jobToken);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    expect((await call(emulator, 'GET', `${WORKFLOW}/rotate.yml/runs?per_page=1`, reader)).status).toBe(200);
    const readOnly = await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`, reader);
    expect(readOnly.status).toBe(403);
    expect(await readOnly.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    expect(await (await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`, readPat)).json()).toMatchObject({
      message: 'Resource not accessible by personal access token',
    });
    expect(emulator.workflow('acme/web', 'rotate.yml')).toMatchObject({ state: 'disabled_inactivity', enableCalls: 0 });
    expect((await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`, writer)).status).toBe(204);
    // The job's token still never reaches secrets, whatever its actions permission.
    expect((await call(emulator, 'GET', '/repos/acme/web/actions/secrets/public-key', writer)).status).toBe(403);
  });

  it('says whether a repository is private (private unless seeded public)', async () => {
    const emulator = await github();
    emulator.addRepo('acme/internal');
    expect(await (await call(emulator, 'GET', '/repos/acme/web')).json()).toMatchObject({ private: false, visibility: 'public' });
    expect(await (await call(emulator, 'GET', '/repos/acme/internal')).json()).toMatchObject({ private: true, visibility: 'private' });
    expect(emulator.repoByName('acme/web')?.private).toBe(false);
  });
});

describe('github emulator: token expiry', () => {
  it('formats the expiry as GitHub does, in UTC or with an offset', () => {
    const at = new Date('2027-03-01T12:00:00.000Z');
    expect(tokenExpirationHeader(at)).toBe('2027-03-01 12:00:00 UTC');
    expect(tokenExpirationHeader(at, '+0100')).toBe('2027-03-01 13:00:00 +0100');
    expect(tokenExpirationHeader(at, '-0530')).toBe('2027-03-01 06:30:00 -0530');
    expect(() => tokenExpirationHeader(at, '+1')).toThrow(/offset/);
  });

  it('sends the expiry header on every response to an expiring PAT, errors and rate limits included', async () => {
    const emulator = await github();
    const expiresAt = new Date(Date.now() + 20 * 86_400_000);
    const pat = await withToken(emulator, { kind: 'pat', expiresAt });
    const header = tokenExpirationHeader(expiresAt);
    for (const path of ['/repos/acme/web', '/repos/acme/web/actions/secrets/public-key', '/repos/acme/nope', '/nowhere']) {
      expect((await call(emulator, 'GET', path, pat)).headers.get(EXPIRATION)).toBe(header);
    }
    emulator.addWorkflow('acme/web', 'rotate.yml');
    expect((await call(emulator, 'PUT', `${WORKFLOW}/rotate.yml/enable`, pat)).headers.get(EXPIRATION)).toBe(header);
    emulator.options.rateLimit = { primary: { limit: 0 } };
    const limited = await call(emulator, 'GET', '/repos/acme/web', pat);
    expect(limited.status).toBe(403);
    expect(limited.headers.get(EXPIRATION)).toBe(header);

    const offset = await withToken(emulator, { kind: 'pat', expiresAt: new Date('2099-03-01T12:00:00Z'), expiryZone: '+0100' });
    emulator.options.rateLimit = undefined;
    expect((await call(emulator, 'GET', '/repos/acme/web', offset)).headers.get(EXPIRATION)).toBe('2099-03-01 13:00:00 +0100');
  });

  it('sends none for tokens without an expiry, App tokens and GITHUB_TOKEN, and refuses an expired PAT', async () => {
    const emulator = await github();
    const app = await withToken(emulator, { kind: 'app' });
    const job = await withToken(emulator, { kind: 'github-token', actions: 'read' });
    for (const token of [PAT, app, job]) {
      const res = await call(emulator, 'GET', '/repos/acme/web', token);
      expect(res.status).toBe(200);
      expect(res.headers.has(EXPIRATION)).toBe(false);
    }
    expect(() => emulator.addToken('ghs_x', { kind: 'app', expiresAt: new Date() })).toThrow(/only PATs/);
    expect(() => emulator.addToken('ghs_y', { kind: 'github-token', expiresAt: new Date() })).toThrow(/only PATs/);

    const expired = await withToken(emulator, { kind: 'pat', expiresAt: new Date(Date.now() - 1000) });
    const res = await call(emulator, 'GET', '/repos/acme/web', expired);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Bad credentials' });
  });
});
