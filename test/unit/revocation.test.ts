import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../src/key-service.ts';
import { compareKeys, planRevocation } from '../../src/revocation.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);
const key = (id: string, created: Date, run = id, revoked = false): ApiKey => ({
  id,
  name: `gha:acme/web:KUBIYA_API_KEY:run-${run}-1`,
  createdAt: created,
  revoked,
});

const own = key('100', NOW);
const ids = (keys: ApiKey[]) => keys.map((k) => k.id);

describe('planRevocation', () => {
  it('revokes every older key once the secret holds the new one (no grace period)', () => {
    const plan = planRevocation({
      slotKeys: [key('1', hoursAgo(300)), key('2', hoursAgo(10)), own],
      own,
      now: NOW,
      gracePeriodMs: 0,
      revokePrevious: true,
    });
    expect(ids(plan.revoke)).toEqual(['1', '2']);
    expect(plan.newer).toEqual([]);
  });

  it('keeps the key the new one just superseded during the grace period, revoking those superseded long ago', () => {
    const plan = planRevocation({
      slotKeys: [key('1', hoursAgo(300)), key('2', hoursAgo(200)), key('3', hoursAgo(1)), own],
      own,
      now: NOW,
      gracePeriodMs: 24 * 3_600_000,
      revokePrevious: true,
    });
    // 1's successor (2) is 200 h old → revoke; 2's successor (3) is 1 h old → keep; 3's successor is the new key → keep.
    expect(ids(plan.revoke)).toEqual(['1']);
    expect(ids(plan.keep)).toEqual(['2', '3']);
  });

  it('revokes nothing with revoke-previous false', () => {
    const plan = planRevocation({ slotKeys: [key('1', hoursAgo(300)), own], own, now: NOW, gracePeriodMs: 0, revokePrevious: false });
    expect(plan.revoke).toEqual([]);
    expect(ids(plan.keep)).toEqual(['1']);
  });

  it('never plans to revoke a newer key, and reports it so the run can step back', () => {
    const newer = key('200', new Date(NOW.getTime() + 1000));
    const plan = planRevocation({ slotKeys: [key('1', hoursAgo(3)), own, newer], own, now: NOW, gracePeriodMs: 0, revokePrevious: true });
    expect(ids(plan.newer)).toEqual(['200']);
    expect(ids(plan.revoke)).toEqual(['1']);
  });

  it('ignores keys already revoked', () => {
    const plan = planRevocation({
      slotKeys: [key('1', hoursAgo(3), '1', true), own],
      own,
      now: NOW,
      gracePeriodMs: 0,
      revokePrevious: true,
    });
    expect(plan.revoke).toEqual([]);
  });

  it('orders keys created in the same instant by the run in their names', () => {
    expect(compareKeys(key('b', NOW, '5'), key('a', NOW, '6'))).toBeLessThan(0);
    expect(compareKeys({ ...key('a', NOW, '7'), name: 'gha:acme/web:KUBIYA_API_KEY:run-7-2' }, key('b', NOW, '7'))).toBeGreaterThan(0);
  });
});

describe('duplicates of the new key', () => {
  it('are a late create of this run, not a newer run’s key', () => {
    const late = { ...own, id: '101', createdAt: new Date(NOW.getTime() + 500) };
    const plan = planRevocation({ slotKeys: [own, late], own, now: NOW, gracePeriodMs: 0, revokePrevious: false });
    expect(plan.newer).toEqual([]);
    expect(ids(plan.duplicates)).toEqual(['101']);
  });
});
