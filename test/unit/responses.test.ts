import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readCreatedKey, readErrorDetail, readKeyPage, parseTimestamp } from '../../src/kubiya/responses.ts';
import { ttlText } from '../../src/kubiya/client.ts';

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
    expect(page.paging).toMatchObject({ next: '/api/v1/auth/keys?page=2', hasMore: true });
  });

  it('rejects a body that is not a list', () => {
    expect(() => readKeyPage('<html>')).toThrow(/list of keys/);
  });

  it.each(['api_keys', 'results', 'tokens'])('accepts the %s wrapper, and a list nested under data', (wrapper) => {
    expect(readKeyPage({ [wrapper]: [entry] })).toMatchObject({ keys: [{ id: 'k1' }] });
    expect(readKeyPage({ data: { [wrapper]: [entry] } })).toMatchObject({ keys: [{ id: 'k1' }] });
  });

  it('reads an empty array under a known wrapper as an empty list', () => {
    expect(readKeyPage({ keys: [], total: 0 }).keys).toEqual([]);
    expect(readKeyPage([]).keys).toEqual([]);
  });

  it('refuses an object without a known wrapper, naming the fields it saw, instead of reading an empty list', () => {
    expect(() => readKeyPage({ records: [entry], count: 1 })).toThrow(
      /an object with fields records, count.*keys, api_keys, items, data, results, tokens/,
    );
    expect(() => readKeyPage({ keys: null })).toThrow(/fields keys/);
    expect(() => readKeyPage({})).toThrow(/an empty object/);
  });

  it('skips entries with an empty or missing name or no id, and reads the rest', () => {
    const page = readKeyPage({
      keys: [
        entry,
        { ...entry, id: 'k2', name: '' },
        { ...entry, id: 'k3', name: undefined },
        { ...entry, id: undefined },
        'text',
        { ...entry, id: 'k4', name: '  ' },
      ],
    });
    expect(page.keys.map((key) => key.id)).toEqual(['k1']);
    expect(page).toMatchObject({ entries: 6 });
  });

  it('reads the description, and status or revoked_at as revoked', () => {
    const [described, byStatus, byTime, live] = readKeyPage({
      keys: [
        { ...entry, description: 'minted by run 1' },
        { ...entry, status: 'Revoked' },
        { ...entry, revoked_at: 1_700_000_000 },
        { ...entry, status: 'active', revoked_at: null },
      ],
    }).keys;
    expect(described).toMatchObject({ description: 'minted by run 1', revoked: false });
    expect([byStatus!.revoked, byTime!.revoked, live!.revoked]).toEqual([true, true, false]);
    expect(live).not.toHaveProperty('description');
  });

  it('gives a key listed without an expiry created_at + 365 days, marked inferred; without created_at, none', () => {
    const [inferred, listed, blind] = readKeyPage([
      { id: 'a', name: 'n', created_at: '2026-01-01T00:00:00Z' },
      { id: 'b', name: 'n', created_at: '2026-01-01T00:00:00Z', expires_at: '2026-02-01T00:00:00Z' },
      { id: 'c', name: 'n' },
    ]).keys;
    expect(inferred).toMatchObject({ expiresAt: new Date('2027-01-01T00:00:00Z'), expiresAtInferred: true });
    expect(listed!.expiresAt).toEqual(new Date('2026-02-01T00:00:00Z'));
    expect(listed!.expiresAtInferred).toBeUndefined();
    expect(blind!.expiresAt).toBeUndefined();
  });

  it('reads every paging field', () => {
    expect(readKeyPage({ keys: [], next_page: 3, page: 2, total: 40, per_page: 20 }).paging).toEqual({
      next: 3,
      page: 2,
      total: 40,
      limit: 20,
    });
    expect(readKeyPage({ keys: [], next_url: 'https://x/y' }).paging.next).toBe('https://x/y');
    expect(readKeyPage({ keys: [], offset: 20, limit: 10, total: 45 }).paging).toMatchObject({ offset: 20, limit: 10, total: 45 });
    expect(readKeyPage({ keys: [], next_cursor: 'abc', cursor: 'old' }).paging.cursor).toBe('abc');
    expect(readKeyPage({ keys: [], cursor: 'c2' }).paging.cursor).toBe('c2');
    expect(readKeyPage({ keys: [], next: null, has_more: false }).paging).toEqual({ hasMore: false });
  });
});

describe('timestamps', () => {
  const utc = Date.UTC(2026, 10, 1, 12, 30, 0);
  it.each([
    ['2026-11-01T12:30:00Z', utc],
    ['2026-11-01T12:30:00', utc],
    ['2026-11-01 12:30:00', utc],
    ['2026-11-01T12:30', utc],
    ['2026-11-01T12:30:00.123456', utc + 123],
    ['2026-11-01T21:30:00+09:00', utc],
    ['2026-11-01T21:30:00+0900', utc],
    ['2026-11-01', Date.UTC(2026, 10, 1)],
    [utc / 1000, utc],
    [String(utc / 1000), utc],
    [utc, utc],
  ])('reads %j as UTC', (value, expected) => {
    expect(parseTimestamp(value)?.getTime()).toBe(expected);
  });

  it.each([['yesterday'], ['Nov 1 2026 12:30'], [null], [true], [-1]])('does not guess at %j', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });

  it('reads the same instants when the runner is in Asia/Tokyo', () => {
    const script = [
      `import { parseTimestamp } from './src/kubiya/responses.ts';`,
      `const values = ['2026-11-01T12:30:00', '2026-11-01 12:30:00', '2026-11-01', 1793536200, 1793536200000];`,
      `console.log(JSON.stringify({ offset: new Date(2026, 10, 1).getTimezoneOffset(), times: values.map((v) => parseTimestamp(v).getTime()) }));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, TZ: 'Asia/Tokyo' },
      encoding: 'utf8',
    });
    const { offset, times } = JSON.parse(out) as { offset: number; times: number[] };
    expect(offset).toBe(-540);
    expect(times).toEqual([utc, utc, Date.UTC(2026, 10, 1), Date.UTC(2026, 10, 1, 12, 30), Date.UTC(2026, 10, 1, 12, 30)]);
  });
});

describe('the requested lifetime as ttl', () => {
  it.each([
    [5 * 60_000, '5m'],
    [90 * 60_000, '90m'],
    [3_600_000, '1h'],
    [36 * 3_600_000, '36h'],
    [86_400_000, '1d'],
    [30 * 86_400_000, '30d'],
    [365 * 86_400_000, '365d'],
    [3_600_000 - 400, '1h'],
  ])('sends %i ms as %s', (ms, text) => {
    expect(ttlText(ms)).toBe(text);
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
