import { beforeEach, describe, expect, it } from 'vitest';
import * as mintMode from '../../src/modes/mint.ts';
import * as revokeMode from '../../src/modes/revoke.ts';
import { ServiceError } from '../../src/service-error.ts';
import { Calls, FakeKeys } from './fakes.ts';

const ENV = { GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '500', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'deploy' };
const NOW = new Date('2026-11-27T12:00:00Z');

function inputs(given: Record<string, string>) {
  const all: Record<string, string> = { 'admin-api-key': 'admin', 'export-env': 'KUBIYA_API_KEY', ...given };
  return (name: string) => all[name] ?? '';
}
const mintConfig = (given: Record<string, string> = {}) => mintMode.parse(inputs({ mode: 'mint', ...given }), ENV);
const revokeConfig = (given: Record<string, string> = {}) => revokeMode.parse(inputs({ mode: 'revoke', ...given }), ENV);

let calls: Calls;
let keys: FakeKeys;
const log = { info: () => {}, warning: () => {}, done: () => {} };

beforeEach(() => {
  calls = new Calls();
  keys = new FakeKeys(calls);
});

describe('mint mode', () => {
  const state = new Map<string, string>();
  const deps = () => ({
    keys,
    log,
    now: () => NOW,
    state: { save: (name: string, value: string) => void state.set(name, value), get: (name: string) => state.get(name) ?? '' },
  });

  it('mints a one-hour key named after the job, remembers it for the post step, then verifies it', async () => {
    const { result, minted } = await mintMode.mint(mintConfig(), deps());
    expect(result).toMatchObject({ status: 'minted', keyName: 'gha:acme/web/job/deploy:KUBIYA_API_KEY:run-500-2', target: 'acme/web' });
    expect(result.expiresAt).toEqual(new Date(NOW.getTime() + 3_600_000));
    expect(minted?.token).toBe(keys.tokenOf(result.keyId!));
    expect(state.get('key-id')).toBe(result.keyId);
    expect(state.get('key-name')).toBe(result.keyName);
    expect(calls.log).toEqual(['create:gha:acme/web/job/deploy:KUBIYA_API_KEY:run-500-2', 'verify']);
  });

  it('revokes the key and exposes nothing when it does not authenticate', async () => {
    calls.fail('verify', new ServiceError('Kubiya did not accept the new key (HTTP 401)', { status: 401 }));
    const { result, minted } = await mintMode.mint(mintConfig(), deps());
    expect(minted).toBeUndefined();
    expect(result.error).toMatch(/^verify: .*was revoked/);
    expect(keys.live()).toEqual([]);
  });

  it('leaves nothing for the post step when the create was refused: it minted nothing', async () => {
    for (const status of [401, 403, 422]) {
      state.clear();
      calls.fail('create', new ServiceError(`Kubiya refused creating key (HTTP ${status})`, { status }));
      const { result } = await mintMode.mint(mintConfig(), deps());
      expect(result.status).toBe('failed');
      expect(state.get('key-name') ?? '', `HTTP ${status}: no name for the post step`).toBe('');
      expect(state.get('key-id') ?? '').toBe('');
    }
  });

  it('keeps the name for the post step when the create may have minted a key (no answer, 5xx, a refusal after a lost attempt)', async () => {
    const unknown = [
      new ServiceError('Kubiya did not answer', { outcomeUnknown: true }),
      new ServiceError('Kubiya failed (HTTP 503)', { status: 503 }),
      new ServiceError('Kubiya refused (HTTP 429)', { status: 429, outcomeUnknown: true }),
    ];
    for (const error of unknown) {
      state.clear();
      calls.fail('create', error);
      await mintMode.mint(mintConfig(), deps());
      expect(state.get('key-name'), error.message).toBe('gha:acme/web/job/deploy:KUBIYA_API_KEY:run-500-2');
    }
  });

  it('plans without minting in a dry-run', async () => {
    const { result } = await mintMode.mint(mintConfig({ 'dry-run': 'true' }), deps());
    expect(result.status).toBe('planned');
    expect(calls.log).toEqual(['whoami', 'list']);
  });

  it('needs no github-token, and rejects a bad export-env', () => {
    expect(mintConfig().exportEnv).toBe('KUBIYA_API_KEY');
    expect(mintConfig({ 'export-env': '' }).exportEnv).toBe('');
    expect(() => mintConfig({ 'export-env': 'GITHUB_TOKEN' })).toThrow(/'export-env'/);
  });
});

