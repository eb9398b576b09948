// What every run stands on and does not mint: the admin key and the github-token. Each mode but check reports
// their expiries (log, outputs, summary), warns 30 days ahead and errs 7 days ahead; audit reports them as run-wide
// findings. Credentials are issued with the expiry a test needs, by the emulators, as Kubiya and GitHub issue them.
import { describe, expect } from 'vitest';
import type { KubiyaKeyForm } from '../sandbox/kubiya-token.ts';
import type { StepResult } from '../sandbox/runner.ts';
import type { World } from './world.ts';
import { DAY, REPO, annotations, expectExit, failure, it, results } from './world.ts';

/** An instant `days` from now, to the second (a JWT `exp` and GitHub's header both carry seconds). */
const inDays = (days: number) => new Date(Math.floor((Date.now() + days * DAY) / 1000) * 1000);

let users = 0;
/** Another admin of acme whose key expires at `expiresAt`, written as `form`. */
function adminKey(world: World, expiresAt: Date, form?: KubiyaKeyForm): string {
  users += 1;
  return world.kubiya.addUser({ email: `admin${users}@acme.dev`, org: 'acme', keyExpiresAt: expiresAt, keyForm: form }).apiKey;
}

const mentioning = (step: StepResult, kind: 'warning' | 'error', credential: string) =>
  annotations(step, kind).filter((text) => text.startsWith(credential));

