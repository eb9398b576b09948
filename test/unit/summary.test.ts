import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/summary.ts';
import type { SlotResult } from '../../src/results.ts';

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
    const markdown = renderSummary(results, { title: 'Kubiya API key rotation', dryRun: false });
    expect(markdown).toContain(
      '| acme/web | KUBIYA_API_KEY | ✅ rotated | <code>gha:acme/web:KUBIYA_API_KEY:run-2-1</code> | <code>k-new</code> | 2026-12-27 00:00 UTC | 1 |',
    );
    expect(markdown).toContain('| acme/api | KUBIYA_API_KEY | ❌ failed | — | — | — | — |');
    expect(markdown).toContain('### Keys revoked');
    expect(markdown).toContain(
      '| acme/web | <code>gha:acme/web:KUBIYA_API_KEY:run-1-1</code> | <code>k-old</code> | 2026-11-01 00:00 UTC | 2026-11-26 08:00 UTC |',
    );
    expect(markdown).toContain('- **acme/api**: GitHub refused \\| access');
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

  it('escapes server strings: no markup, no HTML, no line break, no way out of a code span', () => {
    const hostile = { id: 'x`</code><img src=x>', name: 'gha:acme/web:S:run-1-1\n| injected | row |', revoked: false };
    const markdown = renderSummary(
      [
        {
          target: 'acme/web',
          secretName: 'S',
          status: 'failed',
          revokedKeys: [hostile],
          keptKeys: [],
          inFlightKeys: [hostile],
          error: 'Kubiya said [click](https://evil.test) ![x](https://evil.test/t.png) <script>alert(1)</script>\n## heading',
        },
      ],
      { title: 'T', dryRun: false },
    );
    expect(markdown).not.toContain('<img');
    expect(markdown).not.toContain('<script');
    expect(markdown, 'no link or image: every bracket is escaped').not.toMatch(/(?<!\\)\]\(/);
    expect(markdown).not.toContain('\n## heading');
    expect(markdown).not.toMatch(/\n\| injected/);
    expect(markdown).toContain('### Kept: may still be on its way into the secret');
  });
});
