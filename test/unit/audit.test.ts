// The audit's findings, over listed keys, what GitHub said about the secret, and a clock.
import { describe, expect, it } from 'vitest';
import { auditSlot, parseFindingKinds, type AuditInput } from '../../src/audit-findings.ts';
import type { ApiKey } from '../../src/key-service.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const now = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const ahead = (ms: number) => new Date(now.getTime() + ms);

let nextId = 1;
function key(fields: Partial<ApiKey> & { created: number; expires?: number }): ApiKey {
  const id = `k${nextId++}`;
  return {
    id,
    name: `gha:acme/web:KUBIYA_API_KEY:run-${id.slice(1)}-1`,
    createdAt: ago(fields.created),
    expiresAt: fields.expires === undefined ? ahead(20 * DAY) : ahead(fields.expires),
    revoked: false,
    ...fields,
  };
}

function findings(keys: ApiKey[], extra: Partial<AuditInput> = {}) {
  const jobKeys = new Set(keys.filter((k) => k.name.includes('/job/')));
  return auditSlot({ keys, isJobKey: (k) => jobKeys.has(k), now, warnBeforeMs: 7 * DAY, ...extra }).findings;
}
const kinds = (keys: ApiKey[], extra: Partial<AuditInput> = {}) => findings(keys, extra).map((finding) => finding.kind);

describe('auditSlot: a key listed without an expiry', () => {
  const run = (keys: ApiKey[]) => auditSlot({ keys, isJobKey: () => false, now, warnBeforeMs: 7 * DAY });

  it('expires a year after its creation at the latest, shown as inferred, and the findings use it', () => {
    const stale = key({ created: 400 * DAY, expiresAt: undefined });
    const expired = run([stale]);
    expect(expired.keys[0]).toMatchObject({ expiresAt: ago(35 * DAY), expiresAtInferred: true, active: false });
    expect(expired.findings).toEqual([{ kind: 'expired', message: expect.stringContaining('(inferred'), keyIds: [stale.id] }]);

    const old = key({ created: 360 * DAY, expiresAt: undefined });
    expect(run([old]).findings).toEqual([{ kind: 'expiring', message: expect.stringContaining('(inferred'), keyIds: [old.id] }]);

    const fresh = run([key({ created: 10 * DAY, expiresAt: undefined })]);
    expect(fresh.findings).toEqual([]);
    expect(fresh.newest).toMatchObject({ expiresAt: ahead(355 * DAY), expiresAtInferred: true });
  });

  it('without a creation time either, its expiry is unknown: reported as expiring, never as "does not expire"', () => {
    const blind = key({ created: 0, createdAt: undefined, expiresAt: undefined });
    const report = run([blind]);
    expect(report.newest?.expiresAt).toBeUndefined();
    expect(report.findings).toEqual([
      { kind: 'expiring', message: expect.stringContaining('when it expires is unknown'), keyIds: [blind.id] },
    ]);
  });
});

