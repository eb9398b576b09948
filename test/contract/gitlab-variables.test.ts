// The GitLab CI/CD variable store against the GitLab emulator; every request it sends is checked against GitLab's
// own OpenAPI description.
import { WriteDeadlinePassed } from '../../src/secret-store.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { gitLabVariableStore, resolveProjectPath, type GitLabVariableStore } from '../../src/gitlab/variables.ts';
import { gitLabGroupSlot, gitLabProjectSlot, type GitLabSlot } from '../../src/slots.ts';
import { startGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab-emulator.ts';
import { assertMatchesOpenApi } from '../sandbox/gitlab-openapi.ts';
import { failure } from './service-failure.ts';

/** A write deadline far away: every attempt may be sent. */
const OPEN = { sendBy: Number.POSITIVE_INFINITY, clock: () => 0 };

const MAINTAINER = 'glpat-contract-maintainer-0001';
const DEVELOPER = 'glpat-contract-developer-0001';
const READ_API = 'glpat-contract-read-api-00001';
const KEY = 'kubiya-key.0123456789_abcdefABCDEF';
let gitlab: GitLabEmulator;
const project = gitLabProjectSlot('127.0.0.1', 'acme/platform/web', '*', 'KUBIYA_API_KEY');
const production = gitLabProjectSlot('127.0.0.1', 'acme/platform/web', 'production', 'KUBIYA_API_KEY');
const group = gitLabGroupSlot('127.0.0.1', 'acme/platform', 'KUBIYA_API_KEY');
const WEB = { project: 'acme/platform/web' };

function store(options: { token?: string; hidden?: boolean; protected?: boolean; timeoutMs?: number } = {}): GitLabVariableStore {
  return gitLabVariableStore(
    {
      apiUrl: `${gitlab.url}/api/v4`,
      token: options.token ?? MAINTAINER,
      timeoutMs: options.timeoutMs ?? 2_000,
      retry: { ...DEFAULT_RETRY, baseMs: 20 },
      userAgent: 'contract-test',
    },
    { protectedOnCreate: options.protected ?? true, hiddenOnCreate: options.hidden ?? false, description: 'rotated by a test' },
  );
}

async function write(slot: GitLabSlot = project, value = KEY, s = store()): Promise<'created' | 'updated'> {
  return s.put(slot, value, await s.prepare(slot), OPEN);
}

beforeEach(async () => {
  gitlab = await startGitLabEmulator();
  gitlab.addProject('acme/platform/web', { id: 42 });
  gitlab.addToken(MAINTAINER, { roles: { 'acme/platform': 'maintainer' } });
  gitlab.addToken(DEVELOPER, { roles: { acme: 'developer' } });
  gitlab.addToken(READ_API, { roles: { acme: 'maintainer' }, scopes: ['read_api'] });
});
afterEach(async () => {
  // Every request the store sent is an operation GitLab declares, with only the parameters it declares.
  for (const request of gitlab.matching()) {
    assertMatchesOpenApi(request.method, request.path, request.body ? JSON.parse(request.body) : undefined, request.query);
  }
  await gitlab.close();
});

describe('GitLabVariableStore writes', () => {
  it('creates a masked, protected, raw env_var in its scope, with the token only in PRIVATE-TOKEN', async () => {
    expect(await write()).toBe('created');
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')).toMatchObject({
      value: KEY,
      masked: true,
      hidden: false,
      protected: true,
      raw: true,
      variable_type: 'env_var',
      environment_scope: '*',
      description: 'rotated by a test',
    });
    for (const request of gitlab.matching()) {
      expect(request.headers['private-token']).toBe(MAINTAINER);
      expect(request.headers['authorization']).toBeUndefined();
    }
  });

  it('creates a masked and hidden, unprotected variable when told to', async () => {
    await write(project, KEY, store({ hidden: true, protected: false }));
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')).toMatchObject({ value: KEY, masked: true, hidden: true, protected: false });
  });

  it('updates only the value and the description of an existing variable, in its own environment scope', async () => {
    gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: 'old-value-1234', masked: true, protected: false, environment_scope: '*' });
    gitlab.seedVariable(WEB, {
      key: 'KUBIYA_API_KEY',
      value: 'prod-value-1234',
      masked: true,
      hidden: true,
      environment_scope: 'production',
    });
    expect(await write(production)).toBe('updated');
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY', 'production')).toMatchObject({ value: KEY, hidden: true, masked: true, raw: false });
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY', '*')).toMatchObject({ value: 'old-value-1234', protected: false });
    const put = gitlab.matching('PUT')[0]!;
    expect(Object.keys(JSON.parse(put.body)).sort()).toEqual(['description', 'value']);
    expect(put.query.get('filter[environment_scope]')).toBe('production');
  });

  it('writes a group variable', async () => {
    expect(await write(group)).toBe('created');
    expect(gitlab.variable({ group: 'acme/platform' }, 'KUBIYA_API_KEY')).toMatchObject({ value: KEY, masked: true });
  });

  it('fails with "GitLab refused to mask" when GitLab cannot mask the value, leaving nothing written', async () => {
    const error = await failure(write(project, 'short'));
    expect(error.message).toMatch(/GitLab refused to mask the value of CI\/CD variable KUBIYA_API_KEY/);
    expect(error.outcomeUnknown).toBe(false);
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')).toBeUndefined();
  });

  it('is an unknown outcome when an attempt of the write got no answer, even if a later one was refused', async () => {
    gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: 'old-value-1234', masked: true });
    const s = store();
    const target = await s.prepare(project);
    gitlab.injectFault({ method: 'PUT', kind: 'reset' });
    gitlab.injectFault({ method: 'PUT', nth: 2, kind: 'status', status: 403, body: { message: '403 Forbidden' } });
    const error = await failure(s.put(project, KEY, target, OPEN));
    expect(error.outcomeUnknown).toBe(true);
    expect(error.message).toMatch(/may have been stored/);
    expect(error.message).not.toContain(KEY);
  });

  it('a create that finds the variable taken (made since the check, or by its own lost attempt) updates it', async () => {
    const s = store();
    const target = await s.prepare(project);
    gitlab.injectFault({ method: 'POST', kind: 'lost-response' });
    expect(await s.put(project, KEY, target, OPEN)).toBe('updated');
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')).toMatchObject({ value: KEY, masked: true, raw: true });
    gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: 'peer-value-1234', masked: true, environment_scope: 'production' });
    expect(await s.put(production, KEY, { exists: false }, OPEN)).toBe('updated');
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY', 'production')!.value).toBe(KEY);
  });

  it('sends no attempt once the deadline says so, and an attempt that got no answer before makes it unknown', async () => {
    const s = store();
    const target = await s.prepare(project);
    const refused = await failure(s.put(project, KEY, target, { sendBy: 0, clock: () => 1 }));
    expect(refused).toBeInstanceOf(WriteDeadlinePassed);
    expect(refused.outcomeUnknown).toBe(false);
    expect(gitlab.count('POST')).toBe(0);
    gitlab.injectFault({ method: 'POST', kind: 'reset' });
    let asked = 0;
    const stopped = await failure(s.put(project, KEY, target, { sendBy: 1, clock: () => ++asked }));
    expect(stopped.outcomeUnknown).toBe(true);
    expect(gitlab.count('POST')).toBe(1);
  });

  it('waits out a 429 with Retry-After and writes', async () => {
    gitlab.injectFault({ method: 'POST', kind: 'status', status: 429, headers: { 'retry-after': '0' }, body: 'Retry later' });
    expect(await write()).toBe('created');
    expect(gitlab.count('POST')).toBe(2);
  });

  it('waits out a 429 that carries only RateLimit-Reset', async () => {
    // The limit resets at least one second from now: the retry waits for it, not for the 20 ms backoff.
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    gitlab.injectFault({ method: 'GET', kind: 'status', status: 429, headers: { 'ratelimit-reset': reset }, body: 'Retry later' });
    expect(await write()).toBe('created');
    const [limited, retried] = gitlab.matching('GET');
    expect([limited!.status, retried!.status]).toEqual([429, 404]);
    expect(retried!.startedAt - limited!.endedAt!).toBeGreaterThanOrEqual(Number(reset) * 1000 - limited!.endedAt! - 50);
  });

  it('refuses a host that is not reachable as nothing sent', async () => {
    const s = gitLabVariableStore(
      { apiUrl: 'http://127.0.0.1:1/api/v4', token: MAINTAINER, timeoutMs: 2_000, retry: { ...DEFAULT_RETRY, baseMs: 1 }, userAgent: 't' },
      { protectedOnCreate: true, hiddenOnCreate: false, description: 'd' },
    );
    const error = await failure(s.put(project, KEY, { exists: false }, OPEN));
    expect(error.notSent).toBe(true);
    expect(error.outcomeUnknown).toBe(false);
  });
});