describe('every run watches its footing', () => {
  it('warns of an admin key 20 days from expiry and errs on a token 5 days from it; the rotation still succeeds', async ({ world }) => {
    const adminExpiry = inDays(20);
    const tokenExpiry = inDays(5);
    const step = await world.run({
      inputs: {
        'admin-api-key': adminKey(world, adminExpiry),
        'github-token': world.addGitHubToken({ kind: 'pat', expiresAt: tokenExpiry }),
      },
    });
    expectExit(step, 0);
    expect(results(step)[0]).toMatchObject({ target: REPO, status: 'rotated' });

    expect(step.outputs['admin-key-expires-at']).toBe(adminExpiry.toISOString());
    expect(step.outputs['github-token-expires-at']).toBe(tokenExpiry.toISOString());
    expect(step.stdout).toMatch(
      /This run stands on: admin-api-key expires .* \(in 20 days, from its JWT exp claim\); github-token expires .* \(in 5 days/,
    );

    const [adminWarning] = mentioning(step, 'warning', 'admin-api-key');
    expect(adminWarning).toMatch(/^admin-api-key expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 20 days\)/);
    expect(adminWarning).toContain('the secret that holds admin-api-key');
    expect(adminWarning).toContain('a new admin key from a service account');
    expect(mentioning(step, 'error', 'admin-api-key')).toEqual([]);
    const [tokenError] = mentioning(step, 'error', 'github-token');
    expect(tokenError).toMatch(/^github-token expires .* \(in 5 days\)/);
    expect(tokenError).toContain('GitHub App token');
    expect(tokenError).toContain('the secret that holds github-token');
    expect(mentioning(step, 'warning', 'github-token')).toEqual([]);

    expect(step.summaryText).toContain('What this run stands on');
    expect(step.summaryText).toMatch(/admin-api-key expires .* \(in 20 days\)/);
    expect(step.summaryText).toMatch(/github-token expires .* \(in 5 days\)/);
  });

  it('says nothing alarming for a key a year away and a token that does not expire; the token output is empty', async ({ world }) => {
    const appToken = world.addGitHubToken({ kind: 'app' });
    const step = await world.run({ inputs: { 'github-token': appToken } });
    expectExit(step, 0);
    expect(Date.parse(step.outputs['admin-key-expires-at'] ?? '')).toBeGreaterThan(Date.now() + 360 * DAY);
    expect(step.outputs['github-token-expires-at']).toBe('');
    expect(annotations(step, 'warning')).toEqual([]);
    expect(annotations(step, 'error')).toEqual([]);
    expect(step.stdout).toMatch(/github-token: GitHub sent no expiry: it does not expire, or lasts only this job/);
  });

  it('says "admin-api-key expired on DATE" when Kubiya refuses an admin key whose exp has passed', async ({ world }) => {
    const expiredAt = inDays(-3);
    const step = await world.run({ inputs: { 'admin-api-key': adminKey(world, expiredAt) } });
    expectExit(step, 1);
    const message = failure(step);
    expect(message).toContain(`admin-api-key expired on ${expiredAt.toISOString().replace('.000Z', 'Z')}`);
    expect(message).toContain('service account');
    expect(message).not.toContain('invalid, revoked or expired');
    expect(step.outputs['admin-key-expires-at']).toBe(expiredAt.toISOString());
    expect(mentioning(step, 'error', 'admin-api-key expired on')).toHaveLength(1);
    expect(world.writes()).toEqual([]);
  });

  it("reads the admin key's expiry from its key-list entry when its JWT has no exp (revoke mode)", async ({ world }) => {
    const expiresAt = inDays(20);
    const step = await world.run({ inputs: { mode: 'revoke', 'admin-api-key': adminKey(world, expiresAt, 'jwt-without-exp') } });
    expectExit(step, 0);
    expect(step.outputs['admin-key-expires-at']).toBe(expiresAt.toISOString());
    expect(step.stdout).toMatch(/admin-api-key expires .* \(in 20 days, from the key list \(key id /);
    expect(mentioning(step, 'warning', 'admin-api-key')).toHaveLength(1);
  });

  it('takes an admin key that is not a JWT as one whose expiry is unknown, said once (mint mode)', async ({ world }) => {
    const step = await world.run({
      inputs: { mode: 'mint', 'admin-api-key': adminKey(world, inDays(5), 'opaque') },
      github: { job: 'deploy' },
      allow: ['output:api-key', 'env:KUBIYA_API_KEY'],
    });
    expectExit(step, 0);
    expect(step.outputs['admin-key-expires-at']).toBe('');
    expect(step.stdout.match(/it is not a JWT/g)).toHaveLength(1);
    expect(annotations(step, 'warning')).toEqual([]);
    expect(annotations(step, 'error')).toEqual([]);
  });
});

interface RunEntry {
  target: string;
  status: string;
  findings: { kind: string; message: string }[];
}

describe('audit: what the run stands on, as run-wide findings', () => {
  function auditStep(world: World, inputs: Record<string, string>) {
    return world.run({ inputs: { mode: 'audit', ...inputs } });
  }

  it('reports an expiring admin key and token in one extra results entry, failing only under fail-on', async ({ world }) => {
    world.seedRotatedSecret();
    const inputs = {
      'admin-api-key': adminKey(world, inDays(20)),
      'github-token': world.addGitHubToken({ kind: 'pat', expiresAt: inDays(5) }),
    };

    const step = await auditStep(world, inputs);
    expectExit(step, 0);
    const entries = results(step) as unknown as RunEntry[];
    expect(entries.map((entry) => entry.target)).toEqual([REPO, 'run']);
    expect(entries[1]).toMatchObject({ target: 'run', status: 'audited' });
    expect(entries[1]!.findings.map((finding) => finding.kind)).toEqual(['admin-key-expiring', 'github-token-expiring']);
    expect(step.summaryText).toMatch(/2 finding\(s\) in 0 of 1 slot\(s\) and the run/);
    expect(step.summaryText).toContain('Admin key expiring (admin-key-expiring): run-wide');
    expect(step.summaryText).toMatch(/This run: github-token expires .* \(in 5 days/);
    expect(mentioning(step, 'error', 'github-token')).toHaveLength(1);

    const strict = await auditStep(world, { ...inputs, 'fail-on': 'expired,admin-key-expiring' });
    expectExit(strict, 1);
    expect(failure(strict)).toMatch(/Audit found admin-key-expiring \(run-wide\) \(fail-on: expired,admin-key-expiring\)/);
    expect(strict.summaryText).toContain('this step fails');
  });

  it("widens the warning to warn-before, and a healthy run's results hold exactly its slots", async ({ world }) => {
    world.seedRotatedSecret();
    const admin = adminKey(world, inDays(40));
    const healthy = await auditStep(world, { 'admin-api-key': admin });
    expectExit(healthy, 0);
    expect(results(healthy).map((entry) => entry.target)).toEqual([REPO]);
    expect(healthy.summaryText).toContain('No findings');

    // 45 days also makes the slot's 30-day key expiring: fail-on empty keeps the step green.
    const wider = await auditStep(world, { 'admin-api-key': admin, 'warn-before': '45d', 'fail-on': '' });
    expectExit(wider, 0);
    const run = (results(wider) as unknown as RunEntry[]).find((entry) => entry.target === 'run');
    expect(run?.findings.map((finding) => finding.kind)).toEqual(['admin-key-expiring']);
    expect(mentioning(wider, 'warning', 'admin-api-key')).toHaveLength(1);
  });
});
