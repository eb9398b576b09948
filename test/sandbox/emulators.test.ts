import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHttpEmulator } from './http-emulator.ts';
import type { HttpEmulator } from './http-emulator.ts';
import { decodeKubiyaToken, startKubiyaEmulator } from './kubiya-emulator.ts';
import type { KubiyaEmulator } from './kubiya-emulator.ts';

const running: HttpEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function echoServer(options: { latencyMs?: number; jitterMs?: number; seed?: number } = {}): Promise<HttpEmulator> {
  const emulator = await startHttpEmulator((req) => ({ status: 200, body: { path: req.path, body: req.json() } }), options);
  running.push(emulator);
  return emulator;
}

async function kubiya(options: Parameters<typeof startKubiyaEmulator>[0] = {}): Promise<{ emulator: KubiyaEmulator; admin: string }> {
  const emulator = await startKubiyaEmulator(options);
  running.push(emulator);
  const { apiKey } = emulator.addUser({ email: 'ci@acme.dev', org: 'acme' });
  return { emulator, admin: apiKey };
}

function call(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `UserKey ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const inAnHour = (): string => new Date(Date.now() + 3_600_000).toISOString();

describe('http emulator base', () => {
  it('logs requests and applies latency', async () => {
    const emulator = await echoServer({ latencyMs: 60 });
    const started = Date.now();
    const res = await fetch(`${emulator.url}/a%2Fb?x=1`, { method: 'POST', body: '{"n":1}' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(await res.json()).toEqual({ path: '/a%2Fb', body: { n: 1 } });
    const [record] = emulator.requests;
    expect(record).toMatchObject({ seq: 1, method: 'POST', path: '/a%2Fb', body: '{"n":1}', status: 200 });
    expect(record?.query.get('x')).toBe('1');
    expect((record?.endedAt ?? 0) - (record?.startedAt ?? 0)).toBeGreaterThanOrEqual(55);
    expect(emulator.count('post', /^\/a/)).toBe(1);
  });

  // Ordered by the server's own events, not by timers: the answer is held until the server has seen the
  // client go away, so a busy machine cannot let it slip out first.
  it('records a client that gave up before the answer as lost', async () => {
    let answer = (): void => {};
    const answerHeld = new Promise<void>((resolve) => (answer = resolve));
    const emulator = await startHttpEmulator(async () => {
      await answerHeld;
      return { status: 200, body: {} };
    });
    running.push(emulator);
    const client = new AbortController();
    const request = fetch(emulator.url, { signal: client.signal });
    const record = await emulator.waitForRequest();
    client.abort();
    await expect(request).rejects.toThrow();
    await emulator.waitForClientGone(record);
    answer();
    expect(await emulator.waitForOutcome(record)).toMatchObject({ status: 'lost', fault: 'client-gone (handled as 200)' });
  });

  it('tracks concurrency', async () => {
    // Every request is answered only once all four are in, so all four are in flight together.
    const emulator: HttpEmulator = await startHttpEmulator(
      async () => {
        await emulator.waitForRequest(undefined, undefined, { nth: 4 });
        return { status: 200 };
      },
      { latencyMs: 10, jitterMs: 10, seed: 7 },
    );
    running.push(emulator);
    await Promise.all([1, 2, 3, 4].map(() => fetch(emulator.url)));
    expect(emulator.maxInFlight).toBe(4);
    expect(emulator.inFlight).toBe(0);
  });

  it('injects status faults on the nth matching request, and at the k-th request overall', async () => {
    const emulator = await echoServer();
    emulator.injectFault({
      method: 'GET',
      path: '/x',
      nth: 2,
      times: 2,
      kind: 'status',
      status: 503,
      headers: { 'retry-after': '1' },
      body: { detail: 'busy' },
    });
    emulator.injectFaultAtRequest(6, { kind: 'status', status: 429 });
    const statuses: number[] = [];
    for (const path of ['/x', '/y', '/x', '/x', '/x', '/y']) statuses.push((await fetch(`${emulator.url}${path}`)).status);
    expect(statuses).toEqual([200, 200, 503, 503, 200, 429]);
    expect(emulator.requests.map((r) => r.fault)).toEqual([undefined, undefined, 'status 503', 'status 503', undefined, 'status 429']);
  });

  it('resets, hangs until close, and loses responses after handling them', async () => {
    const { emulator, admin } = await kubiya();
    emulator.injectFault({ path: '/api/v1/users/self', kind: 'reset' });
    await expect(call(emulator.url, 'GET', '/api/v1/users/self', admin)).rejects.toThrow();

    emulator.injectFault({ method: 'POST', kind: 'lost-response' });
    const before = emulator.keys().length;
    await expect(call(emulator.url, 'POST', '/api/v1/auth/keys', admin, { name: 'lost', expires_at: inAnHour() })).rejects.toThrow();
    expect(emulator.keys().length).toBe(before + 1);

    emulator.injectFault({ kind: 'hang' });
    const hung = call(emulator.url, 'GET', '/api/v1/users/self', admin, undefined);
    await emulator.waitForRequest('GET', '/api/v1/users/self', { nth: 2 });
    expect(emulator.inFlight).toBe(1);
    await emulator.close();
    await expect(hung).rejects.toThrow();
    expect(emulator.requests.map((r) => r.status)).toEqual(['reset', 'lost', 'hang']);
  });

  it('drips an answer that never ends, byte by byte, until its client goes away', async () => {
    const emulator = await echoServer();
    emulator.injectFault({ path: '/slow', kind: 'drip', status: 200, dripEveryMs: 5 });
    const controller = new AbortController();
    const response = await fetch(`${emulator.url}/slow`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 5) received += (await reader.read()).value?.length ?? 0;
    const [record] = emulator.matching('GET', '/slow');
    expect(record).toMatchObject({ status: 'drip', fault: 'drip' });
    controller.abort();
    await emulator.waitForClientGone(record!);
    expect((await fetch(`${emulator.url}/x`)).status, 'later requests are answered').toBe(200);
  });
});

describe('kubiya emulator', () => {
  it('limits requests by a token bucket: N at once, then one every 1/N s, 429 with Retry-After: 1 past it', async () => {
    const { emulator, admin } = await kubiya({ rateLimitPerSecond: 2 });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const t0 = Date.now();
      const statuses = async (count: number) => {
        const answers = [];
        for (let i = 0; i < count; i++) answers.push(await call(emulator.url, 'GET', '/api/v1/users/self', admin));
        return answers;
      };
      const burst = await statuses(4);
      expect(burst.map((answer) => answer.status)).toEqual([200, 200, 429, 429]);
      expect(burst[2]!.headers.get('retry-after')).toBe('1');
      expect(await burst[2]!.json()).toEqual({ detail: 'Rate limit exceeded: 2 requests per second' });
      vi.setSystemTime(t0 + 499);
      expect((await statuses(1)).map((answer) => answer.status)).toEqual([429]);
      vi.setSystemTime(t0 + 500);
      expect((await statuses(2)).map((answer) => answer.status)).toEqual([200, 429]);
      vi.setSystemTime(t0 + 10_000);
      expect(
        (await statuses(3)).map((answer) => answer.status),
        'the bucket holds 2, however long it rested',
      ).toEqual([200, 200, 429]);
      expect(emulator.rateLimited).toBe(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('mints JWT-shaped keys and answers identity only to UserKey auth', async () => {
    const { emulator, admin } = await kubiya();
    const [header, payload, signature] = admin.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(signature).toMatch(/^[A-Za-z0-9_-]+$/);
    const claims = decodeKubiyaToken(admin);
    expect(payload).toBeDefined();
    expect(claims).toMatchObject({ organization: 'acme', email: 'ci@acme.dev', token_name: 'manual:ci@acme.dev' });
    expect(claims?.token_id).toBe(emulator.keyByToken(admin)?.id);

    const self = await call(emulator.url, 'GET', '/api/v1/users/self', admin);
    expect(self.status).toBe(200);
    expect(await self.json()).toMatchObject({ email: 'ci@acme.dev', org: 'acme' });
    expect(emulator.keyByToken(admin)?.last_used).not.toBeNull();

    const bearer = await fetch(`${emulator.url}/api/v1/users/self`, { headers: { authorization: `Bearer ${admin}` } });
    expect(bearer.status).toBe(401);
    expect(await bearer.json()).toEqual({
      detail: { error: 'unauthorized', message: 'Invalid or expired API key', hint: 'Check the API key' },
    });
    expect((await call(emulator.url, 'GET', '/api/v1/users/self', `${admin}x`)).status).toBe(401);

    emulator.options.selfEndpoint = false;
    expect((await call(emulator.url, 'GET', '/api/v1/users/self', admin)).status).toBe(404);
    expect((await call(emulator.url, 'GET', '/api/v1/users/current', admin)).status).toBe(200);
  });

  it('creates keys with strictly increasing creation times, in every response shape', async () => {
    const { emulator, admin } = await kubiya();
    const flat = await call(emulator.url, 'POST', '/api/v1/auth/keys', admin, { name: 'a', description: 'd', expires_at: inAnHour() });
    expect(flat.status).toBe(201);
    const created = (await flat.json()) as { id: string; key: string; created_at: string };
    expect(emulator.isValid(created.key)).toBe(true);
    expect((await call(emulator.url, 'GET', '/api/v1/users/self', created.key)).status).toBe(200);

    const bodies: unknown[] = [];
    for (const shape of ['nested', 'jwt-only', 'no-key'] as const) {
      emulator.options.createResponseShape = shape;
      bodies.push(await (await call(emulator.url, 'POST', '/api/v1/auth/keys', admin, { name: shape, expires_at: inAnHour() })).json());
    }
    expect(bodies[0]).toEqual({ data: expect.objectContaining({ uuid: expect.any(String), token: expect.any(String) }) });
    expect(Object.keys(bodies[1] as object)).toEqual(['api_key']);
    expect(bodies[2]).toEqual({ id: expect.any(String), name: 'no-key' });

    const times = emulator.keys().map((key) => Date.parse(key.created_at));
    expect(times.every((t, i) => i === 0 || t > (times[i - 1] ?? 0))).toBe(true);
  });

  it('rejects invalid bodies with FastAPI 422s and non-managers with 403', async () => {
    const { emulator, admin } = await kubiya();
    const res = await call(emulator.url, 'POST', '/api/v1/auth/keys', admin, {
      name: '',
      description: 3,
      expires_at: '2001-01-01T00:00:00Z',
    });
    expect(res.status).toBe(422);
    const { detail } = (await res.json()) as { detail: { loc: string[] }[] };
    expect(detail.map((error) => error.loc)).toEqual([
      ['body', 'name'],
      ['body', 'description'],
      ['body', 'expires_at'],
    ]);
    const notIso = await call(emulator.url, 'POST', '/api/v1/auth/keys', admin, { name: 'x', expires_at: 'tomorrow' });
    expect(notIso.status).toBe(422);

    const viewer = emulator.addUser({ email: 'dev@acme.dev', org: 'acme', canManageKeys: false });
    const denied = await call(emulator.url, 'POST', '/api/v1/auth/keys', viewer.apiKey, { name: 'x', expires_at: inAnHour() });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ detail: 'You do not have permission to manage API keys' });
  });

  it('lists the caller org keys in each shape and pages through them', async () => {
    const { emulator, admin } = await kubiya();
    emulator.addUser({ email: 'other@globex.dev', org: 'globex' });
    const old = emulator.seedKey({
      userEmail: 'ci@acme.dev',
      name: 'gha:acme/web:K:run-1-1',
      createdAt: new Date(Date.now() - 86_400_000),
    });
    emulator.seedKey({ userEmail: 'ci@acme.dev', name: 'revoked', revoked: true });
    emulator.seedKey({
      userEmail: 'ci@acme.dev',
      name: 'expired',
      createdAt: new Date(Date.now() - 7_200_000),
      expiresAt: new Date(Date.now() - 1000),
    });

    const list = async (): Promise<unknown> => (await call(emulator.url, 'GET', '/api/v1/auth/keys', admin)).json();
    const keys = ((await list()) as { keys: { id: string; name: string; status: string }[] }).keys;
    expect(keys.map((key) => key.name).sort()).toEqual(['expired', 'gha:acme/web:K:run-1-1', 'manual:ci@acme.dev']);
    expect(keys.find((key) => key.id === old.id)).toMatchObject({ status: 'active', last_used: null, revoked_at: null });
    expect(keys.find((key) => key.name === 'expired')?.status).toBe('expired');

    emulator.options.listShape = 'array';
    expect(Array.isArray(await list())).toBe(true);
    emulator.options.listShape = 'data';
    emulator.options.listRevoked = true;
    const withRevoked = ((await list()) as { data: { status: string; revoked_at: string | null }[] }).data;
    expect(withRevoked.filter((key) => key.status === 'revoked' && key.revoked_at !== null)).toHaveLength(1);

    emulator.options.listShape = 'keys';
    emulator.options.pageSize = 3;
    const names: string[] = [];
    let next: string | null = `${emulator.url}/api/v1/auth/keys`;
    while (next !== null) {
      const page = (await (await fetch(next, { headers: { authorization: `UserKey ${admin}` } })).json()) as {
        keys: { name: string }[];
        next: string | null;
        has_more: boolean;
      };
      names.push(...page.keys.map((key) => key.name));
      expect(page.has_more).toBe(page.next !== null);
      next = page.next;
    }
    expect(names).toHaveLength(4);
  });

  it('revokes keys of the caller org only, immediately invalidating them', async () => {
    const { emulator, admin } = await kubiya();
    const target = emulator.seedKey({ userEmail: 'ci@acme.dev', name: 'old' });
    const outsider = emulator.addUser({ email: 'x@globex.dev', org: 'globex' });
    expect((await call(emulator.url, 'DELETE', `/api/v1/auth/keys/${target.id}`, outsider.apiKey)).status).toBe(403);

    expect((await call(emulator.url, 'DELETE', `/api/v1/auth/keys/${target.id}`, admin)).status).toBe(204);
    expect(emulator.isValid(target.token)).toBe(false);
    expect((await call(emulator.url, 'GET', '/api/v1/users/self', target.token)).status).toBe(401);
    const again = await call(emulator.url, 'DELETE', `/api/v1/auth/keys/${target.id}`, admin);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ detail: 'API key not found' });
    expect(emulator.activeKeys().map((key) => key.name)).toEqual(['manual:ci@acme.dev', 'manual:x@globex.dev']);
  });
});
