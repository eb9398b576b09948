import { describe, expect, it } from 'vitest';
import { readCreatedKey, readErrorDetail, readKeyPage } from '../../src/kubiya/responses.ts';

const jwt = (claims: object) => ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'c2lnbmF0dXJl'].join('.');

describe('reading a created key', () => {
  it('finds the key, id and expiry in a flat body', () => {
    expect(readCreatedKey({ id: 'k1', key: 'tok', expires_at: '2026-12-01T00:00:00Z', created_at: '2026-11-01T00:00:00Z' })).toEqual({
      token: 'tok',
      id: 'k1',
      expiresAt: new Date('2026-12-01T00:00:00Z'),
      createdAt: new Date('2026-11-01T00:00:00Z'),
    });
  });

  it('looks inside a data wrapper and accepts other field names', () => {
    expect(readCreatedKey({ data: { uuid: 'u1', token: 'tok' } })).toMatchObject({ token: 'tok', id: 'u1' });
    expect(readCreatedKey({ apiKey: 'tok', key_id: 'k2' })).toMatchObject({ token: 'tok', id: 'k2' });
  });

  it('falls back to the JWT claims for id and expiry', () => {
    const token = jwt({ token_id: 't9', exp: 1_800_000_000 });
    expect(readCreatedKey({ api_key: token })).toMatchObject({ id: 't9', expiresAt: new Date(1_800_000_000_000) });
  });

  it('reports no key when there is none', () => {
    expect(readCreatedKey({ id: 'k1', name: 'x' }).token).toBeUndefined();
  });
});

describe('reading a key list', () => {
  const entry = { id: 'k1', name: 'n', created_at: '2026-11-01T00:00:00Z', last_used: null, expires_at: '2026-12-01T00:00:00Z' };
  it.each([[{ keys: [entry] }], [[entry]], [{ items: [entry] }], [{ data: [entry] }]])('accepts %j', (body) => {
    expect(readKeyPage(body).keys).toEqual([
      {
        id: 'k1',
        name: 'n',
        createdAt: new Date('2026-11-01T00:00:00Z'),
        lastUsed: undefined,
        expiresAt: new Date('2026-12-01T00:00:00Z'),
        revoked: false,
      },
    ]);
  });

  it('marks revoked keys and reads paging', () => {
    const page = readKeyPage({
      keys: [
        { ...entry, status: 'revoked' },
        { ...entry, id: 'k2', revoked_at: '2026-11-02T00:00:00Z' },
      ],
      next: '/api/v1/auth/keys?page=2',
      has_more: true,
    });
    expect(page.keys.map((key) => key.revoked)).toEqual([true, true]);
    expect(page.next).toBe('/api/v1/auth/keys?page=2');
  });

  it('rejects a body that is not a list', () => {
    expect(() => readKeyPage('<html>')).toThrow(/list of keys/);
  });
});

describe('reading an error', () => {
  it('reads detail as a string, an object or a validation list, then message, then error', () => {
    expect(readErrorDetail({ detail: 'nope' })).toBe('nope');
    expect(readErrorDetail({ detail: { error: 'unauthorized', message: 'Invalid key', hint: 'check it' } })).toBe('Invalid key (check it)');
    expect(readErrorDetail({ detail: [{ loc: ['body', 'expires_at'], msg: 'bad date' }] })).toBe('body.expires_at: bad date');
    expect(readErrorDetail({ message: 'm' })).toBe('m');
    expect(readErrorDetail({ error: 'e' })).toBe('e');
    expect(readErrorDetail('text')).toBeUndefined();
  });
});
