// Kubiya limiting the action to 2 requests per second for the whole run: the run slows down, it does not fail.
// After a 429 the client paces its requests, and a request held back by that pacing has not used a retry.
import { describe, expect } from 'vitest';
import { DAY, HOUR, SECRET, expectExit, it, keyName, results } from './world.ts';

/** Room for a paced run: at 2 requests per second, 60 revocations alone take 30 s. Not a speed check. */
const SLOW = { timeoutMs: 240_000 };
const TEST_TIMEOUT = 250_000;

describe('under a sustained Kubiya rate limit of 2 requests per second', () => {
  it(
    'revoke mode revokes all 60 keys and exits 0',
    async ({ world }) => {
      const keys = Array.from({ length: 60 }, (_, i) =>
        world.seedManagedKey({ runId: world.runId(), createdAt: new Date(Date.now() - (100 - i) * HOUR) }),
      );
      world.kubiya.options.rateLimitPerSecond = 2;

      const step = await world.run({ ...SLOW, inputs: { mode: 'revoke', 'github-token': undefined } });
      expectExit(step, 0);

      for (const key of keys) expect(world.keyValid(key.id), `${key.name} revoked`).toBe(false);
      expect(results(step)[0]).toMatchObject({ status: 'revoked', error: null });
      expect(results(step)[0]!.revokedKeyIds).toHaveLength(60);
      expect(world.kubiya.rateLimited, 'the limit was met').toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );

  it(
    'rotate serves all 10 slots: each gets a new key and its superseded key is revoked',
    async ({ world }) => {
      const repos = Array.from({ length: 10 }, (_, i) => `acme/svc-${i}`);
      const previous = repos.map((repo) => {
        world.github.addRepo(repo);
        const key = world.seedManagedKey({ runId: world.runId(), scope: repo, createdAt: new Date(Date.now() - DAY) });
        world.github.seedSecret({ repo }, SECRET, key.token);
        return key;
      });
      world.kubiya.options.rateLimitPerSecond = 2;
      const runId = world.runId();

      const step = await world.run({ ...SLOW, github: { runId }, inputs: { repositories: repos.join('\n') } });
      expectExit(step, 0);

      expect(results(step).map((entry) => [entry.target, entry.status, entry.error])).toEqual(repos.map((repo) => [repo, 'rotated', null]));
      repos.forEach((repo, i) => {
        const stored = world.keyOf(world.secret(SECRET, repo));
        expect(stored.name).toBe(keyName({ runId, scope: repo }));
        expect(world.kubiya.isValid(stored.token), `${repo}'s secret holds a live key`).toBe(true);
        expect(world.keyValid(previous[i]!.id), `${repo}'s superseded key is revoked`).toBe(false);
      });
      expect(world.kubiya.rateLimited, 'the limit was met').toBeGreaterThan(0);
    },
    TEST_TIMEOUT,
  );
});
