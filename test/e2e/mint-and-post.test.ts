// mode: mint — a key for one job, masked, exposed to later steps, revoked by the action's post step.
import { describe, expect } from 'vitest';
import { isMaskedBeforeUse, maskIndexOf } from '../sandbox/runner.ts';
import type { AllowedPlace } from '../sandbox/leak-scan.ts';
import { intercept } from '../faults/harness.ts';
import type { World } from './world.ts';
import { HOUR, KEYS_PATH, KEY_PATH, SELF_PATH, annotations, at, expectExit, it, keyName, results } from './world.ts';

/** Where mint mode is meant to put the key. */
const KEY_PLACES: AllowedPlace[] = ['output:api-key', 'env:KUBIYA_API_KEY'];
const MINT = { mode: 'mint', 'github-token': undefined } as const;

describe('mode: mint', () => {
  it('mints a verified, masked key for the job, exports it, and the post step revokes it', async ({ world }) => {
    const runId = world.runId();
    const before = Date.now();
    const { main, post } = await world.job({
      inputs: MINT,
      github: { runId, runAttempt: '2', job: 'deploy' },
      allow: KEY_PLACES,
    });
    const after = Date.now();
    expectExit(main, 0);

    const apiKey = main.outputs['api-key'];
    const key = world.keyOf(apiKey);
    expect(key.name).toBe(keyName({ runId, attempt: 2, scope: 'acme/web/job/deploy' }));
    expect(key.name).toBe(`gha:acme/web/job/deploy:KUBIYA_API_KEY:run-${runId}-2`);
    expect(at(key.expires_at)).toBeGreaterThanOrEqual(before + HOUR - 1000);
    expect(at(key.expires_at)).toBeLessThanOrEqual(after + HOUR + 1000);
    const verification = world.kubiya
      .matching('GET', SELF_PATH)
      .find((request) => request.headers['authorization'] === `UserKey ${apiKey}`);
    expect(verification?.status, 'Kubiya accepted the key when the action verified it').toBe(200);

    expect(maskIndexOf(main, apiKey!), 'the key is masked').toBeGreaterThanOrEqual(0);
    expect(isMaskedBeforeUse(main, apiKey!), '... before it appears anywhere').toBe(true);
    expect(main.env).toEqual({ KUBIYA_API_KEY: apiKey });
    // The name and the create's id are saved before the create is sent, so a cancelled job's key is still found.
    expect(Object.keys(main.state).sort(), 'state holds the key name, the create id, the key id and expiry').toEqual([
      'expires-at',
      'key-id',
      'key-name',
      'mint-id',
    ]);
    expect(main.state['key-name']).toBe(key.name);
    expect(key.description).toContain(`(mint ${main.state['mint-id']})`);
    expect(main.state['key-id']).toBe(key.id);
    expect(at(main.state['expires-at'])).toBe(at(key.expires_at));
    expect(main.outputs['key-id']).toBe(key.id);
    expect(main.outputs['key-name']).toBe(key.name);
    expect(at(main.outputs['expires-at'])).toBe(at(key.expires_at));
    expect(results(main)[0]).toMatchObject({ target: 'acme/web', status: 'minted', keyId: key.id, keyName: key.name });
    expect(world.github.requests, 'mint mode needs no GitHub access').toHaveLength(0);

    expect(post, 'the action has a post step').toBeDefined();
    expectExit(post!, 0);
    expect(world.kubiya.isValid(apiKey!), 'the post step revoked the key').toBe(false);
    expect(world.kubiya.keyById(key.id)?.revoked_at).not.toBeNull();
    expect(world.kubiya.matching('DELETE', KEY_PATH).map((request) => request.path)).toEqual([`/api/v1/auth/keys/${key.id}`]);
    expect(annotations(post!, 'warning')).toEqual([]);
  });

  it('leaves the key valid after the job with revoke-on-exit: false', async ({ world }) => {
    const { main, post } = await world.job({
      inputs: { ...MINT, 'revoke-on-exit': 'false' },
      github: { job: 'deploy' },
      allow: KEY_PLACES,
    });
    expectExit(main, 0);
    expectExit(post!, 0);

    expect(world.kubiya.isValid(main.outputs['api-key']!), 'the key outlives the job').toBe(true);
    expect(world.kubiya.count('DELETE')).toBe(0);
    expect(main.state['key-id'] ?? '', 'nothing for the post step to revoke').toBe('');
  });

  it("exports nothing with export-env: ''", async ({ world }) => {
    const { main, post } = await world.job({
      inputs: { ...MINT, 'export-env': '' },
      github: { job: 'deploy' },
      allow: ['output:api-key'],
    });
    expectExit(main, 0);
    expectExit(post!, 0);

    expect(main.env, 'no variable exported').toEqual({});
    expect(main.files.env).toBe('');
    const key = world.keyOf(main.outputs['api-key']);
    expect(results(main)[0]).toMatchObject({ status: 'minted', keyId: key.id });
    expect(key.revoked_at, 'the post step still revoked it').not.toBeNull();
  });

  it('revokes, by its exact name, a key whose create was in flight when the job was cancelled', async ({ world }) => {
    const { name, sibling, post } = await cancelledDuringCreate(world);
    const orphan = world.keysNamed(name).find((key) => key.id !== sibling.id)!;
    expect(orphan, 'the create took effect').toBeDefined();
    expect(world.keyValid(orphan.id), "the post step revoked the cancelled job's key").toBe(false);
    expect(world.keyValid(sibling.id), "the sibling job's key with the same name is not this job's").toBe(true);
    expect(annotations(post, 'warning')).toEqual([]);
  });

  it("revokes no key, and warns naming them, when the list carries no descriptions: another step's key may be among them", async ({
    world,
  }) => {
    world.kubiya.options.omitListFields = ['description'];
    const { name, sibling, post } = await cancelledDuringCreate(world);
    const orphan = world.keysNamed(name).find((key) => key.id !== sibling.id)!;
    expect(world.keyValid(sibling.id), "the other step's key still works").toBe(true);
    expect(world.keyValid(orphan.id), 'nothing provably this step’s: left to its own expiry').toBe(true);
    expect(world.kubiya.count('DELETE', KEY_PATH)).toBe(0);
    const warnings = annotations(post, 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(name);
    expect(warnings[0]).toContain(`id ${sibling.id}`);
    expect(warnings[0]).toContain(`id ${orphan.id}`);
    expect(warnings[0]).toContain('orphan-job-key');
  });

  it('sends nothing and warns about nothing in the post step when the create was refused: it minted nothing', async ({ world }) => {
    world.kubiya.injectFault({
      method: 'POST',
      path: KEYS_PATH,
      kind: 'status',
      status: 403,
      body: { detail: 'You do not have permission to manage API keys' },
    });
    const { main, post } = await world.job({ inputs: MINT, github: { job: 'deploy' }, allow: KEY_PLACES });
    expectExit(main, 1);
    expect(main.state['key-name'] ?? '', 'no key name left for the post step').toBe('');
    expect(main.state['key-id'] ?? '').toBe('');
    const before = world.kubiya.requests.length;
    expectExit(post!, 0);
    expect(world.kubiya.requests.length, 'the post step sent no request').toBe(before);
    expect(annotations(post!, 'warning')).toEqual([]);
  });

  it('does not revoke, or warn about, a key that has already expired', async ({ world }) => {
    const main = await world.run({ inputs: MINT, github: { job: 'deploy' }, allow: KEY_PLACES });
    expectExit(main, 0);
    const key = world.keyOf(main.outputs['api-key']);
    const past = new Date(Date.now() - 60_000).toISOString();
    key.expires_at = past;

    const post = await world.run({
      entry: 'post',
      inputs: MINT,
      github: { job: 'deploy' },
      state: { ...main.state, 'expires-at': past },
      env: main.env,
      allow: KEY_PLACES,
    });
    expectExit(post, 0);

    expect(annotations(post, 'warning')).toEqual([]);
    expect(annotations(post, 'error')).toEqual([]);
    expect(world.kubiya.count('DELETE'), 'no DELETE for an expired key').toBe(0);
  });

  it('only warns when the post step cannot revoke the key', async ({ world }) => {
    world.kubiya.injectFault({ method: 'DELETE', path: KEY_PATH, kind: 'status', status: 500, times: Infinity });

    const { main, post } = await world.job({ inputs: MINT, github: { job: 'deploy' }, allow: KEY_PLACES });
    expectExit(main, 0);
    expectExit(post!, 0);

    const key = world.keyOf(main.outputs['api-key']);
    const warnings = annotations(post!, 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(key.id);
    expect(annotations(post!, 'error')).toEqual([]);
    expect(world.kubiya.count('DELETE', KEY_PATH), 'the DELETE was retried').toBe(4);
    expect(world.kubiya.isValid(main.outputs['api-key']!), 'the key lives until its expiry').toBe(true);
  });

  it('exposes nothing and revokes the key when the new key fails verification', async ({ world }) => {
    // Mint mode's only identity check is the new key's (a bad admin key fails the mint itself).
    world.kubiya.injectFault({
      method: 'GET',
      path: SELF_PATH,
      kind: 'status',
      status: 401,
      body: { detail: 'Invalid or expired API key' },
    });
    const runId = world.runId();

    const { main, post } = await world.job({ inputs: MINT, github: { runId, job: 'deploy' }, allow: KEY_PLACES });
    expectExit(main, 1);
    expectExit(post!, 0);

    const minted = world.keysOfRun(runId, { scope: 'acme/web/job/deploy' });
    expect(minted).toHaveLength(1);
    expect(world.kubiya.matching('GET', SELF_PATH)[0]?.headers['authorization'], 'the refused check was the new key').toBe(
      `UserKey ${minted[0]!.token}`,
    );
    expect(minted[0]!.revoked_at, 'the unverified key is revoked').not.toBeNull();
    expect(main.outputs['api-key'] ?? '', 'no api-key output').toBe('');
    expect(main.env, 'nothing exported').toEqual({});
    expect(results(main)[0]).toMatchObject({ status: 'failed' });
    expect(annotations(post!, 'warning')).toEqual([]);
  });
});

/**
 * A mint step cancelled while its create is in flight (the create takes effect, its answer never comes), with a key
 * of the same name from another mint step of the job (another leg of the same matrix: same job id and run), then
 * its post step.
 */
async function cancelledDuringCreate(world: World) {
  let created!: () => void;
  const createdKey = new Promise<void>((resolve) => (created = resolve));
  intercept(world.kubiya, async (request, handle) => {
    if (request.method !== 'POST' || request.path !== KEYS_PATH) return handle();
    await handle();
    created();
    return new Promise(() => {});
  });
  const runId = world.runId();
  const name = keyName({ runId, scope: 'acme/web/job/deploy' });
  const sibling = world.seedKey({ name, description: 'CI key (mint 5ib1in65) for the KUBIYA_API_KEY secret of acme/web' });

  const main = await world.run({
    inputs: MINT,
    github: { runId, job: 'deploy' },
    env: { KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '60000' }, // the step is killed long before it would give up
    allow: KEY_PLACES,
    timeoutMs: 3_000,
  });
  await createdKey;
  expect(main.timedOut, 'the step was killed while the create was in flight').toBe(true);
  expect(main.state['key-id'] ?? '', 'no id reached the state').toBe('');
  expect(main.state['key-name']).toBe(name);

  const post = await world.run({ entry: 'post', inputs: MINT, github: { runId, job: 'deploy' }, state: main.state });
  expectExit(post, 0);
  return { name, sibling, post };
}
