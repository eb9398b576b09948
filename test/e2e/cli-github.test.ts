// The built command with the first store, GitHub secrets, run from a shell outside any CI (no TTY): the same mode
// units as the action, another face.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { actionUnderTest } from '../sandbox/action-bundle.ts';
import { startGitHubEmulator, type GitHubEmulator } from '../sandbox/github-emulator.ts';
import { startKubiyaEmulator, type KubiyaEmulator } from '../sandbox/kubiya-emulator.ts';
import { assertNoLeaks } from '../sandbox/leak-scan.ts';

const GITHUB_TOKEN = 'github_pat_cli_e2e_token_000001';
let kubiya: KubiyaEmulator;
let github: GitHubEmulator;
let adminKey: string;

beforeEach(async () => {
  [kubiya, github] = await Promise.all([startKubiyaEmulator(), startGitHubEmulator()]);
  adminKey = kubiya.addUser({ email: 'admin@acme.test', org: 'acme' }).apiKey;
  github.addRepo('acme/web');
  github.addToken(GITHUB_TOKEN, { kind: 'pat' });
});
afterEach(() => Promise.all([kubiya.close(), github.close()]));

it('rotates a GitHub secret from a shell: the key named after the time (attempt 0), sealed, the admin key never shown', async () => {
  const env = {
    PATH: process.env['PATH'] ?? '',
    KUBIYA_ADMIN_API_KEY: adminKey,
    KUBIYA_API_URL: kubiya.url,
    GITHUB_TOKEN,
    GITHUB_API_URL: github.url,
    KUBIYA_ACTION_RETRY_BASE_MS: '20',
  };
  const cli = path.join(actionUnderTest(), 'dist', 'cli.js');
  const before = Math.floor(Date.now() / 1000);
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [cli, 'rotate', '--repository', 'acme/web'], { env }, (error, out, err) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
    );
  });
  expect(code, stderr).toBe(0);
  const value = github.secretValue({ repo: 'acme/web' }, 'KUBIYA_API_KEY')!;
  expect(kubiya.isValid(value)).toBe(true);
  const name = kubiya.keyByToken(value)!.name;
  expect(name).toMatch(/^gha:acme\/web:KUBIYA_API_KEY:run-(\d+)-0$/);
  expect(Number(/run-(\d+)-0$/.exec(name)![1])).toBeGreaterThanOrEqual(before);
  expect(stderr).toMatch(/^rotated\s+acme\/web KUBIYA_API_KEY gha:acme\/web/m);
  expect(stderr).not.toContain('section_start');
  assertNoLeaks([value, adminKey, GITHUB_TOKEN], { stdout, stderr });
});
