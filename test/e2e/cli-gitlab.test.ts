// The built command (dist/cli.js) run as a GitLab CI job runs it: the CI_* variables, GITLAB_CI=true, no TTY,
// secrets in the environment, against the Kubiya and GitLab emulators on loopback.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actionUnderTest } from '../sandbox/action-bundle.ts';
import { GitLabEmulator, startGitLabEmulator } from '../sandbox/gitlab-emulator.ts';
import type { EmulatedRequest, EmulatedResponse } from '../sandbox/http-emulator.ts';
import { assertMatchesOpenApi } from '../sandbox/gitlab-openapi.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { assertNoLeaks } from '../sandbox/leak-scan.ts';

const GITLAB_TOKEN = 'glpat-e2e-maintainer-token-0001';
const ADMIN = 'admin@acme.test';
const SLOT = 'gl:127.0.0.1/acme/web:KUBIYA_API_KEY:run-';
const WEB = { project: 'acme/web' };

let kubiya: KubiyaEmulator;
let gitlab: GitLabEmulator;
let adminKey: string;
let dir: string;

beforeEach(async () => {
  [kubiya, gitlab] = await Promise.all([startKubiyaEmulator(), startGitLabEmulator()]);
  adminKey = kubiya.addUser({ email: ADMIN, org: 'acme' }).apiKey;
  gitlab.addProject('acme/web', { id: 7 });
  gitlab.addToken(GITLAB_TOKEN, { kind: 'project', roles: { 'acme/web': 'maintainer' } });
  dir = await mkdtemp(path.join(tmpdir(), 'kubiya-cli-'));
});
afterEach(async () => {
  for (const request of gitlab.matching()) {
    assertMatchesOpenApi(request.method, request.path, request.body ? JSON.parse(request.body) : undefined, request.query);
  }
  await Promise.all([kubiya.close(), gitlab.close(), rm(dir, { recursive: true, force: true })]);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json?: string;
}

/** A GitLab job's environment (pipeline 555, job 777) and nothing of the test process's but PATH. */
function jobEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    GITLAB_CI: 'true',
    CI: 'true',
    CI_PROJECT_PATH: 'acme/web',
    CI_PIPELINE_ID: '555',
    CI_JOB_ID: '777',
    CI_JOB_NAME: 'rotate-kubiya-api-key',
    CI_PIPELINE_URL: `${gitlab.url}/acme/web/-/pipelines/555`,
    CI_SERVER_URL: gitlab.url,
    KUBIYA_ADMIN_API_KEY: adminKey,
    KUBIYA_API_URL: kubiya.url,
    GITLAB_TOKEN,
    KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '5000',
    KUBIYA_ACTION_RETRY_BASE_MS: '20',
    ...extra,
  };
}

async function command(args: string[], env = jobEnv()): Promise<Run> {
  const json = path.join(dir, 'results.json');
  const cli = path.join(actionUnderTest(), 'dist', 'cli.js');
  const withJson = args.includes('--help') || args.includes('--version') ? args : [...args, '--json', json];
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [cli, ...withJson], { env, cwd: dir }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
  return { code, stdout, stderr, json: await readFile(json, 'utf8').catch(() => undefined) };
}

function seedPrevious(): { id: string; token: string } {
  const previous = kubiya.seedKey({ userEmail: ADMIN, name: `${SLOT}100-200`, createdAt: new Date(Date.now() - 86_400_000) });
  gitlab.seedVariable(WEB, { key: 'KUBIYA_API_KEY', value: previous.token, masked: true, protected: true, raw: true });
  return previous;
}

function noLeaks(run: Run, secrets: string[]): void {
  assertNoLeaks([...secrets, adminKey, GITLAB_TOKEN], { stdout: run.stdout, stderr: run.stderr, json: run.json ?? '' });
  expect(run.stderr + run.stdout).not.toMatch(/(^|\n)::/);
}

