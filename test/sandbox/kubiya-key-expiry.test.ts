import { afterEach, describe, expect, it } from 'vitest';
import { decodeKubiyaToken, startKubiyaEmulator } from './kubiya-emulator.ts';
import type { KubiyaEmulator } from './kubiya-emulator.ts';

const DAY_MS = 86_400_000;
const running: KubiyaEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

async function kubiya(): Promise<KubiyaEmulator> {
  const emulator = await startKubiyaEmulator();
  running.push(emulator);
  return emulator;
}

function call(emulator: KubiyaEmulator, method: string, path: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `UserKey ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Status of identity, list, create and revoke with that key. */
async function everywhere(emulator: KubiyaEmulator, token: string, revokable: string): Promise<number[]> {
  const expires_at = new Date(Date.now() + DAY_MS).toISOString();
  return [
    (await call(emulator, 'GET', '/api/v1/users/self', token)).status,
    (await call(emulator, 'GET', '/api/v1/auth/keys', token)).status,
    (await call(emulator, 'POST', '/api/v1/auth/keys', token, { name: 'n', expires_at })).status,
    (await call(emulator, 'DELETE', `/api/v1/auth/keys/${revokable}`, token)).status,
  ];
}

type Listed = { id: string; expires_at: string };
async function listed(emulator: KubiyaEmulator, token: string): Promise<Listed[]> {
  return ((await (await call(emulator, 'GET', '/api/v1/auth/keys', token)).json()) as { keys: Listed[] }).keys;
}

describe('kubiya emulator: key expiry', () => {
  it('issues an admin key with the expiry asked for, in its JWT exp and its list entry', async () => {
    const emulator = await kubiya();
    const expiresAt = new Date(Math.floor((Date.now() + 20 * DAY_MS) / 1000) * 1000);
    const { apiKey, keyId } = emulator.addUser({ email: 'ci@acme.dev', org: 'acme', keyExpiresAt: expiresAt });
    expect(decodeKubiyaToken(apiKey)).toMatchObject({
      exp: expiresAt.getTime() / 1000,
      token_id: keyId,
      token_name: 'manual:ci@acme.dev',
    });
    expect(await listed(emulator, apiKey)).toEqual([expect.objectContaining({ id: keyId, expires_at: expiresAt.toISOString() })]);

    const seeded = emulator.seedKey({ userEmail: 'ci@acme.dev', name: 'gha:acme/web:KUBIYA_API_KEY', expiresAt });
    expect(decodeKubiyaToken(seeded.token)).toMatchObject({ exp: expiresAt.getTime() / 1000, token_id: seeded.id });
  });

  it('answers 401 everywhere once the clock passes a key’s expiry', async () => {
    const emulator = await kubiya();
    const { apiKey: other } = emulator.addUser({ email: 'other@acme.dev', org: 'acme' });
    const { apiKey, keyId } = emulator.addUser({ email: 'ci@acme.dev', org: 'acme', keyExpiresAt: new Date(Date.now() + 10 * DAY_MS) });
    const victim = emulator.seedKey({ userEmail: 'ci@acme.dev', name: 'victim', expiresAt: new Date(Date.now() + 400 * DAY_MS) });
    expect((await call(emulator, 'GET', '/api/v1/users/self', apiKey)).status).toBe(200);

    emulator.passTime(10 * DAY_MS + 60_000);
    expect(emulator.isValid(apiKey)).toBe(false);
    expect(emulator.keyStatus(emulator.keyById(keyId)!)).toBe('expired');
    expect(await everywhere(emulator, apiKey, victim.id)).toEqual([401, 401, 401, 401]);
    expect(emulator.keyById(victim.id)?.revoked_at).toBeNull();
    // Another key of the org still lists the expired one, with its (moved) expiry in the past.
    const entry = (await listed(emulator, other)).find((key) => key.id === keyId);
    expect(Date.parse(entry?.expires_at ?? '')).toBeLessThan(Date.now());
  });

  it('issues a key already expired: 401 at once', async () => {
    const emulator = await kubiya();
    const { apiKey, keyId } = emulator.addUser({ email: 'ci@acme.dev', org: 'acme', keyExpiresAt: new Date(Date.now() - DAY_MS) });
    expect(decodeKubiyaToken(apiKey)?.exp).toBeLessThan(Date.now() / 1000);
    expect(await everywhere(emulator, apiKey, keyId)).toEqual([401, 401, 401, 401]);
  });

  it('issues keys that are not JWTs, or JWTs without exp, that work like any other', async () => {
    const emulator = await kubiya();
    const expiresAt = new Date(Date.now() + 5 * DAY_MS);
    const opaque = emulator.addUser({ email: 'ci@acme.dev', org: 'acme', keyForm: 'opaque', keyExpiresAt: expiresAt });
    expect(opaque.apiKey).not.toContain('.');
    expect(decodeKubiyaToken(opaque.apiKey)).toBeUndefined();
    expect(emulator.keyByToken(opaque.apiKey)).toMatchObject({ id: opaque.keyId, form: 'opaque' });
    expect(await (await call(emulator, 'GET', '/api/v1/users/self', opaque.apiKey)).json()).toMatchObject({ email: 'ci@acme.dev' });
    expect(await listed(emulator, opaque.apiKey)).toEqual([
      expect.objectContaining({ id: opaque.keyId, expires_at: expiresAt.toISOString() }),
    ]);

    const noExp = emulator.seedKey({ userEmail: 'ci@acme.dev', name: 'no-exp', expiresAt, form: 'jwt-without-exp' });
    const claims = decodeKubiyaToken(noExp.token);
    expect(claims).toMatchObject({ token_id: noExp.id, token_name: 'no-exp' });
    expect(claims && 'exp' in claims).toBe(false);
    expect((await call(emulator, 'GET', '/api/v1/users/self', noExp.token)).status).toBe(200);

    // A made-up opaque string is no key; an expired opaque key is refused like any other.
    expect((await call(emulator, 'GET', '/api/v1/users/self', 'kby_made-up')).status).toBe(401);
    emulator.passTime(6 * DAY_MS);
    expect((await call(emulator, 'GET', '/api/v1/users/self', opaque.apiKey)).status).toBe(401);
    expect((await call(emulator, 'GET', '/api/v1/users/self', noExp.token)).status).toBe(401);
  });
});
