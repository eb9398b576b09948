// Kubiya's key-management responses are not documented: the rotation works whichever of the plausible
// shapes the platform answers with — wrapped or flat create responses, a bare JWT, paged lists.
import { describe, expect } from 'vitest';
import type { KubiyaBehaviour } from '../sandbox/kubiya-emulator.ts';
import { DAY, expectExit, it, keyName, results, slotPrefix, type ResultEntry } from './world.ts';

const SHAPES: { label: string; behaviour: Partial<KubiyaBehaviour> }[] = [
  {
    label: 'a nested create response and a list paged by relative links',
    behaviour: { createResponseShape: 'nested', listShape: 'items', pageSize: 2, pageLinks: 'relative' },
  },
  {
    label: 'a bare JWT from create, a plain array oldest first, and /users/current',
    behaviour: { createResponseShape: 'jwt-only', listShape: 'array', listOrder: 'oldest-first', selfEndpoint: false },
  },
  {
    label: 'one key per page by absolute links, revoked keys listed',
    behaviour: { listShape: 'data', pageSize: 1, pageLinks: 'absolute', listRevoked: true },
  },
];

describe('Kubiya response shapes', () => {
  it.for(SHAPES)('rotates with $label', async ({ behaviour }, { world }) => {
    Object.assign(world.kubiya.options, behaviour);
    const older = [3, 2].map((days) => world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - days * DAY) }));
    const previous = world.seedRotatedSecret({ createdAt: new Date(Date.now() - DAY) });
    const gone = world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - 4 * DAY), revoked: true });
    const lookAlike = world.seedManagedKey({ runId: world.runId(), scope: 'acme/web-api' });
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expectExit(step, 0);

    const stored = world.secret();
    const key = world.keyOf(stored);
    expect(key.name).toBe(keyName({ runId }));
    expect(world.kubiya.isValid(stored!)).toBe(true);
    expect(step.outputs['key-id']).toBe(key.id);
    const superseded = [...older, previous].map((seeded) => seeded.id).sort();
    expect(results(step)[0]!.revokedKeyIds.slice().sort()).toEqual(superseded);
    expect(results(step)[0]!.revokedKeyIds).not.toContain(gone.id);
    expect(
      world
        .keysNamed(slotPrefix())
        .filter((candidate) => world.keyValid(candidate.id))
        .map((candidate) => candidate.id),
    ).toEqual([key.id]);
    expect(world.keyValid(lookAlike.id)).toBe(true);
  });

  it('revokes the key and keeps the secret when the create response carries no key', async ({ world }) => {
    world.kubiya.options.createResponseShape = 'no-key';
    const previous = world.seedRotatedSecret();
    const runId = world.runId();

    const step = await world.run({ github: { runId } });
    expectExit(step, 1);

    const minted = world.keysOfRun(runId);
    expect(minted).toHaveLength(1);
    expect(minted[0]!.revoked_at).not.toBeNull();
    expect(world.github.count('PUT')).toBe(0);
    expect(world.secret()).toBe(previous.token);
    expect(world.keyValid(previous.id)).toBe(true);
    expect(results(step)[0]).toMatchObject({ status: 'failed' });
  });
});

// A server that cuts a page before it filters it can serve a page with no entries that still says more follow.
describe('a key list that opens with an empty page saying more follow', () => {
  it('audit reports the keys after it (no false all-clear)', async ({ world }) => {
    Object.assign(world.kubiya.options, { pageSize: 2, paging: 'has-more', emptyPagesFirst: 1 });
    const dead = world.seedManagedKey({
      runId: world.runId(),
      createdAt: new Date(Date.now() - 40 * DAY),
      expiresAt: new Date(Date.now() - 10 * DAY),
    });

    const step = await world.run({ inputs: { mode: 'audit', 'github-token': undefined } });
    expectExit(step, 1);

    const [entry] = results(step) as (ResultEntry & { keys: { id: string }[]; findings: { kind: string; keyIds: string[] }[] })[];
    expect(entry!.keys.map((key) => key.id)).toEqual([dead.id]);
    expect(entry!.findings).toEqual([expect.objectContaining({ kind: 'expired', keyIds: [dead.id] })]);
  });

  it.for(['cursor', 'page-total-limit'] as const)(
    'rotate (%s paging) revokes the superseded key listed after it',
    async (paging, { world }) => {
      Object.assign(world.kubiya.options, { pageSize: 2, paging, emptyPagesFirst: 1 });
      const previous = world.seedRotatedSecret({ createdAt: new Date(Date.now() - DAY) });
      const runId = world.runId();

      const step = await world.run({ github: { runId } });
      expectExit(step, 0);

      expect(world.keyOf(world.secret()).name).toBe(keyName({ runId }));
      expect(results(step)[0]!.revokedKeyIds).toEqual([previous.id]);
      expect(world.keyValid(previous.id), 'the superseded key is revoked').toBe(false);
    },
  );
});
