// The Kubiya client against the emulator: what the project assumes of Kubiya's API, stated as tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lostCreateReconciler } from '../../src/key-lifecycle.ts';
import { KubiyaClient } from '../../src/kubiya/client.ts';
import { DEFAULT_RETRY } from '../../src/retry.ts';
import { startHttpEmulator, type HttpEmulator } from '../sandbox/http-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { failure } from './service-failure.ts';

const NAME = 'gha:acme/web:KUBIYA_API_KEY:run-1-1';
let kubiya: KubiyaEmulator;
let adminKey: string;
let masked: string[];

function client(overrides: { adminKey?: string; timeoutMs?: number; baseUrl?: string } = {}): KubiyaClient {
  return new KubiyaClient({
    baseUrl: overrides.baseUrl ?? kubiya.url,
    adminKey: overrides.adminKey ?? adminKey,
    onSecret: (secret) => masked.push(secret),
    timeoutMs: overrides.timeoutMs ?? 2_000,
    retry: { ...DEFAULT_RETRY, baseMs: 10 },
    userAgent: 'contract-test',
  });
}

const inAnHour = () => new Date(Date.now() + 3_600_000);
/** Creates as the key lifecycle does: a lost create is reconciled by name and mint id (key-lifecycle.ts). */
const create = (name = NAME, c = client()) =>
  c.createKey(
    { name, description: 'contract test (mint c0ffee00)', mintId: 'c0ffee00', expiresAt: inAnHour() },
    lostCreateReconciler(c, name, 'c0ffee00'),
  );

beforeEach(async () => {
  kubiya = await startKubiyaEmulator();
  adminKey = kubiya.addUser({ email: 'ci@acme.test', org: 'acme' }).apiKey;
  masked = [];
});
afterEach(() => kubiya.close());

