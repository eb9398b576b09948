// The built command's check mode, as a GitLab job's check step runs it: the key the job uses comes from
// KUBIYA_API_KEY; exit 0 while it works, 3 when it works but needs attention (GitLab shows "passed with
// warnings" with allow_failure: exit_codes: [3]), 1 when it no longer works, 2 for an input error.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionUnderTest } from '../sandbox/action-bundle.ts';
import { startGitLabEmulator, type GitLabEmulator } from '../sandbox/gitlab-emulator.ts';
import { assertMatchesOpenApi } from '../sandbox/gitlab-openapi.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { assertNoLeaks } from '../sandbox/leak-scan.ts';

const DAY = 86_400_000;
const USER = 'ci-bot@acme.test';

let kubiya: KubiyaEmulator;
beforeEach(async () => {
  kubiya = await startKubiyaEmulator();
  kubiya.addUser({ email: USER, org: 'acme' });
});
afterEach(() => kubiya.close());

/** A key of the job, expiring in `days`. */
function jobKey(days: number): { id: string; token: string } {
  return kubiya.seedKey({
    userEmail: USER,
    name: 'gl:gitlab.com/acme/web:KUBIYA_API_KEY:run-1-2',
    expiresAt: new Date(Date.now() + days * DAY),
  });
}

async function check(
  apiKey: string | undefined,
  args: string[] = [],
  extra: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    GITLAB_CI: 'true',
    CI_PROJECT_PATH: 'acme/web',
    CI_PIPELINE_ID: '555',
    CI_JOB_ID: '778',
    KUBIYA_API_URL: kubiya.url,
    KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '5000',
    KUBIYA_ACTION_RETRY_BASE_MS: '20',
    ...(apiKey === undefined ? {} : { KUBIYA_API_KEY: apiKey }),
    ...extra,
  };
  const cli = path.join(actionUnderTest(), 'dist', 'cli.js');
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, 'check', ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe('kubiya-api-key check', () => {
  it('exits 0 for a key with weeks left, after one request with that key, and never prints it', async () => {
    const key = jobKey(30);
    const run = await check(key.token);
    expect(run.code, run.stderr).toBe(0);
    expect(kubiya.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/v1/users/self']);
    assertNoLeaks([key.token], { stdout: run.stdout, stderr: run.stderr });
  });

  it('exits 3 when the key works but expires within warn-before, and 0 with --warn-exit-code 0', async () => {
    const key = jobKey(3);
    const warned = await check(key.token);
    expect(warned.code, warned.stderr).toBe(3);
    expect(warned.stderr).toMatch(/warning: api-key expires on .*within warn-before 7d.*run its pipeline schedule/);
    expect(warned.stderr).not.toMatch(/gh workflow/);
    expect((await check(key.token, ['--warn-exit-code', '0'])).code).toBe(0);
  });

  it('exits 1 when Kubiya no longer accepts the key', async () => {
    const key = jobKey(30);
    kubiya.revokeKey(key.id);
    const run = await check(key.token);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rejected|did not accept/);
    assertNoLeaks([key.token], { stdout: run.stdout, stderr: run.stderr });
  });

  it('exits 2 without KUBIYA_API_KEY, or with the key passed as a flag, sending nothing', async () => {
    const missing = await check(undefined);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/KUBIYA_API_KEY/);
    const flag = await check(undefined, ['--api-key', 'x']);
    expect(flag.code).toBe(2);
    expect(kubiya.requests).toHaveLength(0);
  });
});

describe('kubiya-api-key check --rotation-schedule', () => {
  const TOKEN = 'glpat-e2e-check-reporter-0001';
  let gitlab: GitLabEmulator;
  beforeEach(async () => {
    gitlab = await startGitLabEmulator();
    gitlab.addProject('acme/web');
    gitlab.addToken(TOKEN, { kind: 'project', scopes: ['read_api'], roles: { 'acme/web': 'reporter' } });
  });
  afterEach(async () => {
    for (const request of gitlab.matching()) assertMatchesOpenApi(request.method, request.path, undefined, request.query);
    await gitlab.close();
  });
  const inGitLab = () => ({ CI_SERVER_URL: gitlab.url, CI_API_V4_URL: `${gitlab.url}/api/v4`, GITLAB_TOKEN: TOKEN });

  it('exits 0 for an active schedule whose last pipeline passed, after one read of it', async () => {
    const { id } = gitlab.addPipelineSchedule('acme/web', { lastPipeline: { id: 3, status: 'success' } });
    const run = await check(jobKey(30).token, ['--rotation-schedule', String(id)], inGitLab());
    expect(run.code, run.stderr).toBe(0);
    expect(gitlab.matching().map((request) => `${request.method} ${request.path}`)).toEqual([
      `GET /api/v4/projects/acme%2Fweb/pipeline_schedules/${id}`,
    ]);
    assertNoLeaks([TOKEN], { stdout: run.stdout, stderr: run.stderr });
  });

  it('exits 3 with rotation-disabled for an inactive schedule', async () => {
    const { id } = gitlab.addPipelineSchedule('acme/web', { active: false, nextRunAt: null });
    const run = await check(jobKey(30).token, ['--rotation-schedule', String(id)], inGitLab());
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^warning: Rotation pipeline schedule ${id} .*is inactive: it no longer runs`, 'm'));
  });

  it('exits 3 with rotation-failing when its last pipeline failed, linking it', async () => {
    const { id } = gitlab.addPipelineSchedule('acme/web', { lastPipeline: { id: 91, status: 'failed' } });
    const run = await check(jobKey(30).token, ['--rotation-schedule', String(id)], inGitLab());
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /^warning: The last pipeline of Rotation pipeline schedule .* failed: look at it \(http.*\/acme\/web\/-\/pipelines\/91\)/m,
    );
  });

  it('exits 3 with rotation-missing for a schedule GitLab does not have, never 1', async () => {
    const run = await check(jobKey(30).token, ['--rotation-schedule', '999'], inGitLab());
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(
      /^warning: Could not read pipeline schedule 999 of project acme\/web .*GitLab has no pipeline schedule 999.*check --rotation-schedule/m,
    );
  });

  it('exits 3 with rotation-unreadable naming the role when the token may not read schedules', async () => {
    gitlab.addToken('glpat-e2e-check-guest-00001', { roles: { 'acme/web': 'guest' } });
    const { id } = gitlab.addPipelineSchedule('acme/web');
    const run = await check(jobKey(30).token, ['--rotation-schedule', String(id)], {
      ...inGitLab(),
      GITLAB_TOKEN: 'glpat-e2e-check-guest-00001',
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^warning: .*GITLAB_TOKEN may not read it: .*Reporter role/m);
  });

  it.each([
    [
      'a schedule id that is not a number',
      ['--rotation-schedule', 'nightly'],
      {},
      /--rotation-schedule must be a pipeline schedule's numeric id/,
    ],
    [
      'no GITLAB_TOKEN',
      ['--rotation-schedule', '5'],
      { GITLAB_TOKEN: '' },
      /--rotation-schedule is read with GITLAB_TOKEN, which is empty/,
    ],
  ])('%s is an input error: exit 2, no request sent', async (_, args, env, message) => {
    const run = await check(jobKey(30).token, args, { ...inGitLab(), ...env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(kubiya.requests.length + gitlab.count()).toBe(0);
  });
});
