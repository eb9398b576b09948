import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/summary.ts';
import { slotResult, type SlotResult } from '../../src/results.ts';
import { summaryText } from '../sandbox/rendered-summary.ts';

const revoked = {
  id: 'k-old',
  name: 'gha:acme/web:KUBIYA_API_KEY:run-1-1',
  createdAt: new Date('2026-11-01T00:00:00Z'),
  lastUsed: new Date('2026-11-26T08:00:00Z'),
  revoked: true,
};

describe('renderSummary', () => {
  it('has one row per target and lists the revoked keys with created and last-used times', () => {
    const results: SlotResult[] = [
      {
        target: 'acme/web',
        secretName: 'KUBIYA_API_KEY',
        status: 'rotated',
        keyId: 'k-new',
        keyName: 'gha:acme/web:KUBIYA_API_KEY:run-2-1',
        expiresAt: new Date('2026-12-27T00:00:00Z'),
        revokedKeys: [revoked],
        keptKeys: [],
        inFlightKeys: [],
      },
      {
        target: 'acme/api',
        secretName: 'KUBIYA_API_KEY',
        status: 'failed',
        revokedKeys: [],
        keptKeys: [],
        inFlightKeys: [],
        error: 'GitHub refused | access',
      },
    ];
    const text = summaryText(renderSummary(results, { title: 'Kubiya API key rotation', dryRun: false }));
    expect(text).toContain(
      'acme/web | KUBIYA_API_KEY | ✅ rotated | gha:acme/web:KUBIYA_API_KEY:run-2-1 | k-new | 2026-12-27 00:00 UTC | 1 |',
    );
    expect(text).toContain('acme/api | KUBIYA_API_KEY | ❌ failed | — | — | — | — |');
    expect(text).toContain('Keys revoked');
    expect(text).toContain('acme/web | gha:acme/web:KUBIYA_API_KEY:run-1-1 | k-old | 2026-11-01 00:00 UTC | 2026-11-26 08:00 UTC |');
    expect(text).toContain('acme/api: GitHub refused | access');
  });

  it('says when it is only a plan', () => {
    const markdown = renderSummary(
      [{ target: 'acme/web', secretName: 'S', status: 'planned', revokedKeys: [revoked], keptKeys: [], inFlightKeys: [] }],
      {
        title: 'T',
        dryRun: true,
      },
    );
    expect(markdown).toMatch(/dry-run plan \(nothing was changed\)/);
    expect(markdown).toContain('### Keys that would be revoked');
  });
});

