// The canary's checks (scripts/canary-check.ts) against the emulators, after the committed action ran the
// canary's own steps there: each check holds after a good run, fails when its claim is false, and never
// writes a key into what it reports.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, listKeys, runCheck } from '../../scripts/canary-check.ts';
import type { CheckResult } from '../../scripts/canary-check.ts';
import { startSandbox } from '../sandbox/sandbox.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { repoRoot } from './project-files.ts';

const SECRET = 'KUBIYA_CANARY_API_KEY';
const PREFIX = `canary:acme/web:${SECRET}:run-`;
const noSleep = async (): Promise<void> => {};

let sandbox: Sandbox;
let env: Record<string, string>;
const reports: CheckResult[] = [];

async function check(name: string, args: string[] = [], extra: Record<string, string> = {}): Promise<CheckResult> {
  const result = await runCheck(name, args, { ...env, ...extra }, noSleep);
  reports.push(result);
  return result;
}

async function rotate(runId: string) {
  const since = new Date().toISOString();
  const { main } = await sandbox.run({
    runId,
    inputs: { 'secret-name': SECRET, 'key-name-prefix': 'canary', ttl: '10d', 'grace-period': '0' },
  });
  expect(main.exitCode, main.stderr).toBe(0);
  return { since, keyId: main.outputs['key-id']!, keyName: main.outputs['key-name']! };
}

beforeAll(async () => {
  sandbox = await startSandbox();
  env = {
    KUBIYA_API_URL: sandbox.kubiya.url,
    KUBIYA_ADMIN_API_KEY: sandbox.adminKey,
    GITHUB_TOKEN: sandbox.githubToken,
    GITHUB_API_URL: sandbox.github.url,
    CANARY_CHECK_ATTEMPTS: '2',
  };
});

afterAll(async () => {
  // Whatever was reported, no key the emulator ever issued (admin, minted, revoked) is in it.
  const text = reports.map(formatResult).join('');
  for (const key of sandbox.kubiya.keys()) expect(text.includes(key.token), `report leaks key ${key.id}`).toBe(false);
  await sandbox.close();
});

describe('after the canary rotation', () => {
  it('confirms the key is listed, the secret written, the slot holds only it, and the key works', async () => {
    const first = await rotate('5001');
    expect(await check('listed', ['--id', first.keyId, '--name', first.keyName])).toMatchObject({ ok: true });
    expect(await check('secret-updated', ['--repository', 'acme/web', '--name', SECRET, '--since', first.since])).toMatchObject({
      ok: true,
    });
    expect(await check('slot', ['--prefix', PREFIX, '--id', first.keyId])).toMatchObject({ ok: true });
    const stored = sandbox.github.secretValue({ repo: 'acme/web' }, SECRET)!;
    expect(await check('authenticates', [], { KUBIYA_API_KEY: stored })).toMatchObject({ ok: true });

    // The next rotation, a week later, revokes the first key: the checks see it.
    sandbox.kubiya.passTime(7 * 86_400_000);
    const second = await rotate('5002');
    expect(await check('slot', ['--prefix', PREFIX, '--id', second.keyId])).toMatchObject({ ok: true });
    expect(await check('slot', ['--prefix', PREFIX, '--id', first.keyId])).toMatchObject({ ok: false });
    expect(await check('revoked', ['--id', first.keyId])).toMatchObject({ ok: true });
    expect(await check('authenticates', [], { KUBIYA_API_KEY: stored })).toMatchObject({ ok: false });
    expect(await check('listed', ['--id', first.keyId, '--name', first.keyName])).toMatchObject({ ok: false });
  });

  it('fails when the secret was not written since the given time, or the name does not match', async () => {
    const { keyId } = await rotate('5003');
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await check('secret-updated', ['--repository', 'acme/web', '--name', SECRET, '--since', later])).toMatchObject({ ok: false });
    expect(await check('listed', ['--id', keyId, '--name', `${PREFIX}0-1`])).toMatchObject({ ok: false });
  });
});

describe('after the canary mint job', () => {
  it("confirms the post step revoked the job's key, which no longer authenticates", async () => {
    const { main, post } = await sandbox.run({
      runId: '5004',
      inputs: { mode: 'mint', 'key-name-prefix': 'canary', ttl: '15m' },
      github: { job: 'mint' },
    });
    expect(main.exitCode, main.stderr).toBe(0);
    expect(post?.exitCode).toBe(0);
    const keyId = main.outputs['key-id']!;
    expect(await check('revoked', ['--id', keyId])).toMatchObject({ ok: true });
    expect(await check('authenticates', [], { KUBIYA_API_KEY: main.env['KUBIYA_API_KEY']! })).toMatchObject({ ok: false });
  });

  it('fails when the key is still live', async () => {
    const live = sandbox.kubiya.seedKey({ userEmail: 'ci-bot@acme.test', name: 'canary:acme/web/job/mint:KUBIYA_API_KEY:run-1-1' });
    const result = await check('revoked', ['--id', live.id]);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toContain('still listed and not marked revoked');
  });
});

describe('reading the key list', () => {
  it('follows paging and accepts other wrappers, and reports the shape it saw', async () => {
    sandbox.kubiya.options.pageSize = 2;
    sandbox.kubiya.options.listShape = 'items';
    sandbox.kubiya.options.listRevoked = true;
    try {
      const list = await listKeys(env);
      expect(list.pages).toBeGreaterThan(1);
      expect(list.wrapper).toBe('items');
      expect(list.keys.map((key) => key.id).sort()).toEqual(
        sandbox.kubiya
          .keys()
          .map((key) => key.id)
          .sort(),
      );
      expect(list.keys.filter((key) => key.revoked).length).toBeGreaterThan(0);
    } finally {
      sandbox.kubiya.options.pageSize = undefined;
      sandbox.kubiya.options.listShape = 'keys';
      sandbox.kubiya.options.listRevoked = false;
    }
  });
});

describe('the command line', () => {
  it('prints the result, appends it to the job summary, and exits 1 when the check fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'canary-check-'));
    const summary = path.join(dir, 'summary.md');
    try {
      const run = promisify(execFile);
      const failing = run(process.execPath, ['scripts/canary-check.ts', 'authenticates'], {
        cwd: repoRoot,
        env: { ...process.env, KUBIYA_API_URL: sandbox.kubiya.url, KUBIYA_API_KEY: 'not-a-key', GITHUB_STEP_SUMMARY: summary },
      });
      await expect(failing).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('❌ the minted key authenticates') });
      const passing = await run(process.execPath, ['scripts/canary-check.ts', 'authenticates'], {
        cwd: repoRoot,
        env: { ...process.env, KUBIYA_API_URL: sandbox.kubiya.url, KUBIYA_API_KEY: sandbox.adminKey, GITHUB_STEP_SUMMARY: summary },
      });
      expect(passing.stdout).toMatch(/^- ✅ the minted key authenticates: `GET \/api\/v1\/users\/self` answered 200\n$/);
      expect(readFileSync(summary, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
      expect(passing.stdout + readFileSync(summary, 'utf8')).not.toContain(sandbox.adminKey);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown check', async () => {
    await expect(runCheck('nonsense', [], env)).rejects.toThrow(/unknown check 'nonsense'/);
  });
});
