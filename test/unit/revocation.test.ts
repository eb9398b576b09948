import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../src/key-service.ts';
import { IN_FLIGHT_WINDOW_MS, compareKeys, isDuplicateOf, planRevocation } from '../../src/revocation.ts';

const NOW = new Date('2026-11-27T12:00:00Z');
const hoursAgo = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000);
const minutesAgo = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
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

  it('orders keys by creation, then by id, so that every run orders them alike', () => {
    expect(compareKeys(key('b', hoursAgo(1)), key('a', NOW))).toBeLessThan(0);
    expect(compareKeys(key('a', NOW, '9'), key('b', NOW, '5'))).toBeLessThan(0);
  });
});

describe('the in-flight window', () => {
  const plan = (slotKeys: ApiKey[], gracePeriodMs = 0) =>
    planRevocation({ slotKeys: [...slotKeys, own], own, now: NOW, gracePeriodMs, revokePrevious: true });

  it('keeps a superseded key created within the window before this run’s key: it may still be on its way into the secret', () => {
    const result = plan([key('1', hoursAgo(200)), key('2', minutesAgo(9)), key('3', minutesAgo(1))]);
    expect(ids(result.revoke)).toEqual(['1']);
    expect(ids(result.inFlight)).toEqual(['2', '3']);
  });

  it('revokes a key just older than the window', () => {
    const result = plan([key('1', new Date(NOW.getTime() - IN_FLIGHT_WINDOW_MS - 1))]);
    expect(ids(result.revoke)).toEqual(['1']);
    expect(result.inFlight).toEqual([]);
  });

  it('keeps a key whose creation time is not listed, since its age cannot be known', () => {
    const result = plan([{ id: '1', name: 'gha:acme/web:KUBIYA_API_KEY:run-1-1', revoked: false }]);
    expect(ids(result.inFlight)).toEqual(['1']);
  });

  it('applies the grace period on top of the window', () => {
    const result = plan([key('1', hoursAgo(30)), key('2', hoursAgo(2))], 24 * 3_600_000);
    expect(ids(result.revoke)).toEqual([]);
    expect(ids(result.keep)).toEqual(['1', '2']);
  });
});

describe('keys with this run’s own name', () => {
  const minted = { id: '100', name: own.name, mintId: 'c0ffee00', uncertain: true };
  const sameName = (id: string, created: Date, mintId: string | undefined): ApiKey => ({
    ...own,
    id,
    createdAt: created,
    description: mintId === undefined ? undefined : `CI key (mint ${mintId}) for …`,
  });

  it('are duplicates of this run’s create only when one of its attempts went unanswered', () => {
    const late = sameName('101', new Date(NOW.getTime() + 500), 'c0ffee00');
    expect(isDuplicateOf(late, minted)).toBe(true);
    expect(isDuplicateOf(late, { ...minted, uncertain: false })).toBe(false);
    expect(isDuplicateOf(own, minted)).toBe(false);
  });

  it('are a peer’s (another job of the same run) unless the description carries this create’s id', () => {
    expect(isDuplicateOf(sameName('101', NOW, 'feedbeef'), minted)).toBe(false);
    // Two jobs of one run share the key name: without a description nothing proves the key is this create's.
    expect(isDuplicateOf(sameName('101', NOW, undefined), minted), 'no description listed: not provably ours').toBe(false);
  });

  it('a newer peer with the same name makes this run step back; an older one is kept by the window', () => {
    const newerPeer = sameName('101', new Date(NOW.getTime() + 500), 'feedbeef');
    const olderPeer = sameName('099', minutesAgo(1), 'deadbeef');
    const plan = planRevocation({
      slotKeys: [own, newerPeer, olderPeer],
      own,
      now: NOW,
      gracePeriodMs: 0,
      revokePrevious: true,
      isDuplicate: (k) => isDuplicateOf(k, minted),
    });
    expect(ids(plan.newer)).toEqual(['101']);
    expect(ids(plan.inFlight)).toEqual(['099']);
    expect(plan.duplicates).toEqual([]);
  });

  it('a late create of this run’s own is a duplicate, not a newer run’s key', () => {
    const late = sameName('101', new Date(NOW.getTime() + 500), 'c0ffee00');
    const plan = planRevocation({
      slotKeys: [own, late],
      own,
      now: NOW,
      gracePeriodMs: 0,
      revokePrevious: false,
      isDuplicate: (k) => isDuplicateOf(k, minted),
    });
    expect(plan.newer).toEqual([]);
    expect(ids(plan.duplicates)).toEqual(['101']);
  });
});