describe('identity', () => {
  it('authenticates with a UserKey header on /api/v1/users/self', async () => {
    await client().authenticate();
    expect(kubiya.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/users/self' });
    expect(kubiya.requests[0]!.headers['authorization']).toBe(`UserKey ${adminKey}`);
  });

  it('falls back to /api/v1/users/current when /self answers 404', async () => {
    kubiya.options.selfEndpoint = false;
    await client().authenticate();
    expect(kubiya.requests.map((r) => r.path)).toEqual(['/api/v1/users/self', '/api/v1/users/current']);
  });

  it('explains a 401 with what to check, without the key', async () => {
    const error = await failure(client({ adminKey: 'x'.repeat(40) }).authenticate());
    expect(error.message).toMatch(/rejected admin-api-key.*invalid, revoked or expired.*another Kubiya deployment \(check kubiya-api-url/);
    expect(error.message).not.toContain('x'.repeat(40));
  });

  it('verifies a new key with that key', async () => {
    const minted = await create();
    await client().authenticate(minted.token);
    expect(kubiya.requests.at(-1)!.headers['authorization']).toBe(`UserKey ${minted.token}`);
    await client().revokeKey(minted.id);
    expect((await failure(client().authenticate(minted.token))).message).toMatch(/did not accept the new key \(HTTP 401/);
  });
});

describe('creating keys', () => {
  it.each(['flat', 'nested', 'jwt-only'] as const)(
    'reads the key, id and expiry from a %s response, masking the key first',
    async (shape) => {
      kubiya.options.createResponseShape = shape;
      const expiresAt = inAnHour();
      const c = client();
      const minted = await c.createKey(
        { name: NAME, description: 'd (mint c0ffee00)', mintId: 'c0ffee00', expiresAt },
        lostCreateReconciler(c, NAME, 'c0ffee00'),
      );
      const stored = kubiya.keyById(minted.id)!;
      expect(stored).toMatchObject({ name: NAME, token: minted.token });
      expect(Math.abs(minted.expiresAt.getTime() - expiresAt.getTime())).toBeLessThan(1000);
      expect(masked).toEqual([minted.token]);
      expect(kubiya.isValid(minted.token)).toBe(true);
      expect(JSON.parse(kubiya.requests[0]!.body)).toEqual({
        name: NAME,
        description: 'd (mint c0ffee00)',
        expires_at: expiresAt.toISOString(),
        ttl: '1h',
      });
    },
  );

  it('revokes what it created when the response carries no key', async () => {
    kubiya.options.createResponseShape = 'no-key';
    const error = await failure(create());
    expect(error.message).toMatch(/carried no key.*the key was revoked/);
    expect(
      kubiya
        .keys()
        .filter((key) => key.name === NAME)
        .every((key) => key.revoked_at),
    ).toBe(true);
  });

  it('explains a 403 for a user who cannot manage keys', async () => {
    const viewer = kubiya.addUser({ email: 'viewer@acme.test', org: 'acme', canManageKeys: false }).apiKey;
    expect((await failure(create(NAME, client({ adminKey: viewer })))).message).toMatch(/lacks permission to manage API keys/);
  });

  it('leaves no orphan when the create response is lost: it revokes the stray key and tries again', async () => {
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'lost-response' });
    const minted = await create();
    const named = kubiya.keys().filter((key) => key.name === NAME);
    expect(named).toHaveLength(2);
    expect(named.filter((key) => !key.revoked_at).map((key) => key.id)).toEqual([minted.id]);
  });

  it('gives up after the retries with nothing left behind when every create response is lost', async () => {
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'lost-response', times: Infinity });
    const error = await failure(create());
    expect(error.message).toMatch(/any key the lost requests created under that name was revoked/);
    expect(kubiya.count('POST', '/api/v1/auth/keys')).toBe(4);
    expect(kubiya.keys().filter((key) => key.name === NAME && !key.revoked_at)).toEqual([]);
  });

  it('says a refused create may still have minted a key when an earlier attempt went unanswered', async () => {
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'lost-response' });
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', nth: 2, kind: 'status', status: 422, body: { detail: 'no' } });
    const error = await failure(create());
    expect(error).toMatchObject({ status: 422, outcomeUnknown: true });
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'status', status: 422, body: { detail: 'no' } });
    expect(await failure(create())).toMatchObject({ status: 422, outcomeUnknown: false });
  });

  it('retries a 429 after Retry-After without reconciling (nothing was created)', async () => {
    kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'status', status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await create();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(0);
  });

  it('does not retry a 422', async () => {
    kubiya.injectFault({
      method: 'POST',
      path: '/api/v1/auth/keys',
      kind: 'status',
      status: 422,
      body: { detail: [{ loc: ['body', 'name'], msg: 'bad' }] },
    });
    expect((await failure(create())).message).toMatch(/HTTP 422: body.name: bad/);
    expect(kubiya.count('POST', '/api/v1/auth/keys')).toBe(1);
  });
});

