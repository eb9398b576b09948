// Every summary (rotate, dry-run, mint, revoke, audit), rendered as GitHub renders Markdown, with hostile strings in
// every field a server controls: none may become a link, image, emphasis, tag or line of its own, and each must
// show exactly the characters typed.
import { describe, expect, it } from 'vitest';
import type { AuditDetail, AuditedKey } from '../../src/audit-findings.ts';
import type { ApiKey } from '../../src/key-service.ts';
import { slotResult, type SlotResult } from '../../src/results.ts';
import { renderAuditSummary } from '../../src/modes/audit-summary.ts';
import { renderSummary } from '../../src/summary.ts';
import { elementsOf, summaryHtml, visibleText } from '../sandbox/rendered-summary.ts';

const now = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

/** Each field gets its own hostile string, labelled, so that a failure names the field. */
const HOSTILE = (field: string) =>
  `${field} [x](https://evil.test/${field}) ![i](https://evil.test/i.png) **BOLDED** __UNDER__ _EMPH_ *STAR* ~~STRUCK~~ ` +
  '<img src=x onerror=alert(1)> <script>alert(1)</script> <b>raw</b> https://evil.test/a www.evil.test mail@evil.test ' +
  '`tick` | pipe &amp; &#60; :+1: @octocat #1 $x^2$ \\* <https://evil.test/auto>\n## heading\n| injected | row |';
const PLAIN = (field: string) => `${field} plain`;

type Strings = (field: string) => string;

function key(s: Strings, field: string): ApiKey {
  return {
    id: s(`${field}-id`),
    name: s(`${field}-name`),
    createdAt: new Date(now.getTime() - 8 * DAY),
    expiresAt: new Date(now.getTime() + 20 * DAY),
    lastUsed: new Date(now.getTime() - DAY),
    revoked: false,
  };
}

/** Audit shows a key's name (its id only in a finding's key ids). */
function audited(s: Strings, field: string, expiresIn: number): AuditedKey {
  const { id: _, ...shown } = key((f) => (f.endsWith('-id') ? f : s(f)), field);
  return { ...shown, id: `${field}-id`, expiresAt: new Date(now.getTime() + expiresIn), active: true, jobKey: false };
}

/** Results of every kind a rotation, plan, mint or revoke reports, each field from `s`. */
function runResults(s: Strings): Record<string, () => SlotResult[]> {
  const slot = (n: string) => ({ target: s(`target${n}`), secretName: s(`secret${n}`) });
  const minted = (n: string) => ({ keyId: s(`keyId${n}`), keyName: s(`keyName${n}`), expiresAt: new Date(now.getTime() + 30 * DAY) });
  const keys = (n: string) => ({
    revokedKeys: [key(s, `revoked${n}`)],
    keptKeys: [key(s, `kept${n}`)],
    inFlightKeys: [key(s, `inFlight${n}`)],
  });
  return {
    rotate: () => [
      slotResult(slot('1'), 'rotated', { ...minted('1'), ...keys('1'), note: s('note1') }),
      slotResult(slot('2'), 'failed', { ...minted('2'), rolledBack: 'revoked', error: s('error2') }),
      slotResult(slot('3'), 'failed', { ...minted('3'), rolledBack: 'live', error: s('error3') }),
      slotResult(slot('4'), 'failed', { ...minted('4'), writeUnknown: true, error: s('error4') }),
      slotResult(slot('5'), 'skipped', { ...minted('5'), rolledBack: 'revoked', note: s('note5') }),
      slotResult(slot('6'), 'failed', { error: s('error6') }),
    ],
    'dry-run': () => [slotResult(slot('1'), 'planned', { keyName: s('keyName1'), ...keys('1'), note: s('note1') })],
    mint: () => [slotResult(slot('1'), 'minted', minted('1'))],
    revoke: () => [
      slotResult(slot('1'), 'revoked', { revokedKeys: [key(s, 'revoked1')] }),
      slotResult(slot('2'), 'failed', { revokedKeys: [key(s, 'revoked2')], error: s('error2') }),
    ],
  };
}

/** An audit of `repositories: '*'`: targets and secret names come from key names; every finding kind, a failed check. */
function auditResults(s: Strings): SlotResult<AuditDetail>[] {
  const flagged = slotResult<AuditDetail>({ target: s('target1'), secretName: s('secret1') }, 'audited', {
    detail: {
      scope: 'acme/web',
      keys: [audited(s, 'key1', 3 * DAY)],
      findings: (['expired', 'expiring', 'lingering', 'orphan-job-key', 'target-missing', 'not-written'] as const).map((kind) => ({
        kind,
        message: s(`message-${kind}`),
        keyIds: [s(`findingKeyId-${kind}`)],
      })),
    },
  });
  const failed = slotResult<AuditDetail>({ target: s('target2'), secretName: s('secret2') }, 'failed', { error: s('error2') });
  const clean = slotResult<AuditDetail>({ target: s('target3'), secretName: s('secret3') }, 'audited', {
    detail: { scope: 'acme/api/dependabot', keys: [audited(s, 'key3', 25 * DAY)], findings: [] },
  });
  return [flagged, failed, clean];
}

const SUMMARIES: Record<string, (s: Strings) => string> = {
  rotate: (s) => renderSummary(runResults(s).rotate!(), { title: 'Rotation', dryRun: false, keptBecause: 'inside the grace period (1h)' }),
  'dry-run': (s) => renderSummary(runResults(s)['dry-run']!(), { title: 'Rotation', dryRun: true }),
  mint: (s) => renderSummary(runResults(s).mint!(), { title: 'Mint', dryRun: false }),
  revoke: (s) => renderSummary(runResults(s).revoke!(), { title: 'Revoke', dryRun: false }),
  audit: (s) => renderAuditSummary(auditResults(s), { title: 'Audit', now, failOn: ['expired'] }),
};

/** The fields a summary shows, found by rendering it with a recorder. */
function fieldsOf(render: (s: Strings) => string): string[] {
  const fields = new Set<string>();
  render((field) => {
    fields.add(field);
    return HOSTILE(field);
  });
  return [...fields];
}

describe('the job summary shows server strings as the characters typed', () => {
  for (const [name, render] of Object.entries(SUMMARIES)) {
    it(`in the ${name} summary: no link, image, emphasis or tag comes from them`, () => {
      const html = summaryHtml(render(HOSTILE));
      for (const tag of ['a', 'img', 'em', 'del', 'script', 'b', 'h1', 'h3 id="heading"']) {
        expect(html, `no <${tag}> in:\n${html}`).not.toMatch(new RegExp(`<${tag}[\\s>]`));
      }
      for (const word of ['BOLDED', 'UNDER', 'EMPH', 'STAR', 'STRUCK']) expect(html).not.toMatch(new RegExp(`>${word}<`));
      expect(elementsOf(html), 'the same elements as with plain strings').toEqual(elementsOf(summaryHtml(render(PLAIN))));
    });

    it(`in the ${name} summary: each one is shown exactly as typed, on one line`, () => {
      const text = visibleText(summaryHtml(render(HOSTILE)));
      const fields = fieldsOf(render);
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) {
        // The verdict line shortens an error to its first clause; the details show all of it.
        expect(text, `${field} as typed`).toContain(HOSTILE(field).replace(/\n/g, ' '));
      }
    });
  }
});