describe('GitLabVariableStore access check (before minting)', () => {
  it('a variable that does not exist yet is a create', async () => {
    expect(await store().prepare(project)).toEqual({ exists: false });
  });

  it('refuses a file-type variable and an unmasked one, saying why', async () => {
    gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: 'x', variable_type: 'file', masked: false });
    expect((await failure(store().prepare(project))).message).toMatch(/is of type File.*nothing was minted/);
    gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: 'y', masked: false, environment_scope: 'production' });
    expect((await failure(store().prepare(production))).message).toMatch(/is not masked \(GitLab would print its value/);
  });

  it('names the token, the role and the scope: 401, 403 (Developer), 403 on the write (read_api), 404', async () => {
    expect((await failure(store({ token: 'glpat-unknown-000000' }).prepare(project))).message).toMatch(/invalid, revoked or expired/);
    expect((await failure(store({ token: DEVELOPER }).prepare(project))).message).toMatch(
      /lacks the Maintainer role on project acme\/platform\/web/,
    );
    // read_api reads (the access check passes, as a read-only GitHub token's does); the write names the scope.
    expect((await failure(write(project, KEY, store({ token: READ_API })))).message).toMatch(/lacks the api scope/);
    const missing = gitLabProjectSlot('127.0.0.1', 'acme/platform/gone', '*', 'KUBIYA_API_KEY');
    expect((await failure(store().prepare(missing))).message).toMatch(/project acme\/platform\/gone does not exist or the GitLab token/);
  });
});

describe('GitLabVariableStore reads (audit)', () => {
  it('tells a missing variable from a missing project', async () => {
    expect(await store().readSecret(project)).toEqual({ state: 'missing', what: 'variable KUBIYA_API_KEY' });
    await write();
    expect(await store().readSecret(project)).toEqual({ state: 'present' });
    const gone = gitLabProjectSlot('127.0.0.1', 'acme/platform/gone', '*', 'KUBIYA_API_KEY');
    expect(await store().readSecret(gone)).toEqual({ state: 'missing', what: 'the project acme/platform/gone' });
  });

  it('resolves a numeric project id to its path', async () => {
    const http = { apiUrl: `${gitlab.url}/api/v4`, token: MAINTAINER, timeoutMs: 2_000, retry: DEFAULT_RETRY, userAgent: 't' };
    expect(await resolveProjectPath(http, '42')).toBe('acme/platform/web');
    expect((await failure(resolveProjectPath(http, '999'))).message).toMatch(/does not exist or the GitLab token/);
  });
});
