// The Kubiya client against the emulator: what the project assumes of Kubiya's API, stated as tests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
const create = (name = NAME, c = client()) => c.createKey({ name, description: 'contract test', expiresAt: inAnHour() });

beforeEach(async () => {
  kubiya = await startKubiyaEmulator();
  adminKey = kubiya.addUser({ email: 'ci@acme.test', org: 'acme' }).apiKey;
  masked = [];
});
afterEach(() => kubiya.close());

describe('identity', () => {
  it('authenticates with a UserKey header on /api/v1/users/self', async () => {
    expect(await client().whoami()).toEqual({ email: 'ci@acme.test', org: 'acme' });
    expect(kubiya.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/users/self' });
    expect(kubiya.requests[0]!.headers['authorization']).toBe(`UserKey ${adminKey}`);
  });

  it('falls back to /api/v1/users/current when /self answers 404', async () => {
    kubiya.options.selfEndpoint = false;
    expect((await client().whoami()).email).toBe('ci@acme.test');
    expect(kubiya.requests.map((r) => r.path)).toEqual(['/api/v1/users/self', '/api/v1/users/current']);
  });

  it('explains a 401 with what to check, without the key', async () => {
    const error = await failure(client({ adminKey: 'x'.repeat(40) }).whoami());
    expect(error.message).toMatch(/rejected admin-api-key.*invalid, revoked or expired.*another Kubiya deployment \(check kubiya-api-url/);
    expect(error.message).not.toContain('x'.repeat(40));
  });

  it('verifies a new key with that key', async () => {
    const minted = await create();
    await client().whoami(minted.token);
    expect(kubiya.requests.at(-1)!.headers['authorization']).toBe(`UserKey ${minted.token}`);
    await client().revokeKey(minted.id);
    expect((await failure(client().whoami(minted.token))).message).toMatch(/did not accept the new key \(HTTP 401/);
  });
});

describe('creating keys', () => {
  it.each(['flat', 'nested', 'jwt-only'] as const)(
    'reads the key, id and expiry from a %s response, masking the key first',
    async (shape) => {
      kubiya.options.createResponseShape = shape;
      const expiresAt = inAnHour();
      const minted = await client().createKey({ name: NAME, description: 'd', expiresAt });
      const stored = kubiya.keyById(minted.id)!;
      expect(stored).toMatchObject({ name: NAME, token: minted.token });
      expect(Math.abs(minted.expiresAt.getTime() - expiresAt.getTime())).toBeLessThan(1000);
      expect(masked).toEqual([minted.token]);
      expect(kubiya.isValid(minted.token)).toBe(true);
      expect(JSON.parse(kubiya.requests[0]!.body)).toEqual({ name: NAME, description: 'd', expires_at: expiresAt.toISOString(), ttl: '1h' });
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
      const error = await failure(client().whoami());
      expect(error.message).toMatch(/HTTP 302/);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('scrubs a key echoed back in an error body', async () => {
    kubiya.injectFault({ method: 'GET', kind: 'status', status: 400, body: { detail: `bad key ${adminKey}` } });
    const error = await failure(client().whoami());
    expect(error.message).not.toContain(adminKey);
    expect(error.message).toContain('bad key ***');
  });
});
