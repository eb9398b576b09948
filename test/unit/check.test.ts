// Check mode's findings (src/check-findings.ts) and its core (src/modes/check.ts) over fakes; and the keep-alive
// decision (src/keep-alive.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFindings, type CheckInput } from '../../src/check-findings.ts';
import { keepAliveDecision, keepScheduleAlive } from '../../src/keep-alive.ts';
import { check, parse, type CheckConfig } from '../../src/modes/check.ts';
import { ServiceError } from '../../src/service-error.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-05-01T12:00:00Z');
const FILE = 'rotate-kubiya-key.yml';
const base: CheckInput = {
  rotationWorkflow: FILE,
  now: NOW,
  warnBeforeMs: 7 * DAY,
  verification: { outcome: 'accepted' },
  platform: 'github',
};
const kinds = (input: Partial<CheckInput>) => checkFindings({ ...base, ...input }).map((finding) => finding.kind);
const workflow = (state: string) => ({ workflow: { name: 'Rotate', state } });

describe('check findings', () => {
  it('none for a key with time left, accepted, and an active rotation whose last run succeeded', () => {
    const rotation = { ...workflow('active'), latestRun: { id: 1, status: 'completed', conclusion: 'success' } };
    expect(kinds({ expiresAt: new Date(NOW.getTime() + 20 * DAY), rotation })).toEqual([]);
  });

  it('expired when the exp claim has passed, once, with the command that rotates now', () => {
    const findings = checkFindings({
      ...base,
      expiresAt: new Date(NOW.getTime() - DAY),
      verification: { outcome: 'rejected', reason: 'HTTP 401' },
    });
    expect(findings.map((finding) => finding.kind)).toEqual(['expired']);
    expect(findings[0]!.message).toContain(`gh workflow run ${FILE}`);
  });

  it('rejected when Kubiya refuses a key whose expiry has not passed (or is unknown)', () => {
    expect(kinds({ verification: { outcome: 'rejected', reason: 'Kubiya did not accept api-key (HTTP 401)' } })).toEqual(['rejected']);
  });

  it('expiring within warn-before, not outside it', () => {
    expect(kinds({ expiresAt: new Date(NOW.getTime() + 3 * DAY) })).toEqual(['expiring']);
    expect(kinds({ expiresAt: new Date(NOW.getTime() + 8 * DAY) })).toEqual([]);
    expect(kinds({ expiresAt: new Date(NOW.getTime() + 3 * DAY), warnBeforeMs: DAY })).toEqual([]);
  });

  it('an unknown expiry and no verify find nothing', () => {
    expect(kinds({ verification: undefined })).toEqual([]);
  });

  it.each([
    ['disabled_inactivity', `gh workflow enable ${FILE}`],
    ['disabled_manually', `gh workflow enable ${FILE}`],
  ])('rotation-disabled for a workflow %s, saying how to re-enable it', (state, advice) => {
    const [finding] = checkFindings({ ...base, rotation: workflow(state) });
    expect(finding).toMatchObject({ kind: 'rotation-disabled' });
    expect(finding!.message).toContain(advice);
  });

  it.each(['failure', 'timed_out'])('rotation-failing when the latest run concluded %s, linking it', (conclusion) => {
    const htmlUrl = 'https://github.com/acme/web/actions/runs/42';
    const [finding] = checkFindings({
      ...base,
      rotation: { ...workflow('active'), latestRun: { id: 42, status: 'completed', conclusion, htmlUrl } },
    });
    expect(finding).toMatchObject({ kind: 'rotation-failing' });
    expect(finding!.message).toContain(htmlUrl);
  });

  it('a run in progress or cancelled is not a failing rotation', () => {
    expect(kinds({ rotation: { ...workflow('active'), latestRun: { id: 1, status: 'in_progress', conclusion: null } } })).toEqual([]);
  });

  it('rotation-missing on a 404, rotation-unreadable on a refusal', () => {
    expect(kinds({ rotation: { error: 'GitHub has no workflow', status: 404 } })).toEqual(['rotation-missing']);
    expect(kinds({ rotation: { error: 'needs permissions: actions: read', status: 403 } })).toEqual(['rotation-unreadable']);
  });
});

