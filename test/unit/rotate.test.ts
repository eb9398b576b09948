import { beforeEach, describe, expect, it } from 'vitest';
import { parse, rotate, type RotateConfig } from '../../src/modes/rotate.ts';
import type { RunLog } from '../../src/slot-run.ts';
import { ServiceError } from '../../src/service-error.ts';
import { Calls, FakeKeys, FakeSecrets } from './fakes.ts';

const ENV = { GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '500', GITHUB_RUN_ATTEMPT: '1' };
const NOW = new Date('2026-11-27T12:00:00Z');
const NAME = 'gha:acme/web:KUBIYA_API_KEY:run-500-1';
const PREVIOUS = 'gha:acme/web:KUBIYA_API_KEY:run-400-1';

function config(inputs: Record<string, string> = {}): RotateConfig {
  const all: Record<string, string> = { 'admin-api-key': 'admin', 'github-token': 'token', ...inputs };
  return parse((name) => all[name] ?? '', ENV);
}

let calls: Calls;
let keys: FakeKeys;
let secrets: FakeSecrets;
let warnings: string[];
const log: RunLog = { forSlot: () => ({ info: () => {}, warning: (text) => warnings.push(text), done: () => {} }) };
const deps = () => ({ keys, secrets, log, now: () => NOW });

beforeEach(() => {
  calls = new Calls();
  keys = new FakeKeys(calls);
  secrets = new FakeSecrets(calls);
  warnings = [];
});

describe('rotate', () => {
  it('mints, verifies, writes the secret, and only then revokes the key it replaced', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    const [result] = await rotate(config(), deps());

    expect(result).toMatchObject({ target: 'acme/web', status: 'rotated', keyName: NAME });
    expect(calls.log.slice(0, 3).sort()).toEqual(['list', 'prepare:acme/web', 'whoami']);
    expect(calls.log.slice(3)).toEqual([`create:${NAME}`, 'verify', 'list', 'put:acme/web', `revoke:${previous.id}`]);
    expect(secrets.values.get('acme/web')).toBe(keys.tokenOf(result!.keyId!));
    expect(keys.live()).toEqual([result!.keyId]);
    expect(result!.revokedKeys.map((key) => key.id)).toEqual([previous.id]);
  });

  it('leaves keys of other slots and foreign keys alone', async () => {
    keys.seed('gha:acme/web-api:KUBIYA_API_KEY:run-1-1', new Date('2026-11-01T00:00:00Z'));
    keys.seed('gha:acme/web:OTHER:run-1-1', new Date('2026-11-01T00:00:00Z'));
    keys.seed('laptop', new Date('2026-11-01T00:00:00Z'));
    await rotate(config(), deps());
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([]);
  });

  it('revokes the new key and keeps the old one when verification fails', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    calls.fail('verify', new ServiceError('Kubiya did not accept the new key (HTTP 401)', { status: 401 }));
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/^verify: Kubiya did not accept the new key .*was revoked, and the secret still holds its previous key/);
    expect(calls.log).not.toContain('put:acme/web');
    expect(keys.live()).toEqual([previous.id]);
  });

  it('revokes the new key when the secret write is refused', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    calls.fail('put', new ServiceError('GitHub refused writing', { status: 403 }));
    const [result] = await rotate(config(), deps());
    expect(result!.error).toMatch(/^secret write: GitHub refused writing/);
    expect(keys.live()).toEqual([previous.id]);
  });

  it('revokes neither key when the outcome of the secret write is unknown', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    calls.fail('put', new ServiceError('GitHub did not answer', { outcomeUnknown: true }));
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/neither was revoked/);
    expect(keys.live()).toEqual([previous.id, result!.keyId]);
  });

  it('fails the slot, with the new key in the secret, when a superseded key cannot be revoked', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    calls.fail(`revoke:${previous.id}`);
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/^revocation: 1 superseded key\(s\) could not be revoked/);
    expect(secrets.values.get('acme/web')).toBe(keys.tokenOf(result!.keyId!));
  });

  it('steps back when a newer run minted a key for the slot meanwhile', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    keys.afterCreate = () => {
      keys.afterCreate = undefined;
      keys.seed('gha:acme/web:KUBIYA_API_KEY:run-600-1', new Date('2026-11-28T00:00:00Z'));
    };
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'skipped' });
    expect(calls.log).not.toContain('put:acme/web');
    expect(calls.log).not.toContain(`revoke:${previous.id}`);
    expect(keys.live()).not.toContain(result!.keyId);
    expect(warnings[0]).toMatch(/stepped back.*concurrency group/);
  });

  it('mints nothing when the admin key is rejected', async () => {
    calls.fail('whoami', new ServiceError('Kubiya rejected admin-api-key', { status: 401 }));
    const results = await rotate(config({ repositories: 'web, api' }), deps());
    expect(results.map((result) => result.status)).toEqual(['failed', 'failed']);
    expect(results[0]!.error).toBe('Kubiya rejected admin-api-key');
    expect(calls.log.some((call) => call.startsWith('create'))).toBe(false);
  });

  it('rotates the other repositories when one cannot be written', async () => {
    calls.fail('prepare:acme/api', new ServiceError('GitHub refused', { status: 404 }));
    const results = await rotate(config({ repositories: 'web, api, tools' }), deps());
    expect(results.map((result) => [result.target, result.status])).toEqual([
      ['acme/web', 'rotated'],
      ['acme/api', 'failed'],
      ['acme/tools', 'rotated'],
    ]);
    expect(calls.log.filter((call) => call.startsWith('create'))).toHaveLength(2);
  });

  it('keeps the key it just superseded during the grace period', async () => {
    const old = keys.seed('gha:acme/web:KUBIYA_API_KEY:run-300-1', new Date('2026-11-01T00:00:00Z'));
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    const [result] = await rotate(config({ 'grace-period': '1d' }), deps());
    expect(result!.revokedKeys.map((key) => key.id)).toEqual([old.id]);
    expect(result!.keptKeys.map((key) => key.id)).toEqual([previous.id]);
  });

  it('plans in a dry-run and sends nothing that changes state', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    const [result] = await rotate(config({ 'dry-run': 'true' }), deps());
    expect(result).toMatchObject({ status: 'planned', keyName: NAME });
    expect(result!.revokedKeys.map((key) => key.id)).toEqual([previous.id]);
    expect(calls.log.sort()).toEqual(['list', 'prepare:acme/web', 'whoami']);
  });

  it('plans without GitHub access when no token is given', async () => {
    const [result] = await rotate(config({ 'dry-run': 'true', 'github-token': '' }), { ...deps(), secrets: undefined });
    expect(result!.note).toMatch(/GitHub access not checked: no github-token given/);
    expect(calls.log.sort()).toEqual(['list', 'whoami']);
  });
});

