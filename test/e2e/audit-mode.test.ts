// mode: audit — read-only: report every managed key of the targets and what a stopped rotation left behind.
import { describe, expect } from 'vitest';
import { githubTimestamp } from '../sandbox/github-secrets.ts';
import type { StepResult } from '../sandbox/runner.ts';
import type { World } from './world.ts';
import { DAY, HOUR, REPO, SECRET, annotations, expectExit, failure, it, results, type ResultEntry } from './world.ts';

interface AuditEntry extends ResultEntry {
  scope: string;
  keys: { id: string; name: string; createdAt: string; expiresAt: string; lastUsed: string | null; active: boolean; jobKey: boolean }[];
  findings: { kind: string; message: string; keyIds: string[] }[];
}

const audited = (step: StepResult) => results(step) as AuditEntry[];
const kindsOf = (entry: AuditEntry | undefined) => entry?.findings.map((finding) => finding.kind) ?? [];
const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);

/** Audit steps get no github-token unless the test gives one. */
function auditStep(world: World, inputs: Record<string, string | undefined> = {}) {
  return world.run({ inputs: { mode: 'audit', 'github-token': undefined, ...inputs } });
}

/** The rule every audit obeys: it reads, and changes nothing anywhere. */
function expectReadOnly(world: World): void {
  expect(world.writes(), 'no POST, PUT, PATCH or DELETE to either service').toEqual([]);
  for (const request of [...world.kubiya.requests, ...world.github.requests]) expect(request.method).toBe('GET');
}

