import { describe, expect, it } from 'vitest';
import type { AuditDetail } from '../../src/audit-findings.ts';
import { auditJson } from '../../src/modes/audit.ts';
import { renderAuditSummary } from '../../src/modes/audit-summary.ts';
import { resultsJson, slotResult } from '../../src/results.ts';
import { relative } from '../../src/summary.ts';
import { summaryHtml, summaryText } from '../sandbox/rendered-summary.ts';

const now = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

describe('renderAuditSummary', () => {
  it('leads with the findings, escapes server strings, and folds the clean slots', () => {
    const hostile = 'gha:acme/web:KUBIYA_API_KEY:run-1-1<img src=x>|**bold**';
    const key = (name: string, expires: number) => ({
      id: 'k1',
      name,
      createdAt: new Date(now.getTime() - 25 * DAY),
      expiresAt: new Date(now.getTime() + expires),
      revoked: false,
      active: true,
      jobKey: false,
    });
    const flagged = slotResult<AuditDetail>({ target: 'acme/web', secretName: 'KUBIYA_API_KEY' }, 'audited', {
      detail: {
        scope: 'acme/web',
        keys: [key(hostile, 5 * DAY)],
        findings: [{ kind: 'expiring', message: `the newest key, ${hostile}, expires soon`, keyIds: ['k1'] }],
      },
    });
    const clean = slotResult<AuditDetail>({ target: 'acme/api', secretName: 'KUBIYA_API_KEY' }, 'audited', {
      detail: { scope: 'acme/api/dependabot', keys: [key('gha:acme/api/dependabot:KUBIYA_API_KEY:run-2-1', 20 * DAY)], findings: [] },
    });
    const summary = renderAuditSummary([clean, flagged], { title: 'Kubiya API key audit', now, failOn: ['expired', 'expiring'] });
    expect(summaryHtml(summary)).not.toMatch(/<img|<strong>bold/);
    expect(summaryText(summary)).toContain(hostile);
    expect(summary.indexOf('Slots with findings')).toBeLessThan(summary.indexOf('What to do'));
    expect(summary.indexOf('What to do')).toBeLessThan(summary.indexOf('<details>'));
    expect(summary).toContain('**in 5 days**');
    expect(summary).toContain('acme/api (Dependabot)');
    expect(summary).toContain('this step fails');
  });
});

describe('renderAuditSummary: an inferred expiry', () => {
  it('shows an expiry inferred from the creation time as inferred, in the table and in results', () => {
    const inferred = {
      id: 'k1',
      name: 'gha:acme/web:KUBIYA_API_KEY:run-1-1',
      createdAt: new Date(now.getTime() - 10 * DAY),
      expiresAt: new Date(now.getTime() + 355 * DAY),
      expiresAtInferred: true as const,
      revoked: false,
      active: true,
      jobKey: false,
    };
    const result = slotResult<AuditDetail>({ target: 'acme/web', secretName: 'KUBIYA_API_KEY' }, 'audited', {
      detail: { scope: 'acme/web', keys: [inferred], findings: [] },
    });
    const summary = renderAuditSummary([result], { title: 'Kubiya API key audit', now, failOn: [] });
    expect(summary).toMatch(/\*\*in 355 days\*\*<br>[^|]*<br>\(inferred: created \+ 365 days\)/);
    const [entry] = JSON.parse(resultsJson([result], auditJson)) as { keys: Record<string, unknown>[] }[];
    expect(entry!.keys[0]).toMatchObject({ expiresAt: inferred.expiresAt.toISOString(), expiresAtInferred: true });
    expect(Object.keys(entry!).sort()).toEqual(
      ['error', 'expiresAt', 'findings', 'keyId', 'keyName', 'keys', 'revokedKeyIds', 'scope', 'secretName', 'status', 'target'].sort(),
    );
  });
});

describe('relative', () => {
  it('says how far a time is, in the unit that reads well', () => {
    expect(relative(new Date(now.getTime() + 5 * DAY), now)).toBe('in 5 days');
    expect(relative(new Date(now.getTime() - 2 * DAY), now)).toBe('2 days ago');
    expect(relative(new Date(now.getTime() - 3_600_000), now)).toBe('1 hour ago');
    expect(relative(new Date(now.getTime() + 90_000), now)).toBe('in 2 minutes');
    expect(relative(now, now)).toBe('now');
  });
});
