// The built command's check mode, as a GitLab job's check step runs it: the key the job uses comes from
// KUBIYA_API_KEY; exit 0 while it works, 3 when it works but needs attention (GitLab shows "passed with
// warnings" with allow_failure: exit_codes: [3]), 1 when it no longer works, 2 for an input error.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionUnderTest } from '../sandbox/action-bundle.ts';
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

async function check(apiKey: string | undefined, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
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