const ENV = { GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '1' };
const jwt = (claims: object) =>
  `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`;

function config(inputs: Record<string, string>): CheckConfig {
  return parse((name) => ({ mode: 'check', ...inputs })[name] ?? '', ENV);
}

describe('check mode', () => {
  it('needs no admin key, and reads expiry and name from the JWT without a request when verify is false', async () => {
    const exp = Math.floor(NOW.getTime() / 1000) + 3 * 86_400;
    const calls: string[] = [];
    const report = await check(config({ 'api-key': jwt({ exp, token_name: 'gha:acme/web:KUBIYA_API_KEY:run-1-1' }), verify: 'false' }), {
      now: NOW,
      verify: async () => void calls.push('verify'),
      workflows: () => {
        throw new Error('no rotation-workflow: not read');
      },
    });
    expect(calls).toEqual([]);
    expect(report.keyName).toBe('gha:acme/web:KUBIYA_API_KEY:run-1-1');
    expect(report.expiresAt?.toISOString()).toBe(new Date(exp * 1000).toISOString());
    expect(report.findings.map((finding) => finding.kind)).toEqual(['expiring']);
  });

  it('a 401 from Kubiya is rejected; any other failure leaves the key unverified, a warning', async () => {
    const run = (error: Error) =>
      check(config({ 'api-key': 'kby_opaque' }), { now: NOW, verify: () => Promise.reject(error), workflows: () => ({}) as never });
    expect((await run(new ServiceError('Kubiya did not accept api-key (HTTP 401)', { status: 401 }))).findings[0]?.kind).toBe('rejected');
    expect((await run(new ServiceError('Kubiya failed (HTTP 503)', { status: 503 }))).findings[0]?.kind).toBe('unverified');
  });

  it.each(['rotate.txt', 'my workflow.yml', '.github/workflows/rotate.yml', 'a/b.yaml'])(
    'refuses rotation-workflow %s before any request',
    (file) => {
      expect(() => config({ 'api-key': 'k', 'rotation-workflow': file })).toThrow(/rotation-workflow/);
    },
  );

  it('requires api-key', () => {
    expect(() => config({})).toThrow(/'api-key' is required/);
  });

  it('reads the rotation pipeline schedule with the GitLab token, in the project given', async () => {
    const given = config({ 'api-key': 'k', 'rotation-schedule': '42', 'gitlab-token': 'glpat-x', projects: 'acme/web', verify: 'false' });
    expect(given).toMatchObject({
      platform: 'gitlab',
      gitlab: { project: 'acme/web', token: 'glpat-x', apiUrl: 'https://gitlab.com/api/v4' },
    });
    const read: string[] = [];
    const report = await check(given, {
      now: NOW,
      verify: async () => {},
      workflows: () => ({}) as never,
      schedule: async (gitlab, id) => {
        read.push(`${gitlab.project}#${id}`);
        return { id: 42, active: false };
      },
    });
    expect(read).toEqual(['acme/web#42']);
    expect(report.findings.map((finding) => finding.kind)).toEqual(['rotation-disabled']);
  });

  it.each([
    [
      'a schedule id that is not a number',
      { 'rotation-schedule': 'nightly', 'gitlab-token': 'glpat-x', projects: 'acme/web' },
      /numeric id/,
    ],
    [
      'no GitLab token',
      { 'rotation-schedule': '42', projects: 'acme/web' },
      /'rotation-schedule' is read with Input 'gitlab-token', which is empty/,
    ],
    ['no project', { 'rotation-schedule': '42', 'gitlab-token': 'glpat-x' }, /needs the project/],
    [
      'a rotation workflow too',
      { 'rotation-schedule': '42', 'gitlab-token': 'g', projects: 'a/b', 'rotation-workflow': FILE, 'workflow-token': 't' },
      /cannot be combined/,
    ],
  ])('refuses rotation-schedule with %s before any request', (_, inputs, message) => {
    expect(() => config({ 'api-key': 'k', ...inputs })).toThrow(message);
  });
});