describe('auditSlot', () => {
  it('finds nothing in a slot rotated on schedule: one active key, the one before it revoked', () => {
    expect(kinds([key({ created: 8 * DAY, revoked: true }), key({ created: DAY })])).toEqual([]);
  });

  it('finds nothing in a slot without keys', () => {
    expect(kinds([])).toEqual([]);
  });

  it('expired: the slot has keys but none is active and unexpired', () => {
    const dead = key({ created: 40 * DAY, expires: -10 * DAY });
    const revoked = key({ created: 50 * DAY, revoked: true });
    const result = findings([revoked, dead]);
    expect(result).toEqual([{ kind: 'expired', message: expect.stringContaining(dead.name), keyIds: [dead.id] }]);
    expect(kinds([key({ created: DAY, revoked: true })])).toEqual(['expired']);
  });

  it('expiring: the newest active key expires within warn-before, and not a minute later', () => {
    const soon = key({ created: 25 * DAY, expires: 5 * DAY });
    expect(findings([soon])).toEqual([{ kind: 'expiring', message: expect.stringContaining(soon.name), keyIds: [soon.id] }]);
    expect(kinds([key({ created: 23 * DAY, expires: 7 * DAY })])).toEqual(['expiring']);
    expect(kinds([key({ created: 23 * DAY, expires: 7 * DAY + MINUTE })])).toEqual([]);
    expect(kinds([key({ created: 25 * DAY, expires: 5 * DAY })], { warnBeforeMs: 0 })).toEqual([]);
  });

  it('expiring looks at the newest active key only: an older one expiring soon is not the secret’s', () => {
    expect(kinds([key({ created: 29 * DAY, expires: DAY, revoked: true }), key({ created: DAY })])).toEqual([]);
  });

  it('lingering: superseded keys still active beyond the in-flight window', () => {
    const old = key({ created: 8 * DAY });
    const newest = key({ created: DAY });
    expect(findings([old, newest])).toEqual([{ kind: 'lingering', message: expect.stringContaining(old.name), keyIds: [old.id] }]);
  });

  it('lingering spares a key inside the in-flight window of its successor, and a rotation still under way', () => {
    // An overlapping run's key, minted 5 minutes before the newest: it may still be on its way into the secret.
    expect(kinds([key({ created: DAY + 5 * MINUTE }), key({ created: DAY })])).toEqual([]);
    // The newest key is 2 minutes old: its run has not revoked the old one yet.
    expect(kinds([key({ created: 8 * DAY }), key({ created: 2 * MINUTE })])).toEqual([]);
    // Expired or revoked superseded keys do not linger.
    expect(kinds([key({ created: 40 * DAY, expires: -DAY }), key({ created: 8 * DAY, revoked: true }), key({ created: DAY })])).toEqual([]);
  });

  it('orphan-job-key: an active mint-mode key older than 6 hours, not one younger or revoked or expired', () => {
    const job = (created: number, fields: Partial<ApiKey> = {}) =>
      key({ created, name: `gha:acme/web/job/deploy:KUBIYA_API_KEY:run-${nextId}-1`, expires: HOUR, ...fields });
    const orphan = job(7 * HOUR, { expiresAt: ahead(HOUR) });
    const secretKey = key({ created: DAY });
    expect(findings([secretKey, orphan, job(5 * HOUR), job(8 * HOUR, { revoked: true }), job(9 * HOUR, { expiresAt: ago(HOUR) })])).toEqual(
      [{ kind: 'orphan-job-key', message: expect.stringContaining(orphan.name), keyIds: [orphan.id] }],
    );
  });

  it('judges the secret by its own keys: job keys alone are never expired, expiring or lingering', () => {
    const job = key({ created: 2 * HOUR, name: 'gha:acme/web/job/deploy:KUBIYA_API_KEY:run-1-1', expiresAt: ago(HOUR) });
    expect(kinds([job])).toEqual([]);
  });

  it('target-missing: GitHub says the secret (or its repository or environment) is gone', () => {
    const live = key({ created: DAY });
    expect(findings([live], { secret: { state: 'missing', what: 'repository acme/web does not exist' } })).toEqual([
      { kind: 'target-missing', message: expect.stringContaining('repository acme/web does not exist'), keyIds: [live.id] },
    ]);
  });

  it('not-written: the secret was last written before the newest key was created, by more than the in-flight window', () => {
    const newest = key({ created: DAY });
    expect(findings([newest], { secret: { state: 'present', updatedAt: ago(8 * DAY) } })).toEqual([
      { kind: 'not-written', message: expect.stringContaining(newest.name), keyIds: [newest.id] },
    ]);
    // Written seconds after the create: fine. Written 5 minutes before it (a clock skew, a racing run): still fine.
    expect(kinds([key({ created: DAY })], { secret: { state: 'present', updatedAt: ago(DAY - 30_000) } })).toEqual([]);
    expect(kinds([key({ created: DAY })], { secret: { state: 'present', updatedAt: ago(DAY + 5 * MINUTE) } })).toEqual([]);
    // A key rolled back (revoked by its own failed run) is not the one the secret should hold.
    expect(
      kinds([key({ created: 8 * DAY }), key({ created: DAY, revoked: true })], { secret: { state: 'present', updatedAt: ago(8 * DAY) } }),
    ).toEqual([]);
  });

  it('reports every key newest first, with whether it is active and whether it is a job key', () => {
    const old = key({ created: 8 * DAY, revoked: true });
    const newest = key({ created: DAY });
    const job = key({ created: HOUR, name: 'gha:acme/web/job/deploy:KUBIYA_API_KEY:run-9-1' });
    const report = auditSlot({ keys: [old, job, newest], isJobKey: (k) => k === job, now, warnBeforeMs: 0 });
    expect(report.keys.map((k) => [k.id, k.active, k.jobKey])).toEqual([
      [job.id, true, true],
      [newest.id, true, false],
      [old.id, false, false],
    ]);
    expect(report.newest?.id).toBe(newest.id);
  });
});

describe('parseFindingKinds', () => {
  it('reads a comma-separated list, blanks ignored, and names what it does not know', () => {
    expect(parseFindingKinds(' expired , lingering,,orphan-job-key ')).toEqual({
      kinds: ['expired', 'lingering', 'orphan-job-key'],
      unknown: [],
    });
    expect(parseFindingKinds('')).toEqual({ kinds: [], unknown: [] });
    expect(parseFindingKinds('expired,stale')).toEqual({ kinds: ['expired'], unknown: ['stale'] });
  });
});