describe('mode: audit, the findings', () => {
  it('expired: fails the step by default, names the slot, and reports every key', async ({ world }) => {
    const old = world.seedManagedKey({ runId: world.runId(), createdAt: ago(70 * DAY), expiresAt: ago(40 * DAY), revoked: true });
    const dead = world.seedManagedKey({
      runId: world.runId(),
      createdAt: ago(40 * DAY),
      expiresAt: ago(10 * DAY),
      lastUsed: ago(11 * DAY),
    });

    const step = await auditStep(world);
    expectExit(step, 1);
    expectReadOnly(world);
    expect(world.github.requests, 'no github-token: no GitHub request').toHaveLength(0);

    const [entry] = audited(step);
    expect(entry).toMatchObject({ target: REPO, secretName: SECRET, scope: REPO, status: 'audited', error: null, revokedKeyIds: [] });
    // The emulator, like Kubiya, leaves revoked keys out of the list; the expired one is reported as inactive.
    expect(entry!.keys.filter((key) => key.id !== old.id).map((key) => [key.id, key.name, key.active])).toEqual([
      [dead.id, dead.name, false],
    ]);
    expect(Date.parse(entry!.keys.find((key) => key.id === dead.id)!.lastUsed!)).toBeGreaterThan(0);
    expect(entry!.findings).toEqual([{ kind: 'expired', message: expect.stringContaining(dead.name), keyIds: [dead.id] }]);
    expect(annotations(step, 'error').some((text) => text.includes('expired') && text.includes(`${REPO} ${SECRET}`))).toBe(true);
    expect(failure(step)).toMatch(/Audit found expired in 1 slot/);
    expect(step.summaryText).toContain('Slots with findings');
    expect(step.summaryText).toContain('Run the rotation now');
    expect(step.summaryText).toMatch(/days ago/);
  });

  it('expiring: fails by default, and not with fail-on empty; warn-before sets how soon', async ({ world }) => {
    world.seedManagedKey({ runId: world.runId(), createdAt: ago(25 * DAY), expiresAt: ahead(5 * DAY) });

    const step = await auditStep(world);
    expectExit(step, 1);
    expect(kindsOf(audited(step)[0])).toEqual(['expiring']);
    expect(step.summaryText).toMatch(/in [45] days|in 5 days/);

    const lenient = await auditStep(world, { 'fail-on': '' });
    expectExit(lenient, 0);
    expect(annotations(lenient, 'warning').some((text) => text.includes('expiring') && text.includes(REPO))).toBe(true);

    const shorter = await auditStep(world, { 'warn-before': '3d' });
    expectExit(shorter, 0);
    expect(kindsOf(audited(shorter)[0])).toEqual([]);
    expect(shorter.summaryText).toContain('No findings');
    expectReadOnly(world);
  });

  it('a key listed without an expiry expires a year after its creation: shown as inferred, and expiring by it', async ({ world }) => {
    world.kubiya.options.omitListFields = ['expires_at'];
    const created = ago(360 * DAY);
    const old = world.seedManagedKey({ runId: world.runId(), createdAt: created, expiresAt: ahead(5 * DAY) });

    const step = await auditStep(world);
    expectExit(step, 1);
    expectReadOnly(world);
    const [entry] = audited(step);
    const inferred = new Date(created.getTime() + 365 * DAY).toISOString();
    expect(entry!.keys).toEqual([expect.objectContaining({ id: old.id, expiresAt: inferred, expiresAtInferred: true, active: true })]);
    expect(entry!.findings).toEqual([{ kind: 'expiring', message: expect.stringContaining('(inferred'), keyIds: [old.id] }]);
    expect(step.stdout).toMatch(/newest active .*expires \S+ \(inferred: created_at \+ 365 days\)/);
    expect(step.summary).toContain('(inferred: created + 365 days)');
    expect(step.summary).toMatch(/in [45] days/);
  });

  it('lingering: a warning by default, a failure when fail-on names it', async ({ world }) => {
    const superseded = world.seedManagedKey({ runId: world.runId(), createdAt: ago(8 * DAY) });
    world.seedManagedKey({ runId: world.runId(), createdAt: ago(DAY) });

    const step = await auditStep(world);
    expectExit(step, 0);
    expect(audited(step)[0]!.findings).toEqual([{ kind: 'lingering', message: expect.any(String), keyIds: [superseded.id] }]);
    expect(annotations(step, 'warning').some((text) => text.includes('lingering') && text.includes(REPO))).toBe(true);

    const strict = await auditStep(world, { 'fail-on': 'lingering' });
    expectExit(strict, 1);
    expectReadOnly(world);
  });

  it('orphan-job-key: a mint-mode key still active hours after its job', async ({ world }) => {
    world.seedManagedKey({ runId: world.runId(), createdAt: ago(DAY) });
    const orphan = world.seedManagedKey({
      runId: world.runId(),
      scope: `${REPO}/job/deploy`,
      createdAt: ago(7 * HOUR),
      expiresAt: ahead(HOUR),
    });
    world.seedManagedKey({ runId: world.runId(), scope: `${REPO}/job/deploy`, createdAt: ago(HOUR), expiresAt: ahead(HOUR) });

    const step = await auditStep(world, { 'fail-on': 'orphan-job-key' });
    expectExit(step, 1);
    const [entry] = audited(step);
    expect(entry!.findings).toEqual([{ kind: 'orphan-job-key', message: expect.stringContaining(orphan.name), keyIds: [orphan.id] }]);
    expect(entry!.keys.filter((key) => key.jobKey)).toHaveLength(2);
    expect(step.summaryText).toContain('mode: revoke');
  });

  it('target-missing: with a token, a repository, an environment or a secret that no longer exists', async ({ world }) => {
    world.github.addEnvironment(REPO, 'production');
    world.seedManagedKey({ runId: world.runId(), scope: 'acme/gone', createdAt: ago(DAY) });
    world.seedManagedKey({ runId: world.runId(), scope: `${REPO}@staging`, createdAt: ago(DAY) });
    world.seedManagedKey({ runId: world.runId(), scope: `${REPO}@production`, createdAt: ago(DAY) });
    world.seedManagedKey({ runId: world.runId(), createdAt: ago(DAY) });
    world.github.seedSecret({ repo: REPO }, SECRET, 'held');

    const step = await auditStep(world, { 'github-token': world.githubToken, repositories: '*', 'fail-on': 'target-missing' });
    expectExit(step, 1);
    expectReadOnly(world);
    const byTarget = new Map(audited(step).map((entry) => [entry.target, entry]));
    expect(byTarget.get('acme/gone')!.findings[0]!.message).toMatch(/repository acme\/gone does not exist, or github-token cannot see it/);
    expect(byTarget.get(`${REPO}@staging`)!.findings[0]!.message).toMatch(/environment 'staging' does not exist in acme\/web/);
    expect(byTarget.get(`${REPO}@production`)!.findings[0]!.message).toMatch(
      /secret KUBIYA_API_KEY does not exist in acme\/web@production/,
    );
    expect(kindsOf(byTarget.get(REPO))).toEqual([]);
    expect(annotations(step, 'error').some((text) => text.includes('target-missing in 3 slot(s)') && text.includes('acme/gone'))).toBe(
      true,
    );
  });

  it('not-written: the secret was last written before the newest key was minted', async ({ world }) => {
    const held = world.seedRotatedSecret({ createdAt: ago(8 * DAY) });
    world.github.scope({ repo: REPO }).get(SECRET)!.updated_at = githubTimestamp(ago(8 * DAY));
    const unwritten = world.seedManagedKey({ runId: world.runId(), createdAt: ago(DAY) });

    const step = await auditStep(world, { 'github-token': world.githubToken, 'fail-on': 'not-written' });
    expectExit(step, 1);
    expectReadOnly(world);
    const [entry] = audited(step);
    expect(entry!.findings).toEqual([
      { kind: 'lingering', message: expect.stringContaining(held.name), keyIds: [held.id] },
      { kind: 'not-written', message: expect.stringContaining(unwritten.name), keyIds: [unwritten.id] },
    ]);
    // One metadata read for the one slot.
    expect(world.github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /repos/${REPO}/actions/secrets/${SECRET}`,
    ]);
  });

  it('a token that may not read the secrets fails the slot with the permission it needs, and still reports the keys', async ({ world }) => {
    world.seedRotatedSecret();
    const token = world.addGitHubToken({ kind: 'pat', secrets: 'none' });

    const step = await auditStep(world, { 'github-token': token, 'fail-on': '' });
    expectExit(step, 1);
    const [entry] = audited(step);
    expect(entry).toMatchObject({ status: 'failed', error: expect.stringContaining('"Secrets: Read-only"') });
    expect(entry!.keys).toHaveLength(1);
    expectReadOnly(world);
  });
});

describe("mode: audit, repositories: '*'", () => {
  it('finds every managed slot of the prefix, whatever its kind, and nothing else', async ({ world }) => {
    const now = Date.now();
    const seeds = {
      repo: world.seedManagedKey({ runId: world.runId(), createdAt: new Date(now - DAY) }),
      other: world.seedManagedKey({ runId: world.runId(), scope: 'acme/api', secretName: 'CI_KEY', createdAt: new Date(now - DAY) }),
      env: world.seedManagedKey({ runId: world.runId(), scope: `${REPO}@production`, createdAt: new Date(now - DAY) }),
      dependabot: world.seedManagedKey({ runId: world.runId(), scope: `${REPO}/dependabot`, createdAt: new Date(now - DAY) }),
      org: world.seedManagedKey({ runId: world.runId(), scope: 'org:acme', createdAt: new Date(now - DAY) }),
      job: world.seedManagedKey({ runId: world.runId(), scope: 'acme/tools/job/deploy', createdAt: new Date(now - 9 * HOUR) }),
    };
    // Not managed slots of this prefix: another prefix, a name that only looks like one, a retired slot.
    world.seedManagedKey({ runId: world.runId(), prefix: 'ci' });
    world.seedManagedKey({ runId: world.runId(), scope: 'acme/web/job/deploy/x' });
    world.seedKey({ name: 'my laptop key' });
    world.seedManagedKey({ runId: world.runId(), scope: 'acme/retired', revoked: true });

    const step = await auditStep(world, { repositories: '*' });
    expectExit(step, 0);
    expectReadOnly(world);
    const entries = audited(step);
    expect(entries.map((entry) => [entry.target, entry.secretName, entry.scope])).toEqual([
      ['acme/api', 'CI_KEY', 'acme/api'],
      ['acme/tools', SECRET, 'acme/tools'],
      ['acme/web', SECRET, 'acme/web'],
      ['acme/web', SECRET, 'acme/web/dependabot'],
      ['acme/web@production', SECRET, 'acme/web@production'],
      ['org:acme', SECRET, 'org:acme'],
    ]);
    const tools = entries.find((entry) => entry.target === 'acme/tools')!;
    expect(tools.findings).toEqual([{ kind: 'orphan-job-key', message: expect.any(String), keyIds: [seeds.job.id] }]);
    expect(entries.flatMap((entry) => entry.keys.map((key) => key.id)).sort()).toEqual(
      Object.values(seeds)
        .map((key) => key.id)
        .sort(),
    );
    expect(step.summaryText).toContain('(Dependabot)');
  });
});