describe('check findings for a GitLab pipeline schedule', () => {
  const gitlab: Partial<CheckInput> = { rotationWorkflow: '', rotationSchedule: '42', platform: 'gitlab' };
  const schedule = (fields: object) => ({ schedule: { id: 42, active: true, ...fields } });

  it('none for an active schedule whose last pipeline passed, or that never ran', () => {
    expect(kinds({ ...gitlab, rotation: schedule({ lastPipeline: { id: 1, status: 'success' } }) })).toEqual([]);
    expect(kinds({ ...gitlab, rotation: schedule({}) })).toEqual([]);
  });

  it('rotation-disabled for an inactive schedule, saying how to activate it', () => {
    const [finding] = checkFindings({ ...base, ...gitlab, rotation: schedule({ active: false }) });
    expect(finding).toMatchObject({ kind: 'rotation-disabled', message: expect.stringMatching(/schedule 42 .*inactive.*activate it/) });
  });

  it('rotation-failing when its last pipeline failed, linking it', () => {
    const webUrl = 'https://gitlab.com/acme/web/-/pipelines/9';
    const [finding] = checkFindings({ ...base, ...gitlab, rotation: schedule({ lastPipeline: { id: 9, status: 'failed', webUrl } }) });
    expect(finding).toMatchObject({ kind: 'rotation-failing', message: expect.stringContaining(webUrl) });
  });

  it('rotation-missing on a 404 pointing at --rotation-schedule; rotation-unreadable on a refusal', () => {
    const missing = checkFindings({ ...base, ...gitlab, rotation: { error: 'GitLab has no pipeline schedule 42', status: 404 } });
    expect(missing).toEqual([{ kind: 'rotation-missing', message: 'GitLab has no pipeline schedule 42; check --rotation-schedule.' }]);
    expect(kinds({ ...gitlab, rotation: { error: 'GITLAB_TOKEN may not read it', status: 403 } })).toEqual(['rotation-unreadable']);
  });
});

describe('keep-alive decision', () => {
  const event = (isPrivate: unknown) => () => ({ repository: { private: isPrivate } });
  const env = (name: string) => ({
    GITHUB_EVENT_NAME: name,
    GITHUB_EVENT_PATH: '/event.json',
    GITHUB_WORKFLOW_REF: `acme/web/.github/workflows/${FILE}@refs/heads/main`,
  });

  it('sends for a scheduled run of a public repository, naming the file of GITHUB_WORKFLOW_REF', () => {
    expect(keepAliveDecision(true, env('schedule'), event(false))).toEqual({ send: true, repository: 'acme/web', file: FILE });
  });

  it.each([
    ['keep-schedule-alive false', false, 'schedule', false],
    ['a private repository', true, 'schedule', true],
    ['an unreadable payload', true, 'schedule', undefined],
    ['workflow_dispatch', true, 'workflow_dispatch', false],
    ['push', true, 'push', false],
  ])('sends nothing for %s', (_, enabled, name, isPrivate) => {
    expect(keepAliveDecision(enabled, env(name), event(isPrivate))).toEqual({ send: false });
  });

  it('a refusal is one warning naming actions: write, and never throws', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keep-alive-'));
    writeFileSync(path.join(dir, 'event.json'), JSON.stringify({ repository: { private: false } }));
    const warnings: string[] = [];
    const log = { info: () => {}, warning: (text: string) => warnings.push(text), error: () => {} };
    const refused = { enable: () => Promise.reject(new ServiceError('GitHub refused (HTTP 403)', { status: 403 })) };
    const settings = { keepScheduleAlive: true, workflowToken: 't', githubApiUrl: 'https://api.github.com', dryRun: false };
    await keepScheduleAlive(settings, { env: { ...env('schedule'), GITHUB_EVENT_PATH: path.join(dir, 'event.json') }, log }, () => refused);
    rmSync(dir, { recursive: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/60 days.*permissions: actions: write/);
  });
});
