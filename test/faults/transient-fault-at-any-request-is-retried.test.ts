// A one-off fault at any request of a clean rotation — a 502 (an HTML error page), a connection reset,
// a 429 with `Retry-After: 1` — is retried and the rotation completes: exit 0, the secret holds the
// only live managed key of the slot (no duplicate from a repeated mint), and a 429's advertised wait is
// honoured (the retry starts at least ~1 s after the 429 was answered, far above the 5 ms test backoff).
import { describe, expect, it } from 'vitest';
import { slotPrefix } from '../e2e/world.ts';
import type { FaultSpec } from './harness.ts';
import {
  ONE_REPOSITORY,
  checkRotation,
  describePosition,
  injectAt,
  recordCleanRotation,
  requestsAt,
  rotateOnce,
  stage,
  withWorld,
} from './harness.ts';

const recording = await recordCleanRotation(ONE_REPOSITORY);

const HTML_502 = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n';

const TRANSIENT: Record<string, FaultSpec> = {
  '502 once': { kind: 'status', status: 502, headers: { 'content-type': 'text/html' }, body: HTML_502, times: 1 },
  'reset once': { kind: 'reset', times: 1 },
  '429 once, Retry-After: 1': {
    kind: 'status',
    status: 429,
    headers: { 'retry-after': '1' },
    body: { message: 'Too Many Requests', detail: 'Too Many Requests' },
    times: 1,
  },
};

describe.concurrent('a one-off fault at any request of a clean rotation is retried', () => {
  for (const [label, fault] of Object.entries(TRANSIENT)) {
    for (const position of recording.positions) {
      it(`${label} at ${describePosition(position, recording.positions.length)}`, async () => {
        await withWorld(async (world) => {
          const staged = stage(world, ONE_REPOSITORY);
          injectAt(staged, position, fault);
          const step = await rotateOnce(staged);

          expect(step.exitCode, `exit code; errors: ${step.commands.find((c) => c.command === 'error')?.message}`).toBe(0);
          expect(checkRotation(staged, step)).toEqual([]);
          const live = world.keysNamed(slotPrefix()).filter((key) => world.keyValid(key.id));
          expect(
            live.map((key) => key.token),
            'exactly one live managed key for the slot: the one in the secret',
          ).toEqual([world.secret()]);

          const [faulted, retried] = requestsAt(staged, position);
          expect(faulted?.status, 'the fault hit the request').toBe(fault.kind === 'reset' ? 'reset' : fault.status);
          expect(retried, 'the request was tried again').toBeDefined();
          if (fault.status === 429) {
            expect(retried!.startedAt - faulted!.endedAt!, 'ms between the 429 and the retry').toBeGreaterThanOrEqual(950);
          }
        });
      });
    }
  }
});

describe("GitHub's secondary rate limit as a 429", () => {
  const secondary: FaultSpec = {
    kind: 'status',
    status: 429,
    headers: { 'retry-after': '1' },
    body: {
      message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      documentation_url: 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    },
    times: 1,
  };

  // The backoff test hook shortens the action's own backoff, never the wait a server asks for.
  it('on the public key is waited out for the second it names, then the rotation completes', async () => {
    await withWorld(async (world) => {
      const staged = stage(world, ONE_REPOSITORY);
      const publicKey = recording.positions.find((position) => position.role === 'public key')!;
      injectAt(staged, publicKey, secondary);
      const step = await rotateOnce(staged);

      expect(step.exitCode).toBe(0);
      expect(checkRotation(staged, step)).toEqual([]);
      const [limited, retried] = requestsAt(staged, publicKey);
      expect(limited?.status).toBe(429);
      expect(retried!.startedAt - limited!.endedAt!, 'ms between the 429 and the retry').toBeGreaterThanOrEqual(950);
    });
  });
});