describe('rotate without a concurrency group', () => {
  it('keeps a superseded key minted minutes before its own, naming it: it may still be on its way into the secret', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    const overlapping = keys.seed('gha:acme/web:KUBIYA_API_KEY:run-499-1', new Date('2026-11-27T11:58:00Z'));
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'rotated' });
    expect(result!.revokedKeys.map((key) => key.id)).toEqual([previous.id]);
    expect(result!.inFlightKeys.map((key) => key.id)).toEqual([overlapping.id]);
    expect(result!.note).toMatch(/may still be on its way into the secret/);
    expect(keys.live()).toContain(overlapping.id);
  });

  it('sends no write past the deadline after its key was minted, and rolls back', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    // The first reading is when the create answered; by the write, six minutes have passed (a slow verify and re-list).
    let readings = 0;
    const monotonicMs = () => (readings++ === 0 ? 0 : 6 * 60_000);
    const [result] = await rotate(config(), { ...deps(), monotonicMs });
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/^secret write: no write was sent more than 5 minutes after the key was minted.*was revoked/);
    expect(calls.log).not.toContain('put:acme/web');
    expect(keys.live()).toEqual([previous.id]);
  });

  it('rolls back when the re-list never shows the key just minted: it cannot be trusted to show a newer one', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    keys.afterCreate = () => keys.unlisted.add(keys.keys.at(-1)!.id);
    const slept: number[] = [];
    const [result] = await rotate(config(), { ...deps(), sleep: async (ms: number) => void slept.push(ms) });
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/^list: Kubiya's key list does not show the key just minted/);
    expect(slept, 'listed again once, a couple of seconds later').toEqual([2_000]);
    expect(keys.live()).toEqual([previous.id]);
  });

  it('goes on when the second listing shows the key just minted', async () => {
    keys.afterCreate = () => keys.unlisted.add(keys.keys.at(-1)!.id);
    const [result] = await rotate(config(), { ...deps(), sleep: async () => void keys.unlisted.clear() });
    expect(result).toMatchObject({ status: 'rotated' });
  });

  it('warns when Kubiya gives another expiry than the ttl asked for, and reports the one it gave', async () => {
    keys.givesExpiry = new Date('2027-11-27T12:00:00Z');
    const [result] = await rotate(config({ ttl: '30d' }), deps());
    expect(result!.expiresAt).toEqual(keys.givesExpiry);
    expect(warnings.join('\n')).toMatch(/gave key .* the expiry 2027-11-27T12:00:00.000Z, not the 2026-12-27T12:00:00.000Z asked for/);
  });

  it('steps back for a newer key of another job of the same run (same name), and does not revoke it', async () => {
    keys.afterCreate = () => {
      keys.afterCreate = undefined;
      const peer = keys.seed(NAME, new Date('2026-11-27T12:00:05Z'));
      peer.description = 'CI key (mint feedbeef) for …';
    };
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'skipped' });
    expect(keys.keys.filter((key) => key.name === NAME && !key.revoked)).toHaveLength(1);
  });
});

describe('rotate: the re-list shows the new key dead', () => {
  it('fails before the write, and revokes nothing, when someone revoked the new key between its creation and the write', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    keys.afterCreate = () => void (keys.keys.at(-1)!.revoked = true);
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'failed', keyName: NAME, revokedKeys: [] });
    expect(result!.error).toMatch(
      /^list: .* shows the new key .* revoked: someone or something revoked it between its creation and the write/,
    );
    expect(result!.error).toMatch(/secret still holds its previous key.*run the rotation again/);
    expect(calls.log, 'no write').not.toContain('put:acme/web');
    expect(
      calls.log.filter((call) => call.startsWith('revoke')),
      'nothing revoked, the dead key included',
    ).toEqual([]);
    expect(keys.live()).toEqual([previous.id]);
  });

  it('fails before the write, and revokes nothing, when the re-list shows the new key already expired', async () => {
    const previous = keys.seed(PREVIOUS, new Date('2026-11-20T00:00:00Z'));
    keys.afterCreate = () => void (keys.keys.at(-1)!.expiresAt = new Date(NOW.getTime() - 1000));
    const [result] = await rotate(config(), deps());
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/shows the new key .* expired \(at 2026-11-27T11:59:59.000Z\)/);
    expect(calls.log).not.toContain('put:acme/web');
    expect(calls.log.filter((call) => call.startsWith('revoke'))).toEqual([]);
    expect(keys.live()).toContain(previous.id);
  });
});
