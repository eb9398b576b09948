import { afterEach, describe, expect, it } from 'vitest';
import { GITLAB_EMULATOR_ROUTES, startGitLabEmulator } from './gitlab-emulator.ts';
import type { GitLabEmulator, GitLabEmulatorOptions } from './gitlab-emulator.ts';
import { assertMatchesOpenApi, findOperation, openApiSubset } from './gitlab-openapi.ts';

const running: GitLabEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

const MAINTAINER = 'glpat-maintainer000000000';
const DEVELOPER = 'glpat-developer0000000000';
const KEY = 'kubiya-Key_0123456789.abc';

async function gitlab(options: GitLabEmulatorOptions = {}): Promise<GitLabEmulator> {
  const emulator = await startGitLabEmulator(options);
  running.push(emulator);
  emulator.addProject('acme/platform/web', { id: 42 });
  emulator.addProject('other/api');
  emulator.addToken(MAINTAINER, { roles: { 'acme/platform': 'maintainer' } });
  emulator.addToken(DEVELOPER, { roles: { acme: 'developer' } });
  return emulator;
}

/** Every request these tests send is first checked against GitLab's OpenAPI description. */
async function call(
  emulator: GitLabEmulator,
  method: string,
  pathAndQuery: string,
  body?: Record<string, unknown>,
  token = MAINTAINER,
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const [path = '', query = ''] = pathAndQuery.split('?');
  assertMatchesOpenApi(method, path, body, query);
  const res = await fetch(`${emulator.url}${pathAndQuery}`, {
    method,
    headers: { 'private-token': token, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body && JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    headers: res.headers,
  };
}

const WEB = '/api/v4/projects/acme%2Fplatform%2Fweb';

describe('GitLab emulator against GitLab OpenAPI', () => {
  it('serves only routes the GitLab OpenAPI excerpt declares', () => {
    for (const route of GITLAB_EMULATOR_ROUTES) {
      const concrete = route.path.replace(/\{[^}]+\}/g, 'x1');
      expect(findOperation(route.method, concrete)?.template, `${route.method} ${route.path}`).toBe(route.path);
    }
    const kept = Object.entries(openApiSubset().paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const served = new Set(GITLAB_EMULATOR_ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(kept.filter((op) => !served.has(op))).toEqual([]);
  });

  it('rejects a route, a body field or a query parameter the operation does not declare', () => {
    expect(() => assertMatchesOpenApi('PATCH', `${WEB}/variables/K`)).toThrow(/not an operation/);
    expect(() => assertMatchesOpenApi('PUT', `${WEB}/variables/K`, { value: 'v', masked_and_hidden: true })).toThrow(
      /masked_and_hidden is not a parameter/,
    );
    expect(() => assertMatchesOpenApi('POST', `${WEB}/variables`, { key: 'K' })).toThrow(/value is required/);
    expect(() => assertMatchesOpenApi('POST', `${WEB}/variables`, { key: 'K', value: 'v', variable_type: 'secret' })).toThrow(
      /one of env_var, file/,
    );
    expect(() => assertMatchesOpenApi('GET', '/api/v4/groups/acme/variables/K', undefined, 'filter[environment_scope]=x')).toThrow(
      /query filter/,
    );
    // PUT declares the filter inside its body schema; as a query parameter it is the same Grape parameter.
    expect(() => assertMatchesOpenApi('PUT', `${WEB}/variables/K`, { value: 'v' }, 'filter[environment_scope]=production')).not.toThrow();
    expect(() => assertMatchesOpenApi('GET', '/api/v4/personal_access_tokens/self')).not.toThrow();
  });
});

describe('GitLab emulator', () => {
  it('finds projects by numeric id or URL-encoded path, and hides what the token cannot see', async () => {
    const emulator = await gitlab();
    const byPath = await call(emulator, 'GET', WEB);
    expect(byPath.json).toMatchObject({ id: 42, path_with_namespace: 'acme/platform/web', namespace: { full_path: 'acme/platform' } });
    expect((await call(emulator, 'GET', '/api/v4/projects/42')).json).toMatchObject({ path_with_namespace: 'acme/platform/web' });
    expect((await call(emulator, 'GET', '/api/v4/groups/acme%2Fplatform')).json).toMatchObject({ full_path: 'acme/platform' });
    const hidden = await call(emulator, 'GET', '/api/v4/projects/other%2Fapi');
    expect(hidden).toMatchObject({ status: 404, json: { message: '404 Project Not Found' } });
    expect((await call(emulator, 'GET', '/api/v4/groups/acme')).status).toBe(404); // the role is on the subgroup only
  });

  it('answers 403 to a Developer reading variables, 401 to unknown, expired or revoked tokens', async () => {
    const emulator = await gitlab();
    expect(await call(emulator, 'GET', `${WEB}/variables`, undefined, DEVELOPER)).toMatchObject({
      status: 403,
      json: { message: '403 Forbidden' },
    });
    expect((await call(emulator, 'GET', `${WEB}/variables`)).status).toBe(200);
    emulator.addToken('expired', { roles: { acme: 'owner' }, expiresAt: new Date().toISOString().slice(0, 10) });
    emulator.addToken('revoked', { roles: { acme: 'owner' }, revoked: true });
    emulator.addToken('read-only', { roles: { acme: 'owner' }, scopes: ['read_api'] });
    for (const token of ['nope', 'expired', 'revoked']) {
      expect(await call(emulator, 'GET', `${WEB}/variables`, undefined, token)).toMatchObject({
        status: 401,
        json: { message: '401 Unauthorized' },
      });
    }
    expect((await call(emulator, 'GET', `${WEB}/variables`, undefined, 'read-only')).status).toBe(200);
    const write = await call(emulator, 'POST', `${WEB}/variables`, { key: 'K', value: KEY }, 'read-only');
    expect(write).toMatchObject({ status: 403, json: { error: 'insufficient_scope' } });
  });

  it('describes the token itself: scopes, expiry, active', async () => {
    const emulator = await gitlab();
    const { id } = emulator.addToken('glpat-project', { kind: 'project', name: 'rotation', roles: {}, expiresAt: '2099-01-31' });
    const self = await call(emulator, 'GET', '/api/v4/personal_access_tokens/self', undefined, 'glpat-project');
    expect(self.json).toMatchObject({ id, name: 'rotation', scopes: ['api'], expires_at: '2099-01-31', active: true, revoked: false });
  });

  it('keeps one variable per key and environment scope; 409 without a filter when the key has several', async () => {
    const emulator = await gitlab();
    const base = { value: KEY, masked: true, raw: true, protected: true };
    expect((await call(emulator, 'POST', `${WEB}/variables`, { key: 'KUBIYA_API_KEY', ...base })).status).toBe(201);
    expect((await call(emulator, 'GET', `${WEB}/variables/KUBIYA_API_KEY`)).json).toMatchObject({ environment_scope: '*', value: KEY });
    const prod = { key: 'KUBIYA_API_KEY', ...base, value: `${KEY}-prod`, environment_scope: 'production' };
    expect((await call(emulator, 'POST', `${WEB}/variables`, prod)).status).toBe(201);
    expect((await call(emulator, 'POST', `${WEB}/variables`, prod)).json).toEqual({
      message: { key: ['(KUBIYA_API_KEY) has already been taken'] },
    });

    for (const method of ['GET', 'DELETE']) expect((await call(emulator, method, `${WEB}/variables/KUBIYA_API_KEY`)).status).toBe(409);
    expect((await call(emulator, 'PUT', `${WEB}/variables/KUBIYA_API_KEY`, { value: 'x'.repeat(9) })).status).toBe(409);
    const filter = '?filter[environment_scope]=production';
    expect((await call(emulator, 'GET', `${WEB}/variables/KUBIYA_API_KEY${filter}`)).json).toMatchObject({ value: `${KEY}-prod` });
    expect((await call(emulator, 'PUT', `${WEB}/variables/KUBIYA_API_KEY${filter}`, { value: 'new-prod-value' })).status).toBe(200);
    expect(emulator.variable({ project: 'acme/platform/web' }, 'KUBIYA_API_KEY', 'production')?.value).toBe('new-prod-value');
    expect(emulator.variable({ project: 'acme/platform/web' }, 'KUBIYA_API_KEY')?.value).toBe(KEY);
    expect((await call(emulator, 'GET', `${WEB}/variables/KUBIYA_API_KEY?filter[environment_scope]=staging`)).status).toBe(404);
    expect((await call(emulator, 'DELETE', `${WEB}/variables/KUBIYA_API_KEY${filter}`)).status).toBe(204);
    expect(emulator.variables({ project: 'acme/platform/web' }).map((v) => v.environment_scope)).toEqual(['*']);
  });

  it('refuses a masked value GitLab cannot mask, and keys outside [A-Za-z0-9_]', async () => {
    const emulator = await gitlab();
    const post = (key: string, value: string): Promise<{ status: number; json: unknown }> =>
      call(emulator, 'POST', `${WEB}/variables`, { key, value, masked: true });
    for (const value of ['short7c', 'has space in it', 'two\nlines-here', 'bang!bang!bang', 'd€llar$signs']) {
      expect(await post('K', value), value).toMatchObject({ status: 400, json: { message: { value: ['is invalid'] } } });
    }
    expect((await post('K', 'aZ09+/=-_@:.~')).status).toBe(201);
    expect((await post('BAD-KEY', KEY)).json).toEqual({ message: { key: ["can contain only letters, digits and '_'."] } });
    expect((await post('K'.repeat(256), KEY)).status).toBe(400);
    expect((await call(emulator, 'PUT', `${WEB}/variables/K`, { value: 'no way' })).json).toEqual({ message: { value: ['is invalid'] } });
    expect(emulator.variable({ project: 'acme/platform/web' }, 'K')?.value).toBe('aZ09+/=-_@:.~');
  });

  it('never returns a hidden value, and a PUT changes only the fields it sends', async () => {
    const emulator = await gitlab();
    const created = await call(emulator, 'POST', `${WEB}/variables`, {
      key: 'H',
      value: KEY,
      masked_and_hidden: true,
      protected: true,
      raw: true,
    });
    expect(created.json).toMatchObject({ key: 'H', hidden: true, masked: true, protected: true });
    expect(created.json).not.toHaveProperty('value');
    const updated = await call(emulator, 'PUT', `${WEB}/variables/H`, { value: `${KEY}-2`, description: 'rotated' });
    expect(updated.json).toMatchObject({ hidden: true, masked: true, protected: true, raw: true, description: 'rotated' });
    expect(JSON.stringify(updated.json)).not.toContain(KEY);
    expect((await call(emulator, 'GET', `${WEB}/variables`)).json).toEqual([expect.not.objectContaining({ value: expect.anything() })]);
    expect(emulator.variable({ project: 'acme/platform/web' }, 'H')).toMatchObject({ value: `${KEY}-2`, protected: true, raw: true });

    emulator.seedVariable({ project: 'acme/platform/web' }, { key: 'F', value: 'file-content', variable_type: 'file', protected: true });
    expect((await call(emulator, 'PUT', `${WEB}/variables/F`, { value: 'other' })).json).toMatchObject({
      variable_type: 'file',
      protected: true,
      masked: false,
    });
  });

  it('keeps group variables, seen through a role on a parent group', async () => {
    const emulator = await gitlab();
    emulator.addGroup('acme/platform/tools');
    const group = '/api/v4/groups/acme%2Fplatform%2Ftools';
    expect((await call(emulator, 'POST', `${group}/variables`, { key: 'G', value: KEY, masked: true })).status).toBe(201);
    expect((await call(emulator, 'PUT', `${group}/variables/G`, { value: `${KEY}-g` })).json).toMatchObject({
      value: `${KEY}-g`,
      masked: true,
    });
    expect(emulator.variable({ group: 'acme/platform/tools' }, 'G')?.value).toBe(`${KEY}-g`);
    expect((await call(emulator, 'GET', `${group}/variables/NOPE`)).json).toEqual({ message: '404 Group Variable Not Found' });
    expect((await call(emulator, 'DELETE', `${group}/variables/G`)).status).toBe(204);
  });

  it('shows a pipeline schedule: active, next run, last pipeline', async () => {
    const emulator = await gitlab();
    const { id } = emulator.addPipelineSchedule('acme/platform/web', {
      active: false,
      nextRunAt: null,
      lastPipeline: { id: 77, status: 'failed' },
    });
    const schedule = await call(emulator, 'GET', `${WEB}/pipeline_schedules/${id}`, undefined, DEVELOPER);
    expect(schedule.json).toMatchObject({
      id,
      active: false,
      next_run_at: null,
      cron: '0 4 * * 1',
      last_pipeline: { id: 77, status: 'failed' },
    });
    expect((schedule.json as { last_pipeline: { web_url: string } }).last_pipeline.web_url).toMatch(
      /\/acme\/platform\/web\/-\/pipelines\/77$/,
    );
    expect((await call(emulator, 'GET', `${WEB}/pipeline_schedules/999999`)).status).toBe(404);
  });

  it('answers 429 with Retry-After and RateLimit-Reset beyond N requests per period', async () => {
    const emulator = await gitlab({ rateLimit: { requests: 2, periodMs: 3_600_000 } });
    expect((await call(emulator, 'GET', WEB)).status).toBe(200);
    expect((await call(emulator, 'GET', WEB)).status).toBe(200);
    const limited = await call(emulator, 'GET', WEB);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(emulator.requests.at(-1)?.fault).toBe('rate-limit');
    emulator.resetRateLimit();
    expect((await call(emulator, 'GET', WEB)).status).toBe(200);
    expect(emulator.rateLimitHits).toBe(1);
  });

  it('injects faults through the shared base: a 502 PUT leaves the variable as it was', async () => {
    const emulator = await gitlab();
    emulator.seedVariable({ project: 'acme/platform/web' }, { key: 'K', value: KEY, masked: true });
    emulator.injectFault({ method: 'PUT', path: /\/variables\/K$/, kind: 'status', status: 502 });
    expect((await call(emulator, 'PUT', `${WEB}/variables/K`, { value: `${KEY}-new` })).status).toBe(502);
    expect(emulator.variable({ project: 'acme/platform/web' }, 'K')?.value).toBe(KEY);
    expect((await call(emulator, 'PUT', `${WEB}/variables/K`, { value: `${KEY}-new` })).status).toBe(200);
  });
});