describe('kubiya-api-key in a GitLab CI job', () => {
  it('rotate: the variable reads back as a key Kubiya accepts, and the previous key is revoked', async () => {
    const previous = seedPrevious();
    const run = await command(['rotate']);
    expect(run.code, run.stderr).toBe(0);
    const stored = gitlab.variable(WEB, 'KUBIYA_API_KEY')!;
    expect(stored.value).not.toBe(previous.token);
    expect(kubiya.isValid(stored.value)).toBe(true);
    expect(kubiya.isValid(previous.token)).toBe(false);
    expect(kubiya.keyByToken(stored.value)?.name).toBe(`${SLOT}555-777`);
    expect(stored).toMatchObject({ masked: true, protected: true, raw: true });
    const [result] = JSON.parse(run.json!) as { target: string; status: string; revokedKeyIds: string[] }[];
    expect(result).toMatchObject({ target: '127.0.0.1/acme/web', status: 'rotated', revokedKeyIds: [previous.id] });
    // One folding section per slot, GitLab's markers.
    // eslint-disable-next-line no-control-regex -- GitLab's section markers start with an escape sequence
    expect(run.stderr).toMatch(/\u001b\[0Ksection_start:\d+:slot_1\[collapsed=false\]\r\u001b\[0K127\.0\.0\.1\/acme\/web/);
    expect(run.stderr).toMatch(/section_end:\d+:slot_1/);
    noLeaks(run, [stored.value, previous.token]);
  });

  it('rotate: a value GitLab refuses to mask fails the slot and rolls the new key back', async () => {
    const previous = seedPrevious();
    gitlab.injectFault({ method: 'PUT', kind: 'status', status: 400, body: { message: { value: ['is invalid'] } } });
    const run = await command(['rotate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/GitLab refused to mask the value/);
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')!.value).toBe(previous.token);
    expect(kubiya.isValid(previous.token)).toBe(true);
    expect(
      kubiya
        .activeKeys()
        .filter((key) => key.name.startsWith(SLOT))
        .map((key) => key.id),
    ).toEqual([previous.id]);
    noLeaks(run, [previous.token]);
  });

  it('revoke: every key of the project variable is revoked', async () => {
    const previous = seedPrevious();
    const run = await command(['revoke']);
    expect(run.code, run.stderr).toBe(0);
    expect(kubiya.isValid(previous.token)).toBe(false);
    expect(JSON.parse(run.json!)).toMatchObject([{ target: '127.0.0.1/acme/web', status: 'revoked', revokedKeyIds: [previous.id] }]);
    // Nothing written or read on GitLab: only the token's own expiry, for the run's footing.
    expect(gitlab.matching().map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/v4/personal_access_tokens/self']);
    noLeaks(run, [previous.token]);
  });

  it('audit: reports the slot, says once that not-written is not reported, and finds a missing variable', async () => {
    seedPrevious();
    const healthy = await command(['audit']);
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(healthy.stderr.match(/not-written .* is not reported/g)).toHaveLength(1);
    expect(JSON.parse(healthy.json!)).toMatchObject([{ target: '127.0.0.1/acme/web', status: 'audited', findings: [] }]);
    const other = await command(['audit', '--environment', 'production', '--fail-on', 'target-missing']);
    expect(other.code).toBe(0); // no key of the production scope: nothing to find missing
    kubiya.seedKey({ userEmail: ADMIN, name: 'gl:127.0.0.1/acme/web@production:KUBIYA_API_KEY:run-1-2' });
    const missing = await command(['audit', '--environment', 'production', '--fail-on', 'target-missing']);
    expect(missing.code, missing.stderr).toBe(1);
    expect(JSON.parse(missing.json!)[0].findings).toMatchObject([{ kind: 'target-missing' }]);
    expect(gitlab.matching().every((request) => request.method === 'GET')).toBe(true);
    noLeaks(missing, []);
  });

  it('rotates several projects, each in its own section, and shows how far the run is', async () => {
    gitlab.addProject('acme/api');
    gitlab.addToken('glpat-e2e-group-maintainer-01', { kind: 'group', roles: { acme: 'maintainer' } });
    const run = await command(
      ['rotate', '--project', 'acme/web', '--project', 'acme/api'],
      jobEnv({ GITLAB_TOKEN: 'glpat-e2e-group-maintainer-01' }),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^1\/2 targets done$/m);
    expect(run.stderr).toMatch(/^2\/2 targets done$/m);
    expect(run.stderr.match(/section_start/g)).toHaveLength(2);
    for (const project of ['acme/web', 'acme/api'])
      expect(kubiya.isValid(gitlab.variable({ project }, 'KUBIYA_API_KEY')!.value)).toBe(true);
    noLeaks(run, [gitlab.variable(WEB, 'KUBIYA_API_KEY')!.value, 'glpat-e2e-group-maintainer-01']);
  });

  it('a numeric --project is named by its path', async () => {
    seedPrevious();
    const run = await command(['rotate', '--project', '7']);
    expect(run.code, run.stderr).toBe(0);
    expect(kubiya.keyByToken(gitlab.variable(WEB, 'KUBIYA_API_KEY')!.value)?.name).toBe(`${SLOT}555-777`);
  });

  it.each([
    ['an unknown flag', ['rotate', '--bogus'], /Unknown option '--bogus'/],
    [
      'a secret passed as a flag',
      ['rotate', '--gitlab-token', 'glpat-flag-secret-0001'],
      /--gitlab-token is not accepted: secrets come from the environment only/,
    ],
    ['--group with --project', ['rotate', '--group', 'acme', '--project', 'acme/web'], /--group and --project cannot be combined/],
    ['a bad variable name', ['rotate', '--variable', 'kubiya-key'], /not a valid GitHub secret name|not one this store writes/],
    ['a GitLab URL that is not https', ['rotate', '--gitlab-url', 'http://gitlab.example.com'], /--gitlab-url must be an https:\/\/ URL/],
    ['an unknown mode', ['mint'], /Mode 'mint' is not one of rotate, revoke, audit/],
    ['no admin key in the environment', ['rotate'], /KUBIYA_ADMIN_API_KEY is not set/],
  ])('%s is an input error: exit 2, no request sent', async (what, args, message) => {
    const run = await command(args, jobEnv(what.startsWith('no admin key') ? { KUBIYA_ADMIN_API_KEY: '' } : {}));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(kubiya.count() + gitlab.count()).toBe(0);
    noLeaks(run, ['glpat-flag-secret-0001']);
  });

  it('--help prints the usage on stdout', async () => {
    const run = await command(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^kubiya-api-key <mode> \[options\]/);
  });
});

describe("the GitLab token's expiry, watched by every run", () => {
  const dayAt = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const TOKEN = 'glpat-e2e-expiring-token-0001';
  const withToken = (days: number) => {
    gitlab.addToken(TOKEN, { kind: 'project', roles: { 'acme/web': 'maintainer' }, expiresAt: dayAt(days) });
    return jobEnv({ GITLAB_TOKEN: TOKEN });
  };

  it('a token with 20 days left: rotate succeeds with a warning naming gitlab-token, its expiry and the fix, in one extra GET', async () => {
    seedPrevious();
    const run = await command(['rotate'], withToken(20));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^warning: gitlab-token expires ${dayAt(20)} 00:00 UTC \\(in \\d+ days\\).*GITLAB_TOKEN`, 'm'));
    expect(run.stderr).toMatch(/This run stands on: admin-api-key .*; gitlab-token expires/);
    expect(gitlab.count('GET', '/api/v4/personal_access_tokens/self')).toBe(1);
    noLeaks(run, [gitlab.variable(WEB, 'KUBIYA_API_KEY')!.value, TOKEN]);
  });

  it("reads the token's expiry alongside the opening round trip, not after it", async () => {
    // GitLab answers about the token only once Kubiya has been asked for the key list: a run that waited for that
    // answer before its opening would never get there.
    class AnswersAfterTheListing extends GitLabEmulator {
      protected override async handle(req: EmulatedRequest): Promise<EmulatedResponse> {
        if (req.path.endsWith('/personal_access_tokens/self')) await kubiya.waitForRequest('GET', '/api/v1/auth/keys');
        return super.handle(req);
      }
    }
    await gitlab.close();
    gitlab = await new AnswersAfterTheListing().listen();
    gitlab.addProject('acme/web', { id: 7 });
    seedPrevious();
    const run = await command(['rotate'], withToken(20));
    expect(run.code, run.stderr).toBe(0);
    expect(gitlab.matching('GET', '/api/v4/personal_access_tokens/self').map((request) => request.status)).toEqual([200]);
    expect(run.stderr).toMatch(/^warning: gitlab-token expires/m);
  });

  it('a token with 5 days left: an error line, and the run still succeeds (audit and revoke say it too)', async () => {
    seedPrevious();
    const env = withToken(5);
    const rotated = await command(['rotate'], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toMatch(/^error: gitlab-token expires .*: from then on rotations can no longer write the CI\/CD variables/m);
    const audited = await command(['audit'], env);
    expect(audited.code, audited.stderr).toBe(0);
    expect(audited.stderr).toMatch(/^error: gitlab-token expires/m);
    expect(JSON.parse(audited.json!)).toContainEqual(
      expect.objectContaining({ target: 'run', findings: [expect.objectContaining({ kind: 'gitlab-token-expiring' })] }),
    );
    const revoked = await command(['revoke'], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/^error: gitlab-token expires/m);
  });

  it('an expired token: GitLab answers 401, the run fails, and the message says the token expired', async () => {
    const previous = seedPrevious();
    const run = await command(['rotate'], withToken(-1));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: gitlab-token: GitLab no longer accepts it \(HTTP 401[^)]*\): it has expired/m);
    expect(gitlab.variable(WEB, 'KUBIYA_API_KEY')!.value).toBe(previous.token);
    expect(kubiya.isValid(previous.token)).toBe(true);
    noLeaks(run, [previous.token, TOKEN]);
  });
});
