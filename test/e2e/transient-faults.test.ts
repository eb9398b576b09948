// Transient faults — a 5xx, a rate limit — are retried (a bounded number of times, honouring
// Retry-After) and the rotation succeeds as if nothing happened.
import { describe, expect } from 'vitest';
import type { World } from './world.ts';
import { KEYS_PATH, PUBLIC_KEY_PATH, SECRET_PATH, SELF_PATH, expectExit, failure, it, slotPrefix } from './world.ts';

/** The rotation completed: the secret holds the only live managed key, and the previous one is revoked. */
function expectRotated(world: World, previous: { id: string }): void {
  const stored = world.secret();
  expect(world.kubiya.isValid(stored!)).toBe(true);
  const live = world.keysNamed(slotPrefix()).filter((key) => world.keyValid(key.id));
  expect(live.map((key) => key.token)).toEqual([stored]);
  expect(world.keyValid(previous.id)).toBe(false);
}

describe('transient faults', () => {
  it('retries a 502 from the Kubiya key list and from the GitHub public key, and succeeds', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'GET', path: KEYS_PATH, kind: 'status', status: 502, body: 'Bad Gateway' });
    world.github.injectFault({ method: 'GET', path: PUBLIC_KEY_PATH, kind: 'status', status: 502, body: { message: 'Server Error' } });

    const step = await world.run();
    expectExit(step, 0);

    expect(
      world.kubiya
        .matching('GET', KEYS_PATH)
        .map((request) => request.status)
        .slice(0, 2),
    ).toEqual([502, 200]);
    expect(world.github.matching('GET', PUBLIC_KEY_PATH).map((request) => request.status)).toEqual([502, 200]);
    expectRotated(world, previous);
  });

  it('retries a 502 from the Kubiya mint and from the GitHub PUT, and succeeds with one key', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'POST', path: KEYS_PATH, kind: 'status', status: 502, body: 'Bad Gateway' });
    world.github.injectFault({ method: 'PUT', path: SECRET_PATH, kind: 'status', status: 502, body: { message: 'Server Error' } });

    const step = await world.run();
    expectExit(step, 0);

    expect(world.kubiya.matching('POST', KEYS_PATH).map((request) => request.status)).toEqual([502, 201]);
    expect(
      world.kubiyaRequestBetween({ method: 'POST', path: KEYS_PATH }, 0, { method: 'GET', path: KEYS_PATH }),
      'a mint answered 5xx is reconciled by a listing before it is repeated',
    ).toBe(true);
    expect(world.github.matching('PUT', SECRET_PATH).map((request) => request.status)).toEqual([502, 204]);
    expectRotated(world, previous);
  });

  it('waits out a Kubiya 429 for the Retry-After it names, then succeeds', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({
      method: 'GET',
      path: SELF_PATH,
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      body: { detail: 'Too many requests' },
    });

    const step = await world.run();
    expectExit(step, 0);

    const [limited, retried] = world.kubiya.matching('GET', SELF_PATH);
    expect(limited?.status).toBe(429);
    expect(retried?.status).toBe(200);
    // The backoff base is 10 ms in these tests: only Retry-After explains a wait of a second.
    expect(retried!.startedAt - limited!.endedAt!).toBeGreaterThanOrEqual(950);
    expectRotated(world, previous);
  });

  it("waits out GitHub's secondary rate limit on the PUT, then succeeds", async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.github.injectFault({
      method: 'PUT',
      path: SECRET_PATH,
      kind: 'status',
      status: 403,
      headers: { 'retry-after': '1' },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    });

    const step = await world.run();
    expectExit(step, 0);

    expect(world.github.matching('PUT', SECRET_PATH).map((request) => request.status)).toEqual([403, 204]);
    expectRotated(world, previous);
  });

  it('fails at once instead of waiting out a Retry-After beyond 60 s', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({
      method: 'GET',
      path: SELF_PATH,
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { detail: 'Too many requests' },
    });

    const step = await world.run();
    expectExit(step, 1);

    expect(world.kubiya.count('GET', SELF_PATH)).toBe(1);
    // Not a speed check: a run that waited out the hour (or the 60 s cap) would be far past this.
    expect(step.durationMs).toBeLessThan(30_000);
    expect(failure(step)).toContain('3600');
    expect(world.writes()).toHaveLength(0);
    expect(world.secret()).toBe(previous.token);
  });

  it('gives up on a Kubiya request that never answers, after its timeout and 3 retries, before minting', async ({ world }) => {
    const previous = world.seedRotatedSecret();
    world.kubiya.injectFault({ method: 'GET', path: SELF_PATH, kind: 'hang', times: Infinity });

    const step = await world.run({ env: { KUBIYA_ACTION_REQUEST_TIMEOUT_MS: '300' } });
    expectExit(step, 1);

    expect(world.kubiya.count('GET', SELF_PATH)).toBe(4);
    expect(world.writes()).toHaveLength(0);
    expect(world.secret()).toBe(previous.token);
    expect(failure(step)).toMatch(/did not answer/);
  });
});