describe('mint mode: the post step of a create that was never confirmed', () => {
  const NAME = 'gha:acme/web/job/deploy:KUBIYA_API_KEY:run-500-2';
  const MINT_ID = 'c0ffee00';
  let warnings: string[];
  const post = () => {
    const state = new Map([
      ['key-name', NAME],
      ['mint-id', MINT_ID],
    ]);
    const postLog = { info: () => {}, warning: (text: string) => void warnings.push(text) };
    return mintMode.revokeJobKey({ keys, state: { save: () => {}, get: (name) => state.get(name) ?? '' }, log: postLog, now: () => NOW });
  };
  beforeEach(() => {
    warnings = [];
  });
  const seed = (description?: string) => {
    const key = keys.seed(NAME, new Date('2026-11-27T11:59:00Z'));
    if (description !== undefined) key.description = description;
    return key;
  };

  it("revokes the key that carries this step's mint id, and not another step's key of the same name", async () => {
    const other = seed('CI key (mint 5ib1in65) for …');
    const own = seed(`CI key (mint ${MINT_ID}) for …`);
    await post();
    expect(keys.live()).toEqual([other.id]);
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([`revoke:${own.id}`]);
    expect(warnings).toEqual([]);
  });

  it('revokes nothing, and warns naming them, when the list carries no descriptions', async () => {
    const a = seed();
    const b = seed();
    await post();
    expect(
      calls.log.filter((call) => call.startsWith('revoke')),
      "another step's key may be among them",
    ).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no description, so none can be proven this step's/);
    expect(warnings[0]).toContain(`id ${a.id}, id ${b.id}`);
    expect(warnings[0]).toMatch(/orphan-job-key/);
  });

  it("revokes nothing, and warns, when several keys carry this step's mint id", async () => {
    const a = seed(`CI key (mint ${MINT_ID}) for …`);
    const b = seed(`CI key (mint ${MINT_ID}) for …`);
    await post();
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([]);
    expect(warnings[0]).toContain(`2 listed keys carry this step's mint id ${MINT_ID}: id ${a.id}, id ${b.id}`);
  });

  it("neither revokes nor warns when only other steps' keys carry the name", async () => {
    seed('CI key (mint 5ib1in65) for …');
    await post();
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('revoke mode', () => {
  const deps = () => ({ keys, log: { forSlot: () => log }, now: () => NOW });

  it("revokes every live key of each target's slot and nothing else", async () => {
    const a = keys.seed('gha:acme/web:KUBIYA_API_KEY:run-1-1', new Date('2026-11-01T00:00:00Z'));
    const b = keys.seed('gha:acme/web:KUBIYA_API_KEY:run-2-1', new Date('2026-11-08T00:00:00Z'));
    const other = keys.seed('gha:acme/web-api:KUBIYA_API_KEY:run-2-1', new Date('2026-11-08T00:00:00Z'));
    const results = await revokeMode.revokeAll(revokeConfig({ repositories: 'web, tools' }), deps());
    expect(results.map((result) => [result.target, result.status, result.revokedKeys.map((key) => key.id)])).toEqual([
      ['acme/web', 'revoked', [a.id, b.id]],
      ['acme/tools', 'revoked', []],
    ]);
    expect(keys.live()).toEqual([other.id]);
  });

  it('lists what it would revoke in a dry-run', async () => {
    keys.seed('gha:acme/web:KUBIYA_API_KEY:run-1-1', new Date('2026-11-01T00:00:00Z'));
    const [result] = await revokeMode.revokeAll(revokeConfig({ 'dry-run': 'true' }), deps());
    expect(result).toMatchObject({ status: 'planned' });
    expect(result!.revokedKeys).toHaveLength(1);
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([]);
  });
});
