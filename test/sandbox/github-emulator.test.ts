import sodium from 'libsodium-wrappers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator } from './github-emulator.ts';
import type { GitHubEmulator, GitHubEmulatorOptions } from './github-emulator.ts';

const running: GitHubEmulator[] = [];
beforeAll(async () => {
  await sodium.ready;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

const TOKEN = 'ghp_writer';

async function github(options: GitHubEmulatorOptions = {}): Promise<GitHubEmulator> {
  const emulator = await startGitHubEmulator(options);
  running.push(emulator);
  emulator.addRepo('Acme/Web', { environments: ['production', 'prod/eu'] });
  emulator.addToken(TOKEN, { kind: 'pat' });
  return emulator;
}

function call(emulator: GitHubEmulator, method: string, path: string, body?: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The official recipe: ORIGINAL (padded, + and /) Base64 in and out. */
function seal(value: string, publicKey: string, variant = sodium.base64_variants.ORIGINAL): string {
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(value, key), variant);
}

async function putSealed(emulator: GitHubEmulator, secretsPath: string, name: string, value: string, extra = {}): Promise<Response> {
  const publicKey = (await (await call(emulator, 'GET', `${secretsPath}/public-key`)).json()) as { key_id: string; key: string };
  expect(publicKey.key_id).toMatch(/^\d+$/);
  return call(emulator, 'PUT', `${secretsPath}/${name}`, {
    encrypted_value: seal(value, publicKey.key),
    key_id: publicKey.key_id,
    ...extra,
  });
}

describe('github emulator', () => {
  it('decrypts a sealed PUT: 201 on create, 204 on update, names case-insensitive', async () => {
    const emulator = await github();
    const repo = (await (await call(emulator, 'GET', '/repos/acme/web')).json()) as { full_name: string; owner: { login: string } };
    expect(repo).toMatchObject({ full_name: 'Acme/Web', owner: { login: 'Acme' } });

    expect((await putSealed(emulator, '/repos/acme/web/actions/secrets', 'kubiya_api_key', 'first')).status).toBe(201);
    expect((await putSealed(emulator, '/api/v3/repos/Acme/Web/actions/secrets', 'KUBIYA_API_KEY', 'second')).status).toBe(204);
    expect(emulator.secretValue({ repo: 'acme/web' }, 'kubiya_api_key')).toBe('second');
    expect(emulator.secretNames({ repo: 'acme/web' })).toEqual(['KUBIYA_API_KEY']);
    const meta = (await (await call(emulator, 'GET', '/repos/acme/web/actions/secrets/Kubiya_Api_Key')).json()) as Record<string, string>;
    expect(Object.keys(meta)).toEqual(['name', 'created_at', 'updated_at']);
    expect(meta['name']).toBe('KUBIYA_API_KEY');
    expect(emulator.secretValue({ repo: 'acme/web', type: 'dependabot' }, 'KUBIYA_API_KEY')).toBeUndefined();
  });

  it('answers 422 to malformed or undecryptable PUTs and bad names', async () => {
    const emulator = await github();
    const path = '/repos/acme/web/actions/secrets';
    const { key_id, key } = emulator.publicKey({ repo: 'acme/web' });
    const put = async (name: string, body: unknown): Promise<[number, string]> => {
      const res = await call(emulator, 'PUT', `${path}/${name}`, body);
      return [res.status, ((await res.json()) as { message: string }).message];
    };
    // 7 bytes + 48 sealing bytes = 55 bytes: unpadded URL-safe Base64 cannot match GitHub's pattern.
    const urlSafe = seal('7-bytes', key, sodium.base64_variants.URLSAFE_NO_PADDING);
    expect((await put('X', { encrypted_value: urlSafe, key_id }))[0]).toBe(422);
    expect(await put('X', { encrypted_value: seal('v', key) })).toEqual([422, 'Invalid request.\n\n"key_id" wasn\'t supplied.']);
    expect((await put('X', { encrypted_value: seal('v', key), key_id: '1' }))[0]).toBe(422);
    expect(await put('X', { encrypted_value: Buffer.alloc(60).toString('base64'), key_id })).toEqual([
      422,
      'Bad request - could not decrypt value',
    ]);
    expect((await put('GITHUB_TOKEN', { encrypted_value: seal('v', key), key_id }))[0]).toBe(422);
    expect((await put('1ABC', { encrypted_value: seal('v', key), key_id }))[0]).toBe(422);
    expect(emulator.secretNames({ repo: 'acme/web' })).toEqual([]);
  });

  it('decodes environment names exactly once', async () => {
    const emulator = await github();
    expect((await putSealed(emulator, '/repos/acme/web/environments/prod%2Feu/secrets', 'K', 'eu')).status).toBe(201);
    expect(emulator.secretValue({ repo: 'acme/web', environment: 'prod/eu' }, 'K')).toBe('eu');
    expect((await call(emulator, 'GET', '/repos/acme/web/environments/prod%252Feu/secrets/public-key')).status).toBe(404);
    expect((await call(emulator, 'GET', '/repos/acme/web/environments/staging/secrets/public-key')).status).toBe(404);
    expect((await call(emulator, 'GET', '/repos/acme/web/environments/PRODUCTION/secrets/public-key')).status).toBe(200);
  });

  it('enforces token grants: 401, 404, and 403 for GITHUB_TOKEN or missing permission', async () => {
    const emulator = await github();
    emulator.addRepo('acme/api');
    emulator.addToken('ghs_workflow', { kind: 'github-token' });
    emulator.addToken('github_pat_readonly', { kind: 'pat', repos: ['acme/web'], secrets: 'read', environments: 'none' });

    const unknown = await call(emulator, 'GET', '/repos/acme/web', undefined, 'nope');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ message: 'Bad credentials', status: '401' });

    const workflowToken = await call(emulator, 'GET', '/repos/acme/web/actions/secrets/public-key', undefined, 'ghs_workflow');
    expect(workflowToken.status).toBe(403);
    expect(await workflowToken.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    expect((await call(emulator, 'PUT', '/repos/acme/web/actions/secrets/K', {}, 'ghs_workflow')).status).toBe(403);

    const readonly = 'github_pat_readonly';
    expect((await call(emulator, 'GET', '/repos/acme/api', undefined, readonly)).status).toBe(404);
    expect((await call(emulator, 'GET', '/repos/acme/web/actions/secrets/public-key', undefined, readonly)).status).toBe(200);
    const put = await call(emulator, 'PUT', '/repos/acme/web/actions/secrets/K', {}, readonly);
    expect(put.status).toBe(403);
    expect(await put.json()).toMatchObject({ message: 'Resource not accessible by personal access token' });
    expect((await call(emulator, 'GET', '/repos/acme/web/environments/production/secrets/public-key', undefined, readonly)).status).toBe(
      403,
    );
  });

  it('writes organization secrets with visibility and selected repositories', async () => {
    const emulator = await github();
    emulator.addOrg('acme');
    const web = emulator.repoByName('acme/web');
    const path = '/orgs/acme/actions/secrets';
    expect((await putSealed(emulator, path, 'K', 'v')).status).toBe(422); // visibility is required
    expect((await putSealed(emulator, path, 'K', 'v', { visibility: 'selected', selected_repository_ids: [web?.id] })).status).toBe(201);
    const meta = (await (await call(emulator, 'GET', `${path}/K`)).json()) as { visibility: string; selected_repositories_url: string };
    expect(meta.visibility).toBe('selected');
    const selected = (await (await fetch(meta.selected_repositories_url, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      total_count: number;
      repositories: { full_name: string }[];
    };
    expect(selected).toMatchObject({ total_count: 1, repositories: [{ full_name: 'Acme/Web' }] });
    expect((await call(emulator, 'PUT', `${path}/K/repositories`, { selected_repository_ids: [] })).status).toBe(204);
    expect(emulator.secretMeta({ org: 'acme' }, 'K')?.selectedRepositoryIds).toEqual([]);

    emulator.setOrgSecret({ org: 'acme', type: 'dependabot' }, 'D', { visibility: 'all' });
    expect((await (await call(emulator, 'GET', '/orgs/acme/dependabot/secrets/D')).json()) as object).toMatchObject({ visibility: 'all' });
  });

  it('refuses writes beyond the secondary rate limit with retry-after', async () => {
    const emulator = await github({ rateLimit: { secondary: { writesPerMinute: 2 }, primary: { limit: 7 } } });
    const path = '/repos/acme/web/actions/secrets';
    const statuses: number[] = [];
    for (const value of ['a', 'b', 'c']) statuses.push((await putSealed(emulator, path, 'K', value)).status);
    expect(statuses).toEqual([201, 204, 403]);
    const limited = emulator.requests.at(-1);
    expect(limited?.fault).toBe('secondary-rate-limit');
    expect(emulator.rateLimitHits).toBe(1);

    const res = await call(emulator, 'DELETE', `${path}/K`);
    expect(res.status).toBe(403);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { message: string }).message).toMatch(/secondary rate limit/);

    const primary = await call(emulator, 'GET', '/repos/acme/web'); // 8th request, limit 7
    expect(primary.status).toBe(403);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(((await primary.json()) as { message: string }).message).toMatch(/^API rate limit exceeded for /);
  });

  it('refuses requests beyond maxConcurrent and writes closer than minWriteSpacingMs', async () => {
    const emulator = await github({ rateLimit: { secondary: { maxConcurrent: 2, minWriteSpacingMs: 10_000 } } });
    // The first two requests are held in flight (their handling waits) until the third has its answer, so
    // three are in flight when the third is admitted — whatever the machine's speed.
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const hooked = emulator as unknown as { handle(request: { seq: number }): unknown };
    const handle = hooked.handle.bind(emulator);
    hooked.handle = async (request) => {
      if (request.seq <= 2) await held;
      return handle(request);
    };
    const first = [1, 2].map(async () => (await call(emulator, 'GET', '/repos/acme/web')).status);
    await emulator.waitForRequest('GET', '/repos/acme/web', { nth: 2 });
    expect((await call(emulator, 'GET', '/repos/acme/web')).status).toBe(403);
    release();
    expect(await Promise.all(first)).toEqual([200, 200]);
    delete (hooked as { handle?: unknown }).handle;

    expect((await putSealed(emulator, '/repos/acme/web/actions/secrets', 'A', 'a')).status).toBe(201);
    const tooSoon = await putSealed(emulator, '/repos/acme/web/actions/secrets', 'B', 'b');
    expect(tooSoon.status).toBe(403);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
    expect(emulator.rateLimitHits).toBe(2);
  });
});
