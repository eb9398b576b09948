// mode: check — in the jobs that USE a key: how long it has left, whether Kubiya still takes it, and whether the
// rotation behind it still runs. No admin key, nothing written anywhere.
import { describe, expect } from 'vitest';
import type { StepResult } from '../sandbox/runner.ts';
import type { World } from './world.ts';
import { DAY, REPO, SELF_PATH, annotations, expectExit, failure, it, results, type ResultEntry } from './world.ts';

const FILE = 'rotate-kubiya-key.yml';
const ahead = (ms: number) => new Date(Date.now() + ms);

interface CheckEntry extends ResultEntry {
  findings: { kind: string; message: string }[];
}
const kinds = (step: StepResult) => (results(step) as CheckEntry[])[0]?.findings.map((finding) => finding.kind);

/** A key the job holds: a managed key of acme/web, a JWT whose exp is its expiry. */
function jobKey(world: World, expiresAt: Date): { id: string; token: string } {
  return world.seedKey({ name: `gha:acme/web:KUBIYA_API_KEY:run-${world.runId()}-1`, createdAt: new Date(Date.now() - DAY), expiresAt });
}

/** A check step: no admin key, no github-token. */
function checkStep(world: World, apiKey: string, inputs: Record<string, string | undefined> = {}) {
  return world.run({
    inputs: { mode: 'check', 'api-key': apiKey, 'admin-api-key': undefined, 'github-token': undefined, ...inputs },
    github: { job: 'deploy', eventName: 'push' },
  });
}

function expectNoWrites(world: World): void {
  expect(world.writes(), 'nothing written anywhere').toEqual([]);
}