describe('listing keys', () => {
  beforeEach(() => {
    for (let i = 1; i <= 5; i++) kubiya.seedKey({ userEmail: 'ci@acme.test', name: `k${i}`, lastUsed: new Date('2026-11-01T00:00:00Z') });
  });

  it.each(['keys', 'array', 'items', 'data'] as const)('reads a %s-shaped list with times', async (shape) => {
    kubiya.options.listShape = shape;
    const keys = await client().listKeys();
    expect(keys.map((key) => key.name).sort()).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'manual:ci@acme.test']);
    expect(keys.find((key) => key.name === 'k1')).toMatchObject({ revoked: false, lastUsed: new Date('2026-11-01T00:00:00Z') });
    expect(keys.every((key) => key.createdAt instanceof Date && key.expiresAt instanceof Date)).toBe(true);
  });

  it.each(['absolute', 'relative'] as const)('follows %s next-page links', async (links) => {
    kubiya.options.pageSize = 2;
    kubiya.options.pageLinks = links;
    expect(await client().listKeys()).toHaveLength(6);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(3);
  });

  it('marks keys listed as revoked', async () => {
    kubiya.options.listRevoked = true;
    const { id } = kubiya.seedKey({ userEmail: 'ci@acme.test', name: 'gone', revoked: true });
    expect((await client().listKeys()).find((key) => key.id === id)?.revoked).toBe(true);
  });

  it('retries a 502 and a connection reset', async () => {
    kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'status', status: 502, body: '<html>Bad gateway</html>' });
    kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'reset', nth: 2 });
    expect(await client().listKeys()).toHaveLength(6);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(3);
  });

  it('times out a request that never answers, then retries it', async () => {
    kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'hang' });
    expect(await client({ timeoutMs: 200 }).listKeys()).toHaveLength(6);
  });

  it('stops after three retries of a persistent 500', async () => {
    kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'status', status: 500, times: Infinity });
    expect((await failure(client().listKeys())).message).toMatch(/listing API keys.*HTTP 500/);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(4);
  });
});

describe('revoking keys', () => {
  it('revokes, and counts a key that is already gone as revoked', async () => {
    const minted = await create();
    await client().revokeKey(minted.id);
    expect(kubiya.isValid(minted.token)).toBe(false);
    await client().revokeKey(minted.id);
    await client().revokeKey('no-such-key');
  });
});

