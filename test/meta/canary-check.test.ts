// The canary's checks (scripts/canary-check.ts) against the emulators, after the committed action ran the
// canary's own steps there: each check holds after a good run, fails when its claim is false, and never
// writes a key into what it reports.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, listKeys, runCheck } from '../../scripts/canary-check.ts';
import type { CheckResult } from '../../scripts/canary-check.ts';
import { startKubiyaEmulator, type KubiyaEmulator, type KubiyaEmulatorOptions } from '../sandbox/kubiya-emulator.ts';
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

// ---- the probe (npm run canary) against the Kubiya emulator in each shape it can take --------------------------

describe('the probe (npm run canary)', () => {
  const PROBE_PREFIX = 'api-key-action-canary:';

  async function probeAgainst(options: KubiyaEmulatorOptions, prepare?: (kubiya: KubiyaEmulator) => void) {
    const kubiya = await startKubiyaEmulator(options);
    try {
      const admin = kubiya.addUser({ email: 'probe@acme.test', org: 'acme' });
      kubiya.seedKey({ userEmail: 'probe@acme.test', name: 'someone else', revoked: true });
      prepare?.(kubiya);
      const result = await runCheck(
        'probe',
        [],
        { KUBIYA_API_URL: kubiya.url, KUBIYA_ADMIN_API_KEY: admin.apiKey, CANARY_CHECK_ATTEMPTS: '2' },
        noSleep,
      );
      const text = formatResult(result);
      const minted = kubiya.keys().filter((key) => key.name.startsWith(PROBE_PREFIX));
      for (const key of kubiya.keys()) {
        expect(text, 'the report carries no key').not.toContain(key.token);
        expect(text, 'the report carries no key id').not.toContain(key.id);
      }
      return { result, text, minted, live: minted.filter((key) => key.revoked_at === null) };
    } finally {
      await kubiya.close();
    }
  }
  const verdictOf = (text: string, assumption: string) => text.split('\n').find((line) => line.startsWith(`| ${assumption}`));

  it('mints 5 minutes, 1 hour and 24 hours, lists, verifies, revokes and confirms, and says every assumption holds', async () => {
    const { result, text, minted, live } = await probeAgainst({});
    expect(result.ok, text).toBe(true);
    expect(minted).toHaveLength(5);
    expect(live).toEqual([]);
    expect(text).toMatch(/create, 5 minutes: created \(201\); server gave 5 minutes by expires_at/);
    expect(text).toMatch(/create, 24 hours: created \(201\); server gave 24 hours/);
    expect(text).toMatch(/create response fields: `created_at`, `description`, `expires_at`, `id`, `key`, `name`/);
    expect(text).toMatch(/list: entries under `keys`, 1 page\(s\)/);
    expect(text).toMatch(/revoke, 1 hour: DELETE answered 204; then the key answered 401, gone from the list/);
    expect(verdictOf(text, 'everything the probe minted is revoked')).toContain('✅ holds');
    expect(text).toContain('docs/kubiya-api.md');
  });

  it.each<KubiyaEmulatorOptions>([
    { listShape: 'items', pageSize: 2, paging: 'next_page', pageLinks: 'number' },
    { listShape: 'array', listRevoked: true },
    { listShape: 'api_keys', pageSize: 2, paging: 'offset' },
    { listShape: 'results', pageSize: 3, paging: 'next_cursor' },
    { listShape: 'tokens', pageSize: 2, paging: 'has-more', timestamps: 'zoneless' },
    { listShape: 'data', pageSize: 2, paging: 'page-total-limit', timestamps: 'epoch-seconds' },
    { pageSize: 2, paging: 'next', pageLinks: 'relative', timestamps: 'epoch-ms', listRevoked: true },
    { createResponseShape: 'nested' },
    { createResponseShape: 'jwt-only' },
    { createResponseShape: 'no-expiry', selfEndpoint: true },
  ])('holds with %j', async (options) => {
    const { result, text, live } = await probeAgainst(options);
    expect(result.ok, text).toBe(true);
    expect(live).toEqual([]);
    expect(text).toContain(`entries under \`${options.listShape ?? 'keys'}\``);
  });

  it('reports a server that ignores the requested lifetime, and which field it reads', async () => {
    const ignores = await probeAgainst({ lifetime: 'ignore' });
    expect(ignores.result.ok).toBe(false);
    expect(verdictOf(ignores.text, 'the server gives the requested lifetime')).toMatch(/❌ differs \| 5 minutes → 365 days/);
    expect(ignores.live).toEqual([]);
    const ttlOnly = await probeAgainst({ lifetime: 'ttl' });
    expect(verdictOf(ttlOnly.text, '`ttl` alone sets the lifetime')).toContain('✅ holds');
    expect(verdictOf(ttlOnly.text, '`expires_at` alone sets the lifetime')).toContain('❌ differs');
    expect(ttlOnly.live).toEqual([]);
    const rounds = await probeAgainst({ lifetime: 'round-up-day' });
    expect(rounds.text).toMatch(/create, 1 hour: created \(201\); server gave 24 hours/);
  });

  it('reports the lifetimes a server refuses', async () => {
    const { result, text, minted, live } = await probeAgainst({ minLifetimeMs: 24 * 3_600_000 });
    expect(result.ok).toBe(false);
    expect(text).toMatch(/create, 5 minutes: refused \(422: .*24 hours, 7 days/);
    expect(verdictOf(text, 'every lifetime from 5 minutes up is accepted')).toContain('accepted: 24 hours; refused: 5 minutes, 1 hour');
    expect(minted).toHaveLength(3);
    expect(live).toEqual([]);
  });

  it.each(['missing-404', 'missing-405'] as const)('reports key endpoints that are %s, having minted nothing', async (keyEndpoints) => {
    const { result, text, minted } = await probeAgainst({ keyEndpoints });
    expect(result.ok).toBe(false);
    expect(minted).toEqual([]);
    expect(verdictOf(text, '`POST /api/v1/auth/keys` creates a key')).toContain('❌ differs');
  });

  it('revokes everything it minted when the list is unreadable, fails, or a create answer is lost', async () => {
    const unknown = await probeAgainst({ listShape: 'unknown' });
    expect(unknown.result.ok).toBe(false);
    expect(unknown.text).toMatch(/The probe stopped early: .*no key array .*\(fields: records, count\)/);
    expect(unknown.minted).toHaveLength(5);
    expect(unknown.live).toEqual([]);

    const failing = await probeAgainst({}, (kubiya) =>
      kubiya.injectFault({ method: 'GET', path: '/api/v1/auth/keys', kind: 'status', status: 500, times: Infinity }),
    );
    expect(failing.result.ok).toBe(false);
    expect(failing.text).toMatch(/stopped early: GET \/api\/v1\/auth\/keys answered 500/);
    expect(failing.live).toEqual([]);

    const lost = await probeAgainst({}, (kubiya) =>
      kubiya.injectFault({ method: 'POST', path: '/api/v1/auth/keys', kind: 'lost-response' }),
    );
    expect(lost.minted).toHaveLength(5);
    expect(lost.live).toEqual([]);
    expect(verdictOf(lost.text, 'everything the probe minted is revoked')).toContain('✅ holds');
  });

  it('stops at a host that gives no HTTP answer: names it and the error, checks nothing, and exits 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const probeEnv = { KUBIYA_API_URL: `http://127.0.0.1:${port}`, KUBIYA_ADMIN_API_KEY: 'admin-key-of-an-unreachable-host' };

    const result = await runCheck('probe', [], probeEnv, noSleep);
    const text = formatResult(result);
    expect(result.ok).toBe(false);
    expect(text).toContain(`could not reach 127.0.0.1:${port}: ECONNREFUSED`);
    expect(text, 'no verdict of an API difference').not.toMatch(/differs|refused:|holds/);
    const verdicts = text.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| assumption'));
    expect(verdicts.length).toBeGreaterThanOrEqual(12);
    for (const line of verdicts) expect(line).toContain('➖ not checked');
    expect(text.trimEnd().split('\n').at(-1)).toBe(`❌ nothing checked: 127.0.0.1:${port} could not be reached (ECONNREFUSED)`);

    const run = promisify(execFile);
    await expect(
      run(process.execPath, ['scripts/canary-check.ts', 'probe'], { cwd: repoRoot, env: { ...process.env, ...probeEnv } }),
    ).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('nothing checked') });
  });

  it('is `npm run canary`, which runs the script with Node directly', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['canary']).toBe('node scripts/require-node-24.mjs && node scripts/canary-check.ts probe');
  });
});