describe('mode: check, the key', () => {
  it('healthy: one request, exit 0, expires-at from the JWT, a summary with the key name and time left', async ({ world }) => {
    const expiresAt = ahead(20 * DAY);
    const key = jobKey(world, expiresAt);
    const step = await checkStep(world, key.token);
    expectExit(step, 0);
    expectNoWrites(world);
    expect(world.kubiya.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET ${SELF_PATH}`]);
    expect(world.github.requests).toHaveLength(0);
    expect(Math.abs(Date.parse(step.outputs['expires-at']!) - expiresAt.getTime())).toBeLessThan(1000);
    expect(results(step)).toEqual([expect.objectContaining({ target: REPO, status: 'checked', findings: [] })]);
    expect(annotations(step, 'warning')).toEqual([]);
    expect(step.summaryText).toContain('api-key works');
    expect(step.summaryText).toMatch(/in 20 days|in 19 days/);
  });

  it('expiring: a warning saying how to rotate now, exit 0', async ({ world }) => {
    world.github.addWorkflow(REPO, FILE);
    const key = jobKey(world, ahead(3 * DAY));
    const step = await checkStep(world, key.token, { 'rotation-workflow': FILE, 'workflow-token': grant(world, 'read') });
    expectExit(step, 0);
    expect(kinds(step)).toEqual(['expiring']);
    expect(annotations(step, 'warning')).toEqual([expect.stringMatching(new RegExp(`expires on .*gh workflow run ${FILE}`))]);
  });

  it('expired: fails the step with the date, and says to rotate now', async ({ world }) => {
    const key = jobKey(world, new Date(Date.now() - DAY));
    const step = await checkStep(world, key.token);
    expectExit(step, 1);
    expect(kinds(step)).toEqual(['expired']);
    expect(failure(step)).toMatch(/api-key expired on \d{4}-\d\d-\d\dT.*run the rotation/);
    expectNoWrites(world);
  });

  it('rejected: a revoked key fails the step, naming revoked, expired or another deployment', async ({ world }) => {
    const key = jobKey(world, ahead(20 * DAY));
    world.kubiya.revokeKey(key.id);
    const step = await checkStep(world, key.token);
    expectExit(step, 1);
    expect(kinds(step)).toEqual(['rejected']);
    expect(failure(step)).toMatch(/revoked, expired, or of another Kubiya deployment/);
  });

  it('a key that is not a JWT: expiry unknown, said once; Kubiya still checks it', async ({ world }) => {
    const token = world.kubiya.addUser({ email: 'deployer@acme.dev', org: 'acme', keyForm: 'opaque' }).apiKey;
    const step = await checkStep(world, token);
    expectExit(step, 0);
    expect(step.outputs['expires-at'] ?? '').toBe('');
    expect(step.stdout.match(/expiry is unknown/g)).toHaveLength(1);
    expect(world.kubiya.requests).toHaveLength(1);
  });

  it('verify: false sends no request at all', async ({ world }) => {
    const key = jobKey(world, ahead(20 * DAY));
    const step = await checkStep(world, key.token, { verify: 'false' });
    expectExit(step, 0);
    expect([...world.kubiya.requests, ...world.github.requests]).toHaveLength(0);
  });

  it('an empty api-key is an input error, and a bad rotation-workflow one before any request', async ({ world }) => {
    expect(failure(await checkStep(world, ''))).toMatch(/'api-key' is required by mode 'check'/);
    const key = jobKey(world, ahead(20 * DAY));
    const step = await checkStep(world, key.token, { 'rotation-workflow': '.github/workflows/rotate.yml' });
    expectExit(step, 1);
    expect(failure(step)).toMatch(/rotation-workflow/);
    expect([...world.kubiya.requests, ...world.github.requests]).toHaveLength(0);
  });
});

/** A job token (GITHUB_TOKEN) with `permissions: actions: LEVEL`. */
function grant(world: World, actions: 'read' | 'write' | 'none'): string {
  return world.addGitHubToken({ kind: 'github-token', actions });
}

describe('mode: check, the rotation workflow', () => {
  it('active with a successful last run: no finding, its state and latest run in the summary', async ({ world }) => {
    world.github.addWorkflow(REPO, FILE);
    world.github.addWorkflowRun(REPO, FILE, { conclusion: 'success' });
    const step = await checkStep(world, jobKey(world, ahead(20 * DAY)).token, {
      'rotation-workflow': FILE,
      'workflow-token': grant(world, 'read'),
    });
    expectExit(step, 0);
    expect(kinds(step)).toEqual([]);
    expect(step.summaryText).toContain('active');
    expect(step.summaryText).toContain('success');
    expect(world.github.requests.map((request) => request.method)).toEqual(['GET', 'GET']);
  });

  it('disabled by inactivity: a warning with gh workflow enable, exit 0', async ({ world }) => {
    world.github.addWorkflow(REPO, FILE, { state: 'disabled_inactivity' });
    const step = await checkStep(world, jobKey(world, ahead(20 * DAY)).token, {
      'rotation-workflow': FILE,
      'workflow-token': grant(world, 'read'),
    });
    expectExit(step, 0);
    expect(kinds(step)).toEqual(['rotation-disabled']);
    expect(annotations(step, 'warning').join('\n')).toContain(`gh workflow enable ${FILE}`);
  });

  it('failing: the latest run failed, a warning linking it, exit 0', async ({ world }) => {
    world.github.addWorkflow(REPO, FILE);
    world.github.addWorkflowRun(REPO, FILE, { conclusion: 'success', createdAt: new Date(Date.now() - 8 * DAY) });
    const failed = world.github.addWorkflowRun(REPO, FILE, { conclusion: 'failure' });
    const step = await checkStep(world, jobKey(world, ahead(20 * DAY)).token, {
      'rotation-workflow': FILE,
      'workflow-token': grant(world, 'read'),
    });
    expectExit(step, 0);
    expect(kinds(step)).toEqual(['rotation-failing']);
    expect(annotations(step, 'warning').join('\n')).toContain(`/acme/web/actions/runs/${failed.id}`);
  });

  it('missing: no such workflow is a warning naming rotation-workflow, exit 0', async ({ world }) => {
    const step = await checkStep(world, jobKey(world, ahead(20 * DAY)).token, {
      'rotation-workflow': FILE,
      'workflow-token': grant(world, 'read'),
    });
    expectExit(step, 0);
    expect(kinds(step)).toEqual(['rotation-missing']);
    expect(annotations(step, 'warning').join('\n')).toMatch(/no workflow rotate-kubiya-key\.yml in acme\/web.*rotation-workflow/);
  });

  it('unreadable: a token without actions: read is a warning naming the permission, exit 0', async ({ world }) => {
    world.github.addWorkflow(REPO, FILE);
    const step = await checkStep(world, jobKey(world, ahead(20 * DAY)).token, {
      'rotation-workflow': FILE,
      'workflow-token': grant(world, 'none'),
    });
    expectExit(step, 0);
    expect(kinds(step)).toEqual(['rotation-unreadable']);
    expect(annotations(step, 'warning').join('\n')).toContain('permissions: actions: read');
  });
});