describe('credentials stay home', () => {
  it('never follows a redirect to another origin', async () => {
    const elsewhere: HttpEmulator = await startHttpEmulator(() => ({ status: 200, body: {} }), {});
    try {
      kubiya.injectFault({ method: 'GET', kind: 'status', status: 302, headers: { location: `${elsewhere.url}/api/v1/users/self` } });
      const error = await failure(client().authenticate());
      expect(error.message).toMatch(/HTTP 302/);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('scrubs a key echoed back in an error body', async () => {
    kubiya.injectFault({ method: 'GET', kind: 'status', status: 400, body: { detail: `bad key ${adminKey}` } });
    const error = await failure(client().authenticate());
    expect(error.message).not.toContain(adminKey);
    expect(error.message).toContain('bad key ***');
  });
});

describe('the expiry a create asks for and the one it gets', () => {
  const DAY = 86_400_000;
  const ask = (ms: number, c = client()) => {
    const expiresAt = new Date(Date.now() + ms);
    return {
      expiresAt,
      minted: c.createKey(
        { name: NAME, description: 'd (mint c0ffee00)', mintId: 'c0ffee00', expiresAt, ttlMs: ms },
        lostCreateReconciler(c, NAME, 'c0ffee00'),
      ),
    };
  };

  it.each([
    [5 * 60_000, '5m'],
    [90 * 60_000, '90m'],
    [3_600_000, '1h'],
    [36 * 3_600_000, '36h'],
    [30 * DAY, '30d'],
  ])('sends expires_at and ttl for %i ms (%s)', async (ms, ttl) => {
    const { expiresAt, minted } = ask(ms);
    const key = await minted;
    expect(JSON.parse(kubiya.requests[0]!.body)).toMatchObject({ expires_at: expiresAt.toISOString(), ttl });
    expect(Math.abs(key.expiresAt.getTime() - expiresAt.getTime())).toBeLessThan(1000);
  });

  it('reports the expiry the server gave when it ignores the requested lifetime', async () => {
    kubiya.options.lifetime = 'ignore';
    const { expiresAt, minted } = ask(3_600_000);
    const key = await minted;
    expect(key.expiresAt).toEqual(new Date(kubiya.keyById(key.id)!.expires_at));
    expect(key.expiresAt.getTime() - expiresAt.getTime()).toBeGreaterThan(300 * DAY);
  });

  it('reports the expiry the server gave when it rounds the lifetime up to whole days', async () => {
    kubiya.options.lifetime = 'round-up-day';
    const key = await ask(2 * 3_600_000).minted;
    expect(key.expiresAt).toEqual(new Date(kubiya.keyById(key.id)!.expires_at));
    expect(Math.round((key.expiresAt.getTime() - Date.now()) / 3_600_000)).toBe(24);
  });

  it('honours a server that reads ttl only', async () => {
    kubiya.options.lifetime = 'ttl';
    const { expiresAt, minted } = ask(36 * 3_600_000);
    const key = await minted;
    expect(Math.abs(key.expiresAt.getTime() - expiresAt.getTime())).toBeLessThan(2000);
  });

  it.each(['jwt-only', 'no-expiry'] as const)('reads the expiry from the JWT exp when a %s response has no expires_at', async (shape) => {
    kubiya.options.createResponseShape = shape;
    kubiya.options.lifetime = 'ignore';
    const { expiresAt, minted } = ask(3_600_000);
    const key = await minted;
    const exp = Math.floor(Date.parse(kubiya.keyById(key.id)!.expires_at) / 1000);
    expect(key.expiresAt).toEqual(new Date(exp * 1000));
    expect(key.expiresAt.getTime() - expiresAt.getTime()).toBeGreaterThan(300 * DAY);
  });

  it('says when the server refuses the lifetime, naming the lifetimes the web UI offers, and does not retry', async () => {
    kubiya.options.minLifetimeMs = DAY;
    const error = await failure(ask(3_600_000).minted);
    expect(error.message).toMatch(/Kubiya refused creating key .* \(HTTP 422: .*\); the request asked for a lifetime of 1h/);
    expect(error.message).toContain('24 hours, 7 days, 30 days, 90 days, 180 days or 1 year (ttl: 24h, 7d, 30d, 90d, 180d, 365d)');
    expect(kubiya.count('POST', '/api/v1/auth/keys')).toBe(1);
    expect((await ask(DAY).minted).id).toBeTruthy();
  });
});

describe('key endpoints that are not there', () => {
  it.each(['missing-404', 'missing-405'] as const)('%s: says so and suggests the control plane', async (missing) => {
    kubiya.options.keyEndpoints = missing;
    for (const call of [client().listKeys(), create(), ...(missing === 'missing-405' ? [client().revokeKey('k1')] : [])]) {
      const error = await failure(call);
      expect(error.message).toMatch(/the key endpoint \/api\/v1\/auth\/keys is not there at http:\/\/127\.0\.0\.1/);
      expect(error.message).toContain('kubiya-api-url: https://control-plane.kubiya.ai');
      expect(error.message).toContain('docs/kubiya-api.md');
    }
  });

  it('still counts a 404 from DELETE as already revoked (a missing endpoint shows at the list before it)', async () => {
    kubiya.options.keyEndpoints = 'missing-404';
    await client().revokeKey('k1');
  });
});

describe('key lists as the evidence shows them', () => {
  const seed = (count: number) => {
    for (let i = 1; i <= count; i++) kubiya.seedKey({ userEmail: 'ci@acme.test', name: `k${i}` });
  };
  const names = (count: number) => ['manual:ci@acme.test', ...Array.from({ length: count }, (_, i) => `k${i + 1}`)].sort();

  it.each(['api_keys', 'results', 'tokens'] as const)('reads keys under %s', async (shape) => {
    seed(3);
    kubiya.options.listShape = shape;
    expect((await client().listKeys()).map((key) => key.name).sort()).toEqual(names(3));
  });

  it('refuses a list under an unknown wrapper, naming its fields, instead of an empty list', async () => {
    seed(2);
    kubiya.options.listShape = 'unknown';
    const error = await failure(client().listKeys());
    expect(error.message).toMatch(/cannot read: .*an object with fields records, count.*keys, api_keys, items, data, results, tokens/);
    expect(error.message).toContain('docs/kubiya-api.md');
    expect(error.message).not.toContain('shared/');
  });

  it('reads an empty list as empty', async () => {
    kubiya.options.listShape = 'items';
    kubiya.revokeKey(kubiya.keys()[0]!.id);
    expect(await client({ adminKey: kubiya.addUser({ email: 'x@acme.test', org: 'acme' }).apiKey }).listKeys()).toHaveLength(1);
  });

  const PAGINGS = [
    { paging: 'all', pageLinks: 'number' },
    { paging: 'next', pageLinks: 'absolute' },
    { paging: 'next', pageLinks: 'relative' },
    { paging: 'next', pageLinks: 'number' },
    { paging: 'next_page', pageLinks: 'number' },
    { paging: 'next_page', pageLinks: 'relative' },
    { paging: 'next_url', pageLinks: 'absolute' },
    { paging: 'has-more' },
    { paging: 'page-total' },
    { paging: 'page-total-limit' },
    { paging: 'offset' },
    { paging: 'cursor' },
    { paging: 'next_cursor' },
  ] as const;
  it.each(PAGINGS)('follows paging $paging ($pageLinks) to the last key', async (form) => {
    seed(9);
    Object.assign(kubiya.options, { pageSize: 3, listShape: 'data', ...form });
    expect((await client().listKeys()).map((key) => key.name).sort()).toEqual(names(9));
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBeLessThanOrEqual(5);
  });

  it.each(PAGINGS.filter((form) => form.paging !== 'offset'))(
    'keeps paging $paging ($pageLinks) past empty pages that say more follow, to the last key',
    async (form) => {
      seed(9);
      Object.assign(kubiya.options, { pageSize: 3, listShape: 'data', emptyPagesFirst: 2, ...form });
      expect((await client().listKeys()).map((key) => key.name).sort()).toEqual(names(9));
      expect(kubiya.count('GET', '/api/v1/auth/keys'), '2 empty pages, then 4 of the 10 keys').toBe(6);
    },
  );

  it('fails loudly on an empty offset page that says more follow: the next offset would be the same page again', async () => {
    seed(4);
    Object.assign(kubiya.options, { pageSize: 2, paging: 'offset', emptyPagesFirst: 1 });
    const error = await failure(client().listKeys());
    expect(error.message).toMatch(/gave the same offset \(0: an empty page that says more keys follow\) twice/);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(1);
  });

  it('fails loudly on empty pages that repeat: a page ignored, a cursor that does not move', async () => {
    seed(4);
    Object.assign(kubiya.options, { pageSize: 2, paging: 'ignores-page', emptyPagesFirst: 1 });
    expect((await failure(client().listKeys())).message).toMatch(/gave 100 empty pages in a row .*each saying more keys follow/);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(100);
    kubiya.options.paging = 'stuck-cursor';
    kubiya.options.emptyPagesFirst = 3;
    expect((await failure(client().listKeys())).message).toMatch(/same cursor twice|points back to a page already read/);
  });

  it('follows a page number when the last page is short', async () => {
    seed(8);
    Object.assign(kubiya.options, { pageSize: 3, paging: 'page-total' });
    expect(await client().listKeys()).toHaveLength(9);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(3);
  });

  it('fails loudly, sending no key, when the next page is at another origin', async () => {
    seed(4);
    Object.assign(kubiya.options, { pageSize: 2, paging: 'next', pageLinks: 'other-origin' });
    const error = await failure(client().listKeys());
    expect(error.message).toMatch(/continues at another origin \(http:\/\/localhost:\d+\).*cannot be read in full and nothing was changed/);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(1);
  });

  it('fails loudly on a server that ignores the page asked for, or a cursor that does not move', async () => {
    seed(4);
    Object.assign(kubiya.options, { pageSize: 2, paging: 'ignores-page' });
    expect((await failure(client().listKeys())).message).toMatch(/answered page 2 of the key list with the same keys as page 1/);
    kubiya.options.paging = 'stuck-cursor';
    expect((await failure(client().listKeys())).message).toMatch(/same cursor twice|points back to a page already read/);
  });

  it('marks keys revoked by status or revoked_at, in every timestamp form', async () => {
    kubiya.options.listRevoked = true;
    const gone = kubiya.seedKey({ userEmail: 'ci@acme.test', name: 'gone', revoked: true });
    for (const timestamps of ['iso', 'zoneless', 'epoch-seconds', 'epoch-ms'] as const) {
      kubiya.options.timestamps = timestamps;
      const keys = await client().listKeys();
      expect(keys.find((key) => key.id === gone.id)?.revoked).toBe(true);
      expect(keys.filter((key) => key.revoked)).toHaveLength(1);
    }
  });

  it.each(['zoneless', 'epoch-seconds', 'epoch-ms'] as const)('reads %s times as the instants they are', async (timestamps) => {
    const createdAt = new Date('2026-05-01T10:20:30.000Z');
    const { id } = kubiya.seedKey({ userEmail: 'ci@acme.test', name: 'dated', createdAt, lastUsed: new Date('2026-06-01T00:00:00Z') });
    kubiya.options.timestamps = timestamps;
    const key = (await client().listKeys()).find((candidate) => candidate.id === id)!;
    expect(key.createdAt).toEqual(createdAt);
    expect(key.expiresAt).toEqual(new Date(createdAt.getTime() + 30 * 86_400_000));
    expect(key.lastUsed).toEqual(new Date('2026-06-01T00:00:00Z'));
  });

  it('skips entries with an empty or missing name or no id, and reads descriptions', async () => {
    kubiya.seedKey({ userEmail: 'ci@acme.test', name: '' });
    kubiya.options.extraListEntries = [{ id: 'x1' }, { name: 'no-id' }, { id: 'x2', name: null }, 42];
    kubiya.options.pageSize = 2;
    const keys = await client().listKeys();
    expect(keys.map((key) => key.name)).toEqual(['manual:ci@acme.test']);
    expect(keys[0]!.description).toBe('created in the Kubiya web app');
  });

  it('reads 50,000 keys across pages, and in one 15 MB answer', async () => {
    for (let i = 0; i < 50_000; i++)
      kubiya.seedKey({ userEmail: 'ci@acme.test', name: `gha:acme/repo-${i % 500}:KUBIYA_API_KEY:run-${i}-1` });
    kubiya.options.pageSize = 500;
    kubiya.options.paging = 'next_page';
    kubiya.options.pageLinks = 'number';
    expect(await client().listKeys()).toHaveLength(50_001);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(101);
    kubiya.options.pageSize = undefined;
    const started = Date.now();
    expect(await client({ timeoutMs: 30_000 }).listKeys()).toHaveLength(50_001);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 120_000);
});

describe('answers too big to be a key list', () => {
  it('refuses a body over 64 MB with a clear error, without retrying', async () => {
    kubiya.injectFault({
      method: 'GET',
      path: '/api/v1/auth/keys',
      kind: 'status',
      status: 200,
      body: `{"keys": [], "p": "${'x'.repeat(65 * 1024 * 1024)}"}`,
    });
    const error = await failure(client({ timeoutMs: 30_000 }).listKeys());
    expect(error.message).toMatch(/answer to GET \/api\/v1\/auth\/keys was larger than 64 MB/);
    expect(kubiya.count('GET', '/api/v1/auth/keys')).toBe(1);
  }, 60_000);

  it('refuses a list in which no entry has an id and a name (renamed fields), rather than reading it as empty', async () => {
    const body = {
      keys: [
        { key_uuid: 'a', title: 'x' },
        { key_uuid: 'b', title: '' },
      ],
    };
    kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'status', status: 200, body });
    const error = await failure(client().listKeys());
    expect(error.message).toMatch(/has 2 entries but not one with both an id .* and a name .*; an entry has the fields key_uuid, title/);
  });
});
