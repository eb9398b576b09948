import { describe, expect, it } from 'vitest';
import {
  adminKeyExpiry,
  credentialUrgency,
  footingLine,
  footingWarning,
  gitHubTokenExpiry,
  gitLabTokenExpiry,
  tokenExpiryFromHeader,
  urgencyOf,
} from '../../src/footing.ts';
import type { ApiKey } from '../../src/key-service.ts';

const DAY = 86_400_000;
const now = new Date('2026-06-01T12:00:00Z');

/** A JWT-shaped key with these claims (the signature is never checked). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

const listed = (id: string, fields: Partial<ApiKey> = {}): ApiKey => ({ id, name: 'manual:ci@acme.dev', revoked: false, ...fields });

describe("the admin key's expiry", () => {
  it('is read from its JWT exp claim, without a request', () => {
    const exp = new Date('2026-06-21T12:00:00Z');
    expect(adminKeyExpiry(jwt({ exp: exp.getTime() / 1000, token_id: 'k1' }), undefined)).toMatchObject({
      expiresAt: exp,
      how: 'from its JWT exp claim',
    });
  });

  it("is the listed key's expiry when the JWT has no exp but names its token_id", () => {
    const expiresAt = new Date('2026-07-01T00:00:00Z');
    const key = jwt({ token_id: 'k1' });
    expect(adminKeyExpiry(key, [listed('k0'), listed('k1', { expiresAt })])).toMatchObject({
      expiresAt,
      how: expect.stringContaining('k1'),
    });
    expect(adminKeyExpiry(key, [listed('k0')])).toEqual({
      credential: 'admin-api-key',
      how: expect.stringMatching(/unknown.*not in the key list/),
    });
    expect(adminKeyExpiry(key, undefined).expiresAt).toBeUndefined();
  });

  it('is unknown, not an error, for a key that is not a JWT', () => {
    expect(adminKeyExpiry('kby_opaque-key', [listed('k1', { expiresAt: now })])).toEqual({
      credential: 'admin-api-key',
      how: 'expiry unknown: it is not a JWT, so its expiry cannot be read from it',
    });
  });
});

describe("the github-token's expiry", () => {
  it("reads GitHub's header in both of its forms", () => {
    expect(tokenExpiryFromHeader('2027-03-01 12:00:00 UTC')).toEqual(new Date('2027-03-01T12:00:00Z'));
    expect(tokenExpiryFromHeader('2027-03-01 12:00:00 +0100')).toEqual(new Date('2027-03-01T11:00:00Z'));
    expect(tokenExpiryFromHeader('2027-03-01 12:00:00 -0530')).toEqual(new Date('2027-03-01T17:30:00Z'));
    expect(tokenExpiryFromHeader('next tuesday')).toBeUndefined();
  });

  it('does not expire when GitHub answered without the header (an installation token, GITHUB_TOKEN)', () => {
    expect(gitHubTokenExpiry({ answered: true })).toEqual({ credential: 'github-token', how: expect.stringContaining('does not expire') });
    expect(gitHubTokenExpiry({ answered: false }).how).toMatch(/no GitHub request/);
    expect(gitHubTokenExpiry({ answered: true, header: 'garbage' }).how).toMatch(/could not be read/);
    expect(gitHubTokenExpiry({ answered: true, header: '2027-03-01 12:00:00 UTC' }).expiresAt).toEqual(new Date('2027-03-01T12:00:00Z'));
  });
});

describe('how urgent an expiry is', () => {
  const at = (days: number) => new Date(now.getTime() + days * DAY);

  it('warns within 30 days, errs within 7 days and past, says nothing later or when unknown', () => {
    expect(urgencyOf(at(31), now)).toBe('none');
    expect(urgencyOf(at(30), now)).toBe('warning');
    expect(urgencyOf(at(20), now)).toBe('warning');
    expect(urgencyOf(at(7.5), now)).toBe('warning');
    expect(urgencyOf(at(7), now)).toBe('error');
    expect(urgencyOf(at(-1), now)).toBe('error');
    expect(urgencyOf(undefined, now)).toBe('none');
  });

  it("widens the warning to audit's warn-before when it is longer, never narrows it", () => {
    expect(urgencyOf(at(40), now, 45 * DAY)).toBe('warning');
    expect(urgencyOf(at(20), now, 3 * DAY)).toBe('warning');
    expect(urgencyOf(at(5), now, 45 * DAY)).toBe('error');
  });
});

describe('the words', () => {
  it('name the credential, its expiry, the secret that holds it, and the fix', () => {
    const admin = footingWarning({ credential: 'admin-api-key', expiresAt: new Date(now.getTime() + 20 * DAY), how: '' }, now);
    expect(admin).toMatch(/^admin-api-key expires 2026-06-21 12:00 UTC \(in 20 days\)/);
    expect(admin).toContain('the secret that holds admin-api-key');
    expect(admin).toContain('service account');
    const token = footingWarning({ credential: 'github-token', expiresAt: new Date(now.getTime() - 2 * DAY), how: '' }, now);
    expect(token).toMatch(/^github-token expired on 2026-05-30 12:00 UTC \(2 days ago\)/);
    expect(token).toContain('GitHub App token');
    expect(token).toContain('does not expire');
    expect(footingLine({ credential: 'github-token', how: 'GitHub sent no expiry' }, now)).toBe('github-token: GitHub sent no expiry');
  });
});

describe("the GitLab token's expiry", () => {
  it('is the start (midnight UTC) of its expires_at day: the day it stops working', () => {
    const expiry = gitLabTokenExpiry({ status: 200, expiresAt: '2026-06-21', reason: 'HTTP 200' });
    expect(expiry).toMatchObject({ credential: 'gitlab-token', expiresAt: new Date('2026-06-21T00:00:00Z') });
    expect(credentialUrgency(expiry, now)).toBe('warning');
    expect(credentialUrgency(gitLabTokenExpiry({ status: 200, expiresAt: '2026-06-05', reason: '' }), now)).toBe('error');
    expect(credentialUrgency(gitLabTokenExpiry({ status: 200, expiresAt: '2026-08-05', reason: '' }), now)).toBe('none');
  });

  it("is unknown on an older server's 404, or when GitLab did not answer, and says why", () => {
    expect(gitLabTokenExpiry({ status: 404, reason: 'HTTP 404: 404 Not Found' })).toEqual({
      credential: 'gitlab-token',
      how: expect.stringMatching(/^expiry unknown: this GitLab server is too old to tell/),
    });
    expect(gitLabTokenExpiry({ error: 'GitLab did not answer' }).how).toBe('expiry unknown: GitLab did not answer');
    expect(gitLabTokenExpiry({ status: 200, expiresAt: 'soon', reason: '' }).how).toMatch(/could not be read/);
    expect(gitLabTokenExpiry({ status: 200, expiresAt: null, reason: '' }).how).toBe('GitLab reports no expiry for it');
  });

  it('a 401 is an error that says the token expired or was revoked, and the fix', () => {
    const expiry = gitLabTokenExpiry({ status: 401, reason: 'HTTP 401: 401 Unauthorized' });
    expect(credentialUrgency(expiry, now)).toBe('error');
    const words = footingWarning(expiry, now);
    expect(words).toMatch(/^gitlab-token: GitLab no longer accepts it \(HTTP 401: 401 Unauthorized\): it has expired/);
    expect(words).toContain('GITLAB_TOKEN');
  });
});