describe('summary tables', () => {
  it('leave out columns that say nothing in any row', () => {
    const markdown = renderSummary(
      [{ target: 'acme/web', secretName: 'S', status: 'revoked', revokedKeys: [revoked], keptKeys: [], inFlightKeys: [] }],
      {
        title: 'T',
        dryRun: false,
      },
    );
    expect(markdown).toContain('| Target | Secret | Status | Revoked |');
    expect(markdown).toContain('| acme/web | S | 🗑️ revoked | 1 |');
  });

  it('keep server strings on their line: no table row, heading or code-span exit comes from them', () => {
    const hostile = { id: 'x`</code><img src=x>', name: 'gha:acme/web:S:run-1-1\n| injected | row |', revoked: false };
    const markdown = renderSummary(
      [
        slotResult({ target: 'acme/web', secretName: 'S' }, 'failed', {
          revokedKeys: [hostile],
          inFlightKeys: [hostile],
          error: 'Kubiya said <script>alert(1)</script>\n## heading',
        }),
      ],
      { title: 'T', dryRun: false },
    );
    expect(markdown).not.toMatch(/\n(## heading|\| injected)/);
    expect(summaryText(markdown)).toContain('acme/web | gha:acme/web:S:run-1-1 | injected | row | | x`</code><img src=x> |');
  });
});

describe('the summary says first what the run did', () => {
  const slot = (target: string) => ({ target, secretName: 'KUBIYA_API_KEY' });
  const verdict = (results: SlotResult[], dryRun = false) => summaryText(renderSummary(results, { title: 'T', dryRun })).split('\n')[1];

  it('counts the targets rotated, planned, minted or revoked', () => {
    expect(verdict(['acme/a', 'acme/b', 'acme/c'].map((t) => slotResult(slot(t), 'rotated')))).toBe('✅ 3 of 3 target(s) rotated');
    expect(verdict([slotResult(slot('acme/a'), 'planned')], true)).toBe('📝 1 of 1 target(s) planned');
    expect(verdict([slotResult(slot('acme/a'), 'minted')])).toBe('✅ 1 of 1 target(s) minted');
    expect(verdict([slotResult(slot('acme/a'), 'rotated'), slotResult(slot('acme/b'), 'skipped')])).toBe(
      '✅ 2 target(s): 1 rotated, 1 skipped',
    );
  });

  it('names the failed targets and their reasons', () => {
    const results = [
      slotResult(slot('acme/web'), 'failed', { error: 'secret write: GitHub refused (403); the new key was revoked, and …' }),
      slotResult(slot('acme/api'), 'rotated'),
      slotResult(slot('acme/tools'), 'rotated'),
    ];
    expect(verdict(results)).toBe('❌ 1 of 3 target(s) failed: acme/web — secret write: GitHub refused (403) (2 rotated)');
  });
});

describe("a failed row's key", () => {
  const minted = { keyId: 'k-new', keyName: 'gha:acme/web:S:run-2-1', expiresAt: new Date('2026-12-27T00:00:00Z') };
  const row = (fields: Partial<SlotResult>) =>
    summaryText(
      renderSummary([slotResult({ target: 'acme/web', secretName: 'S' }, 'failed', { error: 'e', ...fields })], {
        title: 'T',
        dryRun: false,
      }),
    )
      .split('\n')
      .find((line) => line.startsWith('acme/web | S |'));

  it('is shown rolled back, without an expiry, when it was revoked', () => {
    expect(row({ ...minted, rolledBack: 'revoked' })).toBe('acme/web | S | ❌ failed | gha:acme/web:S:run-2-1');
    const text = summaryText(
      renderSummary([slotResult({ target: 'acme/web', secretName: 'S' }, 'failed', { ...minted, rolledBack: 'revoked' })], {
        title: 'T',
        dryRun: false,
      }),
    );
    expect(text).toContain('gha:acme/web:S:run-2-1\nrolled back: revoked | k-new | \n');
    expect(text).not.toContain('2026-12-27');
  });

  it('says it is in no secret but still live when its revoke failed', () => {
    const text = summaryText(
      renderSummary([slotResult({ target: 'acme/web', secretName: 'S' }, 'failed', { ...minted, rolledBack: 'live' })], {
        title: 'T',
        dryRun: false,
      }),
    );
    expect(text).toContain('rolled back, not in the secret; could not be revoked | k-new | 2026-12-27 00:00 UTC |');
  });

  it('says the secret may hold it when the write is unknown', () => {
    const text = summaryText(
      renderSummary([slotResult({ target: 'acme/web', secretName: 'S' }, 'failed', { ...minted, writeUnknown: true })], {
        title: 'T',
        dryRun: false,
      }),
    );
    expect(text).toContain('write unknown: the secret may hold it or the previous key | k-new | 2026-12-27 00:00 UTC |');
  });
});

describe('the kept keys', () => {
  const old = { id: 'k-old', name: 'gha:acme/web:S:run-1-1', revoked: false };
  it('each list names its own reason: the grace period or revoke-previous, and the in-flight window', () => {
    const text = summaryText(
      renderSummary(
        [slotResult({ target: 'acme/web', secretName: 'S' }, 'rotated', { keptKeys: [old], inFlightKeys: [{ ...old, id: 'k-2' }] })],
        {
          title: 'T',
          dryRun: false,
          keptBecause: 'inside the grace period (1h)',
        },
      ),
    );
    expect(text).toContain('Superseded keys kept for now: inside the grace period (1h); a later run revokes them');
    expect(text).toContain("Kept by the in-flight window: minted less than 10 minutes before this run's key");
  });
});
